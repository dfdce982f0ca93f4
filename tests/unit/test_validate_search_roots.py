"""Where validate looks for the ``airlift.yaml`` of a proxied-state file named on its
own: worked out once per folder, the same answer as one file at a time."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airlift_component.cli.main import main
from airlift_component.config.validation.targets import SearchRoots


def _one_at_a_time(state_file: Path) -> Path | None:
    """The search as it was written for one file (``Path.resolve``)."""
    cwd = Path.cwd()
    folder = (cwd / state_file).resolve().parent
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return Path(os.path.relpath(candidate, cwd))
    return Path(".") if folder.is_relative_to(cwd.resolve()) else None


def _tree(top: Path) -> Path:
    """A folder holding a work tree (``repo``), a plain folder and links between them;
    returns the current folder the searches are run from."""
    repo = top / "repo"
    (repo / ".git").mkdir(parents=True)
    for folder in (repo / "a" / "proxied_state", repo / "b", top / "plain" / "proxied_state"):
        folder.mkdir(parents=True)
        (folder / "x.yaml").write_text("proxied: false\n")
    (repo / "b" / "linked.yaml").symlink_to(top / "plain" / "proxied_state" / "x.yaml")
    (repo / "b" / "state_dir").symlink_to(repo / "a" / "proxied_state")
    (top / "plain" / "into_repo").symlink_to(repo / "a")
    return top


FILES = [
    "repo/a/proxied_state/x.yaml",
    "repo/b/x.yaml",
    "repo/b/linked.yaml",
    "repo/b/state_dir/x.yaml",
    "repo/b/missing.yaml",
    "plain/proxied_state/x.yaml",
    "plain/into_repo/proxied_state/x.yaml",
    "plain/../repo/a/proxied_state/x.yaml",
    "elsewhere.yaml",
]
PLACES = ["", "repo", "repo/a", "plain", "plain/proxied_state"]


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    where=st.sampled_from(PLACES),
    asked=st.lists(st.tuples(st.sampled_from(FILES), st.booleans()), min_size=1, max_size=12),
)
def test_each_answer_is_the_one_file_at_a_time_answer(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
    asked: list[tuple[str, bool]],
) -> None:
    top = tmp_path / "tree"
    if not top.exists():
        _tree(top)
    monkeypatch.chdir(top / where)
    roots = SearchRoots()
    for name, absolute in asked:
        path = Path(top / name) if absolute else Path(os.path.relpath(top / name))
        assert roots(path) == _one_at_a_time(path), path


def test_a_state_file_that_is_a_link_loop_is_a_problem_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It was named on its own, so its airlift.yaml was searched for, and resolving
    the loop raised RuntimeError out of the command."""
    (tmp_path / "proxied_state").mkdir()
    (tmp_path / "proxied_state" / "loop.yaml").symlink_to("loop.yaml")
    monkeypatch.chdir(tmp_path)
    for cache in ([], ["--no-cache"]):
        assert main(["validate", *cache, "proxied_state/loop.yaml"]) == 1
        out, err = capsys.readouterr()
        assert (out.splitlines()[-1], err) == ("1 file checked, 1 problem", "")
        assert out.startswith("proxied_state/loop.yaml:1:1: cannot read file: ")
