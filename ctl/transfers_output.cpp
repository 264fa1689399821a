// SPDX-License-Identifier: MIT
#include "ctl/transfers_output.h"

#include "ctl/output.h"
#include "util/text.h"

#include <fmt/format.h>

#include <charconv>

namespace napster::ctl {
namespace {

constexpr std::size_t max_peers_columns = 24;

std::optional<unsigned> percent_of(const protocol::TransferInfo& t) {
    if (t.total == 0) return std::nullopt;
    return static_cast<unsigned>(static_cast<double>(std::min(t.done, t.total)) * 100.0 / static_cast<double>(t.total));
}

std::string peers_cell(const std::vector<protocol::TransferPeer>& peers) {
    std::string names;
    for (const auto& peer : peers) names += (names.empty() ? "" : ", ") + printable(peer.peer_name);
    return names.empty() ? "-" : truncate_display(names, max_peers_columns);
}

bool running(const protocol::TransferInfo& t) { return !protocol::transfer_ended(t.state); }

} // namespace

std::string transfers_text(const protocol::TransfersResult& result) {
    if (result.transfers.empty()) return "no transfers\n";
    using Align = TextTable::Align;
    TextTable table({{"ID", Align::right},
                     {"DIR", Align::left},
                     {"STATE", Align::left},
                     {"DONE", Align::right},
                     {"%", Align::right},
                     {"RATE", Align::right},
                     {"ETA", Align::right},
                     {"PEERS", Align::left},
                     {"NAME", Align::left}});
    std::string reasons;
    for (const auto& t : result.transfers) {
        auto percent = percent_of(t);
        std::string done = t.total > 0 ? fmt::format("{} of {}", human_size(t.done), human_size(t.total))
                                       : human_size(t.done);
        table.add_row({std::to_string(t.transfer_id),
                       t.direction == protocol::TransferDirection::upload ? "up" : "down",
                       protocol::transfer_state_name(t.state), done,
                       percent ? fmt::format("{}%", *percent) : "-",
                       running(t) ? fmt::format("{}/s", human_size(t.rate)) : "-",
                       t.eta_seconds ? human_duration(*t.eta_seconds) : "-", peers_cell(t.peers),
                       printable(t.name)});
        if (!t.error.empty()) reasons += fmt::format("{}: {}\n", t.transfer_id, printable(t.error));
    }
    std::string out = table.render() + reasons;
    if (result.more) out += fmt::format("... and {} more\n", result.more);
    return out;
}

std::string transfers_json(const protocol::TransfersResult& result) {
    JsonWriter json;
    json.begin_object();
    write_transfers(json, result);
    json.end_object();
    return json.finish();
}

void write_transfers(JsonWriter& json, const protocol::TransfersResult& result) {
    json.key("transfers");
    json.begin_array();
    for (const auto& t : result.transfers) {
        json.begin_object();
        json.number_field("id", t.transfer_id);
        json.string_field("direction", protocol::transfer_direction_name(t.direction));
        json.string_field("state", protocol::transfer_state_name(t.state));
        json.string_field("name", t.name);
        json.number_field("bytes_done", t.done);
        json.number_field("bytes_total", t.total);
        if (auto percent = percent_of(t))
            json.number_field("percent", *percent);
        else
            json.null_field("percent");
        json.number_field("rate", t.rate);
        if (t.eta_seconds)
            json.number_field("eta_seconds", *t.eta_seconds);
        else
            json.null_field("eta_seconds");
        json.number_field("elapsed_ms", t.elapsed_ms);
        json.key("peers");
        json.begin_array();
        for (const auto& peer : t.peers) {
            json.begin_object();
            if (peer.peer_id == protocol::unknown_peer_id)
                json.null_field("peer_id");
            else
                json.number_field("peer_id", peer.peer_id);
            json.optional_string_field("peer_name", peer.peer_name);
            json.end_object();
        }
        json.end_array();
        if (t.error.empty())
            json.null_field("error");
        else
            json.string_field("error", t.error);
        json.end_object();
    }
    json.end_array();
    json.number_field("more", result.more);
}

std::string cancel_text(const protocol::CancelDone& done) {
    return fmt::format("cancelled {} {} ({})\n", protocol::transfer_direction_name(done.direction), done.transfer_id,
                       printable(done.name));
}

std::string cancel_json(const protocol::CancelDone& done) {
    JsonWriter json;
    json.begin_object();
    json.number_field("transfer_id", done.transfer_id);
    json.string_field("direction", protocol::transfer_direction_name(done.direction));
    json.string_field("name", done.name);
    json.end_object();
    return json.finish();
}

Outcome<protocol::TransferId> parse_transfer_id(std::string_view command, std::string_view text) {
    protocol::TransferId id = 0;
    const char* end = text.data() + text.size();
    auto [stop, ec] = std::from_chars(text.data(), end, id);
    if (text.empty() || ec != std::errc{} || stop != end || id == 0)
        return Failure{exit_usage,
                       fmt::format("{}: \"{}\" is not a transfer ID (a number from 1, as napctl transfers shows)",
                                   command, truncate_display(printable(text), 40)),
                       fmt::format("usage: napctl {} ID", command)};
    return id;
}

} // namespace napster::ctl
