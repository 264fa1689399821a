// SPDX-License-Identifier: MIT
#include "workload.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <unordered_set>

namespace napload {

std::uint64_t Rng::next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

std::uint64_t Rng::below(std::uint64_t n) {
    // Lemire's multiply-shift, without its rejection step: the bias is
    // below 2^-40 for the n used here.
    __extension__ using u128 = unsigned __int128;
    return static_cast<std::uint64_t>((static_cast<u128>(next()) * n) >> 64);
}

double Rng::unit() { return static_cast<double>(next() >> 11) * 0x1p-53; }

namespace {

// None of these contains common_word, rare_word, substring_query, miss_word
// or big_peer_word: their counts come only from where they are put on
// purpose (expected_matches counts them exactly anyway).
constexpr std::array artist_words{
    "Black",   "Silver",  "Electric", "Velvet",  "Crimson", "Golden",  "Northern", "Broken",
    "Wild",    "Neon",    "Lonely",   "Iron",    "Paper",   "Glass",   "Echo",     "Atlantic",
    "Stone",   "River",   "Sonic",    "Cosmic",  "Royal",   "Urban",   "Desert",   "Arctic",
    "Magnetic", "Radio",  "Ghost",    "Honey",   "Copper",  "Jade",    "Scarlet",  "Hollow",
    "Bright",  "Young",   "Dead",     "Happy",   "Quiet",   "Loud",    "Sugar",    "Marble",
    "Kings",   "Queens",  "Wolves",   "Tigers",  "Ravens",  "Sisters", "Brothers", "Pilots",
    "Machines", "Saints", "Rebels",   "Strangers", "Drifters", "Lions", "Monks",   "Riders",
    "Orchestra", "Collective", "Society", "Project", "Experience", "Band", "Trio",  "Quartet",
    "Miles",   "Ella",    "Johnny",   "Nina",    "Marvin",  "Aretha",  "Otis",     "Billie",
    "Django",  "Astrid",  "Ravi",     "Fela",    "Youssou", "Celia",   "Bjorn",    "Mariza",
};

constexpr std::array title_words{
    "Night",   "Day",     "Summer",   "Winter",  "Rain",    "Fire",    "Heart",    "Dream",
    "Road",    "Home",    "City",     "Light",   "Dark",    "Blue",    "Red",      "Song",
    "Dance",   "Time",    "World",    "Sky",     "Sea",     "Moon",    "Sun",      "Star",
    "Angel",   "Devil",   "Baby",     "Girl",    "Boy",     "Man",     "Woman",    "Eyes",
    "Hands",   "Tears",   "Kiss",     "Goodbye", "Hello",   "Forever", "Never",    "Always",
    "Tonight", "Tomorrow", "Yesterday", "Morning", "Evening", "Midnight", "Thunder", "Storm",
    "Wind",    "Ocean",   "Mountain", "Valley",  "Garden",  "Highway", "Station",  "Train",
    "Letter",  "Story",   "Secret",   "Promise", "Memory",  "Shadow",  "Mirror",   "Window",
    "Wonder",  "Freedom", "Glory",    "Sorrow",  "Paradise", "Heaven", "Fever",    "Magic",
    "Blues",   "Waltz",   "Tango",    "Rhapsody", "Serenade", "Lullaby", "Anthem", "Ballad",
    "Part",    "Remix",   "Live",     "Acoustic", "Version", "Edit",   "Mix",      "Demo",
    "Sweet",   "Cold",    "Hot",      "Lost",    "Found",   "Running", "Falling",  "Flying",
    "Burning", "Waiting", "Dancing",  "Crying",  "Shining", "Rolling", "Walking",  "Talking",
    "Alone",   "Together", "Again",   "Away",    "Inside",  "Outside", "Above",    "Below",
    "Chapter", "Volume",  "Suite",    "Prelude", "Sonata",  "Nocturne", "Etude",   "Overture",
    "Guide",   "Manual",  "Handbook", "Notes",   "Lecture", "Season",  "Episode",  "Trailer",
};

struct Extension {
    const char* text;
    double weight;
    double min_size; // Pareto scale x_m, bytes
};

constexpr std::array extensions{
    Extension{".mp3", 0.50, 2.0e6},  Extension{".ogg", 0.08, 2.0e6},
    Extension{".flac", 0.10, 15e6},  Extension{".m4a", 0.05, 2.5e6},
    Extension{".mkv", 0.06, 300e6},  Extension{".avi", 0.04, 200e6},
    Extension{".mp4", 0.05, 80e6},   Extension{".pdf", 0.06, 150e3},
    Extension{".epub", 0.03, 100e3}, Extension{".jpg", 0.03, 40e3},
};

const Extension& pick_extension(Rng& rng) {
    double u = rng.unit();
    for (const auto& e : extensions) {
        if (u < e.weight) return e;
        u -= e.weight;
    }
    return extensions.front();
}

// Pareto with alpha 1.2: most files near x_m, a long tail of huge ones.
std::uint64_t pick_size(Rng& rng, double min_size) {
    double u = 1.0 - rng.unit(); // (0, 1]
    double size = min_size * std::pow(u, -1.0 / 1.2);
    size = std::min(size, 64e9);
    return static_cast<std::uint64_t>(size) + rng.below(1000);
}

char fold(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::vector<std::string> query_words(std::string_view query) {
    std::vector<std::string> words;
    std::string word;
    for (char c : query) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
            if (!word.empty()) words.push_back(std::move(word));
            word.clear();
        } else {
            word.push_back(fold(c));
        }
    }
    if (!word.empty()) words.push_back(std::move(word));
    return words;
}

struct ContentKey {
    std::string_view name;
    std::uint64_t size;
    bool operator==(const ContentKey&) const = default;
};

struct ContentKeyHash {
    std::size_t operator()(const ContentKey& k) const {
        return std::hash<std::string_view>()(k.name) ^ (k.size * 0x9E3779B97F4A7C15ull);
    }
};

} // namespace

