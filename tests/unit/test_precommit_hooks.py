"""The pre-commit manifest, exercised the way pre-commit runs it.

For each corpus file: apply the hook's ``files`` pattern, then run its ``entry``
with the matching file names, as pre-commit does; good files pass, bad ones fail.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "corpus"
HOOKS = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
(HOOK,) = [hook for hook in HOOKS if hook["id"] == "airlift-validate"]
FILES = re.compile(HOOK["files"])
BIN = Path(sys.executable).parent


def _matched(folder: Path) -> list[str]:
    paths = (p.relative_to(REPO).as_posix() for p in sorted(folder.rglob("*")) if p.is_file())
    return [path for path in paths if FILES.search(path)]


GOOD = _matched(CORPUS / "good")
BAD = _matched(CORPUS / "bad")


def _run_hook(files: list[str]) -> subprocess.CompletedProcess[str]:
    entry = shlex.split(HOOK["entry"])
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        [*entry, *files], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def test_manifest_declares_the_hook() -> None:
    assert HOOK["entry"] == "airlift validate"
    assert HOOK["language"] == "python"
    assert HOOK["pass_filenames"] is True


@pytest.mark.parametrize(
    ("path", "matches"),
    [
        ("airlift.yaml", True),
        ("dagster/airlift.yml", True),
        ("dags/proxied_state/customers.yaml", True),
        ("proxied_state/customers.yml", True),
        ("dags/proxied_state/nested/customers.yaml", False),
        ("my_airlift.yaml", False),
        ("airlift.yaml.bak", False),
        ("dags/customers.yaml", False),
    ],
)
def test_files_pattern(path: str, matches: bool) -> None:
    assert bool(FILES.search(path)) is matches


def test_pattern_selects_the_corpus_files() -> None:
    everything = [p for p in (CORPUS / "good").rglob("*") if p.is_file()]
    assert len(GOOD) == len(everything)
    assert len(BAD) >= 40


def test_hook_passes_on_all_good_files() -> None:
    result = _run_hook(GOOD)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("no problems")


def test_hook_fails_on_bad_files_and_names_every_one() -> None:
    result = _run_hook(BAD)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    reported = {line.split(":", 1)[0] for line in result.stdout.splitlines()[:-1]}
    assert reported == set(BAD)


@pytest.mark.parametrize(
    "path",
    [
        "tests/corpus/bad/literal_secret_basic/airlift.yaml",
        "tests/corpus/bad/yaml_binary_file/airlift.yaml",
        "tests/corpus/bad/proxied_state/both_tasks_and_proxied.yaml",
    ],
)
def test_hook_fails_on_a_single_bad_file(path: str) -> None:
    assert path in BAD
    result = _run_hook([path])
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.startswith(path + ":")
