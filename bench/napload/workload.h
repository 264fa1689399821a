// SPDX-License-Identifier: MIT
#pragma once

// napload's synthetic share lists: music-like names from built-in word
// lists, a tenth of the files drawn from a pool of popular contents (the
// same name and size at many peers), heavy-tailed sizes. Everything follows
// from the seed. Pure: no sockets, no clock.

#include "content/sha256.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace napload {

// splitmix64: small, fast and the same on every platform (the standard
// library's distributions are not).
class Rng {
public:
    explicit Rng(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next();
    std::uint64_t below(std::uint64_t n); // 0..n-1
    double unit();                        // [0, 1)

private:
    std::uint64_t state_;
};

// One content as the index groups it: name and size (and its root with
// --roots). Several files, at several peers, may point at one content.
struct Content {
    std::uint32_t name_offset = 0;
    std::uint16_t name_length = 0;
    std::uint64_t size = 0;
};

struct WorkloadOptions {
    std::uint64_t peers = 10'000;
    std::uint64_t files = 1'000'000;
    std::uint64_t seed = 1;
    bool roots = false;
    double popular_share = 0.10; // of files, drawn from the popular pool
};

// The words the search phases use, chosen so that their frequencies are
// known by construction (and counted exactly by expected_matches).
inline constexpr std::string_view common_word = "love";    // in about 10% of titles
inline constexpr std::string_view rare_word = "quixotic";  // in rare_files names
inline constexpr std::string_view second_word = "night";   // with common_word: two words
inline constexpr std::string_view substring_query = "hund"; // 4 middle letters of "thunder"
inline constexpr std::string_view miss_word = "zqxjv";     // in no name
inline constexpr std::string_view big_peer_word = "vexillum"; // only in the big peer's names
inline constexpr int rare_files = 5;

class Workload {
public:
    explicit Workload(const WorkloadOptions& options);

    std::uint64_t peer_count() const { return peer_begin_.size() - 1; }
    std::uint64_t file_count() const { return file_content_.size(); }
    std::uint64_t content_count() const { return contents_.size(); }
    // The contents of a peer's files, in file_id order (file_id = index + 1).
    std::uint64_t peer_file_begin(std::uint64_t peer) const { return peer_begin_[peer]; }
    std::uint64_t peer_file_end(std::uint64_t peer) const { return peer_begin_[peer + 1]; }
    const Content& file(std::uint64_t file_index) const { return contents_[file_content_[file_index]]; }
    std::uint32_t file_content(std::uint64_t file_index) const { return file_content_[file_index]; }
    std::string_view name(const Content& c) const { return {names_.data() + c.name_offset, c.name_length}; }
    std::optional<napster::content::Digest> root(std::uint32_t content) const;
    double mean_name_length() const;

    // The distinct hits (contents) whose name contains every word of
    // `query` (split at ASCII white space), ASCII case ignored: what the
    // index's total_matches should say. A brute-force scan.
    std::uint64_t expected_matches(std::string_view query) const;
    // Files whose name contains the word, for the report (~10% for common).
    std::uint64_t files_matching(std::string_view word) const;

    // A separate list for the big peer: `count` unique names, each with
    // big_peer_word in it, appended to this workload's contents.
    void add_big_peer(std::uint64_t count, std::uint64_t seed);
    std::uint64_t big_peer_begin() const { return big_begin_; }
    std::uint64_t big_peer_end() const { return file_content_.size(); }

private:
    std::uint32_t add_content(Rng& rng, std::string_view forced_word);

    WorkloadOptions options_;
    std::string names_;  // every name, back to back
    std::string folded_; // the same, ASCII lower case
    std::vector<Content> contents_;
    std::vector<std::uint32_t> file_content_; // per file, its content
    std::vector<std::uint64_t> peer_begin_;   // peer p's files: [begin[p], begin[p+1])
    std::vector<napster::content::Digest> roots_;
    std::uint64_t big_begin_ = 0;
};

} // namespace napload
