"""validate's ``RealPaths`` answers exactly what ``os.path.realpath`` answers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airlift_component.config.validation.real_paths import RealPaths

#: Parts of the paths asked: real folders, links to folders and files, a dangling
#: link, a loop, names that do not exist, and the dots.
PARTS = ["real", "linked", "file.yaml", "to_file.yaml", "dangling", "loop", "nothing", ".", ".."]


def _tree(root: Path) -> None:
    (root / "real" / "real").mkdir(parents=True)
    (root / "real" / "file.yaml").write_text("proxied: true\n")
    (root / "real" / "real" / "file.yaml").write_text("proxied: false\n")
    (root / "linked").symlink_to(root / "real" / "real")
    (root / "real" / "linked").symlink_to("..")
    (root / "real" / "to_file.yaml").symlink_to("file.yaml")
    (root / "real" / "dangling").symlink_to(root / "gone")
    (root / "real" / "loop").symlink_to("loop")


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if not hasattr(os, "symlink"):
        pytest.fail("this platform makes no symbolic links")
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    paths=st.lists(
        st.tuples(st.booleans(), st.lists(st.sampled_from(PARTS), min_size=0, max_size=4)),
        min_size=1,
        max_size=8,
    )
)
def test_every_answer_is_realpaths(tree: Path, paths: list[tuple[bool, list[str]]]) -> None:
    """Relative and absolute, through links, ``..`` after a link, a dangling link,
    a loop, missing names, many paths asked of one instance (its memory shared)."""
    real = RealPaths()
    for absolute, parts in paths:
        text = os.path.join(str(tree) if absolute else "", *parts) if parts else "."
        assert real(text) == os.path.realpath(text), text
        assert real(Path(text)) == os.path.realpath(Path(text)), text
