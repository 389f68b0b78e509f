#!/usr/bin/env python3
"""KataGo's parameter commands against tengen: kata-list-params, kata-get-param, kata-get-params,
kata-set-param and kata-set-params.

Checks: the list and the JSON of kata-get-params name the same parameters; kata-get-params is a JSON
object in key order with KataGo's value types (GTP-level values as strings); values set with either
command read back; LizzieYzy's "unlimited" maxVisits 1125899906842624 is accepted and one more is not;
KataGo's error wording for bad values, unknown parameters, bad JSON and wrong argument counts; an
empty value restores the default; defaults that follow other keys follow them (rootPolicyOptimism
after policyOptimism); a failed set changes nothing; numSearchThreads and maxVisits take effect in a
genmove. Needs a network: --model FILE (the .test script finds one in $TENGEN_SHARED_DIR/models).
Exit 0: pass, 1: fail.
"""

import argparse
import json
import sys
import time

import gtplib
from gtplib import GtpEngine, GtpError

RANGE_TAIL = " in config file  and/or command-line and query overrides"

# Parameters tengen lists (a subset of KataGo's): the GTP-level ones first, then the search's.
EXPECTED_SPECIAL = ["analysisWideRootNoise", "allowResignation"]
EXPECTED_SOME = ["maxVisits", "maxPlayouts", "maxTime", "numSearchThreads", "playoutDoublingAdvantage",
                 "rootPolicyTemperature", "cpuctExploration", "winLossUtilityFactor", "lcbStdevs",
                 "chosenMoveTemperature", "policyOptimism", "rootPolicyOptimism", "nnPolicyTemperature"]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", required=True, help="path of tengen")
    p.add_argument("--model", required=True, help="network file")
    p.add_argument("--engine-args", default="", help="extra arguments after 'gtp -model FILE'")
    p.add_argument("--timeout", type=float, default=20.0)
    p.add_argument("--verbose", "-v", action="store_true")
    return p.parse_args()


