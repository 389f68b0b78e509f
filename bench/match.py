#!/usr/bin/env python3
"""Strength match: tengen against GNU Go or KataGo over GTP, with a small referee.

Plays N games (alternating colours, tengen Black in game 1) on a small board under area scoring,
passing each engine's genmove into the other with play. Two consecutive passes, a resignation, an
illegal move or the move cap end a game. Finished games are scored with the opponent's final_score
(GNU Go's dead-stone judgement under Chinese rules, or KataGo's); tengen's own final_score is printed
beside it. Against KataGo both engines read the same config file (KataGo's own, --katago-config), with the
same network, visits and threads given on the command line.

Python 3 standard library only. Examples:

    bench/match.py --tengen /tmp/bv/tengen \
        --model ../shared/models/g170-b6c96-s175395328-d26788732.bin.gz --games 40
    bench/match.py --opponent katago --katago /tmp/kgbuild/katago \
        --katago-config KataGo/cpp/configs/gtp_example.cfg --tengen /tmp/bv/tengen \
        --model ../shared/models/g170-b6c96-s175395328-d26788732.bin.gz --games 40 --outdir /tmp/m
"""

import argparse
import os
import re
import subprocess
import sys
import time


class GtpEngine:
    """One GTP engine in a child process: send a command, read the answer up to the blank line."""

    def __init__(self, name, argv, stderr_path=None):
        self.name = name
        self.argv = argv
        self.stderr_file = open(stderr_path, "ab") if stderr_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr_file, text=True, bufsize=1)

    def send(self, command):
        """Returns (ok, text) for one command; raises RuntimeError when the engine is gone."""
        if self.proc.poll() is not None:
            raise RuntimeError("%s exited with status %s" % (self.name, self.proc.returncode))
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        lines = []
        while True:
            line = self.proc.stdout.readline()
            if line == "":
                raise RuntimeError("%s closed its output after '%s'" % (self.name, command))
            line = line.rstrip("\r\n")
            if line == "" and lines:
                break
            if line == "" and not lines:
                continue
            lines.append(line)
        head = lines[0]
        if not head or head[0] not in "=?":
            raise RuntimeError("%s: unexpected answer to '%s': %r" % (self.name, command, lines))
        text = "\n".join([head[1:].strip()] + lines[1:]).strip()
        return head[0] == "=", text

    def must(self, command):
        ok, text = self.send(command)
        if not ok:
            raise RuntimeError("%s refused '%s': %s" % (self.name, command, text))
        return text

    def close(self):
        if self.proc.poll() is None:
            try:
                self.send("quit")
            except (RuntimeError, OSError):
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.stderr_file is not subprocess.DEVNULL:
            self.stderr_file.close()


def parse_score(text):
    """'B+3.5' / 'W+12' / '0' -> Black-minus-White margin, or None."""
    text = text.strip()
    if text in ("0", "Draw", "draw"):
        return 0.0
    m = re.match(r"^([BW])\+([0-9.]+)$", text)
    if not m:
        return None
    value = float(m.group(2))
    return value if m.group(1) == "B" else -value


def sgf_point(vertex, size):
    if vertex.lower() == "pass":
        return ""
    letters = "ABCDEFGHJKLMNOPQRSTUVWXYZ"
    col = letters.index(vertex[0].upper())
    row = int(vertex[1:])
    return "abcdefghijklmnopqrstuvwxyz"[col] + "abcdefghijklmnopqrstuvwxyz"[size - row]


def write_sgf(path, args, black, white, moves, result):
    body = "".join(";%s[%s]" % (c, sgf_point(v, args.size)) for c, v in moves)
    with open(path, "w") as f:
        f.write("(;GM[1]FF[4]SZ[%d]KM[%g]RU[Chinese]PB[%s]PW[%s]RE[%s]%s)\n"
                % (args.size, args.komi, black, white, result, body))


