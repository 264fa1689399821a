// SPDX-License-Identifier: MIT
// Framing (frame_codec.*), the message glue (message_codec.h) and the
// messages every channel uses (common_messages.*). Inputs are copied into
// buffers of exactly the size under test so that AddressSanitizer sees any
// read past the end.
#include <doctest/doctest.h>

#include "codec_test_support.h"

#include "protocol/common_messages.h"
#include "protocol/control_messages.h"
#include "protocol/transfer_list_messages.h"
#include "protocol/index_messages.h"
#include "protocol/transfer_messages.h"
#include "util/text.h"

#include <cstring>
#include <set>
#include <string>
#include <vector>

using namespace napster;
using namespace napster::protocol;
using namespace napster::codec_test;

namespace {

} // namespace

// ---------------------------------------------------------------- framing

TEST_CASE("append_frame lays out length, type, payload big-endian") {
    Bytes out = bytes_of({0xAA});
    Bytes payload = bytes_of({1, 2, 3});
    append_frame(out, MessageType::search, payload);
    CHECK(out == bytes_of({0xAA, 0, 0, 0, 5, 0x01, 0x10, 1, 2, 3}));
}

TEST_CASE("append_frame with an empty payload has length 2") {
    Bytes out;
    append_frame(out, MessageType::status, {});
    CHECK(out == bytes_of({0, 0, 0, 2, 0x03, 0x04}));
    FrameParse p = parse_frame(out);
    REQUIRE(p.status == FrameStatus::complete);
    CHECK(p.frame.type == MessageType::status);
    CHECK(p.frame.payload.empty());
    CHECK(p.consumed == 6);
}

TEST_CASE("parse_frame needs four bytes before it can judge anything") {
    Bytes zeros = bytes_of({0, 0, 0, 0});
    for (std::size_t len = 0; len < 4; ++len) {
        CAPTURE(len);
        Bytes in = prefix(zeros, len);
        FrameParse p = parse_frame(in);
        CHECK(p.status == FrameStatus::need_more);
        CHECK(p.consumed == 0);
    }
}

TEST_CASE("parse_frame refuses a length shorter than the type field") {
    for (unsigned length : {0u, 1u}) {
        CAPTURE(length);
        Bytes in = bytes_of({0, 0, 0, length});
        FrameParse p = parse_frame(in);
        CHECK(p.status == FrameStatus::error);
        CHECK_FALSE(p.error.empty());
        CHECK(p.consumed == 0);
    }
    Bytes two = bytes_of({0, 0, 0, 2});
    CHECK(parse_frame(two).status == FrameStatus::need_more);
}

TEST_CASE("parse_frame refuses oversized frames from the header alone") {
    SUBCASE("exactly max_frame_length is accepted and waits for its bytes") {
        Bytes in;
        ByteWriter w(in);
        w.u32(static_cast<std::uint32_t>(max_frame_length));
        w.u16(0x0103);
        CHECK(parse_frame(in).status == FrameStatus::need_more);
    }
    SUBCASE("max_frame_length + 1 is an error") {
        Bytes in;
        ByteWriter w(in);
        w.u32(static_cast<std::uint32_t>(max_frame_length + 1));
        FrameParse p = parse_frame(in);
        CHECK(p.status == FrameStatus::error);
        CHECK(p.error.find(std::to_string(max_frame_length + 1)) != std::string::npos);
    }
    SUBCASE("0xffffffff is an error") {
        Bytes in = bytes_of({0xFF, 0xFF, 0xFF, 0xFF});
        CHECK(parse_frame(in).status == FrameStatus::error);
    }
    SUBCASE("a smaller caller limit is honoured") {
        Bytes in = bytes_of({0, 0, 0, 11});
        CHECK(parse_frame(in, 10).status == FrameStatus::error);
        Bytes ok = bytes_of({0, 0, 0, 10});
        CHECK(parse_frame(ok, 10).status == FrameStatus::need_more);
    }
}

