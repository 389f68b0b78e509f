#!/usr/bin/env python3
"""The GTP search commands as a script test (shared/docs/clients.md sections 0, 2, 4 and 6).

Checks, on 9x9 with a small network (maxVisits=40, numSearchThreads=1, searchRandSeed=7):
 1. kata-analyze: header `=` / `=<id>` on its own line, then info lines in KataGo's key order
    (move visits edgeVisits utility winrate scoreMean scoreStdev scoreLead scoreSelfplay prior lcb
    utilityLcb weight order pv), one value per key, numbers that parse, winrate in [0,1], integer
    visits, scoreMean == scoreLead, order 0..n-1, legal-looking PV vertices, every move with visits;
    `rootInfo true` appends ` rootInfo visits .. utility .. winrate .. scoreMean .. scoreStdev ..
    scoreLead .. scoreSelfplay ..` (then KataGo's weight/raw* keys, optional); `maxmoves 2` caps the
    segments; `minmoves 30` fills up with unvisited moves (visits 0) as KataGo's getAnalysisData does;
    `ownership false pvVisits false` are accepted; the stream stays open (no blank line) until the
    next input line.
 2. Stopping by `protocol_version` (Sabaki), `name` (Lizzie), `stop` (LizzieYzy), an empty line and a
    `# comment` line: exactly one blank line ends the stream, no info line after it, then the stopping
    command's own reply (none for the empty/comment line); ids: `5 kata-analyze` -> `=5`, `6 name` ->
    `=6 KataGo`.
 3. lz-analyze: `info move X visits N winrate W prior P lcb L order K pv ...` with integer W/P/L,
    W and P in 0..10000; kata-only keys (rootInfo, ownership) refused with `?`.
 4. analyze (hidden, Sabaki's): every float contains '.'; not in list_commands (known_command says
    false, as in KataGo), kata-analyze is; kata-only keys (ownership, rootInfo) refused with `?`.
 5. `kata-analyze B 10\\nname\\nversion\\n` in one write: the analysis stops at once and the replies to
    name and version follow in order; kata-genmove_analyze with input already waiting is not
    interrupted (it searches to its limit, then the waiting commands run in order).
 6. genmove b plays a black stone where it says; reg_genmove leaves the board alone;
    kata-genmove_analyze / lz-genmove_analyze: header, info lines, `play <vertex>`, blank line, and
    the move is on the board.
 7. Determinism: two fresh engines with the same seed and one search thread give the same 3 genmoves.
 8. Errors: genmove with a bad colour or no argument -> `?`; kata-analyze with an unknown key -> `?`
    and the engine keeps working; without -model, genmove and kata-analyze -> `?` naming the network;
    `-override-version 1.99.0` is what `version` answers (LizzieYzy checks it).
 9. Ownership and PV blocks (KataGo's order): each move segment is `... pv V.. pvVisits N.. pvEdgeVisits
    N.. movesOwnership F.. movesOwnershipStdev F..`, then ` rootInfo ..`, ` ownership F..`,
    ` ownershipStdev F..` end the line; pvVisits has one integer per PV move, the first the move's
    visits, never increasing, pvEdgeVisits the same; every ownership block exactly 81 floats, in [-1,1]
    (stdev in [0,1]); `noResultValue true` adds a probability after scoreSelfplay.
10. avoid / allow (`avoid COLOUR v1,v2 DEPTH`): avoided moves never appear as analysis moves (kata- and
    lz-analyze), with allow only the allowed ones do, kata-genmove_analyze with allow plays an allowed
    move; a bad vertex, or allow after avoid for the same colour -> `?`.
11. final_status_list (listed in list_commands): on a 9x9 board split by two walls with a lone white
    stone in Black's area, `dead` lists it, `alive` does not, `seki` is empty; a bad argument -> `?`;
    final_score answers W+/B+/0.

12. Passing at the end of the game, on a settled 9x9 board (Black's two-eyed group on the left, White's on
    the right), Black to move after White's pass, every non-pass move but the test's taken away by
    `avoid`: with a dead white stone inside Black's pass-alive area, Tromp-Taylor rules, and pass the only
    move left, genmove captures it instead (KataGo's cleanupBeforePass); under Japanese rules it passes.
    With nothing left to gain and only moves inside Black's own eye left, Chinese rules (friendlyPassOk)
    answer the pass with a pass (friendlyPass), Tromp-Taylor plays the move. A config setting both
    friendlyPass and cleanupBeforePass true is refused at startup with a message naming both.
13. Clocks: with no visit limit, a genmove under each of `time_settings 0 2 1` (byo-yomi),
    `kgs-time_settings canadian 0 4 2`, `kata-time_settings fischer 3 1` and `time_settings 30 0 0` with
    `time_left b 2 0` answers with a legal move within 15 s (the clock, not a visit limit, ends the search);
    `kata-list_time_settings` names the six kinds; a bad clock is refused with `?`.
14. Pondering (ponderingEnabled=true): after `genmove b` the engine searches White's reply in the background:
    an analysis started 1.5 s later already reports more root visits than a genmove's limit (the ponder
    tree is reused), the next command is answered at once, and play goes on normally.

Exit 0: pass, 1: fail, 77: skipped (no network).
"""

import argparse
import glob
import os
import re
import sys
import time

import gtplib
from gtplib import GtpEngine, GtpError

SIZE = 9
KATA_KEYS = ["move", "visits", "edgeVisits", "utility", "winrate", "scoreMean", "scoreStdev", "scoreLead",
             "scoreSelfplay", "prior", "lcb", "utilityLcb", "weight", "order"]
KATA_FLOAT_KEYS = ["utility", "winrate", "scoreMean", "scoreStdev", "scoreLead", "scoreSelfplay", "prior",
                   "lcb", "utilityLcb", "weight"]
LZ_KEYS = ["move", "visits", "winrate", "prior", "lcb", "order"]
ROOT_KEYS = ["visits", "utility", "winrate", "scoreMean", "scoreStdev", "scoreLead", "scoreSelfplay"]
# KataGo adds these after scoreSelfplay (weight always, the raw* ones when the root has a NN output).
ROOT_OPTIONAL_KEYS = ["weight", "rawStWrError", "rawStScoreError", "rawVarTimeLeft"]
VERTEX_RE = re.compile(r"^(?:pass|[A-HJ-T](?:[1-9]|1[0-9]))$", re.I)
INT_RE = re.compile(r"^-?\d+$")
OPENING = ["play B E5", "play W C3", "play B G6", "play W D6"]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", required=True, help="path of tengen")
    p.add_argument("--model", help="network file (default: $TENGEN_SHARED_DIR/models/g170-*.bin.gz)")
    p.add_argument("--config", default="maxVisits=40,numSearchThreads=1,searchRandSeed=7",
                   help="-override-config value")
    p.add_argument("--timeout", type=float, default=20.0, help="seconds allowed for each reply (default 20)")
    p.add_argument("--verbose", "-v", action="store_true")
    return p.parse_args()


