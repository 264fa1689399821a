// SPDX-License-Identifier: MIT
#include "ctl/peer_prompt.h"

#include "ctl/output.h"
#include "util/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <istream>
#include <optional>
#include <ostream>

namespace napster::ctl {
namespace {

// Longer answers cannot be a peer ID; they are only echoed back, cut short.
constexpr std::size_t max_echoed_answer = 40;

std::string_view trim(std::string_view s) {
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
}

bool is_cancel(std::string_view answer) { return ascii_lower(answer) == "cancel"; }

std::optional<std::uint32_t> parse_peer_id(std::string_view answer) {
    if (answer.empty() || !std::all_of(answer.begin(), answer.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    std::uint32_t id = 0;
    auto [end, ec] = std::from_chars(answer.data(), answer.data() + answer.size(), id);
    if (ec != std::errc{} || end != answer.data() + answer.size()) return std::nullopt;
    return id;
}

// What the prompt calls the content: the name it will be saved under, or
// its root when it is fetched by root alone.
std::string subject(std::string_view file_name, const HolderList& list) {
    if (!file_name.empty() || !list.root) return printable(file_name);
    return fmt::format("root {}", root_prefix(*list.root));
}

std::string names_cell(std::string_view file_name, const HolderChoice& holder) {
    std::string out;
    for (const auto& name : holder.names) {
        if (name == file_name) continue;
        out += out.empty() ? "as " : ", ";
        out += printable(name);
    }
    return out;
}

void show_holders(std::string_view file_name, const HolderList& list, std::ostream& out) {
    std::string what = human_size(list.size);
    if (!file_name.empty()) what += list.root ? fmt::format(", root {}", root_prefix(*list.root)) : ", unhashed";
    out << fmt::format("{} is held by {} peers ({}):\n", subject(file_name, list), list.holders.size(), what);
    TextTable table({{"PEER"}, {"NAME"}, {"ADDRESS"}, {"AS"}});
    for (const auto& holder : list.holders)
        table.add_row({fmt::format("peer {}", holder.peer_id), printable(holder.peer_name),
                       endpoint_text(holder.address, holder.port), names_cell(file_name, holder)});
    out << table.render(TextTable::Heading::hidden, "  ");
    if (list.more_unlisted) out << "  (the index knows more holders than it listed)\n";
}

std::string tries_left(int left) { return fmt::format("{} {} left", left, left == 1 ? "try" : "tries"); }

// The holders whose name is `answer`: byte for byte, or else, when that
// finds none, ignoring ASCII case.
std::vector<const HolderChoice*> named(const HolderList& list, std::string_view answer) {
    std::vector<const HolderChoice*> found;
    for (const auto& holder : list.holders)
        if (holder.peer_name == answer) found.push_back(&holder);
    if (!found.empty()) return found;
    std::string lower = ascii_lower(answer);
    for (const auto& holder : list.holders)
        if (ascii_lower(holder.peer_name) == lower) found.push_back(&holder);
    return found;
}

} // namespace

const HolderChoice* default_holder(const HolderList& list) {
    return list.holders.empty() ? nullptr : &list.holders.front();
}

std::string peer_question(const HolderList& list) {
    const HolderChoice* first = default_holder(list);
    std::string fallback = first ? fmt::format(" [peer {}, {}]", first->peer_id, printable(first->peer_name)) : "";
    return fmt::format("Enter peer ID or name to fetch from{} (or \"cancel\"): ", fallback);
}

ResolvedAnswer resolve_peer_answer(std::string_view file_name, const HolderList& list, std::string_view answer) {
    answer = trim(answer);
    if (answer.empty()) {
        if (const HolderChoice* first = default_holder(list)) return {first->peer_id, {}};
        return {std::nullopt, "no holder to choose"};
    }
    auto id = parse_peer_id(answer);
    if (id && std::any_of(list.holders.begin(), list.holders.end(),
                          [&](const HolderChoice& c) { return c.peer_id == *id; }))
        return {*id, {}};
    // A name may be all digits: it is tried after the IDs.
    auto by_name = named(list, answer);
    if (by_name.size() == 1) return {by_name.front()->peer_id, {}};
    std::string shown = truncate_display(printable(answer), max_echoed_answer);
    if (by_name.size() > 1)
        return {std::nullopt, fmt::format("{} holders are named \"{}\": enter a peer ID", by_name.size(), shown)};
    if (id) return {std::nullopt, fmt::format("peer {} does not hold {}", *id, subject(file_name, list))};
    return {std::nullopt, fmt::format("\"{}\" is neither the ID nor the name of a holder", shown)};
}

HolderList collect_holders(const Content& content) {
    HolderList list;
    list.size = content.size;
    list.root = content.root;
    list.more_unlisted = content.holder_total > content.holders.size();
    for (const auto& holder : content.holders) {
        auto it = std::find_if(list.holders.begin(), list.holders.end(),
                               [&](const HolderChoice& c) { return c.peer_id == holder.peer_id; });
        if (it == list.holders.end()) {
            list.holders.push_back({holder.peer_id, holder.peer_name, holder.address, holder.port, {}});
            it = list.holders.end() - 1;
        }
        if (std::find(it->names.begin(), it->names.end(), holder.name) == it->names.end())
            it->names.push_back(holder.name);
    }
    std::sort(list.holders.begin(), list.holders.end(),
              [](const HolderChoice& a, const HolderChoice& b) { return a.peer_id < b.peer_id; });
    return list;
}

PeerChoice prompt_for_peer(std::string_view file_name, const HolderList& list, std::istream& in,
                           std::ostream& out) {
    show_holders(file_name, list, out);
    for (int attempt = 1; attempt <= peer_prompt_tries; ++attempt) {
        out << peer_question(list) << std::flush;
        std::string line;
        if (!std::getline(in, line)) {
            out << '\n'; // end of input left the cursor after the prompt
            return {PeerChoice::Kind::cancelled, 0};
        }
        std::string_view answer = trim(line);
        if (is_cancel(answer)) return {PeerChoice::Kind::cancelled, 0};
        auto resolved = resolve_peer_answer(file_name, list, answer);
        if (resolved.peer_id) return {PeerChoice::Kind::chosen, *resolved.peer_id};
        int left = peer_prompt_tries - attempt;
        if (left > 0)
            out << fmt::format("{} ({})\n", resolved.why, tries_left(left));
        else
            out << resolved.why << '\n';
    }
    return {PeerChoice::Kind::no_valid_choice, 0};
}

} // namespace napster::ctl
