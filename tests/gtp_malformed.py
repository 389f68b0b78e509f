#!/usr/bin/env python3
"""Feed a GTP engine malformed input and check that it keeps speaking GTP.

Every reply must be well-formed GTP ('=' or '?', the id if one was sent, a space or the end of the
line, no blank line inside, exactly one blank line at the end), must come within the time limit, and
the engine must never exit, hang or write anything to stdout outside a reply. After each case a
`name` command with a fixed id must still be answered.

Cases: random garbage bytes (NUL, 0x80-0xff, control characters, CR, tabs), 1 MB lines, wrong arity
for every command in `list_commands`, bad vertices and colours, out-of-range board sizes, bad komi,
GTP ids, empty and comment lines, CR/LF, tabs, illegal plays, bad handicaps, loadsgf of missing and
malformed files (the position must not change), bad rules, genmove.

Expected error texts: GTP v2's 'unknown command', 'illegal move', 'unacceptable size'; for malformed
arguments either GTP's 'syntax error' or KataGo's own wording for that case (tengen follows
KataGo). Which input lines get a reply follows KataGo's input cleaning (CommandLoop::
processSingleCommandLine): keep printable ASCII and tab, cut at '#', tabs become spaces, trim; an
empty result gets no reply.

--generic relaxes the KataGo-specific expectations so the script can be tried on other engines
(e.g. `--engine /usr/games/gnugo --engine-args '--mode gtp' --generic`).
Exit 0: pass, 1: fail.
"""

import argparse
import difflib
import os
import random
import re
import shutil
import sys
import tempfile
import time

import gtplib
from gtplib import GtpEngine, GtpEngineDied, GtpError, GtpTimeout

SYNC_ID = 918273645
MEGABYTE = 1 << 20
# Commands that may search (genmove, analysis, scoring): they get a longer time limit.
SLOW_COMMANDS = {"genmove", "genmove_debug", "kata-search", "kata-search_debug", "kata-search_cancellable",
                 "kata-genmove_analyze", "lz-genmove_analyze", "genmove_analyze", "kata-search_analyze",
                 "kata-search_analyze_cancellable", "final_score", "final_status_list", "kata-benchmark",
                 "kata-raw-nn", "kata-raw-human-nn", "kgs-genmove_cleanup", "reg_genmove"}
# Commands that must fail without arguments (KataGo's gtp.cpp checks their arity or parses arg 0).
NEEDS_ARGS = {"play", "boardsize", "rectangular_boardsize", "komi", "known_command", "is_legal", "fixed_handicap",
              "place_free_handicap", "loadsgf", "time_left", "time_settings", "kgs-time_settings",
              "kata-time_settings", "kata-set-rule", "kata-set-rules", "kgs-rules", "kata-get-param",
              "kata-set-param", "genmove", "final_status_list", "kata-benchmark"}
# Commands that must fail with nine junk arguments.
REJECTS_MANY_ARGS = {"play", "boardsize", "rectangular_boardsize", "komi", "known_command", "is_legal",
                     "fixed_handicap", "place_free_handicap", "loadsgf", "time_left", "kata-set-rule",
                     "kata-set-rules", "kgs-rules", "kata-get-param", "kata-set-param", "genmove",
                     "final_status_list", "printsgf", "kata-benchmark", "set_position", "set_free_handicap",
                     "kata-time_settings", "kgs-time_settings"}
NEVER_SENT_BARE = {"quit"}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", required=True, help="path of the engine under test (tengen)")
    p.add_argument("--engine-args", default="gtp", help="arguments for the engine (default: gtp)")
    p.add_argument("--seed", type=int, default=20240611)
    p.add_argument("--rounds", "--games", dest="rounds", type=int, default=300,
                   help="random garbage payloads to send (default 300)")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds allowed for each reply (default 5)")
    p.add_argument("--slow-timeout", type=float, default=30.0,
                   help="seconds allowed for genmove-like commands (default 30)")
    p.add_argument("--generic", action="store_true",
                   help="only check framing and GTP v2 behaviour, not KataGo's texts and input cleaning")
    p.add_argument("--skip", default="", help="comma-separated case groups to skip (see --list)")
    p.add_argument("--list", action="store_true", help="list the case groups and exit")
    p.add_argument("--verbose", "-v", action="store_true")
    return p.parse_args()


