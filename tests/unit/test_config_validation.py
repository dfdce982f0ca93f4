"""validate_paths: the same result whether proxied-state files are read here or in a child."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from airlift_component.config import validation
from airlift_component.config.background import start_in_child
from airlift_component.config.validation import validate_paths

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def _project(root: Path, files: int) -> Path:
    states = root / "airflow" / "proxied_state"
    states.mkdir(parents=True)
    mappings = "".join(f"      - dag: d{i}\n        assets: [a/d{i}]\n" for i in range(files))
    (root / "airlift.yaml").write_text(
        "version: 1\ninstances:\n  - name: a\n    url: https://a.example.com\n"
        "    auth: {type: none}\n    proxied_state_dir: airflow/proxied_state\n"
        f"    mappings:\n{mappings}",
        encoding="utf-8",
    )
    for i in range(files):
        text = "proxied: true\n" if i % 7 else "proxied: [\n"
        (states / f"d{i}.yaml").write_text(text, encoding="utf-8")
    (states / "unmapped.yaml").write_text("proxied: true\n", encoding="utf-8")
    (states / "scaffolded.yaml").write_text("tasks: []\n", encoding="utf-8")
    return root


@pytest.mark.parametrize("folder", ["good", "bad", "cross"])
def test_parallel_and_serial_agree_on_the_corpus(
    folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(validation, "PARALLEL_MIN_STATE_FILES", 1)
    serial = validate_paths([CORPUS / folder])
    parallel = validate_paths([CORPUS / folder], parallel=True)
    assert parallel == serial


def test_parallel_and_serial_agree_on_a_big_project(tmp_path: Path) -> None:
    root = _project(tmp_path, 150)
    serial = validate_paths([root])
    parallel = validate_paths([root], parallel=True)
    assert parallel == serial
    assert serial.files_checked == 153
    assert len(serial.problems) == 23  # 22 broken files + 1 unmapped DAG that proxies


def test_a_failing_child_falls_back_to_reading_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path, 120)
    monkeypatch.setattr(validation, "start_in_child", lambda work: lambda: None)
    assert validate_paths([root], parallel=True) == validate_paths([root])


def test_start_in_child_returns_the_result_or_none() -> None:
    parent = os.getpid()
    assert start_in_child(lambda: os.getpid())() not in (None, parent)

    def fail() -> int:
        raise RuntimeError("boom")

    assert start_in_child(fail)() is None
