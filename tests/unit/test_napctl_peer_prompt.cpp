// SPDX-License-Identifier: MIT
// Choosing the peer to fetch from (ctl/peer_prompt.*): merging the holders
// of a name over search hits, and the prompt, driven through string streams.

#include "ctl/peer_prompt.h"

#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace napster::ctl;
using napster::protocol::Holder;
using napster::protocol::SearchHit;
using Kind = PeerChoice::Kind;

Holder holder(std::uint32_t peer_id, std::string name, std::string address, std::uint16_t port,
              std::uint64_t file_id = 1) {
    return {peer_id, std::move(name), std::move(address), port, file_id, {}};
}

SearchHit hit(std::string name, std::uint64_t size, std::uint32_t holder_total, std::vector<Holder> holders) {
    return {std::move(name), size, std::nullopt, holder_total, std::move(holders)};
}

std::vector<std::uint32_t> peer_ids(const HolderList& list) {
    std::vector<std::uint32_t> ids;
    for (const auto& h : list.holders) ids.push_back(h.peer_id);
    return ids;
}

// The README's example: three holders, dave with two sizes.
HolderList readme_holders() {
    std::vector<SearchHit> hits = {
        hit("file8_3.txt", 1234, 3,
            {holder(9, "dave", "10.0.0.9", 6020), holder(1, "bob", "127.0.0.1", 6022),
             holder(4, "carol", "::1", 6020)}),
        hit("file8_3.txt", 100'000'000, 1, {holder(9, "dave", "10.0.0.9", 6020, 2)}),
    };
    return collect_holders(hits, "file8_3.txt");
}

const std::string readme_listing = "file8_3.txt is held by 3 peers:\n"
                                   "  peer 1  bob    127.0.0.1:6022  1.2 KiB\n"
                                   "  peer 4  carol  [::1]:6020      1.2 KiB\n"
                                   "  peer 9  dave   10.0.0.9:6020   1.2 KiB, 95.4 MiB\n";

const std::string ask = "Enter peer ID to fetch from (or \"cancel\"): ";

struct Prompted {
    PeerChoice choice;
    std::string out;
    std::string rest; // input left unread
};

Prompted prompt(const HolderList& list, const std::string& input, std::string_view file_name = "file8_3.txt") {
    std::istringstream in(input);
    std::ostringstream out;
    PeerChoice choice = prompt_for_peer(file_name, list, in, out);
    std::string rest;
    std::string line;
    while (std::getline(in, line)) rest += line + "\n";
    return {choice, out.str(), rest};
}

void check_chosen(const Prompted& p, std::uint32_t peer_id) {
    CHECK(p.choice.kind == Kind::chosen);
    CHECK(p.choice.peer_id == peer_id);
}

} // namespace

// ---------------------------------------------------------------- collect_holders

TEST_CASE("collect_holders merges the holders of every hit with that name") {
    HolderList list = readme_holders();
    REQUIRE(list.holders.size() == 3);
    CHECK(peer_ids(list) == std::vector<std::uint32_t>{1, 4, 9}); // sorted by peer_id
    CHECK(list.holders[0].peer_name == "bob");
    CHECK(list.holders[0].address == "127.0.0.1");
    CHECK(list.holders[0].port == 6022);
    CHECK(list.holders[0].sizes == std::vector<std::uint64_t>{1234});
    CHECK(list.holders[1].peer_name == "carol");
    CHECK(list.holders[1].address == "::1");
    CHECK(list.holders[2].peer_name == "dave");
    // One entry per peer, with each distinct size in the order found.
    CHECK(list.holders[2].sizes == std::vector<std::uint64_t>{1234, 100'000'000});
    CHECK_FALSE(list.more_unlisted);
}

TEST_CASE("collect_holders keeps sizes distinct and in the order found") {
    std::vector<SearchHit> hits = {
        hit("f", 30, 1, {holder(2, "p", "1.1.1.1", 1)}),
        hit("f", 10, 2, {holder(2, "p", "1.1.1.1", 1), holder(3, "q", "2.2.2.2", 2)}),
        hit("f", 30, 1, {holder(3, "q", "2.2.2.2", 2)}),
        hit("f", 10, 1, {holder(2, "p", "1.1.1.1", 1)}), // same size again
    };
    HolderList list = collect_holders(hits, "f");
    REQUIRE(list.holders.size() == 2);
    CHECK(list.holders[0].peer_id == 2);
    CHECK(list.holders[0].sizes == std::vector<std::uint64_t>{30, 10});
    CHECK(list.holders[1].peer_id == 3);
    CHECK(list.holders[1].sizes == std::vector<std::uint64_t>{10, 30});
}