def start_engines(args):
    overrides = "maxVisits=%d,numSearchThreads=%d" % (args.visits, args.threads)
    tengen_overrides = overrides + ("," + args.tengen_overrides if args.tengen_overrides else "")
    tengen_argv = [args.tengen, "gtp", "-model", args.model, "-override-config", tengen_overrides]
    config = args.config or (args.katago_config if args.opponent == "katago" else None)
    if config:
        tengen_argv[2:2] = ["-config", config]
    log = os.path.join(args.outdir, "tengen-stderr.log") if args.outdir else None
    if args.opponent == "gnugo":
        opponent_argv = [args.gnugo, "--mode", "gtp", "--level", str(args.level), "--chinese-rules"]
        opponent_log = None
    else:
        opponent_argv = [args.katago, "gtp", "-model", args.model, "-config", args.katago_config,
                         "-override-config", overrides]
        opponent_log = os.path.join(args.outdir, "katago-stderr.log") if args.outdir else None
    return GtpEngine("tengen", tengen_argv, log), GtpEngine(args.opponent, opponent_argv, opponent_log)


def play_game(game_no, tengen, opponent, args):
    """Plays one game; returns a dict with the winner ('tengen', the opponent's name or 'draw') and details."""
    tengen_black = (game_no % 2 == 1)
    engines = {"B": tengen if tengen_black else opponent, "W": opponent if tengen_black else tengen}
    for e in (tengen, opponent):
        e.must("boardsize %d" % args.size)
        e.must("clear_board")
        e.must("komi %g" % args.komi)
    tengen.must("kata-set-rules chinese")
    if opponent.name == "katago":
        opponent.must("kata-set-rules chinese")

    moves = []
    passes = 0
    end = None
    color = "B"
    while len(moves) < args.max_moves:
        mover = engines[color]
        other = engines["W" if color == "B" else "B"]
        vertex = mover.must("genmove %s" % color).split()[0]
        if vertex.lower() == "resign":
            end = ("resign", color)
            break
        ok, text = other.send("play %s %s" % (color, vertex))
        if not ok:
            end = ("illegal", color, vertex, text)
            break
        moves.append((color, vertex))
        passes = passes + 1 if vertex.lower() == "pass" else 0
        if passes >= 2:
            end = ("passes",)
            break
        color = "W" if color == "B" else "B"
    if end is None:
        end = ("cap",)

    tengen_color = "B" if tengen_black else "W"
    o_score = t_score = None
    if end[0] in ("passes", "cap"):
        _, o_text = opponent.send("final_score")  # the opponent referees
        _, t_text = tengen.send("final_score")
        o_score, t_score = parse_score(o_text), parse_score(t_text)
        margin = o_score if o_score is not None else t_score
        if margin is None:
            raise RuntimeError("no usable final_score (%s '%s', tengen '%s')" % (opponent.name, o_text, t_text))
        result = "0" if margin == 0 else ("B+%g" % margin if margin > 0 else "W+%g" % -margin)
        winner_color = None if margin == 0 else ("B" if margin > 0 else "W")
    else:
        loser = end[1]
        winner_color = "W" if loser == "B" else "B"
        result = "%s+%s" % (winner_color, "Resign" if end[0] == "resign" else "Illegal")
    if winner_color is None:
        winner = "draw"
    else:
        winner = "tengen" if winner_color == tengen_color else opponent.name
    return {"tengen_color": tengen_color, "moves": moves, "end": end, "result": result, "winner": winner,
            "opponent_score": o_score, "tengen_score": t_score}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tengen", default="./tengen", help="tengen binary (default ./tengen)")
    p.add_argument("--model", required=True, help="network file for tengen")
    p.add_argument("--config", help="tengen config file (optional)")
    p.add_argument("--visits", type=int, default=100, help="tengen maxVisits (default 100)")
    p.add_argument("--threads", type=int, default=1, help="tengen numSearchThreads (default 1)")
    p.add_argument("--tengen-overrides", default="", help="more -override-config keys, k=v,...")
    p.add_argument("--opponent", choices=["gnugo", "katago"], default="gnugo", help="opponent (default gnugo)")
    p.add_argument("--gnugo", default="/usr/games/gnugo", help="GNU Go binary (default /usr/games/gnugo)")
    p.add_argument("--katago", help="KataGo binary, for --opponent katago (same network, visits and threads)")
    p.add_argument("--katago-config", help="KataGo GTP config (e.g. its cpp/configs/gtp_example.cfg), read by "
                   "both engines unless --config names another for tengen")
    p.add_argument("--level", type=int, default=10, help="GNU Go --level (default 10)")
    p.add_argument("--games", type=int, default=40, help="number of games (default 40)")
    p.add_argument("--size", type=int, default=9, help="board size (default 9)")
    p.add_argument("--komi", type=float, default=7.0, help="komi (default 7)")
    p.add_argument("--max-moves", type=int, default=400, help="move cap per game, then score (default 400)")
    p.add_argument("--outdir", help="directory for SGF files and tengen's stderr log (optional)")
    args = p.parse_args()
    if args.opponent == "katago" and not (args.katago and args.katago_config):
        p.error("--opponent katago needs --katago PATH and --katago-config FILE")
    if args.outdir:
        os.makedirs(args.outdir, exist_ok=True)

    opponent_desc = ("GNU Go --level %d" % args.level if args.opponent == "gnugo"
                else "KataGo (same network, maxVisits=%d, numSearchThreads=%d)" % (args.visits, args.threads))
    print("tengen (maxVisits=%d, numSearchThreads=%d) vs %s, %dx%d, komi %g, Chinese rules, %d games"
          % (args.visits, args.threads, opponent_desc, args.size, args.size, args.komi, args.games), flush=True)
    wins = draws = losses = played = 0
    wins_as = {"B": 0, "W": 0}
    games_as = {"B": 0, "W": 0}
    tengen, opponent = start_engines(args)
    t_start = time.time()
    aborted_in_a_row = 0
    try:
        for game_no in range(1, args.games + 1):
            t0 = time.time()
            try:
                g = play_game(game_no, tengen, opponent, args)
            except RuntimeError as e:
                print("game %d: aborted: %s (restarting the engines)" % (game_no, e), flush=True)
                aborted_in_a_row += 1
                if aborted_in_a_row == 3:
                    print("three games aborted in a row: giving up (see the engines' stderr logs)", flush=True)
                    break
                tengen.close()
                opponent.close()
                tengen, opponent = start_engines(args)
                continue
            aborted_in_a_row = 0
            played += 1
            games_as[g["tengen_color"]] += 1
            if g["winner"] == "tengen":
                wins += 1
                wins_as[g["tengen_color"]] += 1
            elif g["winner"] == "draw":
                draws += 1
            else:
                losses += 1
            detail = g["end"][0]
            if g["end"][0] == "illegal":
                detail += " %s (%s)" % (g["end"][2], g["end"][3])
            scores = ""
            if g["opponent_score"] is not None or g["tengen_score"] is not None:
                scores = " [%s final_score %s, tengen final_score %s]" % (args.opponent, g["opponent_score"],
                                                                          g["tengen_score"])
            print("game %2d: tengen %s  %-10s %-6s %3d moves  %s%s  %.0fs  (tengen %d/%d)"
                  % (game_no, "Black" if g["tengen_color"] == "B" else "White", g["result"],
                     g["winner"], len(g["moves"]), detail, scores, time.time() - t0, wins, played), flush=True)
            if args.outdir:
                black, white = ("tengen", args.opponent) if g["tengen_color"] == "B" else (args.opponent, "tengen")
                write_sgf(os.path.join(args.outdir, "game%02d.sgf" % game_no), args, black, white,
                          g["moves"], g["result"])
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    finally:
        tengen.close()
        opponent.close()

    if played:
        print("total: %d games, tengen %d wins, %d losses, %d draws; score %.1f/%d = %.1f%% "
              "(as Black %d/%d, as White %d/%d); %.0f s"
              % (played, wins, losses, draws, wins + 0.5 * draws, played, 100.0 * (wins + 0.5 * draws) / played,
                 wins_as["B"], games_as["B"], wins_as["W"], games_as["W"], time.time() - t_start), flush=True)
    else:
        print("total: no game finished", flush=True)
    return 0 if played else 1


if __name__ == "__main__":
    sys.exit(main())