TEST_CASE("a frame of exactly max_frame_length parses") {
    Bytes payload(max_frame_length - 2, std::byte{0x5A});
    Bytes frame;
    append_frame(frame, MessageType::files_add, payload);
    CHECK(frame.size() == max_frame_length + 4);
    FrameParse p = parse_frame(frame);
    REQUIRE(p.status == FrameStatus::complete);
    CHECK(p.frame.payload.size() == max_frame_length - 2);
    CHECK(p.consumed == frame.size());

    Bytes too_big;
    append_frame(too_big, MessageType::files_add, Bytes(max_frame_length - 1));
    CHECK(parse_frame(too_big).status == FrameStatus::error);
}

TEST_CASE("parse_frame's payload points into the input") {
    Bytes frame;
    append_frame(frame, MessageType::ping, bytes_of({9, 8, 7}));
    FrameParse p = parse_frame(frame);
    REQUIRE(p.status == FrameStatus::complete);
    CHECK(p.frame.payload.data() == frame.data() + frame_header_size);
    CHECK(p.frame.payload.size() == 3);
}

TEST_CASE("a frame split at every byte offset needs more until complete") {
    Ping ping{0x0123456789ABCDEFULL};
    Bytes frame = encode_message(ping);
    REQUIRE(frame.size() == 14);
    for (std::size_t len = 0; len < frame.size(); ++len) {
        CAPTURE(len);
        Bytes in = prefix(frame, len);
        FrameParse p = parse_frame(in);
        CHECK(p.status == FrameStatus::need_more);
        CHECK(p.consumed == 0);
    }
    FrameParse p = parse_frame(frame);
    REQUIRE(p.status == FrameStatus::complete);
    CHECK(p.consumed == frame.size());
    Result<Ping> decoded = decode_message<Ping>(p.frame.payload);
    REQUIRE(decoded.ok());
    CHECK(decoded->token == ping.token);
}

TEST_CASE("parse_frame takes one frame from the front and leaves the rest") {
    Bytes stream;
    append_message(stream, Ping{1});
    append_message(stream, Pong{2});
    append_message(stream, StatusRequest{});
    std::vector<MessageType> types;
    ByteSpan rest(stream);
    while (!rest.empty()) {
        FrameParse p = parse_frame(rest);
        REQUIRE(p.status == FrameStatus::complete);
        types.push_back(p.frame.type);
        rest = rest.subspan(p.consumed);
    }
    CHECK(types == std::vector<MessageType>{MessageType::ping, MessageType::pong, MessageType::status});
}

TEST_CASE("a stream of frames delivered in every pair of chunks yields the same messages") {
    Bytes stream;
    append_message(stream, Hello{});
    append_message(stream, Welcome{});
    append_message(stream, ErrorMessage{ErrorCode::busy, "later"});
    append_message(stream, Ping{42});
    for (std::size_t split = 0; split <= stream.size(); ++split) {
        CAPTURE(split);
        // What a connection does: append what arrived, take whole frames.
        Bytes buffer;
        std::vector<MessageType> seen;
        auto drain = [&] {
            for (;;) {
                Bytes exact = buffer; // exact size, for ASan
                FrameParse p = parse_frame(exact);
                REQUIRE(p.status != FrameStatus::error);
                if (p.status == FrameStatus::need_more) return;
                seen.push_back(p.frame.type);
                buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(p.consumed));
            }
        };
        buffer.insert(buffer.end(), stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(split));
        drain();
        buffer.insert(buffer.end(), stream.begin() + static_cast<std::ptrdiff_t>(split), stream.end());
        drain();
        CHECK(buffer.empty());
        CHECK(seen == std::vector<MessageType>{MessageType::hello, MessageType::welcome, MessageType::error,
                                               MessageType::ping});
    }
}

TEST_CASE("unknown message types are complete frames for the receiver to refuse") {
    Bytes in = bytes_of({0, 0, 0, 3, 0x7E, 0x7F, 0x01});
    FrameParse p = parse_frame(in);
    REQUIRE(p.status == FrameStatus::complete);
    CHECK(static_cast<std::uint16_t>(p.frame.type) == 0x7E7F);
    CHECK(p.frame.payload.size() == 1);
    CHECK(std::string(message_type_name(p.frame.type)) == "unknown");
}

TEST_CASE("decode_message refuses the wrong message's payload") {
    // A PONG payload (8 bytes) is not a HELLO (9 bytes): truncated.
    Bytes pong = payload_of(Pong{5});
    Result<Hello> r = decode_message<Hello>(pong);
    CHECK_FALSE(r.ok());
}

