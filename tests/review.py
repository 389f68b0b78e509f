#!/usr/bin/env python3
"""`tengen review` as a script test, on the 9x9 records in tests/data/games (8 visits a position).

 1. A folder with two good records and a malformed one: exit status 1, one line naming the bad file and
    the byte offset, both good games reviewed (NAME.review.sgf and NAME.review.svg), a progress line
    with positions done/total and visits/s on stderr, nothing on stdout.
 2. The annotated SGF loads in `tengen gtp` (loadsgf) to the same final position as the original; the
    root has the TGRV marker; every main-line move node has a comment "Move N: ..." with Black's
    winrate in [0,100] and a score, and SBKV equal to that winrate; inaccuracies, mistakes and
    blunders carry DO / BM[1] / BM[2], and a named better move carries a TR triangle on that point;
    the original comment and the side variation of nine_b survive.
 The first 30 moves of tests/data/games/selfplay19.sgf are reviewed too (4 visits), for 19x19 coordinates,
    and two professional games from Debian's kigo package (honinbo51-game5, meijin21-game2: full records
    with variations and figure markup) at 1 visit, for real records; their main-line move counts come
    from the test's own SGF reading of the originals.
 3. The SVG parses as XML, has one winrate and one score point per position (moves + 1), points
    inside the plot, the players in the title.
 4. Resuming: a second run redoes nothing (both "already reviewed", files untouched); after deleting
    one game's SGF only that game is redone; a state file left by an interrupted run is used (its
    positions are not searched again and their values reach the output).
 5. Bad arguments (-visits 0, -visits x, -parallel 0, an unknown option, no input) exit 2 with a line
    naming the problem; a missing file exits 1 naming it.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

failures = 0


def check(cond, what, detail=""):
    global failures
    if cond:
        print("ok: " + what)
    else:
        failures += 1
        print("FAIL: " + what + (": " + detail if detail else ""))


def sgf_main_line(text):
    """Main-line nodes as lists of (ident, [values]), picking the longest variation (first on ties)."""
    i = text.index("(")
    # tree node: {"nodes": [...], "children": [...]}
    root = {"nodes": [], "children": []}
    stack = []
    cur = None
    n = len(text)
    while i < n:
        c = text[i]
        if c == "(":
            seq = {"nodes": [], "children": []}
            if cur is None:
                root = seq
            else:
                cur["children"].append(seq)
            stack.append(seq)
            cur = seq
            i += 1
        elif c == ")":
            stack.pop()
            if not stack:
                break
            cur = stack[-1]
            i += 1
        elif c == ";":
            cur["nodes"].append([])
            i += 1
        elif c.isalpha():
            j = i
            while text[j].isalpha():
                j += 1
            ident = "".join(ch for ch in text[i:j] if ch.isupper())
            vals = []
            while True:
                while text[j].isspace():
                    j += 1
                if text[j] != "[":
                    break
                k = j + 1
                v = []
                while text[k] != "]":
                    if text[k] == "\\":
                        k += 1
                    v.append(text[k])
                    k += 1
                vals.append("".join(v))
                j = k + 1
            cur["nodes"][-1].append((ident, vals))
            i = j
        else:
            i += 1

    def depth(seq):
        return len(seq["nodes"]) + max([depth(c) for c in seq["children"]] + [0])

    line = []
    seq = root
    while seq:
        line += seq["nodes"]
        best = None
        for ch in seq["children"]:
            if best is None or depth(ch) > depth(best):
                best = ch
        seq = best
    return line


def props(node):
    d = {}
    for ident, vals in node:
        d.setdefault(ident, []).extend(vals)
    return d


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600, **kw)


def final_board(engine, path):
    r = run([engine, "gtp"], input="loadsgf %s\nshowboard\n" % path)
    return r.stdout


def fnv1a(data):
    h = 14695981039346656037
    for b in data:
        h ^= b
        h = (h * 1099511628211) % (1 << 64)
    return h


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--games", required=True)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="tengen-review-")
    try:
        indir = os.path.join(tmp, "in")
        out = os.path.join(tmp, "out")
        os.mkdir(indir)
        for g in ("nine_a.sgf", "nine_b.sgf"):
            shutil.copy(os.path.join(a.games, g), indir)
        bad = "(;GM[1]FF[4]SZ[9];B[ee];W[gc];B[zz])\n"
        with open(os.path.join(indir, "broken.sgf"), "w") as f:
            f.write(bad)
        base = [a.engine, "review", "-model", a.model, "-override-config", "blasCpuThreads=1,searchRandSeed=5",
                "-visits", "8", "-parallel", "2", "-o", out]

        # 1. First run.
        r = run(base + [indir])
        check(r.returncode == 1, "a malformed record makes the exit status 1", "exit %d; %s" % (r.returncode, r.stderr))
        check(r.stdout == "", "nothing on stdout", r.stdout)
        badlines = [l for l in r.stderr.splitlines() if "broken.sgf" in l]
        check(len(badlines) == 1 and re.search(r"byte \d+", badlines[0]) is not None,
              "the malformed record is reported in one line with its byte offset", "\n".join(badlines) or r.stderr)
        check(re.search(r"positions \d+/69 .*visits/s", r.stderr) is not None,
              "a progress line with positions done/total and visits/s", r.stderr)
        for name in ("nine_a", "nine_b"):
            for ext in (".review.sgf", ".review.svg"):
                check(os.path.exists(os.path.join(out, name + ext)), "%s%s written" % (name, ext))
            check(not os.path.exists(os.path.join(out, name + ".review.state")), "%s's state file removed when done" % name)
        check(not os.path.exists(os.path.join(out, "broken.review.sgf")), "no output for the malformed record")

        # 2. The annotated SGF.
        games = [("nine_a", 32, ("Test Black", "Test White"), 9), ("nine_b", 35, ("Alice", "Bob"), 9)]
        # The first 30 moves of the 19x19 record, for 19x19 coordinates (4 visits: only the form is checked).
        full = open(os.path.join(a.games, "selfplay19.sgf")).read()
        head, body = full.split("\n", 1)
        moves19 = [m for m in body.replace("\n", "").rstrip(")").split(";") if m]
        with open(os.path.join(tmp, "opening19.sgf"), "w") as f:
            f.write(head + ";" + ";".join(moves19[:30]) + ")\n")
        r = run(base[:-4] + ["-visits", "4", "-o", out, os.path.join(tmp, "opening19.sgf")])
        check(r.returncode == 0 and "reviewed opening19: 30 moves" in r.stderr, "the 19x19 opening is reviewed", r.stderr)
        games.append(("opening19", 30, ("tengen", "tengen"), 19))
        pro = [("honinbo51-game5", ("Cho Chikun", "Ryu Shikun")), ("meijin21-game2", ("Takemiya Masaki", "Cho Chikun"))]
        for name, _ in pro:
            shutil.copy(os.path.join(a.games, name + ".sgf"), os.path.join(tmp, name + ".sgf"))
        r = run(base[:-4] + ["-visits", "1", "-o", out] + [os.path.join(tmp, n + ".sgf") for n, _ in pro])
        check(r.returncode == 0, "the professional records are reviewed", r.stderr)
        for name, players in pro:
            line = sgf_main_line(open(os.path.join(tmp, name + ".sgf")).read())
            nmoves = sum(1 for n in line if any(k in ("B", "W") for k, _ in n))
            check(nmoves > 80, "%s: a full game on the main line (%d moves)" % (name, nmoves))
            games.append((name, nmoves, players, 19))
        for name, nmoves, players, size in games:
            orig = os.path.join(indir if size == 9 else tmp, name + ".sgf")
            rev = os.path.join(out, name + ".review.sgf")
            b1, b2 = final_board(a.engine, orig), final_board(a.engine, rev)
            check("MoveNum: %d" % nmoves in b1 and b1 == b2, "%s: the review loads to the same final position" % name,
                  b1 + "\n---\n" + b2)
            text = open(rev).read()
            line = sgf_main_line(text)
            root = props(line[0])
            check("TGRV" in root, "%s: root carries the completion marker TGRV" % name)
            moves = [props(n) for n in line if any(k in ("B", "W") for k, _ in n)]
            check(len(moves) == nmoves, "%s: %d move nodes on the main line" % (name, nmoves), str(len(moves)))
            bad_nodes = []
            marks = 0
            for i, p in enumerate(moves):
                c = p.get("C", [""])[0]
                m = re.match(r"Move (\d+): [BW] \S+\nBlack's winrate ([0-9.]+)%, score (even|[BW]\+[0-9.]+)", c)
                if not m or int(m.group(1)) != i + 1 or not 0 <= float(m.group(2)) <= 100:
                    bad_nodes.append("move %d: comment %r" % (i + 1, c))
                    continue
                sbkv = p.get("SBKV", ["x"])[0]
                if not re.fullmatch(r"[0-9.]+", sbkv) or abs(float(sbkv) - float(m.group(2))) > 0.051:
                    bad_nodes.append("move %d: SBKV %r vs %s" % (i + 1, sbkv, m.group(2)))
                sev = re.search(r"\n(Inaccuracy|Mistake|Blunder): ", c)
                want = {"Inaccuracy": ("DO", ""), "Mistake": ("BM", "1"), "Blunder": ("BM", "2")}
                if sev:
                    marks += 1
                    k, v = want[sev.group(1)]
                    if p.get(k, [None])[0] != v:
                        bad_nodes.append("move %d: %s without %s[%s]" % (i + 1, sev.group(1), k, v))
                    better = re.search(r"better: ([A-HJ-T]\d+)", c)
                    if better:
                        col = "ABCDEFGHJKLMNOPQRST".index(better.group(1)[0])
                        row = size - int(better.group(1)[1:])
                        point = chr(ord("a") + col) + chr(ord("a") + row)
                        if point not in p.get("TR", []):
                            bad_nodes.append("move %d: better move %s not marked TR[%s]" % (i + 1, better.group(1), point))
                elif "BM" in p or "DO" in p:
                    bad_nodes.append("move %d: BM/DO without a named mistake" % (i + 1))
            check(not bad_nodes, "%s: every move node has its comment, SBKV and mistake markup" % name,
                  "\n".join(bad_nodes[:5]))
            print("info: %s: %d moves marked inaccuracy/mistake/blunder" % (name, marks))
            if name == "nine_b":
                check("A high opening." in moves[0].get("C", [""])[0], "nine_b: the original comment is kept")
                check("dh" in moves[4].get("TR", []), "nine_b: the original TR[dh] is kept")
                check("(;B[dg];W[df]))" in text, "nine_b: the side variation is kept")

            # 3. The graph.
            svg = os.path.join(out, name + ".review.svg")
            try:
                tree = ET.parse(svg)
            except ET.ParseError as e:
                check(False, "%s: SVG is well-formed XML" % name, str(e))
                continue
            check(True, "%s: SVG is well-formed XML" % name)
            ns = "{http://www.w3.org/2000/svg}"
            lines = {pl.get("id"): pl.get("points").split() for pl in tree.iter(ns + "polyline")}
            for curve in ("winrate", "scorelead"):
                pts = lines.get(curve, [])
                check(len(pts) == nmoves + 1, "%s: %s curve has one point per position (%d)" % (name, curve, nmoves + 1),
                      str(len(pts)))
                w, h = float(tree.getroot().get("width")), float(tree.getroot().get("height"))
                inside = all(0 <= float(x) <= w and 0 <= float(y) <= h for x, y in (p.split(",") for p in pts))
                check(inside, "%s: %s points lie inside the picture" % (name, curve))
            title = "".join(tree.getroot().find(ns + "title").itertext())
            check(players[0] in title and players[1] in title, "%s: players in the SVG title" % name, title)

        # 4. Resuming.
        mtimes = {f: os.stat(os.path.join(out, f)).st_mtime_ns for f in os.listdir(out)}
        r = run(base + [os.path.join(indir, "nine_a.sgf"), os.path.join(indir, "nine_b.sgf")])
        check(r.returncode == 0 and r.stderr.count("already reviewed in") == 2 and "reviewed nine" not in r.stderr,
              "a second run skips both finished games", r.stderr)
        check(all(os.stat(os.path.join(out, f)).st_mtime_ns == t for f, t in mtimes.items()),
              "a second run rewrites nothing")
        os.remove(os.path.join(out, "nine_a.review.sgf"))
        r = run(base + [indir])
        check(r.returncode == 1 and "reviewed nine_a" in r.stderr and "reviewed nine_b" not in r.stderr
              and "nine_b.sgf: already reviewed" in r.stderr, "after deleting nine_a's review only nine_a is redone",
              r.stderr)
        check(os.stat(os.path.join(out, "nine_b.review.sgf")).st_mtime_ns == mtimes["nine_b.review.sgf"],
              "nine_b's review is untouched")
        # A state file as an interrupted run leaves it: the header, position 0 and 5, half a line.
        os.remove(os.path.join(out, "nine_a.review.sgf"))
        data = open(os.path.join(indir, "nine_a.sgf"), "rb").read()
        with open(os.path.join(out, "nine_a.review.state"), "w") as f:
            f.write("tengen-review-state 1 %016x 33 8\n" % fnv1a(data))
            f.write("0 0.123456 -4.2000 0 8\n5 0.5 0.0 0 8\n7 0.4")
        r = run(base + [os.path.join(indir, "nine_a.sgf")])
        check(r.returncode == 0 and "resuming, 2 of 33 positions kept" in r.stderr,
              "an interrupted game's state file is picked up", r.stderr)
        check(re.search(r"positions 33/33", r.stderr) is not None, "progress counts the kept positions", r.stderr)
        text = open(os.path.join(out, "nine_a.review.sgf")).read()
        check("Before the first move: Black's winrate 12.3%, score W+4.2" in text,
              "the kept position's values reach the review")
        # A state file of other settings (another visit count) is not used.
        os.remove(os.path.join(out, "nine_a.review.sgf"))
        with open(os.path.join(out, "nine_a.review.state"), "w") as f:
            f.write("tengen-review-state 1 %016x 33 9999\n0 0.123456 -4.2500 0 8\n" % fnv1a(data))
        r = run(base + [os.path.join(indir, "nine_a.sgf")])
        check(r.returncode == 0 and "resuming" not in r.stderr and "12.3%" not in open(os.path.join(out, "nine_a.review.sgf")).read(),
              "a state file from other settings is ignored", r.stderr)

        # 5. Bad arguments.
        for args in (["-visits", "0"], ["-visits", "x"], ["-parallel", "0"], ["-bogus", "1"], []):
            r = run([a.engine, "review", "-model", a.model] + args + ([indir] if args else []))
            check(r.returncode == 2 and r.stderr.startswith("tengen review: ") and r.stdout == "",
                  "review %s refused: %s" % (" ".join(args) or "(no input)", r.stderr.splitlines()[0] if r.stderr else ""),
                  "exit %d: %s" % (r.returncode, r.stderr))
        r = run(base + [os.path.join(tmp, "missing.sgf")])
        check(r.returncode == 1 and "missing.sgf: cannot read" in r.stderr, "a missing file is named, exit 1", r.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
