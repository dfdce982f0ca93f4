"""How ``scripts/demo`` stops: a second Ctrl-C (or a SIGTERM) while it stops Airflow and
Dagster is counted, not raised, so both stop and the demo exits with the code the first
interrupt gives. Stand-in servers take the place of Airflow and Dagster."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools import demo as demo_module


class InterruptedStop:
    """A stand-in server: its stop is hit by ``signals`` before it gets to finish."""

    def __init__(self, *signals: signal.Signals) -> None:
        self.signals = signals
        self.stopped = False

    def stop(self) -> None:
        for signum in self.signals:
            os.kill(os.getpid(), signum)  # Python runs the handler before the next line
        self.stopped = True


@pytest.fixture(autouse=True)
def signal_handlers() -> Iterator[None]:
    """Put back this process's handlers even when a failing demo leaves its own."""
    found = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    yield
    for signum, handler in found.items():
        signal.signal(signum, handler)


def run_demo(work_dir: Path) -> int:
    try:
        return demo_module.main(["--headless", "--work-dir", str(work_dir)])
    except (KeyboardInterrupt, demo_module.Stopped) as exc:
        pytest.fail(f"a signal during the stop escaped the demo: {exc!r}")


@pytest.mark.parametrize(
    ("checks_passed", "exit_code"),
    [
        pytest.param(False, 130, id="interrupted-during-the-checks"),
        pytest.param(True, 0, id="interrupted-while-waiting-for-ctrl-c"),
    ],
)
def test_interrupts_during_the_stop_let_both_servers_stop(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    checks_passed: bool,
    exit_code: int,
) -> None:
    dagster = InterruptedStop(signal.SIGINT)
    airflow = InterruptedStop(signal.SIGINT, signal.SIGTERM)

    def interrupted_run(self: demo_module.Demo) -> None:
        vars(self).update(airflow=airflow, dagster=dagster)
        self.summary["ok"] = checks_passed
        raise KeyboardInterrupt

    monkeypatch.setattr(demo_module.Demo, "run", interrupted_run)
    sigint, sigterm = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)

    assert run_demo(tmp_path / "work") == exit_code

    assert dagster.stopped and airflow.stopped
    last_line = capsys.readouterr().out.splitlines()[-1]
    assert last_line.endswith("stopped Airflow and Dagster (ignored 3 further interrupt(s))")
    assert signal.getsignal(signal.SIGINT) is sigint
    assert signal.getsignal(signal.SIGTERM) is sigterm


def test_a_stop_without_interrupts_says_nothing_of_them(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    servers = InterruptedStop(), InterruptedStop()

    def interrupted_run(self: demo_module.Demo) -> None:
        vars(self).update(airflow=servers[0], dagster=servers[1])
        raise KeyboardInterrupt

    monkeypatch.setattr(demo_module.Demo, "run", interrupted_run)

    assert run_demo(tmp_path / "work") == 130
    assert capsys.readouterr().out.splitlines()[-1].endswith("] stopped Airflow and Dagster")


def test_a_stop_that_fails_still_puts_the_handlers_back(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def interrupted_run(self: demo_module.Demo) -> None:
        vars(self).update(airflow=InterruptedStop(), dagster=InterruptedStop())
        raise KeyboardInterrupt

    def failing_stop(self: demo_module.Demo) -> bool:
        raise OSError("the stand-in cannot stop")

    monkeypatch.setattr(demo_module.Demo, "run", interrupted_run)
    monkeypatch.setattr(demo_module.Demo, "stop", failing_stop)
    sigint, sigterm = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)

    with pytest.raises(OSError, match="cannot stop"):
        demo_module.main(["--headless", "--work-dir", str(tmp_path / "work")])

    assert signal.getsignal(signal.SIGINT) is sigint
    assert signal.getsignal(signal.SIGTERM) is sigterm
