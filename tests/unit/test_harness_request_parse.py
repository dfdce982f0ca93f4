"""The local Airflow harness asks for a DAG file's parse by touching it: at most
every few seconds per file, but at once after an edit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from devtools.local_stack import airflow_dags
from devtools.local_stack.airflow_dags import DagHelpers


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


class Helpers(DagHelpers):
    def __init__(self, dags_folder: Path) -> None:
        self.version_major = 3
        self.dags_folder = dags_folder
        self._processes = []


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(airflow_dags.time, "monotonic", fake.monotonic)
    return fake


def aged(path: Path) -> Path:
    """``path`` with a modification time long past, so that a touch shows."""
    os.utime(path, (0, 0))
    return path


def touched(path: Path) -> bool:
    return path.stat().st_mtime > 0


def test_touches_at_most_every_retouch_interval_per_file(tmp_path: Path, clock: Clock) -> None:
    helpers = Helpers(tmp_path)
    factory = aged(helpers.write_dag_file("factory.py", "# dags\n"))
    other = aged(helpers.write_dag_file("other.py", "# dags\n"))

    assert helpers.request_parse("factory.py") and touched(factory)
    aged(factory)
    clock.now += airflow_dags._RETOUCH_SECONDS - 0.1
    assert not helpers.request_parse(factory) and not touched(factory)
    assert helpers.request_parse(other) and touched(other)  # its own interval
    clock.now += 0.1
    assert helpers.request_parse(factory) and touched(factory)


def test_an_edit_makes_the_next_request_touch_at_once(tmp_path: Path, clock: Clock) -> None:
    helpers = Helpers(tmp_path)
    factory = helpers.write_dag_file("factory.py", "# dags\n")
    assert helpers.request_parse(factory)
    assert not helpers.request_parse(factory)
    helpers.write_dag_file("proxied_state/a.yaml", "proxied: true\n")
    assert helpers.request_parse(factory)


def test_refuses_a_file_outside_the_dag_folder(tmp_path: Path, clock: Clock) -> None:
    helpers = Helpers(tmp_path / "dags")
    (tmp_path / "elsewhere.py").write_text("")
    with pytest.raises(ValueError, match="not in the DAG folder"):
        helpers.request_parse("../elsewhere.py")
