// SPDX-License-Identifier: MIT
#include "ctl/content_choice.h"

#include "ctl/output.h"
#include "util/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace napster::ctl {
namespace {

bool has_name(const protocol::SearchHit& hit, std::string_view name) {
    return hit.name == name || std::any_of(hit.holders.begin(), hit.holders.end(),
                                           [&](const protocol::Holder& h) { return h.name == name; });
}

// A root says what a file is; without one only its size can, and an
// unhashed file is never the same content as a hashed one (its bytes are
// not known to match any root).
bool same_content(const Content& content, const protocol::SearchHit& hit) {
    if (content.root || hit.root) return content.root == hit.root;
    return content.size == hit.size;
}

void add_hit(std::vector<Content>& contents, const protocol::SearchHit& hit) {
    auto it = std::find_if(contents.begin(), contents.end(), [&](const Content& c) { return same_content(c, hit); });
    if (it == contents.end()) {
        contents.push_back({hit.name, hit.size, hit.root, hit.holder_total, hit.holders});
        return;
    }
    // The index sends one hit a content; should it send two, their holders
    // are one list, and their totals (each an upper bound) add up.
    std::uint64_t total = std::uint64_t{it->holder_total} + hit.holder_total;
    it->holder_total = static_cast<std::uint32_t>(std::min<std::uint64_t>(total, std::numeric_limits<std::uint32_t>::max()));
    for (const auto& holder : hit.holders) {
        bool known = std::any_of(it->holders.begin(), it->holders.end(), [&](const protocol::Holder& h) {
            return h.peer_id == holder.peer_id && h.file_id == holder.file_id;
        });
        if (!known) it->holders.push_back(holder);
    }
}

std::string holders_text(std::uint32_t count) { return fmt::format("{} {}", count, count == 1 ? "holder" : "holders"); }

// The hit without this napeerd's own files; nullopt when they were all it
// listed.
std::optional<protocol::SearchHit> without_self(const protocol::SearchHit& hit, std::optional<std::uint32_t> self) {
    if (!self) return hit;
    protocol::SearchHit others = hit;
    auto own = std::remove_if(others.holders.begin(), others.holders.end(),
                              [&](const protocol::Holder& h) { return h.peer_id == *self; });
    auto removed = static_cast<std::uint32_t>(others.holders.end() - own);
    if (removed == 0) return others;
    others.holders.erase(own, others.holders.end());
    others.holder_total -= std::min(removed, others.holder_total);
    if (others.holders.empty()) return std::nullopt;
    return others;
}

} // namespace

std::vector<Content> contents_named(std::span<const protocol::SearchHit> hits, std::string_view name,
                                    std::optional<std::uint32_t> self) {
    std::vector<Content> contents;
    for (const auto& hit : hits)
        if (has_name(hit, name))
            if (auto others = without_self(hit, self)) add_hit(contents, *others);
    return contents;
}

std::optional<Content> content_with_root(std::span<const protocol::SearchHit> hits, const content::Digest& root,
                                         std::optional<std::uint32_t> self) {
    std::vector<Content> contents;
    for (const auto& hit : hits)
        if (hit.root == root)
            if (auto others = without_self(hit, self)) add_hit(contents, *others);
    if (contents.empty()) return std::nullopt;
    return contents.front();
}

Failure ambiguous_name(std::string_view name, std::span<const Content> contents) {
    // The whole root, not its prefix: it is what --hash takes.
    TextTable table({{"ROOT"}, {"SIZE", TextTable::Align::right}, {"HOLDERS"}});
    bool any_unhashed = false;
    for (const auto& each : contents) {
        table.add_row({each.root ? content::hex(*each.root) : "unhashed", human_size(each.size),
                       holders_text(each.holder_total)});
        any_unhashed = any_unhashed || !each.root;
    }
    std::string hint = table.render(TextTable::Heading::hidden, "  ");
    if (any_unhashed) hint += "  (an unhashed one has no root to choose by until its holders have hashed it)\n";
    if (!hint.empty()) hint.pop_back(); // report() ends the hint's line
    return {exit_usage,
            fmt::format("fetch: \"{}\" names {} different files; choose one by its root with --hash:",
                        printable(name), contents.size()),
            std::move(hint), "ambiguous"};
}

} // namespace napster::ctl