TEST_CASE("message_type_name and error_code_name name every value") {
    std::set<std::string> names;
    for (MessageType t :
         {MessageType::hello, MessageType::welcome, MessageType::error, MessageType::ping, MessageType::pong,
          MessageType::register_peer, MessageType::registered, MessageType::files_add,
          MessageType::files_remove, MessageType::search, MessageType::search_result, MessageType::get,
          MessageType::get_ok, MessageType::get_hashes, MessageType::hashes, MessageType::fetch, MessageType::fetch_progress, MessageType::fetch_done,
          MessageType::status, MessageType::status_result, MessageType::shares, MessageType::shares_batch,
          MessageType::shares_end, MessageType::transfers, MessageType::transfers_result, MessageType::cancel,
          MessageType::cancel_done, MessageType::wait, MessageType::watch, MessageType::watch_update}) {
        std::string name = message_type_name(t);
        CHECK(name != "unknown");
        names.insert(name);
    }
    CHECK(names.size() == 30);
    CHECK(std::string(message_type_name(MessageType::transfers_result)) == "TRANSFERS_RESULT");
    CHECK(std::string(message_type_name(MessageType::register_peer)) == "REGISTER");
    CHECK(std::string(message_type_name(MessageType::get_hashes)) == "GET_HASHES");
    CHECK(std::string(message_type_name(MessageType::hashes)) == "HASHES");
    CHECK(std::string(message_type_name(static_cast<MessageType>(0))) == "unknown");

    std::set<std::string> codes;
    for (std::uint16_t c = 1; c <= 12; ++c) {
        std::string name = error_code_name(static_cast<ErrorCode>(c));
        CHECK(name != "unknown error");
        codes.insert(name);
    }
    CHECK(codes.size() == 12);
    CHECK(std::string(error_code_name(ErrorCode::cancelled)) == "cancelled");
    CHECK(std::string(error_code_name(static_cast<ErrorCode>(0))) == "unknown error");
    CHECK(std::string(error_code_name(static_cast<ErrorCode>(13))) == "unknown error");
}

TEST_CASE("the wire numbers are the documented ones") {
    CHECK(version == 3);
    CHECK(min_version == 3);
    CHECK(magic == 0x4E415053u);
    CHECK(frame_header_size == 6);
    CHECK(max_frame_length == 1048576);
    CHECK(static_cast<int>(Channel::index) == 1);
    CHECK(static_cast<int>(Channel::transfer) == 2);
    CHECK(static_cast<int>(Channel::control) == 3);
    CHECK(static_cast<int>(MessageType::get) == 0x0201);
    CHECK(static_cast<int>(MessageType::get_ok) == 0x0202);
    CHECK(static_cast<int>(MessageType::get_hashes) == 0x0203);
    CHECK(static_cast<int>(MessageType::hashes) == 0x0204);
    CHECK(static_cast<int>(MessageType::shares_end) == 0x0308);
    CHECK(max_hashes_per_reply == 16384);
    CHECK(static_cast<int>(ErrorCode::version_mismatch) == 2);
    CHECK(static_cast<int>(ErrorCode::internal) == 10);
    CHECK(static_cast<int>(ErrorCode::permission_denied) == 11);
    CHECK(static_cast<int>(ErrorCode::cancelled) == 12);
    CHECK(static_cast<int>(MessageType::transfers) == 0x0310);
    CHECK(static_cast<int>(MessageType::transfers_result) == 0x0311);
    CHECK(static_cast<int>(MessageType::cancel) == 0x0312);
    CHECK(static_cast<int>(MessageType::cancel_done) == 0x0313);
    CHECK(static_cast<int>(MessageType::wait) == 0x0314);
    CHECK(static_cast<int>(MessageType::watch) == 0x0315);
    CHECK(static_cast<int>(MessageType::watch_update) == 0x0316);
    CHECK(max_transfers_listed == 256);
}

// ---------------------------------------------------------------- HELLO