def katago_clean(line):
    """What KataGo makes of one input line (bytes without the newline), as text."""
    kept = "".join(chr(b) for b in line if 32 <= b <= 126 or b == 9)
    kept = kept.split("#", 1)[0].replace("\t", " ")
    return kept.strip()


def split_id(cleaned):
    m = re.match(r"(\d*)\s*(.*)", cleaned, re.S)
    return m.group(1), m.group(2)


class Suite:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.checker = gtplib.Checker("gtp_malformed")
        self.failures = self.checker.failures
        self.restarts = 0
        self.engine = None
        self.known = set()
        self.tmpdir = tempfile.mkdtemp(prefix="gtp_malformed.")
        self.start_engine()

    # ---- engine and bookkeeping ------------------------------------------------------------------

    def start_engine(self):
        if self.engine is not None:
            self.engine.close(timeout=1.0)
        # The engine runs in a scratch directory: commands such as `printsgf FILE` may write files.
        self.engine = GtpEngine(gtplib.engine_argv(self.args.engine, self.args.engine_args), name="engine",
                                timeout=self.args.timeout, cwd=self.tmpdir)
        r = self.engine.command("list_commands")
        self.known = set(l.strip() for l in r.text.split("\n") if l.strip())

    def check(self, cond, case, message):
        return self.checker.check(cond, case, message)

    def timeout_for(self, text):
        words = text.split()
        if words and words[0].isdigit():
            words = words[1:]
        return self.args.slow_timeout if words and words[0] in SLOW_COMMANDS else self.args.timeout

    def exchange(self, case, payload, expected_replies=None, timeout=None, detail=""):
        """Send payload (bytes or str), then `SYNC_ID name`; return the replies that came before the
        sync reply, or None when the engine hung or died (it is then restarted)."""
        if isinstance(payload, str):
            payload = payload.encode("latin-1")
        stray_before = len(self.engine.stray)
        timeout = timeout or max(self.timeout_for(l) for l in payload.decode("latin-1").split("\n"))
        self.engine.send_raw(payload)
        self.engine.send("%d name" % SYNC_ID)
        replies = []
        try:
            while True:
                r = self.engine.read_response(timeout, waiting_for="the replies to case %s" % case)
                if r.id == str(SYNC_ID):
                    break
                replies.append(r)
                if len(replies) > 10000:
                    raise GtpError("more than 10000 replies")
        except (GtpTimeout, GtpEngineDied, GtpError) as e:
            what = "died" if isinstance(e, GtpEngineDied) else "hung" if isinstance(e, GtpTimeout) else "broke"
            self.check(False, case, "engine %s: %s (input began %r)" % (what, e, payload[:120]))
            self.restarts += 1
            self.start_engine()
            return None
        sync = r
        for reply in replies:
            for p in gtplib.well_formed_problems(reply, reply.id):
                self.check(False, case, "malformed reply %r: %s" % (short(str(reply), 200), p))
        self.check(sync.ok and sync.text != "", case,
                   "`%d name` afterwards answered %r" % (SYNC_ID, short(str(sync), 200)))
        for what, line in self.engine.stray[stray_before:]:
            self.check(False, case, "%s on stdout: %r" % (what, line[:200]))
        if expected_replies is not None:
            self.check(len(replies) == expected_replies, case, "%d replies to %r, expected %d%s" % (
                len(replies), payload[:200], expected_replies, detail))
        return replies

    def one(self, case, line, timeout=None):
        """Send one command line; return its single reply (or None after a failure)."""
        replies = self.exchange(case, line + "\n", expected_replies=1, timeout=timeout)
        if not replies or len(replies) != 1:
            return None
        return replies[0]

    def expect_error(self, case, line, standard=None, katago=(), unchanged=True):
        """The reply to line must be an error.

        standard: the GTP v2 text(s) the error must start with ('unknown command', 'illegal move',
        'unacceptable size') or 'syntax error' for malformed arguments; katago: prefixes of KataGo's
        own texts for the case, accepted too (tengen answers like KataGo). Without --generic a
        syntax error may use either; with --generic only the three fixed GTP texts are checked.
        unchanged: a failed command must leave the position, komi and rules as they were."""
        before = self.snapshot(case) if unchanged else None
        r = self.one(case, line)
        if r is None:
            return None
        if not self.check(r.error, case, "%r should fail, got %r" % (short(line), short(str(r)))):
            return r
        if unchanged:
            self.unchanged(case, before)
        standards = (standard,) if isinstance(standard, str) else tuple(standard or ())
        if not standards:
            return r
        good = any(r.text.startswith(s) for s in standards)
        if "syntax error" in standards:
            if self.args.generic:
                return r
            good = good or any(r.text.startswith(k) for k in katago)
        self.check(good, case, "%r: error text %r; want it to start with %s" % (
            short(line), short(r.text), " or ".join(repr(t) for t in standards + (
                tuple(katago) if "syntax error" in standards else ()))))
        return r

    def expect_ok(self, case, line):
        r = self.one(case, line)
        if r is not None:
            self.check(r.ok, case, "%r should succeed, got %r" % (short(line), short(str(r))))
        return r

    def safe(self, case, command):
        """Send a set-up command; a dead or hung engine is recorded and restarted. Returns the reply."""
        try:
            return self.engine.command(command, timeout=self.timeout_for(command))
        except GtpError as e:
            self.check(False, case, "engine failed on set-up command %r: %s" % (command, e))
            self.restarts += 1
            self.start_engine()
            return None

    def snapshot(self, case="snapshot"):
        """The engine's position and settings as text, to check that failed commands change nothing."""
        parts = []
        for c in ("showboard", "get_komi", "kata-get-rules"):
            if c in self.known:
                r = self.safe(case, c)
                if r is None:
                    return None
                parts.append("%s: %s" % (c, r.text))
        return "\n".join(parts)

    def unchanged(self, case, before):
        after = self.snapshot(case)
        if before is None or after is None:
            return
        if after != before:
            diff = [l for l in difflib.unified_diff(before.split("\n"), after.split("\n"), "before", "after",
                                                    lineterm="", n=0) if not l.startswith("@@")]
            self.check(False, case, "the failed command changed the position or settings:\n    "
                       + "\n    ".join(diff[2:14]))
        else:
            self.check(True, case, "")

    def has(self, command):
        return command in self.known

    # ---- case groups -----------------------------------------------------------------------------

    def garbage(self):
        """Random bytes lines; the number of replies follows KataGo's input cleaning."""
        forbidden = set(self.known) | {"quit"}

        def acceptable(cleaned_lines):
            # Garbage must not spell a real command, the sync id or a bare id (KataGo answers those
            # without the id): regenerate (deterministically) if it does.
            for c in cleaned_lines:
                cid, rest = split_id(c)
                if rest.split(" ")[0] in forbidden or cid == str(SYNC_ID) or (rest == "" and cid != ""):
                    return False
            return True

        for i in range(self.args.rounds):
            while True:
                payload = b"".join(self.random_garbage() for _ in range(self.rng.choice((1, 1, 1, 2, 3))))
                lines = payload.split(b"\n")[:-1]
                cleaned = [katago_clean(l) for l in lines]
                if acceptable([c for c in cleaned if c]):
                    break
            expected = None if self.args.generic else sum(1 for c in cleaned if c)
            replies = self.exchange("garbage#%d" % i, payload, expected_replies=expected,
                                    detail=" (KataGo's input cleaning gives %r)" % [c for c in cleaned])
            if replies is None:
                continue
            for r in replies:
                self.check(r.error, "garbage#%d" % i, "garbage %r got a success reply %r" % (payload[:100], str(r)))
            if not self.args.generic and replies and len(replies) == expected:
                for c, r in zip([c for c in cleaned if c], replies):
                    cid, rest = split_id(c)
                    if cid and len(cid) <= 9:
                        self.check(r.id is not None and int(r.id) == int(cid), "garbage#%d" % i,
                                   "line cleaned to %r: reply id %s, want %d" % (c, r.id, int(cid)))
                    if cid == "" or len(cid) <= 9:
                        self.check(r.text.startswith("unknown command"), "garbage#%d" % i,
                                   "line cleaned to %r: %r, want 'unknown command'" % (c, str(r)))

    def random_garbage(self):
        rng = self.rng
        kind = rng.randrange(7)
        n = rng.randint(1, 200)
        if kind == 0:      # any byte at all
            data = bytes(rng.randrange(256) for _ in range(n))
        elif kind == 1:    # control characters
            data = bytes(rng.choice(list(range(0, 32)) + [127]) for _ in range(n))
        elif kind == 2:    # high bytes (invalid / partial UTF-8)
            data = bytes(rng.randrange(128, 256) for _ in range(n))
        elif kind == 3:    # printable junk with NULs and high bytes sprinkled in
            data = bytes(rng.choice([0, 0x80, 0xff, 0xc3, 9, 13]) if rng.random() < 0.15 else rng.randrange(33, 127)
                         for _ in range(n))
        elif kind == 4:    # a command word with junk inside it
            word = bytearray(rng.choice(["name", "play b D4", "boardsize 9", "komi 7.5", "version"]).encode())
            word.insert(rng.randrange(len(word) + 1), rng.choice([0, 1, 0x7f, 0x80, 0xfe, 0x1b]))
            data = bytes(word) + b"x"   # keep it from cleaning back into a real command
        elif kind == 5:    # valid UTF-8 non-ASCII text
            data = "".join(rng.choice("ñäöü碁囲碁★→€\u200b\ufeff") for _ in range(n // 3 + 1)).encode("utf-8")
        else:              # digits (ids) and separators
            data = bytes(rng.choice(b"0123456789 \t\r-+#=?") for _ in range(n))
        return data.replace(b"\n", b"\r") + b"\n"

    def long_lines(self):
        junk = b"a" * MEGABYTE
        r = self.exchange("1MB name argument", b"name " + junk + b"\n", expected_replies=1)
        if r:
            self.check(r[0].ok or r[0].error, "1MB name argument", "reply %r" % short(str(r[0])))
        r = self.exchange("1MB unknown command", b"x" * MEGABYTE + b"\n", expected_replies=1)
        if r:
            self.check(r[0].error and r[0].text.startswith("unknown command"), "1MB unknown command",
                       "reply %r, want '? unknown command'" % short(str(r[0])))
        self.exchange("1MB comment", b"# " + junk + b"\n", expected_replies=0)
        self.exchange("1MB of spaces", b" " * MEGABYTE + b"\n", expected_replies=0)
        if not self.args.generic:
            self.exchange("1MB of NULs", b"\0" * MEGABYTE + b"\n", expected_replies=0)
        r = self.exchange("1MB vertex", b"play b " + b"A" * MEGABYTE + b"\n", expected_replies=1)
        if r:
            self.check(r[0].error, "1MB vertex", "reply %r, want an error" % short(str(r[0])))
        self.exchange("1MB id", b"1" * MEGABYTE + b" name\n", expected_replies=1)
        r = self.exchange("1MB of arguments", b"known_command" + b" x" * (MEGABYTE // 2) + b"\n", expected_replies=1)
        if r and not self.args.generic:
            self.check(r[0].error, "1MB of arguments", "known_command with 512k arguments: %r" % short(str(r[0])))
        r = self.exchange("1MB line then name", b"komi " + b"9" * MEGABYTE + b"\nname\n", expected_replies=2)
        if r and len(r) == 2:
            self.check(r[0].error and r[1].ok, "1MB line then name", "replies %r, %r" % (short(str(r[0])), short(str(r[1]))))

    def arity(self):
        for cmd in sorted(self.known):
            if cmd in NEVER_SENT_BARE:
                continue
            self.reset_position()
            r = self.one("arity %s (no args)" % cmd, cmd, timeout=self.timeout_for(cmd))
            if r is not None and cmd in NEEDS_ARGS and not self.args.generic:
                self.check(r.error, "arity %s (no args)" % cmd, "no arguments should fail: %r" % short(str(r)))
            self.reset_position()
            line = cmd + " 1 2 3 4 5 6 7 8 9"
            r = self.one("arity %s (9 args)" % cmd, line, timeout=self.timeout_for(cmd))
            if r is not None and cmd in REJECTS_MANY_ARGS and not self.args.generic:
                self.check(r.error, "arity %s (9 args)" % cmd, "9 junk arguments should fail: %r" % short(str(r)))
        self.reset_position()
        for line in ("play b", "play b D4 D5", "play b D4 w", "is_legal b", "is_legal b D4 D5", "komi 6.5 7.5",
                     "boardsize 9 9 9", "known_command name name", "fixed_handicap 2 3"):
            if self.has(line.split()[0]):
                self.expect_error("arity %r" % line, line, "syntax error", katago=("Expected",))

    def reset_position(self):
        for c in ("boardsize 19", "clear_board", "komi 7.5"):
            self.safe("reset", c)
        if self.has("time_settings"):
            self.safe("reset", "time_settings 0 1 1")     # one second per move, should a search exist

    def bad_vertices(self):
        self.reset_position()
        self.safe("setup", "play b D4")
        for v in ("Z99", "I5", "i5", "A0", "A20", "T20", "U1", "Z1", '""', "pass1", "A", "5", "AA1", "A-1",
                  "A1.5", "%", "D4D4", "0", "-", "A01x", "passs", "(3,4"):
            for cmd in ("play b", "is_legal b", "play w"):
                if not self.has(cmd.split()[0]):
                    continue
                line = "%s %s" % (cmd, v)
                self.expect_error("bad vertex %r" % line, line, "syntax error",
                                  katago=("Could not parse vertex", "Could not parse move", "Invalid vertex"))

    def bad_colors(self):
        self.reset_position()
        for c in ("x", "bw", "1", "blackk", "empty", "red", "BL", "wh", "B1", "-", "bb", "whites"):
            for template in ("play %s D5", "is_legal %s D5", "genmove %s", "time_left %s 30 0"):
                if not self.has(template.split()[0]):
                    continue
                line = template % c
                self.expect_error("bad colour %r" % line, line, "syntax error",
                                  katago=("Could not parse color", "Could not parse player",
                                          "Expected player and float time and int stones for time_left"))

    def sizes(self):
        self.reset_position()
        self.safe("setup", "play b D4")
        bad = ["0", "-3", "20", "25", "1000000"]
        if not self.args.generic:
            bad.append("1")      # KataGo's minimum is 2; GTP allows 1
        for s in bad:
            self.expect_error("boardsize %s" % s, "boardsize %s" % s, "unacceptable size")
        kg = ("Expected int argument for boardsize",)
        for s in ("abc", "19.5", "0x13", "19x19", "", "nine", "99999999999999999999"):
            line = ("boardsize %s" % s).strip()
            self.expect_error("boardsize %r" % s, line, ("syntax error", "unacceptable size"), katago=kg)
        if self.has("rectangular_boardsize"):
            for s in ("19 0", "0 19", "20 19", "19 -1"):
                line = "rectangular_boardsize %s" % s
                self.expect_error(line, line, "unacceptable size")
            for s in ("19 x", "x 19", "19 19 19", ""):
                line = ("rectangular_boardsize %s" % s).strip()
                self.expect_error(line, line, "syntax error", katago=kg)
        for s in ("19", "2", "9"):
            if s == "2" and self.args.generic:
                continue
            self.expect_ok("boardsize %s" % s, "boardsize %s" % s)

    def komi(self):
        self.reset_position()
        bad = ["nan", "NaN", "abc", "", "7.5.5", "1,5"]
        if not self.args.generic:
            bad += ["inf", "-inf", "1e999", "0.3", "401", "-401", "7.25", "1e10"]
        for k in bad:
            line = ("komi %s" % k).strip()
            self.expect_error("komi %r" % k, line)
        for k in ("0", "6.5", "-7.5", "7", "400", "-400", "0.5", "+6.5", "6.50"):
            if k in ("400", "-400", "+6.5") and self.args.generic:
                continue
            self.expect_ok("komi %s" % k, "komi %s" % k)

    def ids(self):
        def expect_id(line, want_id, ok=True, name=None):
            r = self.one("id %r" % line, line)
            if r is None:
                return
            self.check(r.ok == ok, "id %r" % line, "reply %r" % str(r))
            if want_id is not None:
                self.check(r.id is not None and int(r.id) == want_id, "id %r" % line,
                           "reply %r should carry id %d" % (str(r), want_id))
            else:
                self.check(r.id is None, "id %r" % line, "reply %r should carry no id" % str(r))
        expect_id("12 name", 12)
        expect_id("007 name", 7)
        expect_id("0 name", 0)
        expect_id("  12   name  ", 12)
        expect_id("12\tname", 12)
        expect_id("2147483647 name", 2147483647)
        expect_id("12 nonsense_command", 12, ok=False)
        expect_id("13 play b Z99", 13, ok=False)
        if not self.args.generic:
            expect_id("-5 name", None, ok=False)
        r = self.one("id only", "12")
        if r is not None:
            self.check(r.error, "id only", "a bare id should fail (KataGo: '? empty command'): %r" % str(r))
        if not self.args.generic:
            self.one("id overflow", "99999999999999999999999 name")
            self.one("id glued to command", "12name")

    def empty_and_comments(self):
        for payload in ("\n", "   \n", "\t\n", "# comment\n", "   # comment\n", "\r\n", "#\n", "#name\n",
                        "\t# name\n", "\n\n\n\n", " \t \r\n"):
            self.exchange("no reply to %r" % payload, payload, expected_replies=0)
        for payload, want in (("name # comment\n", None), ("12 name # comment\n", 12),
                              ("name#comment\n", None), ("known_command name # x y\n", None)):
            r = self.exchange("comment after %r" % payload, payload, expected_replies=1)
            if r and len(r) == 1:
                self.check(r[0].ok, "comment after %r" % payload, "reply %r" % str(r[0]))
                if want is not None:
                    self.check(r[0].id == str(want), "comment after %r" % payload, "reply %r lacks id" % str(r[0]))

    def line_endings(self):
        self.reset_position()
        cases = [("name\r\n", 1, True), ("\rname\n", 1, True), ("name\r\r\n", 1, True), ("na\rme\n", 1, True),
                 ("name\r\n12 version\r\n", 2, True), ("\tname\t\n", 1, True), ("boardsize\t19\n", 1, True),
                 ("play\tb\tD4\t\n", 1, True), ("name\rversion\n", 1, False), ("\x0bname\x0c\n", 1, True),
                 # KataGo keeps only printable ASCII and tab: NUL and bytes >= 0x80 vanish from the line.
                 ("\x00name\n", 1, True), ("na\x00me\n", 1, True), ("name\x00\n", 1, True),
                 ("\xffname\xfe\n", 1, True), ("\x1b[31mname\n", 1, False), ("\x00\n", 0, True)]
        for payload, count, ok in cases:
            if self.args.generic and re.search(r"[\x00-\x08\x0b-\x1f\x7f-\xff]", payload.rstrip("\r\n")):
                continue
            r = self.exchange("line ending %r" % payload, payload, expected_replies=count)
            if r and len(r) == count:
                for x in r:
                    self.check(x.ok == ok, "line ending %r" % payload, "reply %r" % str(x))

    def illegal_moves(self):
        self.reset_position()
        self.expect_ok("setup", "play b D4")
        for line in ("play b D4", "play w D4", "play B d4", "play white D4"):
            self.expect_error("occupied %r" % line, line, "illegal move")
        # Single-stone suicide (illegal under every ruleset): white A2 and B1, black A1.
        self.expect_ok("setup", "play w A2")
        self.expect_ok("setup", "play w B1")
        self.expect_error("suicide", "play b A1", "illegal move")
        if self.has("is_legal"):
            r = self.one("is_legal suicide", "is_legal b A1")
            if r is not None:
                self.check(r.ok and r.text == "0", "is_legal suicide", "is_legal b A1: %r, want '= 0'" % str(r))
            r = self.one("is_legal occupied", "is_legal w D4")
            if r is not None:
                self.check(r.ok and r.text == "0", "is_legal occupied", "is_legal w D4: %r, want '= 0'" % str(r))

    def handicap(self):
        if self.has("fixed_handicap"):
            self.reset_position()
            for n in ("1", "10", "0", "-1", "abc", "99999999999", "2.5"):
                line = "fixed_handicap %s" % n
                if self.args.generic and n in ("2.5",):
                    continue
                self.expect_error(line, line)
            self.expect_ok("fixed_handicap 2", "fixed_handicap 2")
            self.expect_error("fixed_handicap on a non-empty board", "fixed_handicap 3")
        for cmd, bad in (("place_free_handicap", ("1", "0", "-2", "abc")),
                         ("set_free_handicap", ("Z99", "D4 D4", "pass D4", "D4 Q16 xx", "D4 Q16 D4"))):
            if not self.has(cmd):
                continue
            self.reset_position()
            for b in bad:
                line = "%s %s" % (cmd, b)
                self.expect_error(line, line)
            self.safe("setup", "play b D4")
            line = "%s %s" % (cmd, "2" if cmd == "place_free_handicap" else "Q16 Q4")
            self.expect_error("%s on a non-empty board" % cmd, line)

    def sgf_files(self):
        if not self.has("loadsgf"):
            return
        files = {
            "truncated": b"(;GM[1]FF[4]SZ[19];B[pd];W[dp",
            "unterminated value": b"(;GM[1]FF[4]SZ[19]AB[pd][dd",
            "garbage": bytes(random.Random(self.args.seed).randrange(256) for _ in range(400)),
            "empty": b"",
            "only a paren": b"(",
            "no game tree": b";B[aa]",
            "size 0": b"(;GM[1]FF[4]SZ[0])",
            "size 99": b"(;GM[1]FF[4]SZ[99])",
            "size abc": b"(;GM[1]FF[4]SZ[abc])",
            "move off board": b"(;GM[1]FF[4]SZ[9];B[zz])",
            "binary zeros": b"\0" * 100,
        }
        self.reset_position()
        self.expect_ok("setup", "play b Q16")
        self.expect_ok("setup", "komi 6.5")
        for label, data in files.items():
            path = os.path.join(self.tmpdir, label.replace(" ", "_") + ".sgf")
            with open(path, "wb") as f:
                f.write(data)
            line = "loadsgf %s" % path
            self.expect_error("loadsgf %s" % label, line)
        for line in ("loadsgf /nonexistent/file.sgf", "loadsgf %s" % self.tmpdir, "loadsgf"):
            self.expect_error(line, line)
        good = os.path.join(self.tmpdir, "good.sgf")
        with open(good, "wb") as f:
            f.write(b"(;GM[1]FF[4]SZ[9]KM[5.5];B[ee];W[cc];B[gg])")
        for n in ("-1", "abc", "0"):
            line = "loadsgf %s %s" % (good, n)
            r = self.one(line, line)
            if r is not None and n != "0" and not self.args.generic:
                self.check(r.error, line, "a bad move number should fail: %r" % str(r))
        # A good file must load (a positive control for the checks above).
        before = self.snapshot()
        self.expect_ok("loadsgf good", "loadsgf %s" % good)
        after = self.snapshot()
        self.check(after != before, "loadsgf good", "loading a valid SGF did not change the position")

    def rules(self):
        if not self.has("kata-set-rules"):
            return
        self.reset_position()
        for line in ("kata-set-rules nonsense", "kata-set-rules {", 'kata-set-rules {"ko":"BOGUS"}',
                     'kata-set-rules {"scoring":"AREA","ko":7}', "kata-set-rules []", "kata-set-rules 42",
                     "kata-set-rule ko BOGUS", "kata-set-rule nonsense SIMPLE", "kata-set-rule ko",
                     "kgs-rules klingon", "kgs-rules"):
            if self.has(line.split()[0]):
                self.expect_error(line, line)
        for line in ("kata-set-rules chinese", "kata-set-rules tromp-taylor", "kata-set-rules japanese"):
            self.expect_ok(line, line)

    def time_commands(self):
        self.reset_position()
        for line in ("time_settings -1 5 1", "time_settings a b c", "time_settings 10 5", "time_settings nan 5 1",
                     "time_left b -100 0", "time_left b nan 0", "time_left b 30", "time_left b 30 x",
                     "kata-time_settings bogus", "kata-time_settings absolute", "kgs-time_settings bogus 1 2 3",
                     "time_left b 30 -1"):
            if self.has(line.split()[0]):
                if self.args.generic and line in ("time_settings nan 5 1", "time_left b nan 0",
                                                  "time_left b -100 0", "time_left b 30 -1"):
                    continue
                self.expect_error(line, line)

    def misc(self):
        self.reset_position()
        for line in ("undo", "known_command", "set_position b D4 b D4", "set_position b Z99", "set_position b",
                     "set_position x D4", "set_position b pass", "final_status_list bogus", "printsgf a b",
                     "kata-get-param nonexistentParam", "kata-set-param nonexistentParam 3",
                     "is_legal", "showboard_nonexistent", "PLAY b D4", "Name"):
            if line.split()[0] in ("PLAY", "Name", "showboard_nonexistent") or self.has(line.split()[0]):
                self.expect_error(line, line, "unknown command" if line.split()[0] in (
                    "PLAY", "Name", "showboard_nonexistent") else None)

    def genmove(self):
        if not self.has("genmove"):
            return
        self.reset_position()
        if self.has("time_settings"):
            self.safe("setup", "time_settings 0 1 1")     # one second per move if a search exists
        r = self.one("genmove b", "genmove b", timeout=self.args.slow_timeout)
        if r is not None:
            self.check(r.error or re.fullmatch(r"(?i)pass|resign|[A-HJ-Z]\d{1,2}", r.text) is not None,
                       "genmove b", "reply %r: want an error or a move" % str(r))
        self.expect_error("genmove x", "genmove x")

    def quit(self):
        r = self.engine.command("quit")
        self.check(r.ok and not r.problems, "quit", "reply %r" % str(r))
        rc = self.engine.wait_exit(3.0)
        self.check(rc == 0, "quit", "exit code %s after quit" % rc)
        self.engine.collect_stray(0.2)

    GROUPS = ["garbage", "long_lines", "empty_and_comments", "line_endings", "ids", "arity", "bad_vertices",
              "bad_colors", "sizes", "komi", "illegal_moves", "handicap", "sgf_files", "rules", "time_commands",
              "misc", "genmove"]

    def run(self, skip):
        for g in self.GROUPS:
            if g in skip:
                continue
            t = time.monotonic()
            n = len(self.failures)
            getattr(self, g)()
            if self.args.verbose:
                print("group %s: %d new failures, %.1f s" % (g, len(self.failures) - n, time.monotonic() - t),
                      file=sys.stderr)
        self.quit()


def short(s, limit=120):
    s = s.replace("\n", "\\n")
    return s if len(s) <= limit else s[:limit] + "...(%d chars)" % len(s)


def main():
    args = parse_args()
    if args.list:
        print("\n".join(Suite.GROUPS))
        return 0
    started = time.monotonic()
    skip = set(s.strip() for s in args.skip.split(",") if s.strip())
    suite = None
    try:
        suite = Suite(args)
        suite.run(skip)
    except GtpError as e:
        print("gtp_malformed: FAIL: cannot run the engine: %s" % e, file=sys.stderr)
        if suite is None:
            return 1
        suite.failures.append(str(e))
    finally:
        if suite is not None:
            if suite.engine is not None:
                suite.engine.close(timeout=1.0)
            shutil.rmtree(suite.tmpdir, ignore_errors=True)
    failed = bool(suite.failures)
    suite.checker.report_rest()
    print("gtp_malformed: %s: seed %d, %d checks, %d failed, %d engine restarts (crash or hang), %.1f s" % (
        "FAIL" if failed else "PASS", args.seed, suite.checker.checks, len(suite.failures), suite.restarts,
        time.monotonic() - started), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
