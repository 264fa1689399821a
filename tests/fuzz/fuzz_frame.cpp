// SPDX-License-Identifier: MIT
// Fuzzes the frame splitter (parse_frame) as the connection layer drives it:
// bytes arrive in chunks and each arrival is parsed until it needs more.
//
// Input: byte 0 holds, in its low four bits, how many chunk-length bytes
// follow (0 to 15) and, in bits 4 and 5, which frame limit to apply
// (max_frame_length, 2, 64, 4096); then those chunk lengths (0 to 255, used
// in turn, 0 being an arrival of nothing); the rest is the stream. No
// lengths, or only zeros, delivers the stream in one piece.
//
// Checks, on every parse: consumed <= the bytes given; a complete frame's
// payload starts right after the header, inside the input, its size is
// consumed - frame_header_size and within the limit, and append_frame of its
// type and payload rebuilds the very bytes it consumed; need_more consumes
// nothing and has no error; an error consumes nothing and says why. And over
// the whole stream: the frames, the error and the bytes left over are the
// same whatever the chunks, as when the stream arrives in one piece.
#include "fuzz_check.h"

#include <sanitizer/asan_interface.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

using namespace napster;
using namespace napster::protocol;

namespace {

struct Outcome {
    std::vector<Bytes> frames; // each as it was on the wire
    std::string error;         // the error that stopped the stream, if any
    Bytes left_over;           // bytes of a frame not yet whole

    bool operator==(const Outcome&) const = default;
};

// A receiver's buffer, sized for the whole stream: what has arrived and how
// much of it was consumed. What has not arrived yet is poisoned, so that
// AddressSanitizer sees a read past the bytes parse_frame was given.
class Receiver {
public:
    Receiver(std::size_t capacity, std::size_t max_length)
        : max_length_(max_length), capacity_(capacity),
          buffer_(std::make_unique<std::byte[]>(capacity)) {
        ASAN_POISON_MEMORY_REGION(buffer_.get(), capacity_);
    }
    ~Receiver() { ASAN_UNPOISON_MEMORY_REGION(buffer_.get(), capacity_); }
    Receiver(const Receiver&) = delete;
    Receiver& operator=(const Receiver&) = delete;

    // Appends an arrival and parses frames until one needs more bytes.
    void receive(ByteSpan arrival) {
        if (!outcome_.error.empty()) return; // the connection is closed
        FUZZ_CHECK(arrival.size() <= capacity_ - size_);
        ASAN_UNPOISON_MEMORY_REGION(buffer_.get(), size_ + arrival.size());
        std::copy(arrival.begin(), arrival.end(), buffer_.get() + size_);
        size_ += arrival.size();
        for (;;) {
            ByteSpan rest(buffer_.get() + start_, size_ - start_);
            FrameParse parse = parse_frame(rest, max_length_);
            FUZZ_CHECK(parse.consumed <= rest.size());
            if (parse.status == FrameStatus::need_more) {
                FUZZ_CHECK(parse.consumed == 0);
                FUZZ_CHECK(parse.error.empty());
                return;
            }
            if (parse.status == FrameStatus::error) {
                FUZZ_CHECK(parse.consumed == 0);
                FUZZ_CHECK(!parse.error.empty());
                outcome_.error = parse.error;
                return;
            }
            FUZZ_CHECK(parse.status == FrameStatus::complete);
            FUZZ_CHECK(parse.consumed >= frame_header_size);
            FUZZ_CHECK(parse.frame.payload.size() == parse.consumed - frame_header_size);
            FUZZ_CHECK(parse.frame.payload.size() + 2 <= max_length_);
            FUZZ_CHECK(parse.frame.payload.data() == rest.data() + frame_header_size);
            Bytes rebuilt;
            append_frame(rebuilt, parse.frame.type, parse.frame.payload);
            ByteSpan used = rest.first(parse.consumed);
            FUZZ_CHECK(std::equal(rebuilt.begin(), rebuilt.end(), used.begin(), used.end()));
            outcome_.frames.emplace_back(used.begin(), used.end());
            start_ += parse.consumed;
        }
    }

    Outcome finish() {
        if (outcome_.error.empty())
            outcome_.left_over.assign(buffer_.get() + start_, buffer_.get() + size_);
        return outcome_;
    }

private:
    std::size_t max_length_;
    std::size_t capacity_;
    std::unique_ptr<std::byte[]> buffer_;
    std::size_t size_ = 0;  // bytes arrived
    std::size_t start_ = 0; // bytes consumed
    Outcome outcome_;
};

constexpr std::array<std::size_t, 4> frame_limits = {max_frame_length, 2, 64, 4096};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::size_t chunk_count = data[0] & 0x0F;
    std::size_t max_length = frame_limits[(data[0] >> 4) & 0x03];
    if (size < 1 + chunk_count) return 0;
    const std::uint8_t* chunks = data + 1;
    ByteSpan stream = fuzz::input_bytes(data + 1 + chunk_count, size - 1 - chunk_count);

    Receiver whole(stream.size(), max_length);
    whole.receive(stream);
    Outcome expected = whole.finish();

    bool any_bytes =
        std::any_of(chunks, chunks + chunk_count, [](std::uint8_t n) { return n > 0; });
    if (!any_bytes) return 0;
    Receiver chunked(stream.size(), max_length);
    std::size_t offset = 0;
    for (std::size_t i = 0; offset < stream.size(); i = (i + 1) % chunk_count) {
        std::size_t n = std::min<std::size_t>(chunks[i], stream.size() - offset);
        chunked.receive(stream.subspan(offset, n));
        offset += n;
    }
    FUZZ_CHECK(chunked.finish() == expected);
    return 0;
}