TEST_CASE("HELLO encodes as documented in napster-protocol(7)") {
    Bytes frame = encode_message(Hello{3, Channel::index, 3});
    CHECK(hex(frame) == "0000000b" "0001" "4e415053" "0003" "01" "0003");
    // This build's HELLO and WELCOME: version 3 alone.
    CHECK(hex(encode_message(Hello{})) == "0000000b00014e41505300030100" "03");
    CHECK(hex(encode_message(Welcome{})) == "0000000400020003");
    CHECK(hex(encode_message(Hello{4, Channel::transfer, 3})) == "0000000b00014e4150530004020003");
    CHECK(hex(encode_message(Hello{3, Channel::control, 3})) == "0000000b00014e4150530003030003");
    CHECK(hex(encode_message(Welcome{2})) == "0000000400020002");
}

TEST_CASE("HELLO round-trips for every channel and any version range") {
    for (Channel c : {Channel::index, Channel::transfer, Channel::control}) {
        round_trip(Hello{version, c, min_version});
        round_trip(Hello{0xFFFF, c, 0});
        round_trip(Hello{0, c, 0});
        round_trip(Hello{7, c, 7});
    }
}

TEST_CASE("a version-1 HELLO, without min_version, speaks version 1 alone") {
    // Exactly what napster 0.1.0 sent: magic, version 1, channel 1.
    Bytes v1 = bytes_of({0x4e, 0x41, 0x50, 0x53, 0x00, 0x01, 0x01});
    Result<Hello> r = decode_message<Hello>(v1);
    REQUIRE(r.ok());
    CHECK(r->max_version == 1);
    CHECK(r->min_version == 1);
    CHECK(r->channel == Channel::index);
    CHECK_FALSE(choose_version(*r).has_value());
}

TEST_CASE("HELLO refuses a truncated min_version, trailing bytes, and min above max") {
    Bytes payload = payload_of(Hello{});
    for (std::size_t cut : {std::size_t{0}, std::size_t{3}, std::size_t{6}, std::size_t{8}}) {
        CAPTURE(cut);
        Bytes shorter(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(cut));
        CHECK_FALSE(decode_message<Hello>(shorter).ok());
    }
    Bytes longer = payload;
    longer.push_back(std::byte{0});
    CHECK_FALSE(decode_message<Hello>(longer).ok());
    Result<Hello> inverted = decode_message<Hello>(payload_of(Hello{2, Channel::index, 3}));
    REQUIRE_FALSE(inverted.ok());
    CHECK(inverted.error().code == ErrorCode::malformed);
    CHECK(inverted.error().message.find("min_version 3 is above version 2") != std::string::npos);
}

TEST_CASE("choose_version picks the highest version both ranges hold") {
    CHECK(choose_version(Hello{}) == 3);
    CHECK(choose_version(Hello{9, Channel::index, 1}) == 3);
    CHECK_FALSE(choose_version(Hello{2, Channel::index, 2}).has_value());
    CHECK(choose_version(Hello{2, Channel::index, 2}, 2, 2) == 2);
    CHECK(choose_version(Hello{5, Channel::index, 1}, 2, 3) == 3);
    CHECK(choose_version(Hello{3, Channel::index, 3}, 2, 4) == 3);
    CHECK(choose_version(Hello{9, Channel::index, 4}, 2, 4) == 4);
    CHECK_FALSE(choose_version(Hello{1, Channel::index, 1}, 2, 4).has_value());
    CHECK_FALSE(choose_version(Hello{9, Channel::index, 5}, 2, 4).has_value());
}

TEST_CASE("check_welcome accepts only a version this side offered") {
    CHECK(check_welcome(Welcome{version}, "the index").ok());
    Result<std::uint16_t> old = check_welcome(Welcome{1}, "the index");
    REQUIRE_FALSE(old.ok());
    CHECK(old.error().code == ErrorCode::version_mismatch);
    CHECK(old.error().message == "the index chose protocol version 1, but this program speaks version 3");
    // Version 2 was never released: no build speaks it any more.
    Result<std::uint16_t> two = check_welcome(Welcome{2}, "the holder");
    REQUIRE_FALSE(two.ok());
    CHECK(two.error().message == "the holder chose protocol version 2, but this program speaks version 3");
    CHECK_FALSE(check_welcome(Welcome{4}, "napeerd").ok());
}

