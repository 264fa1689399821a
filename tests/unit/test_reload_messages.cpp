// SPDX-License-Identifier: MIT
// RELOAD and RELOAD_RESULT (protocol/reload_messages.*): round trips, the
// exact bytes napster-protocol(7) documents, every limit, and fitting a
// long list into one frame.

#include "protocol/reload_messages.h"

#include "codec_test_support.h"

#include <doctest/doctest.h>

using namespace napster;
using namespace napster::codec_test;
using protocol::ReloadedKey;
using protocol::ReloadRequest;
using protocol::ReloadResult;

namespace {

ReloadResult sample() {
    ReloadResult m;
    m.source = "/etc/napster/peer.toml";
    m.changes = {{"log.level", true, "\"info\"", "\"debug\""},
                 {"share.dirs", true, "", "/srv/music"},
                 {"upload.port", false, "6020", "6021"}};
    m.left_out = 0;
    return m;
}

} // namespace

TEST_CASE("RELOAD: empty payload, and its type") {
    CHECK(round_trip(ReloadRequest{}) == ReloadRequest{});
    CHECK(hex(protocol::encode_message(ReloadRequest{})) == "000000020320");
    check_refused<ReloadRequest>(bytes_of({0}), "trailing");
    CHECK(std::string(protocol::message_type_name(protocol::MessageType::reload)) == "RELOAD");
    CHECK(std::string(protocol::message_type_name(protocol::MessageType::reload_result)) == "RELOAD_RESULT");
}

TEST_CASE("RELOAD_RESULT: round trip, truncation and the documented bytes") {
    round_trip(sample());
    check_truncated_and_trailing(sample());
    ReloadResult empty;
    round_trip(empty);
    // source "" | no change | left_out 0
    CHECK(hex(payload_of(empty)) == "0000" "0000" "00000000");
    ReloadResult one;
    one.source = "a";
    one.changes = {{"log.level", false, "1", "22"}};
    one.left_out = 3;
    CHECK(hex(payload_of(one)) == "000161" "0001" "096c6f672e6c6576656c" "00" "000131" "00023232" "00000003");
}

TEST_CASE("RELOAD_RESULT: refusals") {
    auto with_key = [](std::string key) {
        ReloadResult m;
        m.changes = {{std::move(key), true, "", ""}};
        return payload_of(m);
    };
    check_refused<ReloadResult>(with_key(""), "key is empty");
    check_refused<ReloadResult>(with_key("Log.level"), "byte other than");
    check_refused<ReloadResult>(with_key("log level"), "byte other than");
    check_refused<ReloadResult>(with_key(std::string(65, 'a')), "key");
    round_trip(ReloadResult{"", {{std::string(64, 'a'), true, "", ""}}, 0});

    Bytes flag = payload_of(ReloadResult{"", {{"k", true, "", ""}}, 0});
    flag[2 + 2 + 1 + 1] = std::byte{2}; // the live flag after the key "k"
    check_refused<ReloadResult>(flag, "live flag is not 0 or 1");

    ReloadResult long_value{"", {{"k", true, std::string(protocol::max_dir_path + 1, 'x'), ""}}, 0};
    check_refused<ReloadResult>(payload_of(long_value), "value before");
    check_refused<ReloadResult>(payload_of(ReloadResult{std::string(protocol::max_dir_path + 1, '/'), {}, 0}),
                                "config source");

    // A count above the limit is refused before any entry is read.
    Bytes many = bytes_of({0, 0, 0x04, 0x01});
    check_refused<ReloadResult>(many, "1025 changes exceed 1024");
}

TEST_CASE("fit_reload_result: a list too long for one frame keeps what fits and counts the rest") {
    ReloadResult small = sample();
    fit_reload_result(small);
    CHECK(small == sample());

    ReloadResult big;
    big.source = "/etc/napster/peer.toml";
    for (int i = 0; i < 600; ++i)
        big.changes.push_back({"share.dirs", true, "", "/" + std::string(protocol::max_dir_path + 10, 'd')});
    big.left_out = 1;
    fit_reload_result(big);
    CHECK(big.changes.front().after.size() == protocol::max_dir_path); // cut
    Bytes frame = protocol::encode_message(big);
    CHECK(frame.size() - 4 <= protocol::max_frame_length);
    CHECK(big.changes.size() + big.left_out == 601);
    CHECK(big.changes.size() > 100);
    // One more would not have fitted.
    CHECK(frame.size() - 4 + 1 + 10 + 1 + 2 + 2 + protocol::max_dir_path > protocol::max_frame_length);
    round_trip(big);

    ReloadResult counted;
    for (std::size_t i = 0; i < protocol::max_reload_changes + 5; ++i) counted.changes.push_back({"k", true, "", ""});
    fit_reload_result(counted);
    CHECK(counted.changes.size() == protocol::max_reload_changes);
    CHECK(counted.left_out == 5);
    round_trip(counted);
}

TEST_CASE("reload_text: live, restart, share dirs, escaped") {
    using protocol::reload_text;
    CHECK(reload_text(ReloadedKey{"upload.max_concurrent", true, "8", "16"}) ==
          "upload.max_concurrent is now 16 (was 8)");
    CHECK(reload_text(ReloadedKey{"upload.port", false, "6020", "6021"}) ==
          "upload.port is 6021 in the file but needs a restart (still 6020)");
    CHECK(reload_text("share.dirs", true, "", "/srv/music") == "share.dirs: added /srv/music");
    CHECK(reload_text("share.dirs", true, "/srv/old", "") == "share.dirs: removed /srv/old");
    CHECK(reload_text("share.dirs", true, "[\"/a\"]", "[\"/b\"]") == "share.dirs is now [\"/b\"] (was [\"/a\"])");
    CHECK(reload_text("name", false, "\"a\x1b\"", "\"b\"") ==
          "name is \"b\" in the file but needs a restart (still \"a\\x1b\")");
}

TEST_CASE("RELOAD_RESULT: the example of napster-protocol(7)") {
    ReloadResult m{"/etc/napster/peer.toml", {{"share.dirs", true, "", "/srv/m"}}, 0};
    CHECK(hex(protocol::encode_message(m)) == "000000360321"
                                              "0016" + hex_encode("/etc/napster/peer.toml") +
                                              "0001"
                                              "0a" + hex_encode("share.dirs") + "01"
                                              "0000"
                                              "0006" + hex_encode("/srv/m") +
                                              "00000000");
}
