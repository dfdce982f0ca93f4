"""docs/from-dagster-airlift.md, section "Or let `airlift import-python` write it",
as written: its project run through the command gives its output and its file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from airlift_component.cli.main import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "from-dagster-airlift.md"
SECTION_START = "## 2b. Or let `airlift import-python` write it"
BLOCK = re.compile(r"^```(?P<lang>\w+)\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)


def _blocks() -> list[tuple[str, str]]:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index(SECTION_START) :]
    section = section[: section.index("\n## ", 1)]
    return [(m.group("lang"), m.group("body")) for m in BLOCK.finditer(section)]


def test_the_sections_example_is_what_the_command_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocks = _blocks()
    python = [body for lang, body in blocks if lang == "python"]
    (console,) = [body for lang, body in blocks if lang == "text"]
    (written,) = [body for lang, body in blocks if lang == "yaml"]
    for body in python:
        name = body.splitlines()[0].removeprefix("# ")
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(body.split("\n", 1)[1])
    (tmp_path / "my_project" / "__init__.py").write_text("")
    monkeypatch.chdir(tmp_path)
    command, *expected_output = console.splitlines()
    argv = command.removeprefix("$ airlift ").split()
    code = main(argv)
    captured = capsys.readouterr()
    assert (captured.err + captured.out).splitlines() == expected_output
    assert code == 1  # the asset_checks finding
    assert (tmp_path / "airlift.yaml").read_text() == written