TEST_CASE("version_range_text names one version or a range") {
    CHECK(version_range_text(2, 2) == "version 2");
    CHECK(version_range_text(1, 3) == "versions 1 to 3");
}

TEST_CASE("an Error becomes an ERROR and back with its code and text") {
    Error e{ErrorCode::not_connected, "napeerd is not connected to the index: connecting"};
    ErrorMessage wire = to_error_message(e);
    CHECK(wire.code == ErrorCode::not_connected);
    CHECK(wire.text == e.message);
    Error back = to_error(wire);
    CHECK(back.code == e.code);
    CHECK(back.message == e.message);
    Result<ErrorMessage> decoded = decode_message<ErrorMessage>(payload_of(wire));
    REQUIRE(decoded.ok());
    CHECK(*decoded == wire);
}

TEST_CASE("HELLO refuses a wrong magic") {
    Bytes payload = payload_of(Hello{});
    for (std::size_t i = 0; i < 4; ++i) {
        CAPTURE(i);
        Bytes bad = payload;
        bad[i] ^= std::byte{0x20}; // "naps" in lower case, byte by byte
        Result<Hello> r = decode_message<Hello>(bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message.find("magic") != std::string::npos);
    }
}

TEST_CASE("HELLO refuses channels other than 1, 2, 3") {
    Bytes payload = payload_of(Hello{});
    for (unsigned channel : {0u, 4u, 0x7Fu, 0xFFu}) {
        CAPTURE(channel);
        Bytes bad = payload;
        bad.at(6) = std::byte{static_cast<std::uint8_t>(channel)};
        Result<Hello> r = decode_message<Hello>(bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message.find("channel") != std::string::npos);
    }
}

TEST_CASE("WELCOME round-trips") {
    round_trip(Welcome{});
    round_trip(Welcome{0xBEEF});
    check_truncated_and_trailing(Welcome{});
}

TEST_CASE("ERROR round-trips every code") {
    for (std::uint16_t c = 1; c <= 12; ++c) {
        ErrorMessage m{static_cast<ErrorCode>(c), "something went wrong"};
        round_trip(m);
    }
    // Unknown codes are carried, not refused: a newer peer may send them.
    round_trip(ErrorMessage{static_cast<ErrorCode>(0xFFFF), ""});
    round_trip(ErrorMessage{ErrorCode::not_found, std::string("\xff\xfe\n\0", 4)});
    check_truncated_and_trailing(ErrorMessage{ErrorCode::malformed, "bad"});
}

TEST_CASE("ERROR text is cut to max_error_text by the sender and refused beyond it") {
    ErrorMessage at_limit{ErrorCode::io_error, std::string(max_error_text, 'e')};
    round_trip(at_limit);

    ErrorMessage longer{ErrorCode::io_error, std::string(max_error_text + 500, 'e')};
    Result<ErrorMessage> r = decode_message<ErrorMessage>(payload_of(longer));
    REQUIRE(r.ok());
    CHECK(r->text.size() == max_error_text);

    Bytes bad;
    ByteWriter w(bad);
    w.u16(1);
    w.str16(std::string(max_error_text + 1, 'e'));
    CHECK_FALSE(decode_message<ErrorMessage>(bad).ok());
}

TEST_CASE("PING and PONG round-trip") {
    for (std::uint64_t token : {0ULL, 1ULL, 0xFFFFFFFFFFFFFFFFULL, 0x8000000000000001ULL}) {
        round_trip(Ping{token});
        round_trip(Pong{token});
    }
    check_truncated_and_trailing(Ping{7});
    check_truncated_and_trailing(Pong{7});
}

// ---------------------------------------------------------------- garbage

