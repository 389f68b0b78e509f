#!/usr/bin/env python3
"""The GUI framing checklist (shared/docs/clients.md sections 4 and 6) as a GTP script test.

Checks: ids echoed as `=<id>` / `?<id>`; `protocol_version` is 2; `list_commands` starts with
`= protocol_version`, lists the commands tengen implements and not `analyze`/`genmove_analyze`;
`name` is `KataGo` and `version` `1.N.M+tengen-...` by default, `tengen` with
`-override-config gtpIdentity=tengen`; 200 pipelined commands answered in order with the right ids
(and the Sabaki, Lizzie and LizzieYzy start-up bursts); CRLF, tabs and `#` comments on input;
komi and rules kept across `boardsize`/`clear_board`; `boardsize W H`; colours b/B/w/W/black/white,
`PASS`, lower-case vertices; several moves of one colour in a row; `printsgf` without blank lines;
`kata-get-rules` as one line of JSON with the keys GUIs read; `time_left b 30.5 0`;
`quit` answered and the process gone (exit code 0, stdout closed) within 2 s; only replies on
stdout, and no stderr line that Lizzie (which merges stderr into stdout) would take for protocol.

--generic skips what is specific to KataGo and tengen (identity, command list, kata-* commands,
two-argument boardsize), to try the script on another engine such as GNU Go.
Exit 0: pass, 1: fail.
"""

import argparse
import json
import random
import re
import sys
import time

import gtplib
from gtplib import GtpEngine, GtpError

REQUIRED_COMMANDS = """protocol_version name version known_command list_commands quit boardsize
rectangular_boardsize clear_board komi get_komi play undo showboard set_position fixed_handicap
place_free_handicap set_free_handicap loadsgf printsgf time_settings kgs-time_settings
kata-time_settings time_left kata-get-rules kata-set-rules kata-set-rule kgs-rules final_score
clear_cache stop is_legal""".split()
GENERIC_REQUIRED = "protocol_version name version known_command list_commands quit boardsize clear_board komi play".split()
HIDDEN_COMMANDS = ["analyze", "genmove_analyze"]
RULE_KEYS = ["suicide", "scoring", "ko", "tax", "whiteHandicapBonus", "hasButton"]
VERSION_RE = r"1\.\d+\.\d+\+tengen-"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", required=True, help="path of the engine under test (tengen)")
    p.add_argument("--engine-args", default="gtp", help="arguments for the engine (default: gtp)")
    p.add_argument("--seed", type=int, default=20240611)
    p.add_argument("--pipelined", "--games", dest="pipelined", type=int, default=200,
                   help="commands in the pipelining burst (default 200)")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds allowed for each reply (default 5)")
    p.add_argument("--generic", action="store_true", help="skip checks specific to KataGo and tengen")
    p.add_argument("--verbose", "-v", action="store_true")
    return p.parse_args()


