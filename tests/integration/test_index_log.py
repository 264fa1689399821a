# SPDX-License-Identifier: MIT
"""The index's search log scales: with log.search_lines_per_second = 3, a
burst of 30 searches gets at most a few lines of its own and one summary
line a second that counts the rest, so every search is accounted for."""

import re

from harness import (PING, PONG, SEARCH_RESULT, IndexProbe, NapsterTestCase, frame, main, search_request,
                     wait_for)

BURST = 30
LINES_PER_SECOND = 3


class IndexLog(NapsterTestCase):
    def test_a_burst_of_searches_is_logged_in_part_and_summed_up(self):
        index = self.start_index(extra_sections={"log": {"search_lines_per_second": LINES_PER_SECOND}})
        probe = IndexProbe(index.port)
        self.addCleanup(probe.close)
        mark = index.mark()
        probe.client.send(b"".join(search_request(i, b"nothing-matches-this") for i in range(1, BURST + 1)))
        answered = 0
        while answered < BURST:
            reply = probe.client.read_frame()
            self.assertIsNotNone(reply, "the index closed the connection")
            if reply[0] == PING:
                probe.client.send(frame(PONG, reply[1]))
                continue
            self.assertEqual(reply[0], SEARCH_RESULT)
            answered += 1

        summary = re.compile(r"(\d+) search(?:es)? in the last [\d.]+ s were only counted, "
                             r"past log\.search_lines_per_second = 3; (\d+) of them found nothing$")
        own = r'peer \d+ \(probe\) searched "nothing-matches-this": not found at any peer$'

        def accounted():
            lines = len(index.lines_matching(own, since=mark))
            counted = sum(int(m.group(1)) for m in map(summary.search, index.log()[mark:].splitlines()) if m)
            return lines + counted == BURST

        wait_for(accounted, "every search logged on its own or counted in a summary", timeout=10)
        text = index.log()[mark:]
        summaries = [m for m in map(summary.search, text.splitlines()) if m]
        self.assertTrue(summaries, text)
        for m in summaries:
            self.assertEqual(m.group(1), m.group(2), "every search missed")
        lines = len(index.lines_matching(own, since=mark))
        # Three a second: the burst spans one second, or two at a boundary.
        self.assertGreaterEqual(lines, LINES_PER_SECOND)
        self.assertLessEqual(lines, 2 * LINES_PER_SECOND)
        self.assertAlive(index)


if __name__ == "__main__":
    main()