TEST_CASE("collect_holders matches the name byte for byte") {
    std::vector<SearchHit> hits = {
        hit("f.txt", 10, 1, {holder(1, "a", "1.1.1.1", 1)}),
        hit("F.TXT", 20, 1, {holder(2, "b", "1.1.1.1", 1)}),     // other case
        hit("f.txt ", 30, 1, {holder(3, "c", "1.1.1.1", 1)}),    // trailing space
        hit("f.tx", 40, 1, {holder(4, "d", "1.1.1.1", 1)}),      // prefix
        hit("xf.txt", 50, 1, {holder(5, "e", "1.1.1.1", 1)}),    // suffix
        hit("f.txt\xff", 60, 1, {holder(6, "f", "1.1.1.1", 1)}), // extra byte
        hit(std::string("f.txt\0", 6), 70, 1, {holder(7, "g", "1.1.1.1", 1)}),
    };
    HolderList list = collect_holders(hits, "f.txt");
    CHECK(peer_ids(list) == std::vector<std::uint32_t>{1});
    CHECK(list.holders.at(0).sizes == std::vector<std::uint64_t>{10});

    CHECK(peer_ids(collect_holders(hits, "F.TXT")) == std::vector<std::uint32_t>{2});
    CHECK(peer_ids(collect_holders(hits, "f.txt\xff")) == std::vector<std::uint32_t>{6});
    CHECK(peer_ids(collect_holders(hits, std::string_view("f.txt\0", 6))) == std::vector<std::uint32_t>{7});
    CHECK(collect_holders(hits, "F.txt").holders.empty());
    CHECK(collect_holders(hits, "").holders.empty());

    // Unicode normalisation forms are different bytes: "é" precomposed vs
    // "e" + combining acute.
    std::vector<SearchHit> accents = {
        hit("caf\xc3\xa9", 1, 1, {holder(1, "nfc", "1.1.1.1", 1)}),
        hit("cafe\xcc\x81", 2, 1, {holder(2, "nfd", "1.1.1.1", 1)}),
    };
    CHECK(peer_ids(collect_holders(accents, "caf\xc3\xa9")) == std::vector<std::uint32_t>{1});
    CHECK(peer_ids(collect_holders(accents, "cafe\xcc\x81")) == std::vector<std::uint32_t>{2});
}

TEST_CASE("collect_holders: more_unlisted comes only from hits with that name") {
    SUBCASE("no hits") {
        HolderList list = collect_holders({}, "f");
        CHECK(list.holders.empty());
        CHECK_FALSE(list.more_unlisted);
    }
    SUBCASE("a matching hit that counted more holders than it listed") {
        std::vector<SearchHit> hits = {
            hit("f", 1, 1, {holder(1, "a", "1.1.1.1", 1)}),
            hit("f", 2, 40, {holder(2, "b", "1.1.1.1", 1), holder(3, "c", "1.1.1.1", 1)}),
        };
        HolderList list = collect_holders(hits, "f");
        CHECK(list.more_unlisted);
        CHECK(peer_ids(list) == std::vector<std::uint32_t>{1, 2, 3});
    }
    SUBCASE("only another name's hit is incomplete") {
        std::vector<SearchHit> hits = {
            hit("f", 1, 1, {holder(1, "a", "1.1.1.1", 1)}),
            hit("F", 2, 40, {holder(2, "b", "1.1.1.1", 1)}),
        };
        HolderList list = collect_holders(hits, "f");
        CHECK_FALSE(list.more_unlisted);
        CHECK(peer_ids(list) == std::vector<std::uint32_t>{1});
    }
    SUBCASE("a complete list") {
        std::vector<SearchHit> hits = {hit("f", 1, 2, {holder(1, "a", "1.1.1.1", 1), holder(2, "b", "1.1.1.1", 1)})};
        CHECK_FALSE(collect_holders(hits, "f").more_unlisted);
    }
}

