// SPDX-License-Identifier: MIT
// Fuzzes the decoders of the messages every channel carries: HELLO, WELCOME,
// ERROR, PING and PONG (common_messages.*).
//
// Input: one frame as it arrives on a socket (length, type, payload); bytes
// after it are ignored, and a frame of another type is skipped.
//
// Checks: a refusal is a malformed error naming the message; whatever
// decodes encodes to the bytes received (the version-1 HELLO, seven bytes
// without min_version, re-encodes two bytes longer by design: it must then
// hold min_version == version) and decodes again to the same value; the
// version a decoded HELLO leads to lies in both sides' ranges; a WELCOME is
// accepted exactly when its version is one this build speaks; an ERROR
// survives the trip to an Error and back.
#include "fuzz_check.h"

#include "protocol/common_messages.h"

using namespace napster;
using namespace napster::protocol;

namespace {

constexpr std::size_t hello_v1_payload = 7;

void check_hello(const fuzz::InputFrame& input) {
    bool version_1 = input.frame.payload.size() == hello_v1_payload;
    auto hello = fuzz::check_round_trip<Hello>(input, version_1 ? fuzz::Encoding::may_grow
                                                                : fuzz::Encoding::canonical);
    if (!hello) return;
    FUZZ_CHECK(hello->min_version <= hello->max_version);
    if (version_1) {
        FUZZ_CHECK(hello->min_version == hello->max_version);
        FUZZ_CHECK(encode_message(*hello).size() == input.bytes.size() + 2);
    }
    // Both ways round: as the accepting side with this build's range, and
    // with the HELLO's range standing for the accepting side's.
    if (auto chosen = choose_version(*hello)) {
        FUZZ_CHECK(*chosen >= hello->min_version && *chosen <= hello->max_version);
        FUZZ_CHECK(*chosen >= min_version && *chosen <= version);
    } else {
        FUZZ_CHECK(hello->max_version < min_version || hello->min_version > version);
    }
    Hello ours;
    if (auto chosen = choose_version(ours, hello->min_version, hello->max_version))
        FUZZ_CHECK(*chosen >= hello->min_version && *chosen <= hello->max_version);
}

void check_welcome_message(const fuzz::InputFrame& input) {
    auto welcome = fuzz::check_round_trip<Welcome>(input);
    if (!welcome) return;
    Result<std::uint16_t> checked = check_welcome(*welcome, "the fuzzer");
    bool in_range = welcome->version >= min_version && welcome->version <= version;
    FUZZ_CHECK(checked.ok() == in_range);
    if (checked) {
        FUZZ_CHECK(*checked == welcome->version);
    } else {
        FUZZ_CHECK(checked.error().code == ErrorCode::version_mismatch);
        FUZZ_CHECK(!checked.error().message.empty());
    }
}

void check_error_message(const fuzz::InputFrame& input) {
    auto message = fuzz::check_round_trip<ErrorMessage>(input);
    if (!message) return;
    FUZZ_CHECK(message->text.size() <= max_error_text);
    FUZZ_CHECK(to_error_message(to_error(*message)) == *message);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto input = fuzz::first_frame(fuzz::input_bytes(data, size));
    if (!input) return 0;
    switch (input->frame.type) {
    case MessageType::hello:
        check_hello(*input);
        break;
    case MessageType::welcome:
        check_welcome_message(*input);
        break;
    case MessageType::error:
        check_error_message(*input);
        break;
    case MessageType::ping:
        fuzz::check_round_trip<Ping>(*input);
        break;
    case MessageType::pong:
        fuzz::check_round_trip<Pong>(*input);
        break;
    default:
        break;
    }
    return 0;
}
