"""Long-running child processes that are always cleaned up, and polling helpers.

Each process starts in its own session (``start_new_session=True``), so it and
every child it forks (gunicorn workers, executors, code servers) form one
process group that :meth:`ManagedProcess.stop` signals as a whole: SIGTERM,
then SIGKILL after a deadline. Servers started from a non-interactive shell
ignore SIGINT, and some ignore SIGTERM when not group leaders; signalling the
group avoids both traps. An ``atexit`` hook stops whatever is still running.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Self, TypeVar

T = TypeVar("T")

_LIVE: set[ManagedProcess] = set()
_LIVE_LOCK = threading.Lock()


class StackStartError(RuntimeError):
    """A local server did not start or did not become ready in time.

    The message names the component, what was awaited and ends with the tail of
    the relevant log files.
    """


def log_tail(path: Path, lines: int = 40) -> str:
    """Return the last ``lines`` lines of a log file ("" when it does not exist)."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 64 * 1024))
            text = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class Server:
    """A local server used as a context manager: ``with X(...) as x`` starts it and
    stops it on the way out, also when the block raises. Subclasses define
    :meth:`start` (returning ``self``) and :meth:`stop`."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class ManagedProcess:
    """One long-running command with its output in a log file."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        log_path: Path,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env)
        self.log_path = log_path
        self.cwd = cwd
        self._popen: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def __repr__(self) -> str:
        return f"ManagedProcess({self.name!r}, pid={self.pid}, log={str(self.log_path)!r})"

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen else None

    def start(self) -> None:
        """Start the command in a new session, appending its output to the log."""
        if self.running:
            return
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self._popen = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if _PRCTL is not None else None,
        )
        with _LIVE_LOCK:
            _LIVE.add(self)

    @property
    def running(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    @property
    def returncode(self) -> int | None:
        return self._popen.poll() if self._popen else None

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM the process group, SIGKILL it if still alive after ``timeout`` s."""
        popen = self._popen
        if popen is None:
            return
        pgid = popen.pid  # the session leader's pid is its group id
        _signal_group(pgid, signal.SIGTERM)
        try:
            popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _signal_group(pgid, signal.SIGKILL)
            popen.wait(timeout=10)
        # Children may outlive the leader (e.g. gunicorn workers): sweep the group.
        if _group_alive(pgid):
            _signal_group(pgid, signal.SIGTERM)
            if not wait_until(lambda: not _group_alive(pgid), timeout=timeout):
                _signal_group(pgid, signal.SIGKILL)
        self._popen = None
        if self._log is not None:
            self._log.close()
            self._log = None
        with _LIVE_LOCK:
            _LIVE.discard(self)

    def tail(self, lines: int = 40) -> str:
        return log_tail(self.log_path, lines)


def _load_prctl() -> Callable[..., int] | None:
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


# Looked up once here: the child between fork and exec must not dlopen anything.
_PRCTL = _load_prctl() if sys.platform == "linux" else None
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the starting thread dies (even by SIGKILL)."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_logged(
    name: str,
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    log_path: Path,
    timeout: float,
    cwd: Path | None = None,
) -> None:
    """Run a command to completion, output to ``log_path``; raise on failure or timeout."""
    proc = ManagedProcess(name, argv, env=env, log_path=log_path, cwd=cwd)
    proc.start()
    assert proc._popen is not None
    try:
        code = proc._popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.stop()
        raise StackStartError(
            f"{name} did not finish within {timeout:.0f} s: {' '.join(argv)}\n"
            f"--- last lines of {log_path} ---\n{log_tail(log_path)}"
        ) from None
    proc.stop()
    if code != 0:
        raise StackStartError(
            f"{name} failed with exit code {code}: {' '.join(argv)}\n"
            f"--- last lines of {log_path} ---\n{log_tail(log_path)}"
        )


def wait_until(check: Callable[[], bool], *, timeout: float, interval: float = 0.2) -> bool:
    """Call ``check`` until it returns true or ``timeout`` seconds pass; return the last result."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


#: How long each start-up step of a local server may take (Airflow's or Dagster's
#: API answering, the code loading, the daemons reporting healthy). A failed process
#: ends the wait at once; the limit only ever ends a slow start. At 120 s a Dagster
#: webserver that logged "Serving" after 2 min, on a 2-core machine at load 14,
#: failed the setups of a module's tests.
STARTUP_TIMEOUT_SECONDS = 300.0

#: The longest wait between two probes of :func:`poll_for`, unless its caller asks
#: for a longer first one.
POLL_INTERVAL_CAP = 1.0


def poll_for(
    probe: Callable[[], T | None],
    *,
    timeout: float,
    what: str,
    processes: Sequence[ManagedProcess] = (),
    interval: float = 0.25,
    last_state: Callable[[], str] | None = None,
    transient: tuple[type[Exception], ...] = (),
) -> T:
    """Call ``probe`` until it returns something other than ``None``; return that.

    The first wait between probes is ``interval``; each next one is half as long
    again, up to :data:`POLL_INTERVAL_CAP` (or ``interval`` when that is longer). A
    probe is mostly a REST or GraphQL call: at a steady 0.25 s, the tests waiting on
    DAG and Dagster runs kept the local servers answering four calls a second each,
    and the api-servers were the largest CPU user of a test run on two cores.

    Exceptions of a ``transient`` type (e.g. a read timeout of a busy server)
    count as "not yet". Fails early when one of ``processes`` exits, and on
    timeout; either way the :class:`StackStartError` says what was awaited and
    shows the processes' log tails (and ``last_state()``, when given, e.g. the
    last HTTP answer seen, or else the last transient error).
    """
    deadline = time.monotonic() + timeout
    last_error: list[str] = []
    cap = max(interval, POLL_INTERVAL_CAP)

    def describe() -> str:
        parts = [last_state()] if last_state is not None else []
        if last_error:
            parts.append(f"last transient error: {last_error[-1]}")
        return "; ".join(parts)

    while True:
        try:
            result = probe()
        except transient as exc:
            last_error.append(f"{type(exc).__name__}: {exc}")
            result = None
        if result is not None:
            return result
        dead = [p for p in processes if not p.running]
        if dead or time.monotonic() >= deadline:
            if dead:
                reason = ", ".join(f"{p.name} exited with code {p.returncode}" for p in dead)
                headline = f"while waiting for {what}: {reason}"
            else:
                headline = f"timed out after {timeout:.0f} s waiting for {what}"
            raise StackStartError(_with_logs(headline, processes, describe))
        time.sleep(min(interval, max(deadline - time.monotonic(), 0.0)))
        interval = min(interval * 1.5, cap)


def _with_logs(
    headline: str,
    processes: Sequence[ManagedProcess],
    last_state: Callable[[], str],
) -> str:
    parts = [headline]
    if state := last_state():
        parts.append(f"last state seen: {state}")
    for proc in processes:
        parts.append(f"--- last lines of {proc.name} log ({proc.log_path}) ---\n{proc.tail()}")
    return "\n".join(parts)


def stop_all(processes: Sequence[ManagedProcess], timeout: float = 15.0) -> None:
    """Stop several processes: SIGTERM all groups first, so they shut down in parallel."""
    for proc in processes:
        if proc.pid is not None:
            _signal_group(proc.pid, signal.SIGTERM)
    for proc in processes:
        proc.stop(timeout=timeout)


@atexit.register
def _stop_leftovers() -> None:
    with _LIVE_LOCK:
        leftovers = list(_LIVE)
    stop_all(leftovers, timeout=10.0)


def stop_everything_on_sigterm() -> None:
    """Make SIGTERM to this process stop every live server first (``atexit`` does not run
    on a signal). Installs nothing when another SIGTERM handler is already set."""
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return

    def handler(signum: int, frame: object) -> None:
        _stop_leftovers()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, handler)