def find_model(explicit):
    if explicit:
        return explicit if os.path.isfile(explicit) else None
    shared = os.environ.get("TENGEN_SHARED_DIR")
    dirs = [shared] if shared else []
    dirs.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "shared"))
    for d in dirs:
        found = sorted(glob.glob(os.path.join(d, "models", "g170-*.bin.gz")))
        if found:
            return found[0]
    return None


def short(s, limit=300):
    return gtplib._shorten(s, limit)


def vertex_ok(v):
    m = VERTEX_RE.match(v)
    if not m:
        return False
    if v.lower() == "pass":
        return True
    return int(v[1:]) <= SIZE and "ABCDEFGHJ".find(v[0].upper()) >= 0


def num(s):
    """float(s), or None when s is not a number (nan/inf count as not a number)."""
    try:
        f = float(s)
    except ValueError:
        return None
    if f != f or f in (float("inf"), float("-inf")):
        return None
    return f


class Search:
    def __init__(self, args, model):
        self.args = args
        self.model = model
        self.checker = gtplib.Checker("gtp_search")
        self.engines = []

    def check(self, cond, case, message):
        return self.checker.check(cond, case, message)

    def start(self, with_model=True):
        a = "gtp"
        if with_model:
            a += " -model '%s'" % self.model
        a += " -override-config " + self.args.config
        for attempt in range(30):
            try:
                e = GtpEngine(gtplib.engine_argv(self.args.engine, a), name="engine", timeout=self.args.timeout)
                break
            except OSError as ex:        # the binary being rebuilt at this moment (EACCES, ETXTBSY, ENOENT)
                if attempt == 29:
                    raise
                print("gtp_search: cannot start %s (%s), retrying" % (self.args.engine, ex), file=sys.stderr)
                time.sleep(1.0)
        self.engines.append(e)
        return e

    # ---- raw line reading (streams do not fit GtpEngine.read_response) ----------------------------

    def line(self, e, what, timeout=None):
        deadline = time.monotonic() + (self.args.timeout if timeout is None else timeout)
        raw = e._next_line(deadline, what)
        text = raw.decode("latin-1")
        if not text.endswith("\n"):
            raise GtpError("partial line at EOF: %r" % text)
        text = text[:-1]
        e.transcript.append("< " + short(text, 160))
        return text

    def pending_lines(self, e, wait):
        """Lines that arrive within `wait` seconds (without blocking longer)."""
        out = []
        deadline = time.monotonic() + wait
        while True:
            try:
                raw = e._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except Exception:
                break
            if raw is None:
                e._lines.put(None)
                break
            out.append(raw.decode("latin-1").rstrip("\n"))
            if time.monotonic() >= deadline:
                break
        return out

    def start_stream(self, e, case, command, want_header="=", want_infos=2, info_timeout=None):
        """Send a streaming analyze command; check the header; wait for want_infos info lines (no blank
        line meanwhile). Returns the info lines read so far, or None if the header was an error."""
        e.send(command)
        h = self.line(e, "the header of %r" % command)
        if not self.check(h == want_header, case, "%r: header %r, want exactly %r" % (command, h, want_header)):
            if h.startswith("?"):
                self.line(e, "the end of the error reply")
                return None
        infos = []
        t_end = time.monotonic() + (info_timeout or self.args.timeout)
        while len(infos) < want_infos:
            left = t_end - time.monotonic()
            if left <= 0:
                self.check(False, case, "%r: only %d info lines within %.0f s" % (command, len(infos), info_timeout or self.args.timeout))
                break
            try:
                l = self.line(e, "info lines of %r" % command, timeout=left)
            except gtplib.GtpTimeout:
                self.check(False, case, "%r: only %d info lines within the time limit" % (command, len(infos)))
                break
            if not self.check(l != "", case, "%r: blank line (end of stream) before any input, after %d info lines"
                              % (command, len(infos))):
                return infos
            self.check(l.startswith("info "), case, "%r: stream line does not start with 'info ': %r" % (command, short(l)))
            infos.append(l)
        return infos

    def stop_stream(self, e, case, command, stopper, want_reply=None, reply_id=None):
        """Send the stopping line and read the rest of the stream up to its blank line; then check that
        the next line is the stopper's own reply (or, for empty/comment lines, the reply to a `name`
        sent afterwards). Returns (info lines after the stop, seconds until the blank line)."""
        t0 = time.monotonic()
        e.send(stopper)
        infos = []
        while True:
            l = self.line(e, "the end of %r after %r" % (command, stopper))
            if l == "":
                break
            self.check(l.startswith("info "), case, "%r stopped by %r: line not starting with 'info ': %r"
                       % (command, stopper, short(l)))
            infos.append(l)
        dt = time.monotonic() - t0
        if want_reply is None:                 # empty or comment line: no reply of its own
            e.send("name")
            want_reply = "= KataGo"
        r = e.read_response(waiting_for="the reply after stopping %r with %r" % (command, stopper))
        self.check(not r.problems and r.lines[0].rstrip() == want_reply and len(r.lines) == 1, case,
                   "%r stopped by %r: the next reply is %r, want %r right after the one blank line%s"
                   % (command, stopper, str(r), want_reply, (" (problems: %s)" % r.problems) if r.problems else ""))
        return infos, dt

    # ---- line parsers -----------------------------------------------------------------------------

    def check_kata_line(self, case, command, line, max_moves=None, root_info=False, sabaki=False, min_moves=0):
        """Parse one kata-analyze info line as Lizzie/Sabaki would; returns the segments as dicts."""
        where = "%r line %r" % (command, short(line, 240))
        if not self.check(line.startswith("info "), case, where + ": does not start with 'info '"):
            return []
        body = line[len("info "):]
        root = None
        if " rootInfo " in body or body.endswith(" rootInfo"):
            body, root = body.split(" rootInfo", 1)
            root = root.strip()
        self.check((root is not None) == root_info, case, where + ": rootInfo block %s" %
                   ("missing" if root_info else "present but not asked for"))
        segs = body.split(" info ")
        if max_moves is not None:
            self.check(len(segs) <= max_moves, case, where + ": %d segments, maxmoves is %d" % (len(segs), max_moves))
        out = []
        for i, seg in enumerate(segs):
            toks = seg.split(" ")
            if not self.check("pv" in toks, case, where + ": segment %d has no pv: %r" % (i, seg)):
                continue
            p = toks.index("pv")
            kv = toks[:p]
            pv = toks[p + 1:]
            keys = kv[0::2]
            vals = kv[1::2]
            if not self.check(keys == KATA_KEYS and len(vals) == len(keys), case,
                              where + ": segment %d keys %s, want %s with one value each" % (i, keys, KATA_KEYS)):
                continue
            d = dict(zip(keys, vals))
            self.check(vertex_ok(d["move"]), case, where + ": segment %d move %r" % (i, d["move"]))
            self.check(INT_RE.match(d["visits"]) and (int(d["visits"]) > 0 or i < min_moves), case,
                       where + ": segment %d visits %r not a positive integer (only minmoves shows unvisited moves)"
                       % (i, d["visits"]))
            self.check(INT_RE.match(d["edgeVisits"]), case, where + ": segment %d edgeVisits %r" % (i, d["edgeVisits"]))
            self.check(INT_RE.match(d["order"]) and int(d["order"]) == i, case,
                       where + ": segment %d has order %r, want %d" % (i, d["order"], i))
            for k in KATA_FLOAT_KEYS:
                if not self.check(num(d[k]) is not None, case, where + ": segment %d %s %r is not a number" % (i, k, d[k])):
                    continue
                if sabaki:
                    self.check("." in d[k], case, where + ": segment %d %s %r has no '.' (analyze uses %%#g)" % (i, k, d[k]))
            w = num(d["winrate"])
            self.check(w is not None and 0.0 <= w <= 1.0, case, where + ": segment %d winrate %r not in [0,1]" % (i, d["winrate"]))
            pr = num(d["prior"])
            self.check(pr is not None and 0.0 <= pr <= 1.0, case, where + ": segment %d prior %r not in [0,1]" % (i, d["prior"]))
            self.check(d["scoreMean"] == d["scoreLead"], case,
                       where + ": segment %d scoreMean %r != scoreLead %r" % (i, d["scoreMean"], d["scoreLead"]))
            self.check(len(pv) >= 1 and all(vertex_ok(v) for v in pv), case,
                       where + ": segment %d pv %r not a run of vertices" % (i, pv))
            self.check(len(pv) >= 1 and pv[0] == d["move"], case,
                       where + ": segment %d pv does not start with the move %r" % (i, d["move"]))
            out.append(d)
        moves = [d["move"] for d in out]
        self.check(len(set(moves)) == len(moves), case, where + ": a move appears twice: %s" % moves)
        if root is not None:
            toks = root.split(" ")
            keys, vals = toks[0::2], toks[1::2]
            n = len(ROOT_KEYS)
            ok = (keys[:n] == ROOT_KEYS and len(vals) == len(keys) and
                  keys[n:] == ROOT_OPTIONAL_KEYS[:len(keys) - n])
            if self.check(ok, case, where + ": rootInfo keys %s, want %s [+ %s] with one value each"
                          % (keys, ROOT_KEYS, ROOT_OPTIONAL_KEYS)):
                d = dict(zip(keys, vals))
                self.check(INT_RE.match(d["visits"]) and int(d["visits"]) >= sum(int(s["visits"]) for s in out),
                           case, where + ": rootInfo visits %r not an integer >= the moves' visits" % d["visits"])
                for k in keys[1:]:
                    self.check(num(d[k]) is not None, case, where + ": rootInfo %s %r is not a number" % (k, d[k]))
                w = num(d["winrate"])
                self.check(w is not None and 0 <= w <= 1, case, where + ": rootInfo winrate %r" % d["winrate"])
                self.check(d["scoreMean"] == d["scoreLead"], case, where + ": rootInfo scoreMean != scoreLead")
        return out

    def check_lz_line(self, case, command, line):
        where = "%r line %r" % (command, short(line, 240))
        if not self.check(line.startswith("info "), case, where + ": does not start with 'info '"):
            return []
        out = []
        for i, seg in enumerate(line[len("info "):].split(" info ")):
            toks = seg.split(" ")
            if not self.check("pv" in toks, case, where + ": segment %d has no pv" % i):
                continue
            p = toks.index("pv")
            keys, vals, pv = toks[:p][0::2], toks[:p][1::2], toks[p + 1:]
            if not self.check(keys == LZ_KEYS and len(vals) == len(keys), case,
                              where + ": segment %d keys %s, want %s" % (i, keys, LZ_KEYS)):
                continue
            d = dict(zip(keys, vals))
            self.check(vertex_ok(d["move"]), case, where + ": segment %d move %r" % (i, d["move"]))
            for k in ("visits", "winrate", "prior", "lcb", "order"):
                self.check(INT_RE.match(d[k]), case, where + ": segment %d %s %r is not an integer" % (i, k, d[k]))
            if all(INT_RE.match(d[k]) for k in ("visits", "winrate", "prior", "order")):
                self.check(int(d["visits"]) > 0, case, where + ": segment %d has 0 visits" % i)
                self.check(0 <= int(d["winrate"]) <= 10000, case, where + ": segment %d winrate %s" % (i, d["winrate"]))
                self.check(0 <= int(d["prior"]) <= 10000, case, where + ": segment %d prior %s" % (i, d["prior"]))
                self.check(int(d["order"]) == i, case, where + ": segment %d order %s" % (i, d["order"]))
            self.check(len(pv) >= 1 and all(vertex_ok(v) for v in pv) and pv[0] == d["move"], case,
                       where + ": segment %d pv %r" % (i, pv))
            out.append(d)
        return out

    def board(self, e, case):
        r = e.command("showboard")
        try:
            stones, _ = gtplib.parse_katago_showboard(r.text, SIZE, SIZE)
        except ValueError as ex:
            self.check(False, case, "showboard unparsable (%s): %r" % (ex, short(str(r), 600)))
            return None
        return stones

    def setup(self, e):
        for c in ["boardsize 9", "clear_board", "komi 7"] + OPENING:
            e.ok(c)

    # ---- the checks -------------------------------------------------------------------------------

    def check_kata_analyze(self, e):
        case = "kata-analyze"
        cmd = "kata-analyze B 20"
        # The first search also pays for the network's start-up: allow the full timeout.
        infos = self.start_stream(e, case, cmd, want_infos=3)
        for l in infos:
            self.check_kata_line(case, cmd, l)
        # Still open: nothing more than info lines for a while, and certainly no blank line.
        extra = self.pending_lines(e, 0.3)
        self.check("" not in extra, case, "%r: a blank line arrived before any input: %r" % (cmd, extra))
        self.stop_stream(e, case, cmd, "name", "= KataGo")

        case = "kata-analyze rootInfo"
        cmd = "kata-analyze B 20 rootInfo true"
        for l in self.start_stream(e, case, cmd, want_infos=2) or []:
            self.check_kata_line(case, cmd, l, root_info=True)
        self.stop_stream(e, case, cmd, "protocol_version", "= 2")

        case = "kata-analyze maxmoves"
        cmd = "kata-analyze 20 maxmoves 2"
        infos = self.start_stream(e, case, cmd, want_infos=3) or []
        for l in infos:
            self.check_kata_line(case, cmd, l, max_moves=2)
        self.stop_stream(e, case, cmd, "stop", "=")

        # minmoves: KataGo's getAnalysisData fills up to minmoves with unvisited moves in policy order
        # (visits 0), so every line has at least that many segments even at the first report.
        case = "kata-analyze minmoves"
        cmd = "kata-analyze B interval 5 minmoves 30"
        for l in self.start_stream(e, case, cmd, want_infos=2) or []:
            segs = self.check_kata_line(case, cmd, l, min_moves=30)
            self.check(len(segs) >= 30, case, "%r: a line has %d segments, want >= 30 (zero-visit moves by policy"
                       " fill up to minmoves): %r" % (cmd, len(segs), short(l, 200)))
        self.stop_stream(e, case, cmd, "protocol_version", "= 2")

        case = "kata-analyze white"
        cmd = "kata-analyze W 20 ownership false pvVisits false"   # options asked off: accepted, nothing added
        for l in self.start_stream(e, case, cmd, want_infos=1) or []:
            self.check_kata_line(case, cmd, l)
        self.stop_stream(e, case, cmd, "name", "= KataGo")

    def check_stoppers(self, e):
        case = "stopping"
        for stopper, want in [("protocol_version", "= 2"), ("name", "= KataGo"), ("stop", "="),
                              ("", None), ("# a comment", None), ("   ", None)]:
            cmd = "kata-analyze B 10"
            infos = self.start_stream(e, case, cmd, want_infos=1)
            if infos is None:
                continue
            after, dt = self.stop_stream(e, case + " " + repr(stopper), cmd, stopper, want)
            self.check(dt < 3.0, case, "%r took %.1f s to stop after %r" % (cmd, dt, stopper))
        case = "stopping with ids"
        cmd = "5 kata-analyze B 20"
        infos = self.start_stream(e, case, cmd, want_header="=5", want_infos=1)
        for l in infos or []:
            self.check_kata_line(case, cmd, l)
        self.stop_stream(e, case, cmd, "6 name", "=6 KataGo")
        cmd = "7 lz-analyze 10"
        self.start_stream(e, case, cmd, want_header="=7", want_infos=1)
        self.stop_stream(e, case, cmd, "8 stop", "=8")

    def check_lz_analyze(self, e):
        case = "lz-analyze"
        cmd = "lz-analyze 20"
        infos = self.start_stream(e, case, cmd, want_infos=2) or []
        for l in infos:
            self.check_lz_line(case, cmd, l)
        self.stop_stream(e, case, cmd, "name", "= KataGo")
        cmd = "lz-analyze B 20 maxmoves 1"
        for l in self.start_stream(e, case, cmd, want_infos=2) or []:
            segs = self.check_lz_line(case, cmd, l)
            self.check(len(segs) <= 1, case, "%r: %d segments" % (cmd, len(segs)))
        self.stop_stream(e, case, cmd, "protocol_version", "= 2")
        for bad in ["lz-analyze B 20 rootInfo true", "lz-analyze B 20 ownership true"]:
            r = e.command(bad)
            self.check(r.error and not r.problems, case, "%r answered %r, want '?' (kata-only key)" % (bad, str(r)))
        self.check(e.ok("name") == "KataGo", case, "engine not working after refused lz-analyze")

    def check_sabaki_analyze(self, e):
        case = "analyze"
        cmd = "analyze B 20"
        for l in self.start_stream(e, case, cmd, want_infos=2) or []:
            self.check_kata_line(case, cmd, l, sabaki=True)
        self.stop_stream(e, case, cmd, "protocol_version", "= 2")
        cmds = e.ok("list_commands").split("\n")
        self.check("analyze" not in cmds and "genmove_analyze" not in cmds, case,
                   "list_commands shows the hidden analyze/genmove_analyze")
        for c in ["kata-analyze", "lz-analyze", "kata-genmove_analyze", "lz-genmove_analyze", "genmove", "reg_genmove"]:
            self.check(c in cmds, case, "list_commands lacks %s" % c)
        # KataGo's known_command looks in the same list, so the hidden commands are "false" there too.
        for c, want in [("analyze", "false"), ("genmove_analyze", "false"), ("kata-analyze", "true")]:
            r = e.command("known_command " + c)
            self.check(r.ok and r.text == want, case, "known_command %s answered %r, want '= %s'" % (c, str(r), want))
        # As KataGo, the kata-only keys belong to kata- commands: Sabaki's analyze refuses them.
        for bad in ["analyze B 20 ownership true", "analyze B 20 rootInfo true"]:
            r = e.command(bad)
            self.check(r.error and not r.problems, case, "%r answered %r, want '?'" % (bad, str(r)))

    def check_pipelined(self, e):
        case = "pipelined stop"
        t0 = time.monotonic()
        e.send_raw("kata-analyze B 10\nname\nversion\n")
        h = self.line(e, "the header of the pipelined kata-analyze")
        self.check(h == "=", case, "header %r, want '='" % h)
        n = 0
        while True:
            l = self.line(e, "the end of the pipelined kata-analyze")
            if l == "":
                break
            n += 1
            self.check(l.startswith("info "), case, "unexpected line in the stream: %r" % short(l))
        dt = time.monotonic() - t0
        self.check(dt < 3.0, case, "analysis with input already waiting took %.1f s to stop" % dt)
        r1 = e.read_response(waiting_for="name after the pipelined kata-analyze")
        r2 = e.read_response(waiting_for="version after the pipelined kata-analyze")
        self.check(str(r1) == "= KataGo" and not r1.problems, case, "reply to name: %r (problems %s)" % (str(r1), r1.problems))
        self.check(r2.ok and re.match(r"1\.\d+\.\d+", r2.text) and not r2.problems, case,
                   "reply to version: %r (problems %s)" % (str(r2), r2.problems))
        # Also from a genmove_analyze: the next commands queue behind it and run in order.
        # A fresh position (B A1 was never searched), so the search takes a while with input waiting.
        e.send_raw("play B A1\nkata-genmove_analyze W 5\nundo\nundo\nname\n")
        r0 = e.read_response()
        self.check(r0.ok, case, "play B A1 answered %r" % str(r0))
        h = self.line(e, "kata-genmove_analyze header")
        self.check(h == "=", case, "kata-genmove_analyze header %r" % h)
        lines = []
        while True:
            l = self.line(e, "kata-genmove_analyze lines")
            if l == "":
                break
            lines.append(l)
        self.check(lines and lines[-1].startswith("play "), case,
                   "kata-genmove_analyze with input waiting: last line %r, want 'play X' (not interrupted)"
                   % (lines[-1] if lines else None))
        self.check(len(lines) >= 2, case, "kata-genmove_analyze W 5 with input waiting: %d info lines, want >= 1"
                   " (it must search to its normal limit, 40 visits)" % (len(lines) - 1))
        for l in lines[:-1]:
            self.check_kata_line(case, "kata-genmove_analyze W 5", l)
        r1 = e.read_response()
        r1b = e.read_response()
        r2 = e.read_response()
        self.check(str(r1) in ("= ", "=") and str(r1b) in ("= ", "="), case,
                   "undo, undo after kata-genmove_analyze answered %r, %r" % (str(r1), str(r1b)))
        self.check(str(r2) == "= KataGo", case, "name after kata-genmove_analyze/undo answered %r" % str(r2))

    def check_genmove(self, e):
        case = "genmove"
        before = self.board(e, case) or {}
        r = e.command("genmove b")
        mv = r.text
        if self.check(r.ok and not r.problems and vertex_ok(mv), case, "genmove b answered %r" % str(r)):
            after = self.board(e, case) or {}
            if mv.lower() != "pass":
                xy = gtplib.parse_vertex(mv, SIZE)
                self.check(xy not in before and after.get(xy) == "X", case,
                           "genmove b answered %s but showboard has %r there" % (mv, after.get(xy)))
                diff = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
                self.check(diff == {xy}, case, "genmove b %s changed points %s (want just that one; no captures"
                           " expected in this opening)" % (mv, sorted(diff)))
            else:
                self.check(after == before, case, "genmove b passed but the board changed")
        # reg_genmove: a move, but nothing played.
        before = self.board(e, case) or {}
        r = e.command("reg_genmove w")
        self.check(r.ok and not r.problems and vertex_ok(r.text), case, "reg_genmove w answered %r" % str(r))
        after = self.board(e, case) or {}
        self.check(after == before, case, "reg_genmove w changed the board")
        # Upper-case and long colour names.
        r = e.command("reg_genmove BLACK")
        self.check(r.ok and vertex_ok(r.text), case, "reg_genmove BLACK answered %r" % str(r))

        for style, cmd, color in [("kata", "kata-genmove_analyze W 1", "O"), ("lz", "lz-genmove_analyze B 1", "X"),
                                  ("sabaki", "genmove_analyze W 1", "O")]:
            case = cmd.split()[0]
            before = self.board(e, case) or {}
            # The cache holds reg_genmove's evaluations of this very position; without clearing it the
            # 40 visits could end before the first 1 cs report is due.
            e.ok("clear_cache")
            e.send(cmd)
            h = self.line(e, "the header of %r" % cmd)
            self.check(h == "=", case, "%r: header %r, want '='" % (cmd, h))
            lines = []
            while True:
                l = self.line(e, "the lines of %r" % cmd)
                if l == "":
                    break
                lines.append(l)
            if not self.check(lines and re.fullmatch(r"play (\S+)", lines[-1]), case,
                              "%r: last line %r, want 'play <vertex>'" % (cmd, lines[-1] if lines else None)):
                continue
            mv = lines[-1].split()[1]
            self.check(vertex_ok(mv), case, "%r: play %r not a vertex" % (cmd, mv))
            infos = lines[:-1]
            self.check(len(infos) >= 1, case, "%r: no info lines before 'play' (interval 1 cs, 40 visits)" % cmd)
            for l in infos:
                if style == "lz":
                    self.check_lz_line(case, cmd, l)
                else:
                    self.check_kata_line(case, cmd, l, sabaki=(style == "sabaki"))
            extra = self.pending_lines(e, 0.05)
            self.check(not extra, case, "%r: output after the blank line: %r" % (cmd, extra))
            after = self.board(e, case) or {}
            if vertex_ok(mv) and mv.lower() != "pass":
                xy = gtplib.parse_vertex(mv, SIZE)
                self.check(after.get(xy) == color and xy not in before, case,
                           "%r played %s but showboard has %r there" % (cmd, mv, after.get(xy)))

        case = "genmove with id"
        r = e.command("12 genmove w")
        self.check(r.ok and r.id == "12" and vertex_ok(r.text), case, "'12 genmove w' answered %r" % str(r))
        e.send("13 kata-genmove_analyze b 1000")
        h = self.line(e, "the header of '13 kata-genmove_analyze b 1000'")
        self.check(h == "=13", case, "'13 kata-genmove_analyze b 1000': header %r, want '=13'" % h)
        while self.line(e, "the end of '13 kata-genmove_analyze'") != "":
            pass

    def check_errors(self, e):
        case = "errors"
        for bad in ["genmove x", "genmove", "genmove b w", "reg_genmove purple", "kata-genmove_analyze X 10",
                    "kata-analyze B 20 foo 1", "kata-analyze B 20 interval", "kata-analyze B -5",
                    "kata-analyze B 20 rootInfo maybe", "lz-analyze B 20 maxmoves x"]:
            r = e.command(bad)
            self.check(r.error and not r.problems, case, "%r answered %r, want '?'" % (bad, str(r)))
        r = e.command("9 kata-analyze B 20 foo 1")
        self.check(r.error and r.id == "9", case, "'9 kata-analyze B 20 foo 1' answered %r, want '?9 ...'" % str(r))
        self.check(e.ok("name") == "KataGo", case, "engine not answering name after the errors")
        # The engine still analyses after a refused analysis.
        cmd = "kata-analyze B 10"
        infos = self.start_stream(e, case, cmd, want_infos=1)
        self.stop_stream(e, case, cmd, "name", "= KataGo")

    def parse_blocks(self, case, command, line):
        """Splits a kata-analyze line into its blocks: [(name, [tokens])], the per-move keys kept in 'info'."""
        names = {"info", "pv", "pvVisits", "pvEdgeVisits", "movesOwnership", "movesOwnershipStdev", "rootInfo",
                 "ownership", "ownershipStdev"}
        blocks = []
        for t in line.split(" "):
            if t in names:
                blocks.append((t, []))
            elif blocks:
                blocks[-1][1].append(t)
            else:
                self.check(False, case, "%r: line does not start with a block name: %r" % (command, short(line)))
                return []
        return blocks

    def check_floats(self, case, where, name, vals, lo, hi):
        fl = [num(v) for v in vals]
        self.check(len(vals) == SIZE * SIZE, case, "%s: %s has %d values, want %d" % (where, name, len(vals), SIZE * SIZE))
        self.check(all(f is not None and lo <= f <= hi for f in fl), case,
                   "%s: %s values not all numbers in [%g,%g]: %s" % (where, name, lo, hi, short(" ".join(vals), 200)))

    def check_ownership(self, e):
        case = "ownership"
        cmd = ("kata-analyze B 10 ownership true ownershipStdev true movesOwnership true movesOwnershipStdev true "
               "pvVisits true pvEdgeVisits true rootInfo true maxmoves 3")
        infos = self.start_stream(e, case, cmd, want_infos=2) or []
        self.stop_stream(e, case, cmd, "name", "= KataGo")
        per_move = ["info", "pv", "pvVisits", "pvEdgeVisits", "movesOwnership", "movesOwnershipStdev"]
        for l in infos:
            where = "%r line %r" % (cmd, short(l, 200))
            blocks = self.parse_blocks(case, cmd, l)
            order = [b[0] for b in blocks]
            n = (len(order) - 3) // len(per_move)
            want = per_move * n + ["rootInfo", "ownership", "ownershipStdev"]
            if not self.check(n >= 1 and order == want, case, "%s: blocks in order %s, want %s" % (where, order, want)):
                continue
            for k in range(n):
                seg = dict(blocks[k * len(per_move):(k + 1) * len(per_move)])
                info = dict(zip(seg["info"][0::2], seg["info"][1::2]))
                pv = seg["pv"]
                self.check(pv and all(vertex_ok(v) for v in pv), case, "%s: segment %d pv %r" % (where, k, pv))
                pvv = seg["pvVisits"]
                ok = len(pvv) == len(pv) and all(INT_RE.match(v) for v in pvv)
                if self.check(ok, case, "%s: segment %d pvVisits %r for pv %r (one integer per move)" % (where, k, pvv, pv)):
                    iv = [int(v) for v in pvv]
                    self.check(str(iv[0]) == info.get("visits"), case, "%s: segment %d pvVisits starts with %d, visits %r"
                               % (where, k, iv[0], info.get("visits")))
                    self.check(all(a >= b for a, b in zip(iv, iv[1:])), case, "%s: segment %d pvVisits increase: %s"
                               % (where, k, iv))
                self.check(seg["pvEdgeVisits"] == pvv, case, "%s: segment %d pvEdgeVisits %r != pvVisits %r"
                           % (where, k, seg["pvEdgeVisits"], pvv))
                self.check_floats(case, where, "movesOwnership (segment %d)" % k, seg["movesOwnership"], -1.0, 1.0)
                self.check_floats(case, where, "movesOwnershipStdev (segment %d)" % k, seg["movesOwnershipStdev"], 0.0, 1.0)
            self.check_floats(case, where, "ownership", blocks[-2][1], -1.0, 1.0)
            self.check_floats(case, where, "ownershipStdev", blocks[-1][1], 0.0, 1.0)
        # Only ownership: the block ends the line, after the moves' pv.
        cmd = "kata-analyze B 10 ownership true"
        infos = self.start_stream(e, case, cmd, want_infos=1) or []
        self.stop_stream(e, case, cmd, "name", "= KataGo")
        for l in infos:
            blocks = self.parse_blocks(case, cmd, l)
            order = [b[0] for b in blocks]
            if self.check(len(order) >= 3 and order[-1] == "ownership" and order[:-1] == ["info", "pv"] * ((len(order) - 1) // 2),
                          case, "%r: blocks %s, want (info pv)* ownership" % (cmd, order)):
                self.check_floats(case, cmd, "ownership", blocks[-1][1], -1.0, 1.0)

        # noResultValue: right after scoreSelfplay, a probability.
        cmd = "kata-analyze B 10 noResultValue true"
        infos = self.start_stream(e, case, cmd, want_infos=1) or []
        self.stop_stream(e, case, cmd, "name", "= KataGo")
        for l in infos:
            for seg in l[len("info "):].split(" info "):
                toks = seg.split(" ")
                ok = "noResultValue" in toks and toks.index("noResultValue") == KATA_KEYS.index("scoreSelfplay") * 2 + 2
                if self.check(ok, case, "%r: noResultValue missing or not after scoreSelfplay: %r" % (cmd, short(seg))):
                    v = num(toks[toks.index("noResultValue") + 1])
                    self.check(v is not None and 0.0 <= v <= 1.0, case, "%r: noResultValue %r" % (cmd, v))

    def analysed_moves(self, e, case, cmd, lz=False):
        infos = self.start_stream(e, case, cmd, want_infos=2) or []
        self.stop_stream(e, case, cmd, "name", "= KataGo")
        moves = set()
        for l in infos:
            segs = self.check_lz_line(case, cmd, l) if lz else self.check_kata_line(case, cmd, l)
            moves |= {d["move"].upper() for d in segs}
        return moves

    def check_avoid(self, e):
        case = "avoid/allow"
        seen = self.analysed_moves(e, case, "kata-analyze B 10")
        top = sorted(seen)[:3] if seen else ["C4", "D4", "F4"]
        avoid = ",".join(top)
        for cmd, lz in [("kata-analyze B 10 avoid b %s 1" % avoid, False), ("lz-analyze B 10 avoid b %s 1" % avoid, True),
                        ("kata-analyze B 10 avoid w A1 3 avoid b %s,pass 2" % avoid, False)]:
            moves = self.analysed_moves(e, case, cmd, lz)
            self.check(moves and not (moves & set(top)), case, "%r: analysis moves %s include avoided %s"
                       % (cmd, sorted(moves), top))
        allowed = {"C7", "G3"}
        for cmd, lz in [("kata-analyze B 10 allow b C7,G3 1", False), ("lz-analyze B 10 allow b C7,G3 1", True)]:
            moves = self.analysed_moves(e, case, cmd, lz)
            self.check(moves and moves <= allowed, case, "%r: analysis moves %s, want only %s" % (cmd, sorted(moves), sorted(allowed)))
        for bad in ["kata-analyze B 10 avoid b Z99 1", "kata-analyze B 10 avoid b C3 0", "kata-analyze B 10 avoid x C3 1",
                    "kata-analyze B 10 avoid b C3,D4 1 allow b E3 1", "lz-analyze B 10 allow b C3 1 allow b D3 1",
                    "kata-analyze B 10 avoid b C3"]:
            r = e.command(bad)
            self.check(r.error and not r.problems, case, "%r answered %r, want '?'" % (bad, str(r)))
        cmd = "kata-genmove_analyze B 1 allow b C7,G3 1"
        e.send(cmd)
        h = self.line(e, "the header of %r" % cmd)
        self.check(h == "=", case, "%r: header %r" % (cmd, h))
        lines = []
        while True:
            l = self.line(e, "the lines of %r" % cmd)
            if l == "":
                break
            lines.append(l)
        self.check(lines and lines[-1].upper() in ("PLAY C7", "PLAY G3"), case,
                   "%r: last line %r, want play C7 or G3" % (cmd, lines[-1] if lines else None))
        e.ok("undo")

    def check_final_status(self, e):
        case = "final_status_list"
        cmds = ["boardsize 9", "clear_board", "komi 7"]
        for row in range(1, 10):
            cmds += ["play B D%d" % row, "play W E%d" % row]
        cmds.append("play W B5")
        for c in cmds:
            e.ok(c)
        dead = e.ok("final_status_list dead").split()
        self.check(dead == ["B5"], case, "final_status_list dead answered %r, want B5" % " ".join(dead))
        alive = e.ok("final_status_list alive").split()
        self.check("B5" not in alive and len(alive) == 18, case, "final_status_list alive answered %r, want the 18 wall stones"
                   % " ".join(alive))
        self.check(e.ok("final_status_list seki") == "", case, "final_status_list seki not empty")
        for bad in ["final_status_list", "final_status_list foo", "final_status_list dead alive"]:
            r = e.command(bad)
            self.check(r.error and not r.problems, case, "%r answered %r, want '?'" % (bad, str(r)))
        fs = e.ok("final_score", timeout=300)     # KataGo's komi bisection: a dozen short searches
        self.check(re.fullmatch(r"[WB]\+\d+(\.\d)?|0", fs), case, "final_score answered %r" % fs)
        self.check("final_status_list" in e.ok("list_commands").split("\n"), case, "final_status_list not in list_commands")
        self.setup(e)

    def genmove_analyze_move(self, e, case, cmd):
        e.send(cmd)
        h = self.line(e, "the header of %r" % cmd)
        self.check(h == "=", case, "%r: header %r" % (cmd, h))
        lines = []
        while True:
            l = self.line(e, "the lines of %r" % cmd, timeout=60)
            if l == "":
                break
            lines.append(l)
        last = lines[-1] if lines else ""
        self.check(re.fullmatch(r"play \S+", last), case, "%r: last line %r, want 'play <vertex>'" % (cmd, last))
        return last.split()[1].upper() if re.fullmatch(r"play \S+", last) else None

    def settled_position(self, e, rules, dead_stone):
        cmds = ["boardsize 9", "clear_board", "komi 0", "kata-set-rules " + rules]
        for row in range(1, 10):
            for col in "ABCD":
                if not (col == "B" and row in (2, 4, 5, 8)):
                    cmds.append("play B %s%d" % (col, row))
        for row in range(1, 10):
            for col in "EFGHJ":
                if not (col == "G" and row in (2, 5, 8)):
                    cmds.append("play W %s%d" % (col, row))
        if dead_stone:
            cmds.append("play W B5")
        cmds.append("play W pass")
        for c in cmds:
            e.ok(c)

    def check_passing(self, e):
        case = "cleanupBeforePass"
        only_pass = "kata-genmove_analyze B 100 avoid B B2,B4,B8,G2,G5,G8 1"
        for rules, want in [("tromp-taylor", "B4"), ("japanese", "PASS")]:
            self.settled_position(e, rules, dead_stone=True)
            mv = self.genmove_analyze_move(e, case, only_pass)
            self.check(mv == want, case, "%s, dead white stone at B5, only pass left: played %r, want %s"
                       % (rules, mv, want))
        case = "friendlyPass"
        only_eye = "kata-genmove_analyze B 100 avoid B pass,B2,B8,G2,G5,G8 1"
        # The pass check searches 8 + maxVisits/10 visits after the pass and after the move; at 40 visits
        # (12 each) the two differ by about the 0.25 points the check allows, either way with the seed.
        # At 400 (48 each) passing wins with every seed tried (1-11).
        e.ok("kata-set-param maxVisits 400")
        for rules, want in [("chinese", {"PASS"}), ("tromp-taylor", {"B4", "B5"})]:
            self.settled_position(e, rules, dead_stone=False)
            mv = self.genmove_analyze_move(e, case, only_eye)
            self.check(mv in want, case, "%s, settled board after White's pass, only B4/B5 left: played %r, want %s"
                       % (rules, mv, " or ".join(sorted(want))))
        e.ok("kata-set-param maxVisits 40")
        case = "passing config"
        bad = GtpEngine(gtplib.engine_argv(self.args.engine, "gtp -model '%s' -override-config friendlyPass=true,"
                                           "cleanupBeforePass=true" % self.model), name="bad", timeout=self.args.timeout)
        code = bad.wait_exit(self.args.timeout)
        hint = bad.stderr_hint()
        self.check(code not in (None, 0) and "friendlyPass" in hint and "cleanupBeforePass" in hint, case,
                   "both passing hacks forced: exit %r, stderr %r" % (code, hint))
        bad.close()
        self.setup(e)

    def check_clocks(self):
        case = "clocks"
        saved = self.args.config
        self.args.config = "numSearchThreads=1,searchRandSeed=7"      # no visit limit: only the clock stops
        e = self.start()
        self.args.config = saved
        try:
            kinds = e.ok("kata-list_time_settings").split()
            self.check(kinds == ["none", "absolute", "byoyomi", "canadian", "fischer", "fischer-capped"], case,
                       "kata-list_time_settings answered %r" % kinds)
            for clock in (["time_settings 0 2 1"], ["kgs-time_settings canadian 0 4 2"],
                          ["kata-time_settings fischer 3 1"], ["time_settings 30 0 0", "time_left b 2 0"]):
                for c in ["boardsize 9", "clear_board", "komi 7"] + clock:
                    e.ok(c)
                t = time.monotonic()
                r = e.command("genmove b", timeout=15)
                self.check(r.ok and vertex_ok(r.text), case, "%s: genmove b answered %r after %.1f s"
                           % (clock, str(r), time.monotonic() - t))
            for bad in ["time_settings -1 0 0", "kgs-time_settings sudden", "kata-time_settings fischer 3",
                        "time_left b x 0", "time_left purple 10 0"]:
                r = e.command(bad)
                self.check(r.error and not r.problems, case, "%r answered %r, want '?'" % (bad, str(r)))
        finally:
            e.close()

    def check_pondering(self):
        case = "pondering"
        saved = self.args.config
        self.args.config = saved + ",ponderingEnabled=true"
        e = self.start()
        self.args.config = saved
        try:
            self.setup(e)
            r = e.command("genmove b")
            self.check(r.ok and vertex_ok(r.text), case, "genmove b answered %r" % str(r))
            time.sleep(1.5)
            t = time.monotonic()
            infos = self.start_stream(e, case, "kata-analyze W 10 rootInfo true", want_infos=1)
            self.stop_stream(e, case, "kata-analyze W 10 rootInfo true", "name", "= KataGo")
            waited = time.monotonic() - t
            m = re.search(r"rootInfo visits (\d+)", infos[0]) if infos else None
            visits = int(m.group(1)) if m else 0
            self.check(visits > 40, case, "analysis 1.5 s after genmove started from %d root visits, want more "
                       "than genmove's 40 (the ponder tree)" % visits)
            self.check(waited < 10, case, "pondering delayed the next command by %.1f s" % waited)
            r = e.command("genmove w")
            self.check(r.ok and vertex_ok(r.text), case, "genmove w after pondering answered %r" % str(r))
            r = e.command("name")
            self.check(r.ok and r.text == "KataGo", case, "name during pondering answered %r" % str(r))
        finally:
            e.close()

    def check_no_model(self):
        case = "no network"
        e = self.start(with_model=False)
        for c in ["genmove b", "reg_genmove b", "kata-analyze B 10", "lz-analyze 10", "kata-genmove_analyze b 10"]:
            r = e.command(c)
            self.check(r.error and not r.problems and re.search(r"network|model", r.text, re.I), case,
                       "%r without -model answered %r, want '? ...' naming the missing network" % (c, str(r)))
        self.check(e.ok("name") == "KataGo", case, "engine without -model not answering name")
        e.close()
        case = "-override-version"
        e = GtpEngine(gtplib.engine_argv(self.args.engine, "gtp -override-version 1.99.0"), name="version",
                      timeout=self.args.timeout)
        self.check(e.ok("version") == "1.99.0", case, "gtp -override-version 1.99.0: version answered otherwise")
        e.close()

    def check_determinism(self):
        case = "determinism"
        engines = [self.start(), self.start()]
        cmds = ["boardsize 9", "clear_board", "komi 7", "play B E5", "genmove w", "genmove b", "genmove w",
                "reg_genmove b"]
        for e in engines:                      # both search at the same time
            e.send_raw("".join(c + "\n" for c in cmds))
        seqs = []
        for e in engines:
            seqs.append([str(e.read_response(waiting_for="determinism run")) for _ in cmds])
        self.check(seqs[0] == seqs[1], case, "two engines, same seed, one thread: %s vs %s" % (seqs[0], seqs[1]))
        for i, r in enumerate(seqs[0][4:]):
            self.check(r.startswith("= ") and vertex_ok(r[2:]), case, "%r answered %r" % (cmds[4 + i], r))
        for e in engines:
            e.close()

    def run(self):
        t0 = time.monotonic()
        e = self.start()
        self.setup(e)
        steps = [("kata-analyze", lambda: self.check_kata_analyze(e)),
                 ("stoppers", lambda: self.check_stoppers(e)),
                 ("lz-analyze", lambda: self.check_lz_analyze(e)),
                 ("analyze", lambda: self.check_sabaki_analyze(e)),
                 ("pipelined", lambda: self.check_pipelined(e)),
                 ("errors", lambda: self.check_errors(e)),
                 ("genmove", lambda: self.check_genmove(e)),
                 ("ownership", lambda: self.check_ownership(e)),
                 ("avoid/allow", lambda: self.check_avoid(e)),
                 ("final_status_list", lambda: self.check_final_status(e)),
                 ("passing", lambda: self.check_passing(e)),
                 ("clocks", self.check_clocks),
                 ("pondering", self.check_pondering),
                 ("no network", self.check_no_model),
                 ("determinism", self.check_determinism)]
        for name, fn in steps:
            t = time.monotonic()
            try:
                fn()
            except GtpError as ex:
                self.check(False, name, "protocol failure: %s" % ex)
                eng = self.engines[-1] if name in ("no network", "determinism", "clocks", "pondering") else e
                print("  recent transcript:\n    " + "\n    ".join(list(eng.transcript)[-12:]), file=sys.stderr)
                if not e.alive() or name not in ("no network", "determinism", "clocks", "pondering"):
                    # The main engine's stream state is unknown now: start over with a fresh one.
                    e.close()
                    e = self.start()
                    self.setup(e)
            if self.args.verbose:
                print("%-12s %.1f s" % (name, time.monotonic() - t), file=sys.stderr)
        e.close()
        for eng in self.engines:
            eng.close()
        strays = [(w, l) for eng in self.engines for (w, l) in eng.stray]
        self.check(not strays, "stray output", "lines outside replies: %s" % strays[:5])
        self.checker.report_rest()
        dt = time.monotonic() - t0
        if self.checker.failures:
            print("gtp_search: FAIL: %d of %d checks failed (%.1f s)" % (len(self.checker.failures),
                                                                    self.checker.checks, dt), file=sys.stderr)
            return 1
        print("gtp_search: PASS: %d checks (%.1f s)" % (self.checker.checks, dt))
        return 0


def main():
    args = parse_args()
    model = find_model(args.model)
    if model is None:
        print("gtp_search: SKIP: no network ($TENGEN_SHARED_DIR/models/g170-*.bin.gz missing)", file=sys.stderr)
        return 77
    return Search(args, model).run()


if __name__ == "__main__":
    sys.exit(main())
