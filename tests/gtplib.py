"""A small GTP client for tengen's script tests (Python 3.11 standard library only).

GtpEngine starts an engine process and talks to it over pipes. A reader thread splits the engine's
stdout into lines and a writer thread feeds its stdin, so a hung or dead engine turns into a
GtpTimeout / GtpEngineDied exception instead of hanging the test, and large writes (1 MB lines)
cannot deadlock against the engine's own output.

Every line the engine writes is checked against GTP framing: a reply starts with a status line
'=' or '?' optionally followed by id digits, then a space and text or the end of the line, goes on
with non-blank lines and ends with exactly one blank line. Lines that arrive outside a reply
(stray output, extra blank lines) are recorded in GtpEngine.stray and in the next reply's problems.
"""

import collections
import os
import queue
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time

DEFAULT_TIMEOUT = 5.0

# Status line: '=' or '?', optional id digits, then nothing or a space and the first line of text.
STATUS_LINE_RE = re.compile(r'^([=?])(\d*)(?: (.*))?$', re.S)

BOARD_LETTERS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"   # GTP columns: no 'I'


class GtpError(Exception):
    """The engine broke the protocol in a way the test cannot continue from."""


class GtpTimeout(GtpError):
    pass


class GtpEngineDied(GtpError):
    pass


class Response:
    """One parsed GTP reply."""

    def __init__(self, lines, raw):
        self.lines = lines                  # decoded lines without terminators, blank end line excluded
        self.raw = raw                      # the exact bytes, terminating blank line included
        self.problems = []                  # framing violations found while reading this reply
        m = STATUS_LINE_RE.match(lines[0])
        if m is None:                       # cannot happen: the reader only starts replies on = or ?
            raise GtpError("not a status line: %r" % lines[0])
        self.status = m.group(1)
        self.id = m.group(2) if m.group(2) else None
        first = m.group(3) if m.group(3) is not None else ""
        self.text = "\n".join([first] + lines[1:]).strip()
        self.first_line_text = first

    @property
    def ok(self):
        return self.status == "="

    @property
    def error(self):
        return self.status == "?"

    def __repr__(self):
        return "Response(%r)" % self.raw.decode("latin-1")

    def __str__(self):
        return self.raw.decode("latin-1").rstrip("\n")


def _decode(b):
    return b.decode("latin-1")


