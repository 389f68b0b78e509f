#!/usr/bin/env python3
"""`tengen analysis`, KataGo's JSON analysis engine, checked over its stdin/stdout protocol.

On 9x9 with a small network (numAnalysisThreads=2, one search thread each, small maxVisits):
 1. A query with analyzeTurns [0,1,2]: one response per turn with the right turnNumber, isDuringSearch false;
    moveInfos fields typed and in range, order 0..n-1, visits summing to about maxVisits, edgeVisits ==
    visits, scoreMean == scoreLead, pv starting with the move; pvVisits / pvEdgeVisits as long as the pv;
    ownership (81 in [-1,1]), ownershipStdev, per-move ownership, policy (82 values, legal ones summing to 1,
    occupied points -1); rootInfo with visits, winrate, scoreLead, scoreSelfplay, utility, weight,
    currentPlayer, raw* fields, thisHash/symHash.
 2. Perspective: the same position with reportAnalysisWinratesAs BLACK and WHITE (overrideSettings) gives
    root winrates summing to 1 and opposite score leads and ownership.
 3. Several queries with different ids and priorities all answered, each once, with the right ids.
 4. reportDuringSearchEvery: isDuringSearch=true responses, then one final false.
 5. terminate (by id, with turnNumbers) and terminate_all: the action echoed back, queued turns answered
    with noResults, running ones with a partial result; query_version, query_models, clear_cache echoed.
 6. Errors, each with the query's id and field where known: missing fields, wrong types, illegal move
    (`Illegal move 1: E5`), board too big, bad rules; unknown field -> warning; overrideSettings with an
    unknown key -> warning; KaTrain rule spellings ("new zealand", "stone_scoring") accepted.
 7. Malformed input: truncated JSON, non-objects, binary garbage, empty lines, a 1 MB line, huge arrays,
    10^6 moves (answered with an error within seconds): the engine stays alive and answers a normal query.
 8. End of input: queued queries are still answered (higher priority first), then exit 0.
 9. The seed document's KataGoProcess client, unchanged, against `tengen analysis -model M` (through a
    wrapper adding a small maxVisits) and a query against `tengen analysis -model M` with no -config at all.

Exit 0: pass, 1: fail, 77: skipped.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import queue

FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL:", what, file=sys.stderr)
    return cond


class Engine:
    def __init__(self, engine, model, overrides="", config=None):
        args = [engine, "analysis", "-model", model]
        if config:
            args += ["-config", config]
        if overrides:
            args += ["-override-config", overrides]
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.q = queue.Queue()
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for raw in self.p.stdout:
            self.q.put(raw)
        self.q.put(None)

    def send_raw(self, data):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def send(self, obj):
        self.send_raw((json.dumps(obj) + "\n").encode())

    def read(self, timeout=120):
        raw = self.q.get(timeout=timeout)
        if raw is None:
            return None
        check(raw.endswith(b"\n") and raw.count(b"\n") == 1, "one line per response")
        return json.loads(raw)

    def until(self, pred, timeout=120):
        """Reads responses until pred(r) holds; returns (that one, the ones before)."""
        seen = []
        end = time.time() + timeout
        while True:
            r = self.read(max(0.1, end - time.time()))
            if r is None:
                raise RuntimeError("engine exited; got %r" % seen)
            if pred(r):
                return r, seen
            seen.append(r)

    def close(self, timeout=120):
        self.p.stdin.close()
        rest = []
        while True:
            r = self.read(timeout)
            if r is None:
                break
            rest.append(r)
        return self.p.wait(timeout), rest


def base_query(qid, **kw):
    q = {"id": qid, "moves": [["B", "E5"], ["W", "C3"]], "rules": "chinese", "komi": 7, "boardXSize": 9,
         "boardYSize": 9, "maxVisits": 30}
    q.update(kw)
    return q


def is_num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def check_response(r, max_visits, area=81):
    mi = r["moveInfos"]
    check(len(mi) > 0, "moveInfos not empty")
    for i, m in enumerate(mi):
        check(m["order"] == i, "order %d" % i)
        for k in ("winrate", "scoreMean", "scoreStdev", "scoreLead", "scoreSelfplay", "prior", "utility", "lcb",
                  "utilityLcb", "weight"):
            check(is_num(m.get(k)), "moveInfo %s numeric" % k)
        check(isinstance(m["visits"], int) and m["visits"] >= 0, "visits int")
        check(m["edgeVisits"] == m["visits"], "edgeVisits")
        check(0 <= m["winrate"] <= 1, "winrate range")
        check(0 <= m["prior"] <= 1, "prior range")
        check(abs(m["scoreMean"] - m["scoreLead"]) < 1e-9, "scoreMean == scoreLead")
        check(m["pv"] and m["pv"][0] == m["move"], "pv starts with move")
    total = sum(m["visits"] for m in mi)
    check(max_visits * 0.8 - 2 <= total <= max_visits, "visits sum %d ~ %d" % (total, max_visits))
    ri = r["rootInfo"]
    for k in ("visits", "winrate", "scoreLead", "scoreSelfplay", "utility", "weight", "rawWinrate", "rawLead",
              "rawScoreSelfplay", "rawScoreSelfplayStdev", "rawNoResultProb", "rawStWrError", "rawStScoreError",
              "rawVarTimeLeft"):
        check(is_num(ri.get(k)), "rootInfo %s" % k)
    check(ri["currentPlayer"] in ("B", "W"), "currentPlayer")
    check(isinstance(ri.get("thisHash"), str) and isinstance(ri.get("symHash"), str), "hashes")
    check(0 <= ri["winrate"] <= 1 and 0 <= ri["rawWinrate"] <= 1, "root winrates in range")
    check(max_visits - 1 <= ri["visits"] <= max_visits + 1, "root visits %d ~ %d" % (ri["visits"], max_visits))


def test_main(eng):
    q = base_query("main", analyzeTurns=[0, 1, 2], includeOwnership=True, includeOwnershipStdev=True,
                   includeMovesOwnership=True, includePolicy=True, includePVVisits=True, includeNoResultValue=True)
    eng.send(q)
    got = {}
    for _ in range(3):
        r, _ = eng.until(lambda r: r.get("id") == "main")
        check(r["isDuringSearch"] is False, "final response")
        got[r["turnNumber"]] = r
    check(sorted(got) == [0, 1, 2], "one response per turn: %s" % sorted(got))
    check(got[0]["rootInfo"]["currentPlayer"] == "B" and got[1]["rootInfo"]["currentPlayer"] == "W", "players")
    for t, r in got.items():
        check_response(r, 30)
        check(len(r["ownership"]) == 81 and all(-1 <= v <= 1 for v in r["ownership"]), "ownership")
        check(len(r["ownershipStdev"]) == 81 and all(0 <= v <= 1 for v in r["ownershipStdev"]), "ownershipStdev")
        pol = r["policy"]
        check(len(pol) == 82, "policy length")
        legal = [v for v in pol if v >= 0]
        check(abs(sum(legal) - 1) < 1e-3, "policy sums to 1")
        for m in r["moveInfos"]:
            check(len(m["pvVisits"]) == len(m["pv"]) == len(m["pvEdgeVisits"]), "pvVisits length")
            check(m["pvVisits"][0] == m["visits"], "pvVisits[0] = visits")
            check(len(m["ownership"]) == 81, "moves ownership")
            check(0 <= m["noResultValue"] <= 1, "noResultValue")
    # E5 (x=4, y from the top 4) is occupied from turn 1 on.
    check(got[2]["policy"][4 * 9 + 4] == -1, "occupied point is -1 in policy")


def test_perspective(eng):
    res = {}
    for side in ("BLACK", "WHITE"):
        eng.send(base_query("p" + side, maxVisits=20, includeOwnership=True,
                            overrideSettings={"reportAnalysisWinratesAs": side, "searchRandSeed": "5"}))
        res[side], _ = eng.until(lambda r, s=side: r.get("id") == "p" + s and "moveInfos" in r)
    b, w = res["BLACK"]["rootInfo"], res["WHITE"]["rootInfo"]
    check(abs(b["rawWinrate"] + w["rawWinrate"] - 1) < 1e-6, "raw winrates flip")
    check(abs(b["rawLead"] + w["rawLead"]) < 1e-6, "raw leads flip")
    check(abs(b["winrate"] + w["winrate"] - 1) < 0.05, "winrates flip %s %s" % (b["winrate"], w["winrate"]))
    ob, ow = res["BLACK"]["ownership"], res["WHITE"]["ownership"]
    check(sum(ob) * sum(ow) <= 0 and abs(sum(ob) + sum(ow)) < 3, "ownership flips")


def test_concurrent(eng):
    ids = ["c%d" % i for i in range(6)]
    for i, qid in enumerate(ids):
        eng.send(base_query(qid, maxVisits=10, priority=i % 3))
    answered = []
    while len(answered) < len(ids):
        r, _ = eng.until(lambda r: str(r.get("id", "")).startswith("c"))
        check("moveInfos" in r, "concurrent answered: %r" % r)
        answered.append(r["id"])
    check(sorted(answered) == sorted(ids), "each id answered once: %s" % answered)


def test_during_search(eng):
    eng.send(base_query("d", maxVisits=100000, reportDuringSearchEvery=0.2,
                        overrideSettings={"maxTime": 2.0}))
    final, before = eng.until(lambda r: r.get("id") == "d" and r.get("isDuringSearch") is False, timeout=60)
    during = [r for r in before if r.get("id") == "d"]
    check(len(during) >= 2 and all(r["isDuringSearch"] is True for r in during), "during-search reports: %d" %
          len(during))
    check("moveInfos" in final, "final after during-search")


def test_terminate(eng):
    # Turns queued behind a long search: terminate one id's turns 1 and 2, then everything else.
    eng.send(base_query("long", maxVisits=100000, overrideSettings={"maxTime": 30}))
    eng.send(base_query("long2", maxVisits=100000, overrideSettings={"maxTime": 30}))
    eng.send(base_query("q", analyzeTurns=[0, 1, 2], maxVisits=100000, overrideSettings={"maxTime": 30},
                        priority=-5))
    time.sleep(1.0)
    eng.send({"id": "t1", "action": "terminate", "terminateId": "q", "turnNumbers": [1, 2]})
    ack, before = eng.until(lambda r: r.get("id") == "t1")
    check(ack == {"id": "t1", "action": "terminate", "terminateId": "q", "turnNumbers": [1, 2]}, "terminate echo")
    noresults = [r for r in before if r.get("id") == "q"]
    check(sorted(r["turnNumber"] for r in noresults) == [1, 2] and all(r.get("noResults") is True and
                                                                       r["isDuringSearch"] is False
                                                                       for r in noresults),
          "noResults for terminated turns: %s" % noresults)
    eng.send({"id": "t2", "action": "terminate_all"})
    ack, before = eng.until(lambda r: r.get("id") == "t2")
    check(ack == {"id": "t2", "action": "terminate_all"}, "terminate_all echo")
    pending = {"long", "long2", "q"}
    start = time.time()
    # the queued turn 0 of q answers before the acknowledgement; the stopped searches only after it
    for r in before:
        if r.get("id") in pending:
            pending.discard(r["id"])
            check(r.get("noResults") is True and r["turnNumber"] == 0, "queued turn terminated: %r" % r)
    while pending:
        r, _ = eng.until(lambda r: r.get("id") in pending, timeout=20)
        pending.discard(r["id"])
        check("moveInfos" in r or r.get("noResults") is True, "terminated result: %r" % r)
    check(time.time() - start < 10, "terminated searches stop quickly")
    eng.send({"id": "t3", "action": "terminate", "turnNumbers": [1]})
    r, _ = eng.until(lambda r: r.get("id") == "t3")
    check(r.get("field") == "terminateId" and "error" in r, "terminate without terminateId")


def test_actions(eng):
    eng.send({"id": "v", "action": "query_version"})
    r, _ = eng.until(lambda r: r.get("id") == "v")
    check(r.get("action") == "query_version" and isinstance(r.get("version"), str) and "git_hash" in r,
          "query_version")
    eng.send({"id": "cc", "action": "clear_cache"})
    r, _ = eng.until(lambda r: r.get("id") == "cc")
    check(r == {"id": "cc", "action": "clear_cache"}, "clear_cache echo")
    eng.send({"id": "qm", "action": "query_models"})
    r, _ = eng.until(lambda r: r.get("id") == "qm")
    check(isinstance(r.get("models"), list) and r["models"][0]["version"] >= 1, "query_models")
    eng.send({"id": "bad", "action": "dance"})
    r, _ = eng.until(lambda r: "error" in r)
    check("'action' field must be" in r["error"], "unknown action")


def expect_error(eng, query, field, contains=""):
    eng.send(query)
    r, _ = eng.until(lambda r: r.get("id") == query.get("id") and ("error" in r or "moveInfos" in r))
    check(r.get("error") is not None and r.get("field") == field and contains in r["error"],
          "error for %s: %r" % (field, r))


def test_errors(eng):
    expect_error(eng, {"id": "e1", "moves": [], "rules": "chinese", "boardXSize": 9}, "boardYSize")
    expect_error(eng, base_query("e2", boardXSize=25, boardYSize=25), "boardXSize", "2 to 19")
    expect_error(eng, base_query("e3", moves=[["B", "E5"], ["W", "E5"]]), "moves", "Illegal move 1: E5")
    expect_error(eng, base_query("e4", moves="E5"), "moves")
    expect_error(eng, base_query("e5", rules="calvinball"), "rules", "Could not parse rules")
    expect_error(eng, base_query("e6", komi="seven"), "komi")
    expect_error(eng, base_query("e7", komi=7.3), "komi")
    expect_error(eng, base_query("e8", maxVisits=0), "maxVisits")
    expect_error(eng, base_query("e9", includeOwnership="yes"), "includeOwnership")
    expect_error(eng, base_query("e10", analyzeTurns=[5]), "analyzeTurns", "Invalid turn number: 5")
    expect_error(eng, base_query("e11", moves=[["X", "E5"]]), "moves", "Could not parse player")
    expect_error(eng, base_query("e12", moves=[["B", "Z99"]]), "moves", "Could not parse board location")
    expect_error(eng, base_query("e13", overrideSettings=5), "overrideSettings")
    expect_error(eng, base_query("e14", overrideSettings={"cpuctExploration": "lots"}), "overrideSettings")
    expect_error(eng, base_query("e15", avoidMoves=[{"player": "B", "moves": ["E5"], "untilDepth": 0}]),
                 "untilDepth")
    expect_error(eng, base_query("e16", priorities=[1]), "priorities")
    # Warnings: the query still runs.
    eng.send(base_query("w1", maxVisits=5, colour="blue", overrideSettings={"noSuchKnob": 1}))
    r, before = eng.until(lambda r: r.get("id") == "w1" and "moveInfos" in r)
    warns = [x for x in before if x.get("id") == "w1" and "warning" in x]
    check(any(x["field"] == "colour" for x in warns), "unknown field warning")
    check(any(x["field"] == "overrideSettings" and "noSuchKnob" in x["warning"] for x in warns),
          "unknown override warning")
    for rules in ("new zealand", "stone_scoring", "japanese", {"ko": "SIMPLE", "scoring": "TERRITORY",
                                                                "tax": "SEKI", "suicide": False,
                                                                "hasButton": False,
                                                                "whiteHandicapBonus": "0",
                                                                "friendlyPassOk": True}):
        eng.send(base_query("r", maxVisits=5, rules=rules))
        r, _ = eng.until(lambda r: r.get("id") == "r")
        check("moveInfos" in r, "rules %r accepted: %r" % (rules, r))
    # allowMoves: only the allowed move is analysed.
    eng.send(base_query("allow", maxVisits=10, allowMoves=[{"player": "B", "moves": ["G7"], "untilDepth": 1}]))
    r, _ = eng.until(lambda r: r.get("id") == "allow")
    check([m["move"] for m in r.get("moveInfos", [])] == ["G7"], "allowMoves: %r" % r.get("moveInfos"))
    eng.send(base_query("avoid", maxVisits=20, avoidMoves=[{"player": "B", "moves": ["G7", "C7"],
                                                            "untilDepth": 1}]))
    r, _ = eng.until(lambda r: r.get("id") == "avoid")
    check(not {"G7", "C7"} & {m["move"] for m in r.get("moveInfos", [])}, "avoidMoves")


def test_malformed(eng):
    big_moves = json.dumps(base_query("huge", moves=[["B", "pass"]] * 1000000)).encode() + b"\n"
    corpus = [
        b'{"id":"x","moves":[\n',
        b'[1,2,3]\n',
        b'"just a string"\n',
        b'\n', b'   \n', b'\r\n',
        b'\x00\xff\xfe garbage \x01\x02\n',
        b'{"id":"x\xff\xfe"}\n',
        b'{"id":5,"moves":[]}\n',
        b'{"id":"big","junk":"' + b"a" * (1 << 20) + b'"}\n',
        json.dumps(base_query("hugeturns", analyzeTurns=list(range(100000)))).encode() + b"\n",
        json.dumps({"id": "deep", "moves": [[[[[[[[[[[[[["B"]]]]]]]]]]]]]], "rules": "chinese",
                    "boardXSize": 9, "boardYSize": 9}).encode() + b"\n",
        b'{"id":"num","moves":[],"rules":"chinese","boardXSize":1e400,"boardYSize":9}\n',
        b'{"id":"int","moves":[],"rules":"chinese","boardXSize":99999999999999999999999,"boardYSize":9}\n',
    ]
    for line in corpus:
        eng.send_raw(line)
    start = time.time()
    eng.send_raw(big_moves)
    r, _ = eng.until(lambda r: r.get("id") == "huge", timeout=60)
    check("error" in r and r.get("field") == "moves", "10^6 moves refused: %r" % r)
    check(time.time() - start < 30, "10^6 moves answered quickly (%.1fs)" % (time.time() - start))
    eng.send(base_query("alive", maxVisits=5))
    r, _ = eng.until(lambda r: r.get("id") == "alive", timeout=60)
    check("moveInfos" in r, "alive after malformed input")


def test_end_of_input(engine, model):
    eng = Engine(engine, model, "numAnalysisThreads=1,numSearchThreadsPerAnalysisThread=1,logToStderr=false")
    # One analysis thread: eof1 and eof2 queue behind eof0 (or eof2 is taken first), and eof2's higher
    # priority puts it ahead of eof1 whatever the timing.
    eng.send_raw(b"".join((json.dumps(base_query("eof%d" % i, maxVisits=10, priority=5 if i == 2 else 0)) +
                           "\n").encode() for i in range(3)))
    rc, rest = eng.close()
    check(rc == 0, "exit 0 at end of input (%s)" % rc)
    order = [r.get("id") for r in rest]
    check(sorted(order) == ["eof0", "eof1", "eof2"], "queued queries finished: %r" % order)
    check(order[-1:] == ["eof1"], "higher priority first: %r" % order)


# The seed document's client (shared/docs/seed-quantization-deployment.md, "Desktop Application
# Integration"), unchanged.
class KataGoProcess:
    def __init__(self, katago_path, model_path):
        self.process = subprocess.Popen(
            [katago_path, 'analysis', '-model', model_path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True
        )

    def analyze(self, moves):
        query = {
            'id': 'query1',
            'moves': moves,
            'rules': 'chinese',
            'komi': 7.5,
            'boardXSize': 19,
            'boardYSize': 19
        }
        self.process.stdin.write(json.dumps(query) + '\n')
        self.process.stdin.flush()

        response = self.process.stdout.readline()
        return json.loads(response)


def test_seed_client(engine, model):
    with tempfile.TemporaryDirectory() as tmp:
        wrapper = os.path.join(tmp, "katago")
        with open(wrapper, "w") as f:
            f.write('#!/bin/sh\nshift\nexec "%s" analysis "$@" -override-config '
                    'maxVisits=20,logToStderr=false\n' % os.path.abspath(engine))
        os.chmod(wrapper, 0o755)
        client = KataGoProcess(wrapper, model)
        try:
            r = client.analyze([["B", "Q16"], ["W", "D4"]])
            check(r.get("id") == "query1" and len(r.get("moveInfos", [])) > 0, "seed client: %r" % r)
            check(r["rootInfo"]["currentPlayer"] == "B" and r["turnNumber"] == 2, "seed client turn")
        finally:
            client.process.stdin.close()
            check(client.process.wait(120) == 0, "seed client engine exits 0")
    # No -config, no override, no maxVisits in the query: the built-in defaults must answer.
    p = subprocess.Popen([engine, "analysis", "-model", model], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    q = {"id": "dflt", "moves": [["B", "E5"]], "rules": "chinese", "komi": 7, "boardXSize": 9, "boardYSize": 9}
    out, _ = p.communicate(json.dumps(q) + "\n", timeout=300)
    lines = [json.loads(x) for x in out.splitlines()]
    check(len(lines) == 1 and lines[0].get("id") == "dflt" and lines[0]["rootInfo"]["visits"] >= 400,
          "defaults without -config: %r" % [x.get("rootInfo", x) for x in lines])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", required=True)
    ap.add_argument("--model", required=True)
    a = ap.parse_args()
    overrides = "numAnalysisThreads=2,numSearchThreadsPerAnalysisThread=1,logToStderr=false,maxVisits=30"
    eng = Engine(a.engine, a.model, overrides)
    try:
        for t in (test_main, test_perspective, test_concurrent, test_during_search, test_terminate, test_actions,
                  test_errors, test_malformed):
            t0 = time.time()
            try:
                t(eng)
            except Exception as ex:  # one broken section must not hide the others
                check(False, "%s raised %r" % (t.__name__, ex))
            print("%s: %.1fs" % (t.__name__, time.time() - t0), file=sys.stderr)
        rc, _ = eng.close(timeout=120)
        check(rc == 0, "main engine exit status %s" % rc)
    finally:
        if eng.p.poll() is None:
            eng.p.kill()
    for t in (test_end_of_input, test_seed_client):
        t0 = time.time()
        try:
            t(a.engine, a.model)
        except Exception as ex:
            check(False, "%s raised %r" % (t.__name__, ex))
        print("%s: %.1fs" % (t.__name__, time.time() - t0), file=sys.stderr)
    if FAILS:
        print("analysis_protocol: %d failure(s)" % len(FAILS), file=sys.stderr)
        return 1
    print("analysis_protocol: all checks passed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
