#!/usr/bin/env python3
"""Differential test of tengen's rules against GNU Go over GTP.

Both engines play the same random games in lockstep on square boards 5x5..19x19 under simple ko,
no suicide (GNU Go's rules; tengen gets them through kata-set-rules). At every position both are
asked `is_legal COLOR VERTEX` for the side to move on a sample of points (random ones, the
neighbours of the last move, the points just captured and recent ko points); the answers must agree.
Then a random legal move is played in both and the whole board is compared: GNU Go's through
`list_stones`, tengen's by parsing KataGo's `showboard` (or `list_stones` if it knows it). Capture
counts are checked against GNU Go's `captures`, and `undo` is exercised now and then.

A mismatch is reported with the GTP commands that replay it. Exit 0: pass, 1: fail, 77: GNU Go
not installed.
"""

import argparse
import json
import random
import sys
import time

import gtplib
from gtplib import GtpEngine, GtpError

RULES_JSON = json.dumps({"ko": "SIMPLE", "scoring": "AREA", "tax": "NONE", "suicide": False,
                         "hasButton": False, "whiteHandicapBonus": "0", "friendlyPassOk": True},
                        separators=(",", ":"))
# Sizes drawn for the games: small boards end naturally and give many captures and kos.
SIZE_POOL = [5, 5, 6, 7, 7, 8, 9, 9, 9, 10, 11, 12, 13, 13, 14, 15, 16, 17, 18, 19, 19]
OPPONENT = {"b": "w", "w": "b"}
STONE = {"b": "X", "w": "O"}
MAX_REPORTED = 10


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", required=True, help="path of the engine under test (tengen)")
    p.add_argument("--engine-args", default="gtp", help="arguments for the engine (default: gtp)")
    p.add_argument("--gnugo", default=None, help="path of gnugo (default: $GNUGO, PATH, /usr/games/gnugo)")
    p.add_argument("--seed", type=int, default=20240611)
    p.add_argument("--games", type=int, default=16, help="number of games (default 16)")
    p.add_argument("--sizes", default=None,
                   help="comma-separated board sizes to draw from (default: a mix of 5..19)")
    p.add_argument("--samples", type=int, default=20, help="random points asked per position")
    p.add_argument("--min-checks", type=int, default=5000,
                   help="keep adding games until this many is_legal comparisons (default 5000)")
    p.add_argument("--time-budget", type=float, default=75.0,
                   help="seconds after which no new game is started (default 75)")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds allowed for each reply")
    p.add_argument("--replay-file", default=None,
                   help="append the GTP commands that replay each mismatch to this file")
    p.add_argument("--verbose", "-v", action="store_true")
    return p.parse_args()


class Mismatch(Exception):
    pass