class GtpEngine:
    """A GTP engine process.

    argv: the full command line. name: a label for messages. stderr_lines: how many of the engine's
    last stderr lines to keep for diagnostics.
    """

    def __init__(self, argv, name=None, timeout=DEFAULT_TIMEOUT, stderr_lines=200, cwd=None, env=None):
        self.argv = list(argv)
        self.name = name or os.path.basename(self.argv[0])
        self.timeout = timeout
        self.stray = []                     # (description, line) of output outside replies
        self.stderr_tail = collections.deque(maxlen=stderr_lines)
        self.transcript = collections.deque(maxlen=400)   # recent '> cmd' / '< reply' for reports
        self._lines = queue.Queue()
        self._writes = queue.Queue()
        self._write_error = None
        self.stdout_closed = threading.Event()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, cwd=cwd, env=env, bufsize=0)
        self._threads = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
            threading.Thread(target=self._write_stdin, daemon=True),
        ]
        for t in self._threads:
            t.start()

    # ---- threads -------------------------------------------------------------------------------

    def _read_stdout(self):
        try:
            while True:
                line = self.proc.stdout.readline()
                if not line:
                    break
                self._lines.put(line)
        except (OSError, ValueError):
            pass
        self.stdout_closed.set()
        self._lines.put(None)               # EOF marker

    def _read_stderr(self):
        try:
            for line in self.proc.stderr:
                self.stderr_tail.append(_decode(line).rstrip("\r\n"))
        except (OSError, ValueError):
            pass

    def _write_stdin(self):
        while True:
            data = self._writes.get()
            if data is None:
                try:
                    self.proc.stdin.close()
                except OSError:
                    pass
                return
            try:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
            except (OSError, ValueError) as e:
                self._write_error = e
                return

    # ---- sending -------------------------------------------------------------------------------

    def send_raw(self, data):
        """Queue bytes (or str, encoded as latin-1) for the engine's stdin, exactly as given."""
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.transcript.append("> " + _shorten(_decode(data)))
        self._writes.put(data)

    def send(self, command):
        """Queue one command line (a newline is added)."""
        self.send_raw(command + "\n")

    def close_stdin(self):
        self._writes.put(None)

    # ---- receiving -----------------------------------------------------------------------------

    def _next_line(self, deadline, waiting_for):
        remaining = deadline - time.monotonic()
        try:
            line = self._lines.get(timeout=max(0.0, remaining))
        except queue.Empty:
            raise GtpTimeout("%s: no complete reply within the time limit while waiting for %s"
                             % (self.name, waiting_for)) from None
        if line is None:
            self._lines.put(None)           # keep the EOF marker for later readers
            rc = self.proc.poll()
            raise GtpEngineDied("%s: stdout closed (exit code %s) while waiting for %s%s"
                                % (self.name, rc, waiting_for, self.stderr_hint()))
        return line

    def read_response(self, timeout=None, waiting_for="a reply"):
        """Read one reply. Stray lines before it are recorded and put into its problems."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        problems = []
        while True:
            line = self._next_line(deadline, waiting_for)
            text = _decode(line)
            if text[:1] in ("=", "?"):
                break
            what = "extra blank line" if text.strip("\r\n") == "" else "line outside any reply"
            self.stray.append((what, text))
            problems.append("%s: %r" % (what, _shorten(text)))
        raw = line
        lines = [text.rstrip("\n")]
        while True:
            line = self._next_line(deadline, waiting_for + " (reply started: %r)" % _shorten(lines[0]))
            raw += line
            text = _decode(line)
            if text in ("\n", "\r\n"):
                break
            if text.strip() == "":
                problems.append("whitespace-only line inside the reply (ends a reply for GUIs): %r" % text)
            lines.append(text.rstrip("\n"))
        for i, l in enumerate(lines):
            if l.endswith("\r"):
                problems.append("carriage return at the end of line %d" % (i + 1))
                lines[i] = l.rstrip("\r")
        if not raw.endswith(b"\n\n") and raw.endswith(b"\r\n"):
            problems.append("reply ends with CRLF instead of LF")
        if not STATUS_LINE_RE.match(lines[0]):
            problems.append("bad status line (want '=' or '?', id digits, then a space or the end): %r"
                            % lines[0])
            lines[0] = lines[0][0]
        resp = Response(lines, raw)
        resp.problems.extend(problems)
        self.transcript.append("< " + _shorten(str(resp)))
        return resp

    def command(self, command, timeout=None):
        """Send one command and return its reply."""
        self.send(command)
        return self.read_response(timeout, waiting_for="the reply to %r" % _shorten(command))

    def commands(self, commands, timeout=None):
        """Pipeline several commands (all written at once) and return their replies in order."""
        self.send_raw("".join(c + "\n" for c in commands))
        return [self.read_response(timeout, waiting_for="the reply to %r" % _shorten(c)) for c in commands]

    def ok(self, command, timeout=None):
        """Send a command that must succeed; return the reply text, raise GtpError otherwise."""
        r = self.command(command, timeout)
        if not r.ok:
            raise GtpError("%s: %r failed: %s" % (self.name, command, r))
        return r.text

    def collect_stray(self, wait=0.2):
        """Wait a little and return (and record) any output that is not part of a reply."""
        found = []
        deadline = time.monotonic() + wait
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                self._lines.put(None)
                break
            text = _decode(line)
            self.stray.append(("unsolicited output", text))
            found.append(text)
        return found

    # ---- process -------------------------------------------------------------------------------

    def alive(self):
        return self.proc.poll() is None

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stderr_hint(self):
        if not self.stderr_tail:
            return ""
        tail = list(self.stderr_tail)[-8:]
        return "\n  last stderr lines:\n    " + "\n    ".join(_shorten(l, 200) for l in tail)

    def close(self, timeout=2.0):
        """Ask the engine to quit, then make sure it is gone."""
        if self.alive():
            try:
                self.send("quit")
                self.close_stdin()
            except Exception:
                pass
            if self.wait_exit(timeout) is None:
                self.proc.kill()
                self.wait_exit(timeout)
        for f in (self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except Exception:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _shorten(s, limit=160):
    s = s.replace("\n", "\\n")
    if len(s) > limit:
        return s[:limit] + "...(%d chars)" % len(s)
    return s


# ---- engine command lines --------------------------------------------------------------------------

def engine_argv(engine, engine_args):
    """The command line for --engine PATH --engine-args 'ARGS' (ARGS split like a shell would).
    $TENGEN_WRAPPER, if set, goes in front (CI runs the engine under valgrind that way)."""
    if os.sep in engine:
        engine = os.path.abspath(engine)      # the engine may run in another directory
    wrapper = shlex.split(os.environ.get("TENGEN_WRAPPER", ""))
    return wrapper + [engine] + shlex.split(engine_args)


def find_gnugo(explicit=None):
    """Path of gnugo: the given one, $GNUGO, PATH, then /usr/games/gnugo (Debian). None if absent."""
    for cand in (explicit, os.environ.get("GNUGO"), shutil.which("gnugo"), "/usr/games/gnugo",
                 "/usr/local/bin/gnugo"):
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    return None


# ---- coordinates and boards ------------------------------------------------------------------------

def vertex(x, y, height):
    """GTP vertex of column x (0 = left) and row y (0 = top) on a board of the given height."""
    return "%s%d" % (BOARD_LETTERS[x], height - y)


def parse_vertex(s, height):
    """(x, y) of a GTP vertex (y = 0 is the top row), or None for pass."""
    s = s.strip().upper()
    if s == "PASS":
        return None
    return BOARD_LETTERS.index(s[0]), height - int(s[1:])


def parse_vertex_list(text, height):
    return {parse_vertex(v, height) for v in text.split()}


def parse_katago_showboard(text, width, height):
    """Parse KataGo's showboard reply (Board::printBoard plus BoardHistory::printBasicInfo).

    Returns (stones, info): stones maps (x, y) -> 'X' or 'O'; info holds 'next_player',
    'black_stones_captured' and 'white_stones_captured' when those lines are present.
    Layout: '[MoveNum: N ]HASH: ...', a column-letter header, then one line per row from the top:
    '%2d ' row number, then per point 'X', 'O' or '.', followed by a space or, for the last three
    moves, the digit 1-3. Raises ValueError when the text does not have that shape.
    """
    lines = text.split("\n")
    rows = {}
    info = {}
    header_seen = False
    for line in lines:
        if re.fullmatch(r"\s*(?:[A-HJ-Z]\s*|A[A-HJ-Z]\s*)+", line) and not rows:
            header_seen = True
            continue
        m = re.fullmatch(r"\s*(\d+) (.*)", line)
        if m and header_seen and len(rows) < height:
            cells = re.sub(r"[ 0-9]", "", m.group(2))
            if len(cells) != width or any(c not in "XO.@" for c in cells):
                raise ValueError("row %s does not have %d points: %r" % (m.group(1), width, line))
            rows[int(m.group(1))] = cells
            continue
        m = re.match(r"Next player: (\w+)", line)
        if m:
            info["next_player"] = m.group(1)
        m = re.match(r"B stones captured: (\d+)", line)
        if m:
            info["black_stones_captured"] = int(m.group(1))
        m = re.match(r"W stones captured: (\d+)", line)
        if m:
            info["white_stones_captured"] = int(m.group(1))
    if sorted(rows) != list(range(1, height + 1)):
        raise ValueError("expected rows 1..%d, found %s" % (height, sorted(rows)))
    stones = {}
    for number, cells in rows.items():
        y = height - number
        for x, c in enumerate(cells):
            if c in "XO":
                stones[(x, y)] = c
    return stones, info


def board_to_text(stones, width, height):
    out = ["   " + " ".join(BOARD_LETTERS[:width])]
    for y in range(height):
        out.append("%2d " % (height - y) + " ".join(stones.get((x, y), ".") for x in range(width)))
    return "\n".join(out)


def well_formed_problems(resp, sent_id=None):
    """Framing problems of a reply: those found while reading it, plus a wrong id echo."""
    problems = list(resp.problems)
    if sent_id is not None:
        if resp.id is None:
            problems.append("id %s was not echoed (status line %r)" % (sent_id, resp.lines[0]))
        elif int(resp.id) != int(sent_id):
            problems.append("id %s echoed as %s" % (sent_id, resp.id))
    elif resp.id is not None:
        problems.append("reply has id %s but the command had none" % resp.id)
    if "\n\n" in resp.text:
        problems.append("blank line inside the reply")
    return problems


class Checker:
    """Counts checks and failures, printing the first few failures to stderr as they happen."""

    def __init__(self, prefix, max_printed=60):
        self.prefix = prefix
        self.max_printed = max_printed
        self.checks = 0
        self.failures = []

    def check(self, cond, case, message):
        self.checks += 1
        if not cond:
            self.failures.append("%s: %s" % (case, message))
            if len(self.failures) <= self.max_printed:
                print("FAIL %s: %s" % (case, message), file=sys.stderr)
        return bool(cond)

    def report_rest(self):
        if len(self.failures) > self.max_printed:
            print("... and %d more failures" % (len(self.failures) - self.max_printed), file=sys.stderr)
