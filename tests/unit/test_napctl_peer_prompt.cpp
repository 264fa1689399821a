// SPDX-License-Identifier: MIT
// Choosing the peer to fetch from (ctl/peer_prompt.*): the holders of one
// content, one entry a peer, and the prompt, driven through string streams.

#include "ctl/peer_prompt.h"
#include "napctl_test_support.h"

#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace napster::ctl;
using namespace napster::napctl_test;
using napster::protocol::Holder;
using Kind = PeerChoice::Kind;

Content content_of(std::string name, std::uint64_t size, napster::protocol::RootHash root,
                   std::uint32_t holder_total, std::vector<Holder> holders) {
    return {std::move(name), size, root, holder_total, std::move(holders)};
}

std::vector<std::uint32_t> peer_ids(const HolderList& list) {
    std::vector<std::uint32_t> ids;
    for (const auto& h : list.holders) ids.push_back(h.peer_id);
    return ids;
}

// The README's example: three holders of one content, carol shares it as
// notes.txt.
Content readme_content() {
    return content_of("file8_3.txt", 1234, root_starting("4f1c2a9e0b3d"), 3,
                      {holder(9, "dave", "10.0.0.9", 6020, 1, "file8_3.txt"),
                       holder(1, "bob", "127.0.0.1", 6022, 1, "file8_3.txt"),
                       holder(4, "carol", "::1", 6020, 1, "notes.txt")});
}

HolderList readme_holders() { return collect_holders(readme_content()); }

const std::string readme_listing = "file8_3.txt is held by 3 peers (1.2 KiB, root 4f1c2a9e0b3d):\n"
                                   "  peer 1  bob    127.0.0.1:6022\n"
                                   "  peer 4  carol  [::1]:6020      as notes.txt\n"
                                   "  peer 9  dave   10.0.0.9:6020\n";

const std::string ask = "Enter peer ID or name to fetch from [peer 1, bob] (or \"cancel\"): ";

std::string ask_for(std::string_view fallback) {
    return "Enter peer ID or name to fetch from [" + std::string(fallback) + "] (or \"cancel\"): ";
}

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

TEST_CASE("collect_holders: one entry a peer, sorted by peer_id, with the content's size and root") {
    HolderList list = readme_holders();
    CHECK(list.size == 1234);
    CHECK(list.root == root_starting("4f1c2a9e0b3d"));
    REQUIRE(list.holders.size() == 3);
    CHECK(peer_ids(list) == std::vector<std::uint32_t>{1, 4, 9});
    CHECK(list.holders[0].peer_name == "bob");
    CHECK(list.holders[0].address == "127.0.0.1");
    CHECK(list.holders[0].port == 6022);
    CHECK(list.holders[0].names == std::vector<std::string>{"file8_3.txt"});
    CHECK(list.holders[1].peer_name == "carol");
    CHECK(list.holders[1].address == "::1");
    CHECK(list.holders[1].names == std::vector<std::string>{"notes.txt"});
    CHECK(list.holders[2].peer_name == "dave");
    CHECK_FALSE(list.more_unlisted);
}

TEST_CASE("collect_holders: a peer sharing the content twice is one entry with each name once") {
    Content content = content_of("a", 10, root_starting("1"), 4,
                                 {holder(2, "p", "1.1.1.1", 1, 1, "z"), holder(3, "q", "2.2.2.2", 2, 5, "a"),
                                  holder(2, "p", "1.1.1.1", 1, 2, "a"), holder(2, "p", "1.1.1.1", 1, 3, "z")});
    HolderList list = collect_holders(content);
    REQUIRE(list.holders.size() == 2);
    CHECK(list.holders[0].peer_id == 2);
    CHECK(list.holders[0].names == std::vector<std::string>{"z", "a"});
    CHECK(list.holders[1].peer_id == 3);
    CHECK(list.holders[1].names == std::vector<std::string>{"a"});
    CHECK_FALSE(list.more_unlisted);
}

TEST_CASE("collect_holders: more_unlisted when the index counted more holders than it listed") {
    CHECK(collect_holders(content_of("f", 1, std::nullopt, 40, {holder(1, "a", "h", 1, 1, "f")})).more_unlisted);
    CHECK_FALSE(collect_holders(content_of("f", 1, std::nullopt, 1, {holder(1, "a", "h", 1, 1, "f")})).more_unlisted);
    HolderList none = collect_holders(content_of("f", 1, std::nullopt, 0, {}));
    CHECK(none.holders.empty());
    CHECK_FALSE(none.more_unlisted);
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
                       "\"x\" is neither the ID nor the name of a holder (1 try left)\n" + ask);
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

TEST_CASE("prompt: what is neither the ID nor the name of a holder") {
    for (std::string answer : {"x", "-4", "+4", "4.0", "0x4", "4 4", "4x", "1e3", "\xd9\xa4", // Arabic-Indic 4
                               "4294967296", "99999999999999999999"}) {
        CAPTURE(answer);
        Prompted p = prompt(readme_holders(), answer + "\n4\n");
        check_chosen(p, 4); // the second answer still counts
        CHECK(p.out == readme_listing + ask + "\"" + answer + "\" is neither the ID nor the name of a holder (2 tries left)\n" + ask);
    }
}