namespace {

// Decodes `payload` as M; whatever comes back, it must not crash, and a
// payload that decodes must be the canonical encoding of what it decoded to.
template <typename M> void decode_garbage(const Bytes& payload) {
    Result<M> r = decode_message<M>(payload);
    if constexpr (std::is_same_v<M, Hello>) {
        // The version-1 form has no min_version; it re-encodes longer.
        if (r && payload.size() == 7) {
            CHECK(r->min_version == r->max_version);
            return;
        }
    }
    if (r) {
        CHECK(payload_of(*r) == payload);
    } else {
        CHECK_FALSE(r.error().message.empty());
    }
}

template <typename... Ms> void decode_as_every(const Bytes& payload) { (decode_garbage<Ms>(payload), ...); }

void decode_as_every_message(const Bytes& payload) {
    decode_as_every<Hello, Welcome, ErrorMessage, Ping, Pong, RegisterPeer, Registered, FilesAdd, FilesRemove,
                    Search, SearchResult, Get, GetOk, GetHashes, Hashes, Fetch, FetchProgress, FetchDone, StatusRequest,
                    StatusResult, SharesRequest, SharesBatch, SharesEnd, TransfersResult, CancelRequest, CancelDone,
                    WaitRequest, WatchUpdate>(payload);
}

} // namespace

TEST_CASE("pseudo-random bytes never crash parse_frame or any decoder") {
    Rng rng{0x5EED0001};
    int complete = 0;
    for (int iteration = 0; iteration < 20000; ++iteration) {
        Bytes garbage(rng.below(64));
        for (auto& b : garbage) b = rng.byte();
        // Small plausible lengths now and then, so that whole frames occur.
        if (garbage.size() >= 6 && rng.below(2) == 0) {
            garbage[0] = garbage[1] = garbage[2] = std::byte{0};
            garbage[3] = std::byte{static_cast<std::uint8_t>(2 + rng.below(garbage.size() - 4 - 1))};
        }
        FrameParse p = parse_frame(garbage);
        switch (p.status) {
        case FrameStatus::complete: {
            ++complete;
            CHECK(p.consumed <= garbage.size());
            CHECK(p.consumed == p.frame.payload.size() + frame_header_size);
            Bytes payload(p.frame.payload.begin(), p.frame.payload.end());
            decode_as_every_message(payload);
            break;
        }
        case FrameStatus::need_more: CHECK(p.consumed == 0); break;
        case FrameStatus::error: CHECK_FALSE(p.error.empty()); break;
        }
        decode_as_every_message(garbage);
    }
    CHECK(complete > 1000);
}

TEST_CASE("mutated valid frames never crash any decoder") {
    std::vector<Bytes> seeds = {
        payload_of(Hello{}),
        payload_of(ErrorMessage{ErrorCode::busy, "try later"}),
        payload_of(RegisterPeer{"alice", 6020}),
        payload_of(FilesAdd{{FileEntry{1, 10, "a.txt", "dir/a.txt", test_root()}, FileEntry{2, 0, "b", "b", {}}}}),
        payload_of(FilesRemove{{1, 2, 3}}),
        payload_of(Search{1, 0, 0, "file", std::nullopt}),
        payload_of(Search{1, 0, 0, "", test_root()}),
        payload_of(SearchResult{1, 2, {SearchHit{"x", 1, test_root(), 1, {Holder{1, "p", "::1", 1, 1, "y"}}}}}),
        payload_of(Get{1, "bob", 2, "x", test_root(), 0, 5}),
        payload_of(GetOk{10, test_root(), 5, 5}),
        payload_of(GetHashes{1, "x", test_root(), 0, 1}),
        payload_of(Hashes{test_root(), 1, 0, {test_root(1)}}),
        payload_of(Fetch{"x", 7u, "/tmp", test_root(), true}),
        payload_of(FetchDone{"/tmp/x", 1, 2, "p", test_root(), true}),
        payload_of(StatusResult{}),
        payload_of(SharesBatch{{FileEntry{1, 10, "a", "a", {}}}}),
    };
    Rng rng{0x5EED0002};
    for (int iteration = 0; iteration < 4000; ++iteration) {
        Bytes m = seeds[rng.below(seeds.size())];
        std::size_t edits = 1 + rng.below(4);
        for (std::size_t e = 0; e < edits; ++e) {
            switch (rng.below(4)) {
            case 0:
                if (!m.empty()) m[rng.below(m.size())] = rng.byte();
                break;
            case 1:
                if (!m.empty()) m.resize(rng.below(m.size()));
                break;
            case 2: m.insert(m.begin() + static_cast<std::ptrdiff_t>(rng.below(m.size() + 1)), rng.byte()); break;
            case 3:
                if (!m.empty()) m[rng.below(m.size())] = std::byte{0xFF};
                break;
            }
        }
        decode_as_every_message(m);
    }
}
