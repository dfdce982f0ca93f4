"""validate_paths: every file read once, every problem reported once, however the paths are given."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlift_component.config.validation.validate import validate_paths

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


def test_a_big_project_reports_each_problem_once(tmp_path: Path) -> None:
    root = _project(tmp_path, 150)
    result = validate_paths([root])
    assert result.files_checked == 153
    assert len(result.problems) == 23  # 22 broken files + 1 unmapped DAG that proxies
    assert validate_paths([root, root / "airlift.yaml", root / "airflow"]) == result


@pytest.mark.parametrize("folder", ["good", "bad", "cross"])
def test_the_corpus_folders_give_the_same_answer_however_named(folder: str) -> None:
    whole = validate_paths([CORPUS / folder])
    files = sorted(p for p in (CORPUS / folder).rglob("*") if p.is_file())
    assert validate_paths(files).problems == whole.problems