class Differ:
    def __init__(self, args, tengen, gnugo, rng):
        self.args = args
        self.tengen = tengen
        self.gnugo = gnugo
        self.rng = rng
        self.stats = dict(games=0, positions=0, legal_checks=0, illegal_answers=0, moves=0, passes=0,
                          captures=0, illegal_empty=0, ko_bans=0, undos=0, board_checks=0)
        self.failures = []
        self.use_list_stones = tengen.command("known_command list_stones").text == "true"
        self.tengen_set_rules = True

    # ---- helpers ---------------------------------------------------------------------------------

    def tengen_color(self, c):
        return self.rng.choice({"b": ["b", "B", "black"], "w": ["w", "W", "white"]}[c])

    def tengen_vertex(self, v):
        return v.lower() if self.rng.random() < 0.2 else v

    def fail(self, game, message):
        self.failures.append(message)
        if self.args.replay_file:
            with open(self.args.replay_file, "a") as f:
                f.write("# game %d (%dx%d): %s\n" % (self.stats["games"], game.size, game.size,
                                                       message.replace("\n", "\n# ")))
                f.write("\n".join(game.replay) + "\n\n")
        if len(self.failures) <= MAX_REPORTED:
            print("MISMATCH in game %d (%dx%d, %d moves): %s" % (self.stats["games"], game.size, game.size,
                                                               len(game.moves), message), file=sys.stderr)
            print("  replay (GTP commands, after starting both engines):", file=sys.stderr)
            for c in game.replay:
                print("    " + c, file=sys.stderr)
        raise Mismatch(message)

    def read_boards(self, game):
        n = game.size
        g_black, g_white = self.gnugo.commands(["list_stones black", "list_stones white"])
        g = {p: "X" for p in gtplib.parse_vertex_list(g_black.text, n)}
        g.update({p: "O" for p in gtplib.parse_vertex_list(g_white.text, n)})
        info = {}
        if self.use_list_stones:
            t_black, t_white = self.tengen.commands(["list_stones black", "list_stones white"])
            t = {p: "X" for p in gtplib.parse_vertex_list(t_black.text, n)}
            t.update({p: "O" for p in gtplib.parse_vertex_list(t_white.text, n)})
        else:
            r = self.tengen.command("showboard")
            if not r.ok:
                self.fail(game, "tengen showboard failed: %s" % r)
            try:
                t, info = gtplib.parse_katago_showboard(r.text, n, n)
            except ValueError as e:
                self.fail(game, "cannot parse tengen's showboard (%s):\n%s" % (e, r.text))
        self.stats["board_checks"] += 1
        if g != t:
            diff = sorted(gtplib.vertex(x, y, n) for (x, y) in set(g) | set(t) if g.get((x, y)) != t.get((x, y)))
            self.fail(game, "boards differ at %s\n  gnugo:\n%s\n  tengen:\n%s" % (
                " ".join(diff), indent(gtplib.board_to_text(g, n, n)), indent(gtplib.board_to_text(t, n, n))))
        return g, info

    def check_captures(self, game, info):
        """GNU Go's `captures COLOR` counts stones captured BY that colour; KataGo's showboard says
        'B stones captured' for black stones removed (captured by white)."""
        r_b, r_w = self.gnugo.commands(["captures black", "captures white"])
        by_black, by_white = int(r_b.text), int(r_w.text)
        if (by_black, by_white) != (game.captured_by["b"], game.captured_by["w"]):
            self.fail(game, "gnugo's captures (black %d, white %d) differ from the stones that disappeared "
                      "(black captured %d, white captured %d)" % (by_black, by_white, game.captured_by["b"],
                                                                   game.captured_by["w"]))
        if "black_stones_captured" in info and "white_stones_captured" in info:
            if (info["black_stones_captured"], info["white_stones_captured"]) != (by_white, by_black):
                self.fail(game, "tengen's showboard says B stones captured %d, W stones captured %d; gnugo "
                          "says white captured %d, black captured %d" % (
                              info["black_stones_captured"], info["white_stones_captured"], by_white, by_black))

    # ---- one game --------------------------------------------------------------------------------

    def play_game(self, size):
        game = Game(size)
        setup_common = ["boardsize %d" % size, "clear_board", "komi 0"]
        for c in setup_common:
            for eng in (self.gnugo, self.tengen):
                r = eng.command(c)
                if not r.ok:
                    game.replay = setup_common
                    self.fail(game, "%s rejected %r: %s" % (eng.name, c, r))
        game.replay = list(setup_common)
        if self.tengen_set_rules:
            c = "kata-set-rules " + RULES_JSON
            r = self.tengen.command(c)
            game.replay.append(c + "   # tengen only")
            if not r.ok:
                self.fail(game, "tengen rejected the rules: %s" % r)
        self.stats["games"] += 1

        # Undo on an empty history must fail in both.
        if self.rng.random() < 0.3:
            rt, rg = self.tengen.command("undo"), self.gnugo.command("undo")
            if rt.ok != rg.ok:
                self.fail(game, "undo with no moves: tengen %s, gnugo %s" % (rt, rg))

        to_move = "b"
        consecutive_passes = 0
        board, info = self.read_boards(game)
        move_cap = 2 * size * size
        while consecutive_passes < 2 and len(game.moves) < move_cap:
            self.check_position(game, to_move, board)
            move = self.choose_move(game, to_move, board)
            self.play(game, to_move, move)
            consecutive_passes = consecutive_passes + 1 if move == "pass" else 0
            before = board
            board, info = self.read_boards(game)
            self.account_captures(game, to_move, move, before, board)
            self.check_captures(game, info)
            to_move = OPPONENT[to_move]
            if game.moves and self.rng.random() < 0.04 and consecutive_passes < 2:
                to_move, board, info = self.undo(game, self.rng.randint(1, min(3, len(game.moves))))
                consecutive_passes = 0
                self.check_captures(game, info)
        return game

    def check_position(self, game, color, board):
        n = game.size
        points = set(self.rng.sample(game.all_points, min(self.args.samples, len(game.all_points))))
        if game.last_point is not None:
            points.add(game.last_point)
            points.update(game.neighbours[game.last_point])
        points.update(game.recently_captured)
        points.update(game.ko_points)
        points = sorted(points, key=lambda p: (p[1], p[0]))
        vertices = [gtplib.vertex(x, y, n) for (x, y) in points]
        if self.rng.random() < 0.05:
            vertices.append("pass")
        g_cmds = ["is_legal %s %s" % ({"b": "black", "w": "white"}[color], v) for v in vertices]
        t_cmds = ["is_legal %s %s" % (self.tengen_color(color), self.tengen_vertex(v)) for v in vertices]
        g_replies = self.gnugo.commands(g_cmds)
        t_replies = self.tengen.commands(t_cmds)
        self.stats["positions"] += 1
        for v, gc, tc, g, t in zip(vertices, g_cmds, t_cmds, g_replies, t_replies):
            self.stats["legal_checks"] += 1
            if not t.ok or t.text not in ("0", "1"):
                self.fail(game, "%r: tengen answered %s (want '= 0' or '= 1')" % (tc, t))
            if not g.ok or g.text not in ("0", "1"):
                raise GtpError("gnugo answered %r with %s" % (gc, g))
            if t.text != g.text:
                game.replay.append(tc)
                self.fail(game, "%r: tengen says %s, gnugo says %s" % (tc, t.text, g.text))
            if g.text == "0":
                self.stats["illegal_answers"] += 1
                p = gtplib.parse_vertex(v, n)
                if p is not None and p not in board:
                    self.stats["illegal_empty"] += 1
                    if game.recently_captured == [p]:
                        self.stats["ko_bans"] += 1

    def choose_move(self, game, color, board):
        n = game.size
        legal = gtplib.parse_vertex_list(self.gnugo.ok("all_legal %s" % {"b": "black", "w": "white"}[color]), n)
        legal.discard(None)
        young = len(game.moves) < game.size * game.size // 2
        opponent_passed = bool(game.moves) and game.moves[-1][1] == "pass"
        if not legal or (self.rng.random() < 0.015 and not (young and opponent_passed)):
            return "pass"
        stone = STONE[color]

        def fills_own_eye(p):
            return all(board.get(q) == stone for q in game.neighbours[p])

        candidates = [p for p in legal if not fills_own_eye(p)]
        if not candidates or self.rng.random() < 0.02:
            candidates = sorted(legal, key=lambda p: (p[1], p[0]))
            if self.rng.random() < 0.5:
                return "pass"
        candidates.sort(key=lambda p: (p[1], p[0]))
        # Take back kos and fight near the last move often, so that kos and captures are frequent.
        ko_takes = [p for p in candidates if p in game.ko_points]
        if ko_takes and self.rng.random() < 0.7:
            return gtplib.vertex(*self.rng.choice(ko_takes), n)
        if game.last_point is not None and self.rng.random() < 0.4:
            near = [p for p in candidates if p in game.near(game.last_point)]
            if near:
                return gtplib.vertex(*self.rng.choice(near), n)
        return gtplib.vertex(*self.rng.choice(candidates), n)

    def play(self, game, color, move):
        g_cmd = "play %s %s" % (color, move)
        t_cmd = "play %s %s" % (self.tengen_color(color),
                                self.rng.choice(["pass", "PASS", "Pass"]) if move == "pass" else self.tengen_vertex(move))
        game.replay.append(t_cmd)
        rg = self.gnugo.command(g_cmd)
        if not rg.ok:
            raise GtpError("gnugo rejected its own legal move %r: %s" % (g_cmd, rg))
        rt = self.tengen.command(t_cmd)
        if not rt.ok:
            self.fail(game, "%r: tengen answered %s, gnugo accepted it" % (t_cmd, rt))
        self.stats["moves"] += 1
        if move == "pass":
            self.stats["passes"] += 1
        game.moves.append((color, move))

    def account_captures(self, game, color, move, before, after):
        """Track what the move removed: recently captured points, ko points, capture totals."""
        opp_stone = STONE[OPPONENT[color]]
        removed = [p for p, s in before.items() if s == opp_stone and p not in after]
        own_removed = [p for p, s in before.items() if s == STONE[color] and p not in after]
        if own_removed:
            self.fail(game, "the move %s %s removed the mover's own stones %s (suicide is off)"
                      % (color, move, own_removed))
        game.history_state.append((game.captured_by["b"], game.captured_by["w"], game.last_point,
                                   game.recently_captured, game.ko_points))
        game.captured_by[color] += len(removed)
        self.stats["captures"] += len(removed)
        game.last_point = gtplib.parse_vertex(move, game.size) if move != "pass" else None
        game.recently_captured = removed
        # Recent single-stone captures: the points where a ko may be (re)taken.
        ko = list(game.ko_points[-2:])
        if len(removed) == 1:
            ko.append(removed[0])
            ko.append(game.last_point)
        game.ko_points = [p for p in ko if p not in after or p == game.last_point]

    def undo(self, game, count):
        for _ in range(count):
            c = "undo"
            game.replay.append(c)
            rg, rt = self.gnugo.command(c), self.tengen.command(c)
            if not rg.ok:
                raise GtpError("gnugo could not undo: %s" % rg)
            if not rt.ok:
                self.fail(game, "tengen could not undo after %d moves: %s" % (len(game.moves), rt))
            color, _ = game.moves.pop()
            (game.captured_by["b"], game.captured_by["w"], game.last_point, game.recently_captured,
             game.ko_points) = game.history_state.pop()
            self.stats["undos"] += 1
        board, info = self.read_boards(game)
        return color, board, info