Workload::Workload(const WorkloadOptions& options) : options_(options) {
    Rng rng(options.seed);
    const std::uint64_t peers = std::max<std::uint64_t>(1, options.peers);
    const std::uint64_t files = options.files;
    names_.reserve(files * 52);

    // The popular pool: each of its contents is held by about 100 peers.
    const auto popular_files = static_cast<std::uint64_t>(static_cast<double>(files) * options.popular_share);
    const std::uint64_t pool = std::max<std::uint64_t>(1, popular_files / 100);
    std::vector<std::uint32_t> popular;
    for (std::uint64_t i = 0; i < pool; ++i) popular.push_back(add_content(rng, {}));

    // The rare word goes into rare_files unique names, spread over the list.
    const std::uint64_t rare_every = std::max<std::uint64_t>(1, files / rare_files);

    peer_begin_.reserve(peers + 1);
    file_content_.reserve(files);
    for (std::uint64_t p = 0; p < peers; ++p) {
        peer_begin_.push_back(file_content_.size());
        const std::uint64_t end = files * (p + 1) / peers;
        while (file_content_.size() < end) {
            const std::uint64_t i = file_content_.size();
            if (i % rare_every == rare_every / 2 && i / rare_every < rare_files) {
                file_content_.push_back(add_content(rng, rare_word));
            } else if (rng.unit() < options.popular_share) {
                // Skewed towards the front of the pool: a few contents are
                // everywhere, most of the pool at a few dozen peers.
                const double u = rng.unit();
                file_content_.push_back(popular[static_cast<std::uint64_t>(u * u * static_cast<double>(pool))]);
            } else {
                file_content_.push_back(add_content(rng, {}));
            }
        }
    }
    peer_begin_.push_back(file_content_.size());
    big_begin_ = file_content_.size();
}