// ---------------------------------------------------------------- prompt_for_peer

TEST_CASE("prompt: the right ID the first time") {
    Prompted p = prompt(readme_holders(), "4\nleft over\n");
    check_chosen(p, 4);
    CHECK(p.out == readme_listing + ask);
    CHECK(p.rest == "left over\n"); // reads one line per answer, no more
}

TEST_CASE("prompt: the README's session, a wrong ID and a non-number, then the right ID") {
    Prompted p = prompt(readme_holders(), "7\nx\n4\n");
    check_chosen(p, 4);
    CHECK(p.out == readme_listing + ask + "peer 7 does not hold file8_3.txt (2 tries left)\n" + ask +
                       "\"x\" is not a peer ID (1 try left)\n" + ask);
}

TEST_CASE("prompt: a wrong ID, then the right one") {
    Prompted p = prompt(readme_holders(), "2\n9\n");
    check_chosen(p, 9);
    CHECK(p.out == readme_listing + ask + "peer 2 does not hold file8_3.txt (2 tries left)\n" + ask);
}

TEST_CASE("prompt: answers are trimmed; leading zeros are fine") {
    check_chosen(prompt(readme_holders(), "  1 \r\n"), 1);
    check_chosen(prompt(readme_holders(), "\t9\t\n"), 9);
    check_chosen(prompt(readme_holders(), "004\n"), 4);
    // The last line may lack its newline.
    check_chosen(prompt(readme_holders(), "4"), 4);
}

TEST_CASE("prompt: what is not a peer ID") {
    for (std::string answer : {"x", "-4", "+4", "4.0", "0x4", "4 4", "4x", "1e3", "\xd9\xa4", // Arabic-Indic 4
                               "4294967296", "99999999999999999999"}) {
        CAPTURE(answer);
        Prompted p = prompt(readme_holders(), answer + "\n4\n");
        check_chosen(p, 4); // the second answer still counts
        CHECK(p.out == readme_listing + ask + "\"" + answer + "\" is not a peer ID (2 tries left)\n" + ask);
    }
}

TEST_CASE("prompt: an empty answer uses a try") {
    Prompted p = prompt(readme_holders(), "\n   \n1\n");
    check_chosen(p, 1);
    CHECK(p.out == readme_listing + ask + "no peer ID entered (2 tries left)\n" + ask +
                       "no peer ID entered (1 try left)\n" + ask);
}

TEST_CASE("prompt: answers are echoed escaped and cut short") {
    SUBCASE("control characters cannot reach the terminal") {
        Prompted p = prompt(readme_holders(), "\x1b[2J\\\n1\n");
        check_chosen(p, 1);
        CHECK(p.out == readme_listing + ask + "\"\\x1b[2J\\x5c\" is not a peer ID (2 tries left)\n" + ask);
        CHECK(p.out.find('\x1b') == std::string::npos);
    }
    SUBCASE("a long answer is cut to 40 columns") {
        Prompted p = prompt(readme_holders(), std::string(500, 'z') + "\n1\n");
        check_chosen(p, 1);
        CHECK(p.out == readme_listing + ask + "\"" + std::string(37, 'z') + "...\" is not a peer ID (2 tries left)\n" +
                           ask);
    }
}

TEST_CASE("prompt: cancel, in any case, at any try") {
    for (std::string answer : {"cancel", "CANCEL", "Cancel", "  cAnCeL \r"}) {
        CAPTURE(answer);
        Prompted p = prompt(readme_holders(), answer + "\n4\n");
        CHECK(p.choice.kind == Kind::cancelled);
        CHECK(p.out == readme_listing + ask);
        CHECK(p.rest == "4\n");
    }
    Prompted late = prompt(readme_holders(), "7\ncancel\n4\n");
    CHECK(late.choice.kind == Kind::cancelled);
    CHECK(late.out == readme_listing + ask + "peer 7 does not hold file8_3.txt (2 tries left)\n" + ask);

    // Only the whole word cancels.
    Prompted partial = prompt(readme_holders(), "cancelx\ncan\n1\n");
    check_chosen(partial, 1);
    CHECK(partial.out == readme_listing + ask + "\"cancelx\" is not a peer ID (2 tries left)\n" + ask +
                             "\"can\" is not a peer ID (1 try left)\n" + ask);
}