TEST_CASE("prompt: Enter alone takes the first holder listed, which the question names") {
    Prompted p = prompt(readme_holders(), "\n4\n");
    check_chosen(p, 1);
    CHECK(p.out == readme_listing + ask);
    CHECK(p.rest == "4\n");
    check_chosen(prompt(readme_holders(), "   \r\n"), 1);
    // After a bad answer too.
    Prompted later = prompt(readme_holders(), "7\n\n");
    check_chosen(later, 1);
    CHECK(later.out == readme_listing + ask + "peer 7 does not hold file8_3.txt (2 tries left)\n" + ask);
    CHECK(default_holder(readme_holders())->peer_id == 1);
    CHECK(default_holder(HolderList{}) == nullptr);
}

TEST_CASE("prompt: a holder's name chooses it") {
    check_chosen(prompt(readme_holders(), "carol\n"), 4);
    check_chosen(prompt(readme_holders(), "  dave\t\n"), 9);
    // Case is ignored only when no name matches byte for byte.
    check_chosen(prompt(readme_holders(), "BOB\n"), 1);
    Prompted p = prompt(readme_holders(), "eve\ncarol\n");
    check_chosen(p, 4);
    CHECK(p.out == readme_listing + ask + "\"eve\" is neither the ID nor the name of a holder (2 tries left)\n" + ask);
}

TEST_CASE("resolve_peer_answer: IDs before names, a shared name is no choice") {
    HolderList list = collect_holders(content_of("f", 1, root_starting("1"), 4,
                                                 {holder(3, "7", "h", 1, 1, "f"), holder(7, "x", "h", 1, 1, "f"),
                                                  holder(8, "twin", "h", 1, 1, "f"), holder(9, "twin", "h", 1, 1, "f"),
                                                  holder(10, "Twin", "h", 1, 1, "f")}));
    CHECK(resolve_peer_answer("f", list, "7").peer_id == 7);   // the ID, not peer 3's name
    CHECK(resolve_peer_answer("f", list, "x").peer_id == 7);
    CHECK(resolve_peer_answer("f", list, "Twin").peer_id == 10); // exact beats case-insensitive
    auto twin = resolve_peer_answer("f", list, "twin");
    CHECK_FALSE(twin.peer_id);
    CHECK(twin.why == "2 holders are named \"twin\": enter a peer ID");
    CHECK(resolve_peer_answer("f", list, "TWIN").why == "3 holders are named \"TWIN\": enter a peer ID");
    // A name that is all digits is found when no holder has that ID.
    HolderList digits = collect_holders(content_of("f", 1, root_starting("1"), 2,
                                                   {holder(3, "42", "h", 1, 1, "f"), holder(5, "y", "h", 1, 1, "f")}));
    CHECK(resolve_peer_answer("f", digits, "42").peer_id == 3);
    CHECK(resolve_peer_answer("f", digits, "43").why == "peer 43 does not hold f");
    CHECK(resolve_peer_answer("f", digits, "").peer_id == 3);
    CHECK(resolve_peer_answer("f", HolderList{}, "").why == "no holder to choose");
}

TEST_CASE("prompt: a shared name costs a try") {
    HolderList list = collect_holders(content_of("f", 1, root_starting("1"), 2,
                                                 {holder(2, "twin", "h", 1, 1, "f"), holder(6, "twin", "h", 1, 1, "f")}));
    Prompted p = prompt(list, "twin\n6\n", "f");
    check_chosen(p, 6);
    CHECK(p.out.ends_with(ask_for("peer 2, twin") + "2 holders are named \"twin\": enter a peer ID (2 tries left)\n" +
                          ask_for("peer 2, twin")));
}

