"""Fuzzing `airlift validate` and `airlift proxy on|off` with a seeded mutator.

Every file of the good corpus is mutated (bytes flipped, lines repeated, deleted
or swapped, hostile snippets spliced in: aliases, merge keys, tags, control
characters, tabs, deep nesting, NaN keys, BOMs, CRLF) and run through the CLI's
``main`` in this process. For each case: exit 0 or 1, no exception escapes
(no traceback), every problem on exactly one ``path:line:col: message`` line,
under 2 s of CPU time (the work the input causes: wall time on a shared CI
machine also counts the waits for a core; a command that blocked instead of
working would hang the test, which is how a FIFO read used to show),
and the process's peak resident memory grows by less than 200 MB
(inputs stay under 1 MB). Peak memory is the kernel's high-water mark, read
after every case, so the case that would push it over is the one named.

For a proxied-state file, `airlift proxy` calls it broken exactly when
`airlift validate` finds a problem: the reader and the editor agree.

A handful of the heaviest cases also run as a real ``airlift`` process, to
prove the same of the installed command: exit code, output shape and peak
resident memory (the 2 s bound is measured in-process, where it times the
command rather than the interpreter's start-up).

The seed of a failing case is in its message; rerun one with
``FUZZ_SEED=<seed> FUZZ_CASES=1``.
"""

from __future__ import annotations

import contextlib
import faulthandler
import io
import os
import random
import re
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from airlift_component.cli.main import main

REPO = Path(__file__).resolve().parents[2]
GOOD = sorted(
    p for p in (REPO / "tests" / "corpus" / "good").rglob("*") if p.suffix in (".yaml", ".yml")
)
CASES = int(os.environ.get("FUZZ_CASES", "2500"))
BASE_SEED = int(os.environ.get("FUZZ_SEED", "20261129"))
MAX_SECONDS = 2.0
HANG_SECONDS = 120  # not a bound on speed: only a case that never returns hits it
MAX_BYTES = 200 * 1024 * 1024
MAX_INPUT = 1024 * 1024

PROBLEM_LINE = re.compile(r"^.+:\d+:\d+: \S.*$")
SUMMARY_LINE = re.compile(r"^(\d+) files? checked, (no problems|(\d+) problems?)$")

SNIPPETS = [
    b"&a ",
    b"*a",
    b"<<: *a\n",
    b"<<: [*a, *a, *a]\n",
    b"!!binary ",
    b"!!python/object:os.system ",
    b"!custom ",
    b"\t",
    b"\x00",
    b"\x01",
    b"\x1b[31m",
    b"\xc2\x9b",
    b"\xe2\x80\xa8",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\r\n",
    b"\r",
    b".nan: 1\n.nan: 2\n",
    b"[" * 200,
    b"{a: " * 120,
    b"? [a, b]\n: c\n",
    b"- ",
    b": ",
    b"---\n",
    b"...\n",
    b"%YAML 1.1\n",
    b'"\\u2028\\n"',
    b"proxied: yes\n",
    b"tasks: null\n",
    b"id: ../../etc/passwd\n",
    b"${PW:-hunter2}",
    b"'",
    b'"',
    b"#",
    b"|\n  block\n",
    b"a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n",
]


@dataclass(frozen=True)
class Case:
    seed: int
    origin: Path
    data: bytes