def main():
    args = parse_args()
    started = time.monotonic()
    ck = gtplib.Checker("gtp_params")
    argv = gtplib.engine_argv(args.engine, "gtp -model '%s' -override-config searchRandSeed=7 %s" % (
        args.model, args.engine_args))
    e = GtpEngine(argv, name="tengen", timeout=args.timeout)
    try:
        def cmd(c):
            r = e.command(c)
            probs = gtplib.well_formed_problems(r)
            ck.check(not probs, c, "badly framed reply: %s" % probs)
            if args.verbose:
                print(">> %s\n%s" % (c, r), file=sys.stderr)
            return r

        def ok(c, expect=None):
            r = cmd(c)
            ck.check(r.ok, c, "failed: %s" % r)
            if expect is not None:
                ck.check(r.text == expect, c, "got %r, expected %r" % (r.text, expect))
            return r.text

        def err(c, expect):
            r = cmd(c)
            ck.check(r.error, c, "succeeded: %s" % r)
            ck.check(r.text == expect, c, "error text %r, expected %r" % (r.text, expect))

        cmds = ok("list_commands").split("\n")
        for name in ["kata-list-params", "kata-get-param", "kata-get-params", "kata-set-param", "kata-set-params"]:
            ck.check(name in cmds, "list_commands", "%s missing" % name)

        listed = ok("kata-list-params").split(" ")
        ck.check(listed[:len(EXPECTED_SPECIAL)] == EXPECTED_SPECIAL, "kata-list-params",
                 "GTP-level params first: %r" % listed[:3])
        rest = listed[len(EXPECTED_SPECIAL):]
        ck.check(rest == sorted(rest), "kata-list-params", "search params not in key order")
        ck.check(len(set(listed)) == len(listed), "kata-list-params", "duplicates")
        for k in EXPECTED_SOME:
            ck.check(k in listed, "kata-list-params", "%s missing" % k)

        text = ok("kata-get-params")
        try:
            params = json.loads(text)
        except ValueError as ex:
            ck.check(False, "kata-get-params", "not JSON (%s): %r" % (ex, text[:200]))
            params = {}
        ck.check(sorted(params) == sorted(listed), "kata-get-params", "keys differ from kata-list-params")
        ck.check(list(params) == sorted(params), "kata-get-params", "keys not in order")
        ck.check(" " not in text, "kata-get-params", "nlohmann's compact dump has no spaces")
        ck.check(params.get("maxVisits") == 1 << 50, "kata-get-params", "maxVisits %r" % params.get("maxVisits"))
        ck.check(params.get("analysisWideRootNoise") == "0.04", "kata-get-params", "analysisWideRootNoise as a string")
        ck.check(params.get("allowResignation") == "false", "kata-get-params", "allowResignation as a string")
        ck.check(params.get("useLcbForSelection") is True, "kata-get-params", "bools as JSON booleans")
        ck.check('"maxTime":1e+20' in text, "kata-get-params", "maxTime as nlohmann writes 1e20")
        ck.check('"cpuctExploration":1.0' in text, "kata-get-params", "integral doubles with .0")
        ck.check(isinstance(params.get("numSearchThreads"), int), "kata-get-params", "numSearchThreads an int")
        for k in listed:
            if k in params:
                v = params[k]
                want = v if isinstance(v, str) else json.dumps(v).replace("1e+20", "1e+20")
                got = ok("kata-get-param " + k)
                if isinstance(v, str):
                    ck.check(got == v, "kata-get-param " + k, "%r vs %r in kata-get-params" % (got, v))
                else:
                    ck.check(json.loads(got) == v, "kata-get-param " + k, "%r vs %r in kata-get-params" % (got, v))

        ok("kata-get-param maxTime", "1e+20")
        ok("kata-get-param rootPolicyOptimism", "0.2")
        err("kata-get-param noSuchParam", "Invalid parameter: noSuchParam")
        err("kata-get-param", "Expected one arguments for kata-get-param but got ''")
        err("kata-get-param maxVisits maxTime", "Expected one arguments for kata-get-param but got 'maxVisits maxTime'")

        # LizzieYzy's "unlimited".
        ok("kata-set-param maxVisits 1125899906842624", "")
        ok("kata-get-param maxVisits", "1125899906842624")
        err("kata-set-param maxVisits 1125899906842625",
            "Could not set params: Key 'maxVisits' must be in the range 1 to 1125899906842624" + RANGE_TAIL)
        err("kata-set-param maxVisits 0",
            "Could not set params: Key 'maxVisits' must be in the range 1 to 1125899906842624" + RANGE_TAIL)
        err("kata-set-param maxVisits lots",
            "Could not set params: Could not parse 'lots' as int64_t for key 'maxVisits'" + RANGE_TAIL)
        err("kata-set-param numSearchThreads 5000",
            "Could not set params: Key 'numSearchThreads' must be in the range 1 to 4096" + RANGE_TAIL)
        err("kata-set-param numSearchThreads 1.5",
            "Could not set params: Could not parse '1.5' as int for key 'numSearchThreads'" + RANGE_TAIL)
        err("kata-set-param maxTime 1e21",
            "Could not set params: Key 'maxTime' must be in the range 0 to 1e+20" + RANGE_TAIL)
        err("kata-set-param rootPolicyTemperature 0",
            "Could not set params: Key 'rootPolicyTemperature' must be in the range 0.01 to 100" + RANGE_TAIL)
        err("kata-set-param cpuctExploration nan",
            "Could not set params: Could not parse 'nan' as double for key 'cpuctExploration'" + RANGE_TAIL)
        err("kata-set-param playoutDoublingAdvantage 3.5",
            "Could not set params: Key 'playoutDoublingAdvantage' must be in the range -3 to 3" + RANGE_TAIL)
        err("kata-set-param analysisWideRootNoise 6",
            "Could not set params: Key 'analysisWideRootNoise' must be in the range 0 to 5" + RANGE_TAIL)
        err("kata-set-param useLcbForSelection maybe",
            "Could not set params: Could not parse 'maybe' as bool for key 'useLcbForSelection'" + RANGE_TAIL)
        err("kata-set-param noSuchParam 1",
            "Could not set params: Unrecognized or non-overridable parameter in kata-set-params: noSuchParam")
        err("kata-set-param", "Expected one or two arguments for kata-set-param but got ''")
        err("kata-set-param a b c", "Expected one or two arguments for kata-set-param but got 'a b c'")
        err("kata-set-params", "Expected argument for kata-set-param but got ''")
        err("kata-set-params [1,2]", "Could not set params: Argument to kata-set-params must be a json object")
        r = cmd("kata-set-params {\"maxVisits\": ")
        ck.check(r.error and r.text.startswith("Could not set params: "), "kata-set-params bad JSON", str(r))
        ok("kata-get-param maxVisits", "1125899906842624")

        # Values read back, as GUIs set them.
        ok("kata-set-param playoutDoublingAdvantage 1.5", "")
        ok("kata-get-param playoutDoublingAdvantage", "1.5")
        ok("kata-set-param analysisWideRootNoise 0.1", "")
        ok("kata-get-param analysisWideRootNoise", "0.1")
        ok("kata-set-param rootPolicyTemperature 1.25", "")
        ok("kata-get-param rootPolicyTemperature", "1.25")
        ok("kata-get-param rootPolicyTemperatureEarly", "1.25")      # follows rootPolicyTemperature
        ok("kata-set-param policyOptimism 0.1", "")
        ok("kata-get-param rootPolicyOptimism", "0.1")               # min(policyOptimism, 0.2)
        ok("kata-set-param allowResignation true", "")
        ok("kata-get-param allowResignation", "true")
        ok("kata-set-param useLcbForSelection FALSE", "")
        ok("kata-get-param useLcbForSelection", "false")
        ok("kata-set-params {\"cpuctExploration\": 0.9, \"lcbStdevs\": \"4\", \"useLcbForSelection\": true}", "")
        ok("kata-get-param cpuctExploration", "0.9")
        ok("kata-get-param lcbStdevs", "4.0")
        ok("kata-get-param useLcbForSelection", "true")
        # A failed set changes nothing, even its valid part.
        err("kata-set-params {\"cpuctExploration\": 0.5, \"lcbStdevs\": 99}",
            "Could not set params: Key 'lcbStdevs' must be in the range 1 to 12" + RANGE_TAIL)
        ok("kata-get-param cpuctExploration", "0.9")
        # An empty value restores the default.
        ok("kata-set-param cpuctExploration", "")
        ok("kata-get-param cpuctExploration", "1.0")
        ok("kata-set-params {\"policyOptimism\": \"\"}", "")
        ok("kata-get-param rootPolicyOptimism", "0.2")
        ok("kata-set-param allowResignation false", "")
        params = json.loads(ok("kata-get-params"))
        ck.check(params.get("playoutDoublingAdvantage") == 1.5, "kata-get-params", "playoutDoublingAdvantage")
        ck.check(params.get("analysisWideRootNoise") == "0.1", "kata-get-params", "analysisWideRootNoise")

        # The search uses the new limits and thread count.
        ok("kata-set-params {\"numSearchThreads\": 2, \"maxVisits\": 30}", "")
        ok("kata-get-param numSearchThreads", "2")
        ok("boardsize 9")
        ok("clear_board")
        t0 = time.monotonic()
        mv = ok("genmove b")
        ck.check(mv.lower() not in ("", "resign"), "genmove", "move %r" % mv)
        ck.check(time.monotonic() - t0 < args.timeout, "genmove", "maxVisits 30 not honoured")
        r = cmd("kata-genmove_analyze w")
        ck.check(r.ok, "kata-genmove_analyze", str(r)[:200])
        ok("quit")
    except GtpError as ex:
        ck.check(False, "engine", str(ex))
    finally:
        e.close(timeout=2.0)
    ck.report_rest()
    failed = bool(ck.failures)
    print("gtp_params: %s: %d checks, %d failed, %.1f s" % ("FAIL" if failed else "PASS", ck.checks,
                                                            len(ck.failures), time.monotonic() - started),
          file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