TEST_CASE("prompt: end of input cancels and ends the prompt's line") {
    Prompted first = prompt(readme_holders(), "");
    CHECK(first.choice.kind == Kind::cancelled);
    CHECK(first.out == readme_listing + ask + "\n");

    Prompted later = prompt(readme_holders(), "x\n");
    CHECK(later.choice.kind == Kind::cancelled);
    CHECK(later.out == readme_listing + ask + "\"x\" is not a peer ID (2 tries left)\n" + ask + "\n");

    Prompted last = prompt(readme_holders(), "x\n7\n");
    CHECK(last.choice.kind == Kind::cancelled);
    CHECK(last.out == readme_listing + ask + "\"x\" is not a peer ID (2 tries left)\n" + ask +
                          "peer 7 does not hold file8_3.txt (1 try left)\n" + ask + "\n");
}

TEST_CASE("prompt: three bad tries and no more") {
    Prompted p = prompt(readme_holders(), "x\n7\n\n4\n");
    CHECK(p.choice.kind == Kind::no_valid_choice);
    CHECK(p.out == readme_listing + ask + "\"x\" is not a peer ID (2 tries left)\n" + ask +
                       "peer 7 does not hold file8_3.txt (1 try left)\n" + ask + "no peer ID entered\n");
    CHECK(p.rest == "4\n"); // the fourth answer is never read
    CHECK(peer_prompt_tries == 3);

    Prompted same = prompt(readme_holders(), "5\n5\n5\n");
    CHECK(same.choice.kind == Kind::no_valid_choice);
    CHECK(same.out == readme_listing + ask + "peer 5 does not hold file8_3.txt (2 tries left)\n" + ask +
                          "peer 5 does not hold file8_3.txt (1 try left)\n" + ask +
                          "peer 5 does not hold file8_3.txt\n");
}

TEST_CASE("prompt: the right ID on the third try") {
    Prompted p = prompt(readme_holders(), "x\ny\n9\n");
    check_chosen(p, 9);
    CHECK(p.out == readme_listing + ask + "\"x\" is not a peer ID (2 tries left)\n" + ask +
                       "\"y\" is not a peer ID (1 try left)\n" + ask);
}

TEST_CASE("prompt: the listing notes unlisted holders") {
    std::vector<SearchHit> hits = {
        hit("f", 512, 10, {holder(3, "x", "10.0.0.3", 6020), holder(12, "y", "10.0.0.12", 6020)}),
    };
    HolderList list = collect_holders(hits, "f");
    REQUIRE(list.more_unlisted);
    Prompted p = prompt(list, "12\n", "f");
    check_chosen(p, 12);
    CHECK(p.out == "f is held by 2 peers:\n"
                   "  peer 3   x  10.0.0.3:6020   512 B\n"
                   "  peer 12  y  10.0.0.12:6020  512 B\n"
                   "  (the index knows more holders than it listed)\n" +
                       ask);
}

TEST_CASE("prompt: hostile file, peer names and addresses are shown escaped") {
    std::vector<SearchHit> hits = {
        hit("evil\n\x1b[1m\xff", 1, 2,
            {holder(1, "m\x1b]0;x\a", "1.1.1.1", 1), holder(2, "n\\", "::1\r", 2)}),
    };
    HolderList list = collect_holders(hits, "evil\n\x1b[1m\xff");
    REQUIRE(list.holders.size() == 2);
    Prompted p = prompt(list, "3\n", "evil\n\x1b[1m\xff");
    CHECK(p.out.find('\x1b') == std::string::npos);
    CHECK(p.out.find('\a') == std::string::npos);
    CHECK(p.out.find('\r') == std::string::npos);
    CHECK(p.out.find('\xff') == std::string::npos);
    CHECK(p.out == "evil\\x0a\\x1b[1m\\xff is held by 2 peers:\n"
                   "  peer 1  m\\x1b]0;x\\x07  1.1.1.1:1    1 B\n"
                   "  peer 2  n\\x5c          [::1\\x0d]:2  1 B\n" +
                       ask + "peer 3 does not hold evil\\x0a\\x1b[1m\\xff (2 tries left)\n" + ask + "\n");
    CHECK(p.choice.kind == Kind::cancelled);
}