def _mutate(rng: random.Random, data: bytes) -> bytes:
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(7)
        at = rng.randint(0, len(data))
        if op == 0:
            data = data[:at] + rng.choice(SNIPPETS) + data[at:]
        elif op == 1 and data:
            end = min(len(data), at + rng.randint(1, 40))
            data = data[:at] + data[end:]
        elif op == 2 and data:
            index = rng.randrange(len(data))
            data = data[:index] + bytes([rng.randrange(256)]) + data[index + 1 :]
        elif op == 3:
            lines = data.splitlines(keepends=True)
            if lines:
                line = rng.choice(lines)
                times = rng.choice((2, 10, 1000, 20000))
                data += line * min(times, MAX_INPUT // max(len(line), 1) // 2)
        elif op == 4:
            lines = data.splitlines(keepends=True)
            rng.shuffle(lines)
            data = b"".join(lines)
        elif op == 5:
            lines = data.splitlines(keepends=True)
            if lines:
                index = rng.randrange(len(lines))
                indent = b" " * rng.randint(0, 6)
                lines[index] = indent + lines[index].lstrip()
                data = b"".join(lines)
        else:
            data = data.replace(b"\n", b"\r\n") if rng.random() < 0.5 else data.upper()
    return data[:MAX_INPUT]


def _cases() -> list[Case]:
    cases = []
    for n in range(CASES):
        seed = BASE_SEED + n
        rng = random.Random(seed)
        origin = rng.choice(GOOD)
        cases.append(Case(seed, origin, _mutate(rng, origin.read_bytes())))
    return cases


def _place(case: Case, root: Path) -> Path:
    """Write the case where a file of its kind lives (airlift.yaml or proxied_state/)."""
    folder = root / f"case{case.seed}"
    if case.origin.name.startswith("airlift."):
        folder.mkdir()
        path = folder / case.origin.name
    else:
        (folder / "proxied_state").mkdir(parents=True)
        path = folder / "proxied_state" / f"dag{case.seed}.yaml"
    path.write_bytes(case.data)
    return path


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kilobytes


def _run_in_process(argv: list[str]) -> tuple[int, str, str, float]:
    """Exit code, stdout, stderr and the CPU seconds the command took."""
    out, err = io.StringIO(), io.StringIO()
    started = time.process_time()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue(), time.process_time() - started


def _check_validate_output(code: int, out: str, err: str, what: str) -> None:
    assert code in (0, 1), what
    assert "Traceback" not in out + err, what
    lines = out.splitlines()
    assert lines, what
    summary = SUMMARY_LINE.match(lines[-1])
    assert summary, f"{what}: last line {lines[-1]!r}"
    problems = lines[:-1]
    assert all(PROBLEM_LINE.match(line) for line in problems), f"{what}: {problems}"
    assert len(problems) == (int(summary[3]) if summary[3] else 0), what
    assert code == (1 if problems else 0), what


def _check_proxy_output(code: int, out: str, err: str, what: str) -> None:
    assert code in (0, 1), f"{what}: exit {code}: {err}"
    assert "Traceback" not in out + err, what
    if code == 1:
        assert err.strip(), what


def _check_bounds(elapsed: float, baseline: int, size: int, what: str) -> None:
    assert elapsed < MAX_SECONDS, f"{what}: {elapsed:.2f} s for {size:,} bytes"
    grown = _peak_rss() - baseline
    assert grown < MAX_BYTES, f"{what}: peak memory grew {grown / 1e6:.0f} MB"


def test_fuzzed_files_get_a_clear_answer_in_bounded_time_and_memory(tmp_path: Path) -> None:
    # Import the commands' modules first: start-up is not the input's doing.
    for argv in (["validate", str(GOOD[0])], ["proxy", "off", "x", "--all", "--dir", "."]):
        _run_in_process(argv)
    baseline = _peak_rss()
    started = time.process_time()
    for case in _cases():
        # A case that blocks (as a FIFO read once did) ends the run with its stack.
        faulthandler.dump_traceback_later(HANG_SECONDS, exit=True)
        path = _place(case, tmp_path)
        what = f"seed {case.seed} (from {case.origin.name}, {len(case.data):,} bytes)"
        code, out, err, elapsed = _run_in_process(["validate", str(path)])
        _check_validate_output(code, out, err, what)
        _check_bounds(elapsed, baseline, len(case.data), what)
        if path.parent.name == "proxied_state":
            verb = "on" if case.seed % 2 else "off"
            argv = ["proxy", verb, path.stem, "--all", "--dir", str(path.parent)]
            valid = code == 0
            code, out, err, elapsed = _run_in_process(argv)
            _check_proxy_output(code, out, err, what)
            _check_bounds(elapsed, baseline, len(case.data), what)
            # The reader and the editor agree on what is a valid file.
            broken = "cannot edit a broken proxied-state file" in err
            assert broken != valid, f"{what}: validate {'passed' if valid else 'failed'}: {err}"
    faulthandler.cancel_dump_traceback_later()
    assert time.process_time() - started < 60 * max(1, CASES // 2500)


def _heaviest(count: int) -> list[Case]:
    cases = _cases()
    return (
        sorted(cases, key=lambda c: len(c.data), reverse=True)[: count // 2]
        + [c for c in cases if b"*a" in c.data or b"\x00" in c.data][: count - count // 2]
    )


#: Runs a command as its own child and writes that child's peak memory (kB) to a file.
#: A child forked from pytest would start with pytest's high-water mark; one forked
#: from this small interpreter starts from its few megabytes.
_PEAK_PROBE = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


@pytest.mark.parametrize("case", _heaviest(6), ids=lambda c: f"seed{c.seed}")
def test_the_installed_command_agrees(case: Case, tmp_path: Path) -> None:
    path = _place(case, tmp_path)
    airlift = Path(sys.executable).parent / "airlift"
    peak = tmp_path / "peak"
    result = subprocess.run(
        [sys.executable, "-c", _PEAK_PROBE, str(peak), str(airlift), "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    _check_validate_output(result.returncode, result.stdout, result.stderr, f"seed {case.seed}")
    assert int(peak.read_text()) * 1024 < MAX_BYTES  # Linux reports kilobytes
