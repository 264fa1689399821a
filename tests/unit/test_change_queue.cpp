// SPDX-License-Identifier: MIT
#include "fs/change_queue.h"

#include <doctest/doctest.h>

#include <algorithm>

using napster::ChangeQueue;

namespace {
const ChangeQueue::Key file_a{0, "a.txt"};
const ChangeQueue::Key file_b{0, "dir/b.txt"};
const ChangeQueue::Key file_c{1, "dir/c.txt"};
} // namespace

TEST_CASE("a file being written waits until it has been quiet") {
    ChangeQueue queue(200, 1000);
    queue.touched(file_a, 1000);
    CHECK(queue.take_due(1100).empty());
    queue.touched(file_a, 1150); // still writing: deadline moves to 1350
    CHECK(queue.take_due(1349).empty());
    CHECK(queue.next_due_in(1300) == 50);
    auto due = queue.take_due(1350);
    REQUIRE(due.size() == 1);
    CHECK(due[0] == file_a);
    CHECK(queue.size() == 0);
    CHECK(!queue.next_due_in(1350));
}

TEST_CASE("no file waits more than the maximum after its first event") {
    ChangeQueue queue(200, 1000);
    for (std::uint64_t t = 0; t < 990; t += 100) queue.touched(file_a, t);
    // Written every 100 ms: quiet never comes, the 1 s bound does.
    CHECK(queue.take_due(999).empty());
    CHECK(queue.take_due(1000).size() == 1);
    // A write after that starts a new wait.
    queue.touched(file_a, 1010);
    CHECK(queue.take_due(1209).empty());
    CHECK(queue.take_due(1210).size() == 1);
}

TEST_CASE("a closed, renamed or deleted file is due at once") {
    ChangeQueue queue(200, 1000);
    queue.touched(file_a, 0);
    queue.settled(file_a, 50); // IN_CLOSE_WRITE
    CHECK(queue.next_due_in(50) == 0);
    queue.touched(file_a, 60); // a later write does not delay a settled path
    CHECK(queue.take_due(60).size() == 1);

    queue.settled(file_b, 500); // IN_DELETE with nothing before
    CHECK(queue.take_due(500) == std::vector<ChangeQueue::Key>{file_b});
}

TEST_CASE("rename pairs become two independent paths") {
    ChangeQueue queue;
    queue.settled({0, "old.txt"}, 10); // IN_MOVED_FROM
    queue.settled({0, "new.txt"}, 10); // IN_MOVED_TO
    auto due = queue.take_due(10);
    CHECK(due.size() == 2);
}

TEST_CASE("forget_subtree drops queued paths below a directory only") {
    ChangeQueue queue;
    queue.touched(file_a, 0);
    queue.touched(file_b, 0);
    queue.touched({0, "dir2/x"}, 0);
    queue.touched({0, "dir"}, 0); // a file named like the dir, beside it
    queue.touched(file_c, 0);     // same rel path in another root
    queue.forget_subtree(0, "dir");
    auto due = queue.take_due(10'000);
    CHECK(due.size() == 4);
    CHECK(std::find(due.begin(), due.end(), file_b) == due.end());
    CHECK(std::find(due.begin(), due.end(), file_c) != due.end());

    queue.touched(file_a, 0);
    queue.touched(file_c, 0);
    queue.forget_subtree(0, "");
    CHECK(queue.take_due(10'000) == std::vector<ChangeQueue::Key>{file_c});
}

TEST_CASE("next_due_in reports the earliest deadline") {
    ChangeQueue queue(200, 1000);
    CHECK(!queue.next_due_in(0));
    queue.touched(file_a, 100);
    queue.touched(file_b, 150);
    CHECK(queue.next_due_in(120) == 180);
    CHECK(queue.next_due_in(400) == 0);
}