class Framing:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.checker = gtplib.Checker("gtp_framing")
        self.engines = []
        self.known = set()

    # ---- helpers ---------------------------------------------------------------------------------

    def check(self, cond, case, message):
        return self.checker.check(cond, case, message)

    def start(self, extra_args=""):
        argv = gtplib.engine_argv(self.args.engine, (self.args.engine_args + " " + extra_args).strip())
        e = GtpEngine(argv, name="engine", timeout=self.args.timeout)
        self.engines.append(e)
        return e

    def reply(self, e, case, line, sent_id=None, want_ok=True, want_text=None):
        """Send line, check the reply's framing (and status and text if given); return the reply."""
        r = e.command(line)
        for p in gtplib.well_formed_problems(r, sent_id):
            self.check(False, case, "%r: %s (reply %r)" % (line, p, str(r)))
        self.check_raw_framing(case, line, r)
        if want_ok is not None:
            self.check(r.ok == want_ok, case, "%r answered %r, want %s" % (line, short(str(r)),
                                                                          "success" if want_ok else "an error"))
        if want_text is not None:
            good = re.fullmatch(want_text, r.text) is not None
            self.check(good, case, "%r answered %r, want text matching %r" % (line, short(str(r)), want_text))
        return r

    def check_raw_framing(self, case, line, r):
        raw = r.raw
        self.check(raw.endswith(b"\n\n") and not raw.endswith(b"\n\n\n") and b"\r" not in raw, case,
                   "%r: reply bytes %r should end with exactly one blank line and hold no CR" % (line, raw[-40:]))
        first = r.lines[0]
        m = re.match(r"^[=?]\d* (.*)", first)
        if m:
            self.check(not m.group(1).startswith(" ") or m.group(1).strip() == "", case,
                       "%r: more than one space after the status (%r); GoGui and Lizzie take the text after "
                       "exactly one" % (line, first))
        else:
            self.check(re.fullmatch(r"[=?]\d*", first) is not None, case, "%r: bad status line %r" % (line, first))

    # ---- the checks ------------------------------------------------------------------------------

    def basics(self, e):
        case = "basics"
        self.reply(e, case, "protocol_version", want_text="2")
        r = self.reply(e, "list_commands", "list_commands")
        lines = r.text.split("\n")
        self.known = set(l.strip() for l in lines)
        self.check(r.lines[0] == "= protocol_version", "list_commands",
                   "first line is %r, want exactly '= protocol_version' (LizzieYzy)" % r.lines[0])
        self.check(all(l == l.strip() and l for l in lines), "list_commands",
                   "every line must be one command name without spaces: %r" % [l for l in lines if l != l.strip() or not l])
        self.check(len(lines) == len(self.known), "list_commands", "duplicate entries")
        required = GENERIC_REQUIRED if self.args.generic else REQUIRED_COMMANDS
        missing = [c for c in required if c not in self.known]
        self.check(not missing, "list_commands", "missing %s" % " ".join(missing))
        if not self.args.generic:
            listed = [c for c in HIDDEN_COMMANDS if c in self.known]
            self.check(not listed, "list_commands", "%s must not be listed (Sabaki would pick them)" % listed)
        for c in sorted(self.known)[:200]:
            self.reply(e, "known_command", "known_command %s" % c, want_text="true")
        self.reply(e, "known_command", "known_command no_such_command", want_text="false")
        if not self.args.generic:
            for c in HIDDEN_COMMANDS:
                self.reply(e, "known_command", "known_command %s" % c, want_text="false")

    def identity(self, e):
        if self.args.generic:
            self.reply(e, "identity", "name", want_text=r".+")
            self.reply(e, "identity", "version", want_text=r".*")
            return
        self.reply(e, "identity", "name", want_text="KataGo")
        r = self.reply(e, "identity", "version")
        self.check(re.match(VERSION_RE, r.text) is not None, "identity",
                   "version %r should match %r (LizzieYzy parses 1.N with N > 10)" % (r.text, VERSION_RE))
        e2 = self.start("-override-config gtpIdentity=tengen")
        try:
            self.reply(e2, "gtpIdentity=tengen", "name", want_text="tengen")
            r = self.reply(e2, "gtpIdentity=tengen", "version", want_text=r"\d+\.\d+.*")
            self.check("KataGo" not in r.text and not re.match(VERSION_RE, r.text), "gtpIdentity=tengen",
                       "version %r should be tengen's own" % r.text)
        finally:
            self.finish(e2, "gtpIdentity=tengen")

    def ids(self, e):
        case = "ids"
        self.reply(e, case, "5 name", sent_id=5)
        self.reply(e, case, "6 no_such_command", sent_id=6, want_ok=False, want_text=r"unknown command.*")
        self.reply(e, case, "7 play b Z99", sent_id=7, want_ok=False)
        self.reply(e, case, "0 protocol_version", sent_id=0, want_text="2")
        self.reply(e, case, "8 clear_board", sent_id=8)
        r = self.reply(e, case, "9 showboard", sent_id=9)
        self.check(r.lines[0].startswith("=9 "), case, "multi-line reply must start '=9 text': %r" % r.lines[0])
        r = self.reply(e, case, "10 list_commands", sent_id=10)
        self.check(r.lines[0] == "=10 protocol_version", case, "first line %r" % r.lines[0])
        r = self.reply(e, case, "11 play b D4", sent_id=11)
        self.check(r.lines[0] in ("=11", "=11 "), case, "empty success reply should be '=11 ' or '=11': %r" % r.lines[0])
        self.reply(e, case, "12 play b D4", sent_id=12, want_ok=False, want_text="illegal move")
        self.reply(e, case, "2147483647 name", sent_id=2147483647)
        self.reply(e, case, "007 name", sent_id=7)

    def pipelining(self, e):
        case = "pipelining"
        self.reply(e, case, "boardsize 19")
        self.reply(e, case, "clear_board")
        # Moves only on points of one parity: no two stones touch, so every play is legal.
        free = [gtplib.vertex(x, y, 19) for y in range(19) for x in range(19) if (x + y) % 2 == 0]
        self.rng.shuffle(free)
        commands, expect = [], []
        color = "b"
        for i in range(self.args.pipelined):
            kind = self.rng.choice(["name", "protocol", "play", "play", "bad", "known", "komi", "board", "legal"])
            if kind == "name":
                commands.append("name"); expect.append((True, None))
            elif kind == "protocol":
                commands.append("protocol_version"); expect.append((True, "2"))
            elif kind == "play":
                commands.append("play %s %s" % (color, free.pop())); expect.append((True, ""))
                color = "w" if color == "b" else "b"
            elif kind == "bad":
                commands.append("no_such_command_%d" % i); expect.append((False, None))
            elif kind == "known":
                commands.append("known_command play"); expect.append((True, "true"))
            elif kind == "komi":
                commands.append("komi %s" % self.rng.choice(["6.5", "7.5", "0", "-3.5"])); expect.append((True, ""))
            elif kind == "board":
                commands.append("showboard"); expect.append((True, None))
            else:
                commands.append("is_legal b %s" % free[-1] if "is_legal" in self.known else "name")
                expect.append((True, "1" if "is_legal" in self.known else None))
        # Both answers are compared as regular expressions.
        # With ids (Lizzie, gogui-regress): everything written at once, then all replies read.
        ids = [self.rng.randint(1, 99999) for _ in commands]
        e.send_raw("".join("%d %s\n" % (i, c) for i, c in zip(ids, commands)))
        for n, (i, c, (ok, text)) in enumerate(zip(ids, commands, expect)):
            r = e.read_response(waiting_for="pipelined reply %d" % n)
            for p in gtplib.well_formed_problems(r, i):
                self.check(False, case, "reply %d to %r: %s" % (n, c, p))
            self.check(r.ok == ok and (text is None or re.fullmatch(text, r.text) is not None), case,
                       "reply %d to '%d %s' is %r" % (n, i, c, short(str(r))))
        # Without ids (Sabaki, LizzieYzy): replies are told apart only by their order.
        commands = [self.rng.choice(["known_command play", "known_command nope", "protocol_version"])
                    for _ in range(100)]
        e.send_raw("".join(c + "\n" for c in commands))
        want = {"known_command play": "true", "known_command nope": "false", "protocol_version": "2"}
        for n, c in enumerate(commands):
            r = e.read_response(waiting_for="pipelined reply %d" % n)
            self.check(r.ok and r.text == want[c] and r.id is None, case + " (no ids)",
                       "reply %d to %r is %r" % (n, c, str(r)))

    def gui_startups(self):
        """The start-up bursts of Sabaki, Lizzie and LizzieYzy, each on a fresh engine."""
        bursts = {
            "Sabaki": ["name", "version", "protocol_version", "list_commands", "komi 0", "boardsize 19",
                       "clear_board", "play B D4", "play W Q16", "play B pass", "undo", "undo"],
            "Lizzie": ["1 name", "2 version", "3 boardsize 19", "4 komi 7.5", "5 play B Q16", "6 undo",
                       "7 time_settings 0 2 1", "8 clear_board"],
            "LizzieYzy": ["name", "version", "list_commands", "komi 7.5", "boardsize 19",
                          "kata-get-rules", "play B D4", "stop", "clear_board"],
        }
        if not self.args.generic:
            bursts["Lizzie"].insert(3, "3 boardsize 19 19")
        for gui, lines in bursts.items():
            e = self.start()
            try:
                if self.args.generic:
                    lines = [l for l in lines if re.sub(r"^\d+ ", "", l).split()[0] in self.known]
                e.send_raw("".join(l + "\n" for l in lines))
                for n, l in enumerate(lines):
                    r = e.read_response(waiting_for="%s start-up reply %d" % (gui, n))
                    sent_id = int(l.split()[0]) if l.split()[0].isdigit() else None
                    for p in gtplib.well_formed_problems(r, sent_id):
                        self.check(False, gui, "%r: %s" % (l, p))
                    self.check(r.ok, gui, "%r answered %r" % (l, short(str(r))))
                    if l.endswith("list_commands"):
                        self.check(r.lines[0] == "= protocol_version", gui, "list_commands first line %r" % r.lines[0])
            finally:
                self.finish(e, gui)

    def input_cleaning(self, e):
        case = "input"
        self.reply(e, case, "boardsize 19")
        self.reply(e, case, "clear_board")
        e.send_raw("13 name\r\n")
        self.after(e, case, "CRLF", sent_id=13)
        e.send_raw("14\tname\t\n")
        self.after(e, case, "tabs", sent_id=14)
        e.send_raw("play\tb\tK10\r\n")
        self.after(e, case, "tabs and CRLF in play", ok=True)
        e.send_raw("# a comment line\n   # indented comment\n\n  \n\t\n")
        self.reply(e, case, "15 name", sent_id=15)      # no reply may have come for the lines above
        e.send_raw("16 name # trailing comment\n")
        self.after(e, case, "trailing comment", sent_id=16)
        e.send_raw("17 known_command play#comment\n")
        self.after(e, case, "comment glued to an argument", sent_id=17, text="true")
        e.send_raw("   18    protocol_version    \n")
        self.after(e, case, "surrounding spaces", sent_id=18, text="2")
        e.send_raw("19 komi 6.5\r\n")
        self.after(e, case, "CRLF after an argument", sent_id=19)

    def after(self, e, case, what, sent_id=None, ok=True, text=None):
        r = e.read_response(waiting_for=what)
        for p in gtplib.well_formed_problems(r, sent_id):
            self.check(False, case, "%s: %s" % (what, p))
        self.check(r.ok == ok and (text is None or r.text == text), case, "%s: reply %r" % (what, str(r)))
        return r

    def komi_and_rules_persist(self, e):
        case = "komi kept"
        self.reply(e, case, "komi 6.5")
        self.reply(e, case, "boardsize 9")
        if "get_komi" in self.known:
            self.reply(e, case, "get_komi", want_text="6.5")
            self.reply(e, case, "clear_board")
            self.reply(e, case, "get_komi", want_text="6.5")
            for k in ("0", "7", "-3.5", "7.5"):
                self.reply(e, case, "komi %s" % k)
                self.reply(e, case, "get_komi", want_text=k)
        if "kata-set-rules" in self.known and "kata-get-rules" in self.known:
            case = "rules kept"
            self.reply(e, case, "kata-set-rules japanese")
            before = json.loads(self.reply(e, case, "kata-get-rules").text)
            self.reply(e, case, "boardsize 13")
            self.reply(e, case, "clear_board")
            after = json.loads(self.reply(e, case, "kata-get-rules").text)
            self.check(before == after and after.get("scoring") == "TERRITORY", case,
                       "rules before %s, after boardsize/clear_board %s" % (before, after))
            self.reply(e, case, "kata-set-rules tromp-taylor")

    def sizes(self, e):
        case = "boardsize"
        if not self.args.generic:
            self.reply(e, case, "boardsize 19 13")
            r = self.reply(e, case, "showboard")
            try:
                gtplib.parse_katago_showboard(r.text, 19, 13)
            except ValueError as err:
                self.check(False, case, "after 'boardsize 19 13' showboard is not 19 wide and 13 high: %s" % err)
            self.reply(e, case, "play b T13")
            self.reply(e, case, "play w T14", want_ok=False)
            self.reply(e, case, "rectangular_boardsize 9 5")
            self.reply(e, case, "play b J5")
            self.reply(e, case, "play b J6", want_ok=False)
        self.reply(e, case, "boardsize 19")
        self.reply(e, case, "clear_board")

    def colours_and_vertices(self, e):
        case = "colours"
        self.reply(e, case, "boardsize 19")
        self.reply(e, case, "clear_board")
        moves = ["play b D4", "play B Q16", "play w D16", "play W Q4", "play black K10", "play white C3",
                 "play BLACK R17", "play White pass", "play W PASS", "play b Pass", "play B d5", "play w q17",
                 "play b A1", "play b T19", "play B a19", "play w t1"]
        for m in moves:
            self.reply(e, case, m)
        if "undo" in self.known:
            for _ in moves:
                self.reply(e, case, "undo")
            self.reply(e, case, "undo", want_ok=False)
        # Sabaki's set-up stones: the same colour several times in a row, in board-scan order.
        for v in ("A19", "B19", "C19", "A18"):
            self.reply(e, "same colour in a row", "play B %s" % v)

    def printsgf(self, e):
        if "printsgf" not in self.known:
            return
        case = "printsgf"
        self.reply(e, case, "boardsize 9")
        self.reply(e, case, "clear_board")
        self.reply(e, case, "komi 6.5")
        for m in ("play b E5", "play w C3", "play b G7", "play w pass"):
            self.reply(e, case, m)
        r = self.reply(e, case, "printsgf")
        text = r.text.strip()
        self.check(text.startswith("(;") and text.endswith(")"), case, "reply is not a whole SGF: %r" % short(text))
        for prop in ("SZ[9]", "[ee]", "[cg]", "[gc]", "KM[6.5]"):
            self.check(prop in text.replace("\n", ""), case, "SGF lacks %s: %r" % (prop, short(text, 300)))
        self.check("\n\n" not in r.raw.decode("latin-1")[:-2], case, "blank line inside the printsgf reply")

    def rules_json(self, e):
        if "kata-get-rules" not in self.known:
            return
        case = "kata-get-rules"
        for rules in ("tromp-taylor", "japanese", "chinese", "aga"):
            if "kata-set-rules" in self.known:
                self.reply(e, case, "kata-set-rules %s" % rules)
            r = self.reply(e, case, "kata-get-rules")
            self.check(len(r.lines) == 1 and r.lines[0].startswith("= {"), case,
                       "want one line '= {json}' (LizzieYzy reads substring(2)): %r" % str(r))
            try:
                obj = json.loads(r.lines[0][2:])
            except ValueError as err:
                self.check(False, case, "not JSON: %r (%s)" % (r.lines[0], err))
                continue
            missing = [k for k in RULE_KEYS if k not in obj]
            self.check(not missing, case, "keys missing: %s in %s" % (missing, r.lines[0]))
            self.check(isinstance(obj.get("suicide"), bool) and isinstance(obj.get("hasButton"), bool)
                       and isinstance(obj.get("whiteHandicapBonus"), str), case,
                       "suicide/hasButton must be booleans, whiteHandicapBonus a string: %s" % r.lines[0])
        self.reply(e, case, "kata-set-rules tromp-taylor")

    def time_controls(self, e):
        case = "time"
        for line in ("time_settings 0 1 0", "time_settings 0 5 1", "time_settings 300 30 5",
                     "time_left b 30.5 0", "time_left w 30 0", "time_left b 10.25 0"):
            if line.split()[0] in self.known:
                self.reply(e, case, line)
        if "kata-time_settings" in self.known:
            for line in ("kata-time_settings none", "kata-time_settings fischer 300 10",
                         "kata-time_settings absolute 600", "kata-time_settings byoyomi 60 30 5"):
                self.reply(e, case, line)
        if "kgs-time_settings" in self.known:
            self.reply(e, case, "kgs-time_settings byoyomi 60 30 5")
            self.reply(e, case, "kgs-time_settings none")

    def stop_and_misc(self, e):
        for line in ("stop", "clear_cache"):
            if line in self.known:
                self.reply(e, "misc", line)
        r = e.command("12")                                     # an id and nothing else
        self.check(r.error and not r.problems, "misc", "a bare id should be an error: %r" % str(r))

    def stderr_hygiene(self, e):
        """Lizzie merges stderr into stdout: no stderr line may look like protocol."""
        if self.args.generic:
            return
        for line in list(e.stderr_tail):
            bad = (line.startswith(("=", "?", "info", "play", "Tuning")) or " -> " in line)
            self.check(not bad, "stderr", "stderr line %r would be parsed as protocol by Lizzie" % line)

    def finish(self, e, case):
        """quit must be answered, then stdout closed and the process gone with exit code 0 within 2 s."""
        t = time.monotonic()
        try:
            r = e.command("99 quit")
        except GtpError as err:
            self.check(False, case, "quit: %s" % err)
            e.close()
            return
        self.check(r.ok and r.id == "99" and not r.problems, case, "quit answered %r" % str(r))
        closed = e.stdout_closed.wait(2.0)
        rc = e.wait_exit(max(0.1, 2.0 - (time.monotonic() - t)))
        self.check(closed, case, "stdout still open 2 s after quit (Lizzie complains)")
        self.check(rc == 0, case, "exit code after quit: %s (want 0 within 2 s)" % rc)
        stray = e.collect_stray(0.05) + [line for _, line in e.stray]
        self.check(not stray, case, "output outside replies: %r" % stray[:5])
        self.stderr_hygiene(e)
        e.close()

    def run(self):
        e = self.start()
        steps = [self.basics, self.identity, self.ids, self.pipelining, self.input_cleaning,
                 self.komi_and_rules_persist, self.sizes, self.colours_and_vertices, self.printsgf,
                 self.rules_json, self.time_controls, self.stop_and_misc]
        for step in steps:
            t = time.monotonic()
            n = len(self.checker.failures)
            try:
                step(e)
            except GtpError as err:
                # A hung or dead engine: record it and go on with a fresh one.
                self.check(False, step.__name__, "engine failed: %s%s" % (err, e.stderr_hint()))
                e.close(timeout=1.0)
                e = self.start()
            if self.args.verbose:
                print("%s: %d new failures, %.2f s" % (step.__name__, len(self.checker.failures) - n,
                                                       time.monotonic() - t), file=sys.stderr)
        self.finish(e, "quit")
        try:
            self.gui_startups()
        except GtpError as err:
            self.check(False, "gui start-ups", "engine failed: %s" % err)
        # quit written together with more input: the engine must still answer and exit.
        e = self.start()
        e.send_raw("name\nquit\nname\n")
        try:
            e.read_response(waiting_for="name before quit")
            r = e.read_response(waiting_for="quit")
            self.check(r.ok, "quit in a burst", "quit answered %r" % str(r))
            self.check(e.wait_exit(2.0) == 0, "quit in a burst", "engine did not exit with 0 within 2 s")
        except GtpError as err:
            self.check(False, "quit in a burst", str(err))
        e.close()
        # End of input without quit: the engine must exit by itself.
        e = self.start()
        e.close_stdin()
        self.check(e.wait_exit(2.0) is not None, "end of input", "engine still running 2 s after stdin closed")
        e.close()


def short(s, limit=160):
    s = s.replace("\n", "\\n")
    return s if len(s) <= limit else s[:limit] + "...(%d chars)" % len(s)


def main():
    args = parse_args()
    started = time.monotonic()
    f = Framing(args)
    try:
        f.run()
    except GtpError as e:
        f.check(False, "protocol", str(e))
    finally:
        for e in f.engines:
            e.close(timeout=1.0)
    f.checker.report_rest()
    failed = bool(f.checker.failures)
    print("gtp_framing: %s: seed %d, %d checks, %d failed, %.1f s" % (
        "FAIL" if failed else "PASS", args.seed, f.checker.checks, len(f.checker.failures),
        time.monotonic() - started), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
