// SPDX-License-Identifier: MIT
// napctl's one mapping from a wire ERROR to its exit status and message
// (ctl/control_client.cpp: error_reply_failure).

#include "ctl/control_client.h"

#include <doctest/doctest.h>

using namespace napster;
using namespace napster::ctl;

TEST_CASE("not_connected is exit status 4, its text shown once as napeerd wrote it") {
    protocol::ErrorMessage error{ErrorCode::not_connected,
                                 "napeerd is not connected to the index: cannot connect to 127.0.0.1:5015: "
                                 "connection refused"};
    Failure f = error_reply_failure(error);
    CHECK(f.status == exit_not_connected);
    CHECK(f.status == 4);
    CHECK(f.message == error.text);
}

TEST_CASE("version_mismatch is exit status 3: this napeerd cannot be talked to") {
    Failure f = error_reply_failure({ErrorCode::version_mismatch, "napeerd speaks protocol version 2, the client version 3"});
    CHECK(f.status == exit_unreachable);
    CHECK(f.message == "napeerd speaks protocol version 2, the client version 3");
}

TEST_CASE("permission_denied is exit status 3: napeerd will not talk to this caller") {
    Failure f = error_reply_failure({ErrorCode::permission_denied, "permission denied: napeerd runs as uid 0"});
    CHECK(f.status == exit_unreachable);
}

TEST_CASE("every other code, known or not, is exit status 1") {
    for (std::uint16_t code : {1, 3, 4, 5, 6, 7, 8, 10, 99}) {
        CAPTURE(code);
        Failure f = error_reply_failure({static_cast<ErrorCode>(code), "it failed"});
        CHECK(f.status == exit_failure);
        CHECK(f.message == "it failed");
    }
}

TEST_CASE("an ERROR without text is named by its code") {
    CHECK(error_reply_failure({ErrorCode::busy, ""}).message == "napeerd: busy");
    CHECK(error_reply_failure({ErrorCode::not_connected, ""}).message == "napeerd: not connected");
    CHECK(error_reply_failure({ErrorCode::permission_denied, ""}).message == "napeerd: permission denied");
}

TEST_CASE("hostile bytes in an ERROR text are escaped") {
    Failure f = error_reply_failure({ErrorCode::io_error, std::string("bad\x1b[2Jname\n", 12)});
    CHECK(f.message.find('\x1b') == std::string::npos);
    CHECK(f.message.find('\n') == std::string::npos);
}
