"""Airflow state files written by earlier commits' own code (tests/fixtures/states/,
made by ``devtools.make_state_fixtures``) build with today's code exactly what
today's own refresh of the same Airflows builds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from component_fixtures import airflows, factory, write_project
from test_mapped_dags import _specs

from airlift_component.airflow_state.state_file import default_state_file, read_state_file
from airlift_component.component.defs_builder import build_defs

FIXTURES = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "states").glob("*.json"))


def test_every_state_commit_has_a_fixture() -> None:
    from devtools.make_state_fixtures import COMMITS

    assert [path.stem for path in FIXTURES] == sorted(commit for commit, _ in COMMITS)


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda path: path.stem)
def test_a_state_an_earlier_version_wrote_builds_what_todays_refresh_builds(
    tmp_path: Path, fixture: Path
) -> None:
    held = json.loads(fixture.read_text())
    (tmp_path / "old").mkdir()
    (tmp_path / "today").mkdir()
    old = write_project(tmp_path / "old", held["airlift_yaml"])
    target = default_state_file(old)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(held["state"]))
    state = read_state_file(target)
    assert state is not None and state.airlift_yaml is None
    today = write_project(tmp_path / "today", held["airlift_yaml"])
    fresh = build_defs(today, refresh="if_missing", client_factory=factory(airflows()))
    assert _specs(build_defs(old, refresh="never")) == _specs(fresh)