// "Artist Words - 07 - Title Words.ext", about 50 bytes.
std::uint32_t Workload::add_content(Rng& rng, std::string_view forced_word) {
    const std::size_t start = names_.size();
    if (rng.below(6) == 0) names_ += "The ";
    const std::uint64_t artist_len = 1 + rng.below(3);
    for (std::uint64_t w = 0; w < artist_len; ++w) {
        if (w) names_ += ' ';
        names_ += artist_words[rng.below(artist_words.size())];
    }
    names_ += fmt::format(" - {:02} - ", 1 + rng.below(20));
    std::vector<std::string_view> title;
    const std::uint64_t title_len = 2 + rng.below(4);
    for (std::uint64_t w = 0; w < title_len; ++w) title.push_back(title_words[rng.below(title_words.size())]);
    // About one title in ten has the common word (a title of N words gets
    // it with the probability that makes the mean 10%).
    if (rng.unit() < 0.10) title.insert(title.begin() + static_cast<long>(rng.below(title.size() + 1)), "Love");
    std::string forced;
    if (!forced_word.empty()) {
        forced = std::string(forced_word);
        forced[0] = static_cast<char>(forced[0] - 'a' + 'A');
        title.insert(title.begin() + static_cast<long>(rng.below(title.size() + 1)), forced);
    }
    for (std::size_t w = 0; w < title.size(); ++w) {
        if (w) names_ += ' ';
        names_ += title[w];
    }
    const Extension& ext = pick_extension(rng);
    names_ += ext.text;
    const std::size_t length = std::min<std::size_t>(names_.size() - start, 255);
    names_.resize(start + length);
    for (std::size_t i = start; i < names_.size(); ++i) folded_.push_back(fold(names_[i]));

    Content c;
    c.name_offset = static_cast<std::uint32_t>(start);
    c.name_length = static_cast<std::uint16_t>(length);
    c.size = pick_size(rng, ext.min_size);
    contents_.push_back(c);
    if (options_.roots) {
        napster::content::Digest d;
        for (std::size_t i = 0; i < d.size(); i += 8) {
            const std::uint64_t v = rng.next();
            std::memcpy(d.data() + i, &v, 8);
        }
        roots_.push_back(d);
    }
    return static_cast<std::uint32_t>(contents_.size() - 1);
}

std::optional<napster::content::Digest> Workload::root(std::uint32_t content) const {
    if (!options_.roots) return std::nullopt;
    return roots_[content];
}

double Workload::mean_name_length() const {
    if (file_content_.empty()) return 0;
    double total = 0;
    for (std::uint32_t c : file_content_) total += contents_[c].name_length;
    return total / static_cast<double>(file_content_.size());
}

std::uint64_t Workload::expected_matches(std::string_view query) const {
    const auto words = query_words(query);
    if (words.empty()) return 0;
    // Contents that are distinct entries may still have the same name and
    // size (two unique names drawn alike): the index makes them one hit,
    // unless they have different roots.
    std::unordered_set<ContentKey, ContentKeyHash> seen;
    std::unordered_set<std::uint32_t> seen_roots;
    std::vector<bool> held(contents_.size(), false);
    for (std::uint32_t c : file_content_) held[c] = true;
    for (std::uint32_t i = 0; i < contents_.size(); ++i) {
        if (!held[i]) continue;
        const Content& c = contents_[i];
        std::string_view folded(folded_.data() + c.name_offset, c.name_length);
        bool all = true;
        for (const auto& w : words)
            if (folded.find(w) == std::string_view::npos) {
                all = false;
                break;
            }
        if (!all) continue;
        if (options_.roots)
            seen_roots.insert(i); // every content has its own random root
        else
            seen.insert({name(c), c.size});
    }
    return options_.roots ? seen_roots.size() : seen.size();
}

std::uint64_t Workload::files_matching(std::string_view word) const {
    const std::string w = query_words(word).at(0);
    std::uint64_t n = 0;
    for (std::uint64_t f = 0; f < big_begin_; ++f) {
        const Content& c = contents_[file_content_[f]];
        if (std::string_view(folded_.data() + c.name_offset, c.name_length).find(w) != std::string_view::npos) ++n;
    }
    return n;
}

void Workload::add_big_peer(std::uint64_t count, std::uint64_t seed) {
    Rng rng(seed ^ 0xB16B16B16ull);
    for (std::uint64_t i = 0; i < count; ++i) file_content_.push_back(add_content(rng, big_peer_word));
}

} // namespace napload