class Game:
    def __init__(self, size):
        self.size = size
        self.moves = []
        self.replay = []
        self.all_points = [(x, y) for y in range(size) for x in range(size)]
        self.neighbours = {
            (x, y): [(x + dx, y + dy) for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1))
                     if 0 <= x + dx < size and 0 <= y + dy < size]
            for (x, y) in self.all_points}
        self.last_point = None
        self.recently_captured = []
        self.ko_points = []
        self.captured_by = {"b": 0, "w": 0}
        self.history_state = []

    def near(self, p):
        x, y = p
        return {(x + dx, y + dy) for dx in (-2, -1, 0, 1, 2) for dy in (-2, -1, 0, 1, 2)}


def indent(text):
    return "\n".join("    " + l for l in text.split("\n"))


def main():
    args = parse_args()
    started = time.monotonic()
    gnugo_path = gtplib.find_gnugo(args.gnugo)
    if gnugo_path is None:
        print("gtp_vs_gnugo: SKIP: gnugo is not installed (looked at $GNUGO, PATH, /usr/games/gnugo)",
              file=sys.stderr)
        return 77
    rng = random.Random(args.seed)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else SIZE_POOL

    tengen = GtpEngine(gtplib.engine_argv(args.engine, args.engine_args), name="tengen", timeout=args.timeout)
    gnugo = GtpEngine([gnugo_path, "--mode", "gtp", "--forbid-suicide", "--simple-ko"], name="gnugo",
                      timeout=args.timeout)
    differ = None
    crashed = None
    try:
        differ = Differ(args, tengen, gnugo, rng)
        r = tengen.command("known_command kata-set-rules")
        differ.tengen_set_rules = r.text == "true"
        if not differ.tengen_set_rules:
            print("gtp_vs_gnugo: note: engine does not know kata-set-rules; relying on its default rules",
                  file=sys.stderr)
        game_index = 0
        while True:
            enough_games = game_index >= args.games and differ.stats["legal_checks"] >= args.min_checks
            if enough_games or time.monotonic() - started > args.time_budget:
                break
            size = rng.choice(sizes)
            game_index += 1
            try:
                game = differ.play_game(size)
                if args.verbose:
                    print("game %d: %dx%d, %d moves, %d checks so far" % (
                        game_index, size, size, len(game.moves), differ.stats["legal_checks"]), file=sys.stderr)
            except Mismatch:
                if len(differ.failures) > 3 * MAX_REPORTED:
                    break
    except GtpError as e:
        crashed = str(e)
        print("gtp_vs_gnugo: FAIL: %s" % e, file=sys.stderr)
        print("  recent traffic with %s:" % tengen.name, file=sys.stderr)
        for l in list(tengen.transcript)[-12:]:
            print("    " + l, file=sys.stderr)
    finally:
        tengen.close()
        gnugo.close()

    stats = differ.stats if differ else {}
    framing = ["%s: %s" % (what, line.rstrip()) for what, line in tengen.stray]
    for f in framing[:10]:
        print("gtp_vs_gnugo: framing: %s" % f, file=sys.stderr)
    elapsed = time.monotonic() - started
    failed = bool(crashed) or bool(differ and differ.failures) or bool(framing)
    if differ and stats["legal_checks"] < args.min_checks and not failed:
        print("gtp_vs_gnugo: note: only %d is_legal comparisons (wanted %d) within the time budget"
              % (stats["legal_checks"], args.min_checks), file=sys.stderr)
    print("gtp_vs_gnugo: %s: seed %d, %d games, %d positions, %d is_legal comparisons (%d illegal, %d of them on empty points, %d ko bans), "
          "%d moves (%d passes), %d stones captured, %d undos, %d board comparisons, %d mismatches, "
          "%d framing problems, %.1f s" % (
              "FAIL" if failed else "PASS", args.seed, stats.get("games", 0), stats.get("positions", 0),
              stats.get("legal_checks", 0), stats.get("illegal_answers", 0), stats.get("illegal_empty", 0), stats.get("ko_bans", 0),
              stats.get("moves", 0), stats.get("passes", 0), stats.get("captures", 0), stats.get("undos", 0),
              stats.get("board_checks", 0), len(differ.failures) if differ else 0, len(framing), elapsed),
          file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