TEST_CASE("prompt: answers are echoed escaped and cut short") {
    SUBCASE("control characters cannot reach the terminal") {
        Prompted p = prompt(readme_holders(), "\x1b[2J\\\n1\n");
        check_chosen(p, 1);
        CHECK(p.out == readme_listing + ask + "\"\\x1b[2J\\x5c\" is neither the ID nor the name of a holder (2 tries left)\n" + ask);
        CHECK(p.out.find('\x1b') == std::string::npos);
    }
    SUBCASE("a long answer is cut to 40 columns") {
        Prompted p = prompt(readme_holders(), std::string(500, 'z') + "\n1\n");
        check_chosen(p, 1);
        CHECK(p.out == readme_listing + ask + "\"" + std::string(37, 'z') + "...\" is neither the ID nor the name of a holder (2 tries left)\n" +
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
    CHECK(partial.out == readme_listing + ask + "\"cancelx\" is neither the ID nor the name of a holder (2 tries left)\n" + ask +
                             "\"can\" is neither the ID nor the name of a holder (1 try left)\n" + ask);
}

TEST_CASE("prompt: end of input cancels and ends the prompt's line") {
    Prompted first = prompt(readme_holders(), "");
    CHECK(first.choice.kind == Kind::cancelled);
    CHECK(first.out == readme_listing + ask + "\n");

    Prompted later = prompt(readme_holders(), "x\n");
    CHECK(later.choice.kind == Kind::cancelled);
    CHECK(later.out == readme_listing + ask + "\"x\" is neither the ID nor the name of a holder (2 tries left)\n" + ask + "\n");

    Prompted last = prompt(readme_holders(), "x\n7\n");
    CHECK(last.choice.kind == Kind::cancelled);
    CHECK(last.out == readme_listing + ask + "\"x\" is neither the ID nor the name of a holder (2 tries left)\n" + ask +
                          "peer 7 does not hold file8_3.txt (1 try left)\n" + ask + "\n");
}

TEST_CASE("prompt: three bad tries and no more") {
    Prompted p = prompt(readme_holders(), "x\n7\nzed\n4\n");
    CHECK(p.choice.kind == Kind::no_valid_choice);
    CHECK(p.out == readme_listing + ask + "\"x\" is neither the ID nor the name of a holder (2 tries left)\n" + ask +
                       "peer 7 does not hold file8_3.txt (1 try left)\n" + ask +
                       "\"zed\" is neither the ID nor the name of a holder\n");
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
    CHECK(p.out == readme_listing + ask + "\"x\" is neither the ID nor the name of a holder (2 tries left)\n" + ask +
                       "\"y\" is neither the ID nor the name of a holder (1 try left)\n" + ask);
}

TEST_CASE("prompt: the listing notes unlisted holders") {
    HolderList list = collect_holders(content_of("f", 512, std::nullopt, 10,
                                                 {holder(3, "x", "10.0.0.3", 6020, 1, "f"),
                                                  holder(12, "y", "10.0.0.12", 6020, 1, "f")}));
    REQUIRE(list.more_unlisted);
    Prompted p = prompt(list, "12\n", "f");
    check_chosen(p, 12);
    CHECK(p.out == "f is held by 2 peers (512 B, unhashed):\n"
                   "  peer 3   x  10.0.0.3:6020\n"
                   "  peer 12  y  10.0.0.12:6020\n"
                   "  (the index knows more holders than it listed)\n" +
                       ask_for("peer 3, x"));
}

TEST_CASE("prompt: fetched by root alone, the content is named by its root and every name is shown") {
    Content content = content_of("a.txt", 2048, root_starting("00ff00ff00ff77"), 2,
                                 {holder(5, "p5", "10.0.0.5", 6020, 1, "b.txt"),
                                  holder(2, "p2", "10.0.0.2", 6020, 1, "a.txt"),
                                  holder(5, "p5", "10.0.0.5", 6020, 2, "c.txt")});
    Prompted p = prompt(collect_holders(content), "3\n2\n", "");
    check_chosen(p, 2);
    CHECK(p.out == "root 00ff00ff00ff is held by 2 peers (2.0 KiB):\n"
                   "  peer 2  p2  10.0.0.2:6020  as a.txt\n"
                   "  peer 5  p5  10.0.0.5:6020  as b.txt, c.txt\n" +
                       ask_for("peer 2, p2") + "peer 3 does not hold root 00ff00ff00ff (2 tries left)\n" +
                       ask_for("peer 2, p2"));
}

TEST_CASE("prompt: hostile file, peer names and addresses are shown escaped") {
    std::string evil = "evil\n\x1b[1m\xff";
    HolderList list = collect_holders(content_of(evil, 1, root_starting("1"), 2,
                                                 {holder(1, "m\x1b]0;x\a", "1.1.1.1", 1, 1, evil),
                                                  holder(2, "n\\", "::1\r", 2, 1, "other\x1b")}));
    REQUIRE(list.holders.size() == 2);
    Prompted p = prompt(list, "3\n", evil);
    CHECK(p.out.find('\x1b') == std::string::npos);
    CHECK(p.out.find('\a') == std::string::npos);
    CHECK(p.out.find('\r') == std::string::npos);
    CHECK(p.out.find('\xff') == std::string::npos);
    CHECK(p.out == "evil\\x0a\\x1b[1m\\xff is held by 2 peers (1 B, root 100000000000):\n"
                   "  peer 1  m\\x1b]0;x\\x07  1.1.1.1:1\n"
                   "  peer 2  n\\x5c          [::1\\x0d]:2  as other\\x1b\n" +
                       ask_for("peer 1, m\\x1b]0;x\\x07") + "peer 3 does not hold evil\\x0a\\x1b[1m\\xff (2 tries left)\n" +
                       ask_for("peer 1, m\\x1b]0;x\\x07") + "\n");
    CHECK(p.choice.kind == Kind::cancelled);
}
