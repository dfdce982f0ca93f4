"""The status model: counts per DAG, per instance and overall, from files on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlift_component.config.validation.proxied_state_dirs import StateSource
from airlift_component.status.model import DagStatus, Totals, build_report, instance_status


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "proxied_state"
    folder.mkdir()
    (folder / "etl.yaml").write_text(
        "tasks:\n"
        "  - {id: a, proxied: true}\n  - {id: b, proxied: true}\n"
        "  - {id: c, proxied: false}\n  - {id: d, proxied: false}\n"
    )
    (folder / "old.yaml").write_text("proxied: true\n")
    (folder / "new.yml").write_text("proxied: false\n")
    (folder / "broken.yaml").write_text("tasks: 3\n")
    return folder


def _by_id(dags: list[DagStatus]) -> dict[str, DagStatus]:
    return {dag.dag_id: dag for dag in dags}


def test_counts_per_dag(state_dir: Path) -> None:
    status = instance_status(StateSource(state_dir))
    dags = _by_id(status.dags)
    assert list(dags) == ["broken", "etl", "new", "old"]
    assert (dags["etl"].mode, dags["etl"].tasks_proxied, dags["etl"].tasks_total) == ("tasks", 2, 4)
    assert dags["etl"].fraction == 0.5
    assert (dags["old"].mode, dags["old"].dag_proxied, dags["old"].fraction) == ("dag", True, 1.0)
    assert (dags["new"].mode, dags["new"].fraction) == ("dag", 0.0)
    assert dags["broken"].mode == "broken"
    assert dags["broken"].problems and dags["broken"].problems[0].path.endswith("broken.yaml")
    assert all(dag.mapped is None for dag in dags.values())


def test_totals_average_dag_progress(state_dir: Path) -> None:
    totals = instance_status(StateSource(state_dir)).totals
    assert totals == Totals(
        dags=4,
        dags_fully_proxied=1,
        dags_dag_level=2,
        dags_without_file=0,
        dags_broken=1,
        tasks_proxied=2,
        tasks_total=4,
        fraction=(0.5 + 1.0 + 0.0 + 0.0) / 4,
    )


def test_mapped_dags_without_file_and_unmapped_files(state_dir: Path) -> None:
    source = StateSource(state_dir, "analytics", None, ("etl", "reporting"))
    dags = _by_id(instance_status(source).dags)
    assert dags["reporting"].mode == "no file"
    assert dags["reporting"].mapped is True and dags["reporting"].fraction == 0.0
    assert dags["etl"].mapped is True
    assert dags["old"].mapped is False


def test_instance_without_folder_is_noted(tmp_path: Path) -> None:
    missing = instance_status(StateSource(tmp_path / "nope", "a", None, ("x",)))
    assert "not found" in missing.note and missing.folder_missing
    report = build_report([StateSource(tmp_path / "nope", "a", tmp_path / "airlift.yaml")])
    (problem,) = report.problems
    assert problem.format().startswith(f"{tmp_path / 'airlift.yaml'}:1:1: instance 'a': ")
    assert "fix proxied_state_dir" in problem.format()
    assert [d.mode for d in missing.dags] == ["no file"]
    unset = instance_status(StateSource(None, "b", None, ()))
    assert unset.note == "sets no proxied_state_dir" and unset.dags == []
    assert not unset.folder_missing


def test_report_totals_span_instances(state_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.yaml").write_text("tasks:\n  - {id: a, proxied: true}\n")
    report = build_report([StateSource(state_dir, "one"), StateSource(other, "two")])
    assert [i.name for i in report.instances] == ["one", "two"]
    assert report.totals.dags == 5
    assert report.totals.tasks_proxied == 3
    assert len(report.problems) == 1
    data = report.as_dict()
    assert data["totals"]["dags"] == 5
    assert data["instances"][1]["dags"][0]["progress"] == 1.0


def test_empty_report_has_zero_progress() -> None:
    assert Totals.of([]).fraction == 0.0
