"""`airlift validate` remembers a pass in the user's cache folder, and a remembered
pass never hides a failure: any change to what the run read, or to the code that
judged it, is judged anew, with the verdict a run without the cache gives."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from airlift_component.airflow_state.state_file import default_state_file, write_state_file
from airlift_component.config.validation import cache_store, inputs, validate, verdict_cache
from tests.unit.test_xcom_hint import AIRLIFT, STATE, _state
from tests.unit.validate_cache_support import (
    REPO,
    Damage,
    add_comment,
    bytes_written,
    cut_short,
    fields_changed,
    made_a_folder,
    record_calls,
    validate_env,
    validate_in_fresh_process,
)
from tests.unit.validate_project import AIRLIFT as PROJECT_AIRLIFT
from tests.unit.validate_project import (
    STATE_DIR,
    cache_entries,
    make_project,
    run_validate,
    use_user_cache,
    write,
)
from tests.unit.validate_project import STATES as PROJECT_STATES

#: What a run is asked, as pre-commit and CI ask it.
SHAPES = {
    "folder": ["."],
    "airlift.yaml": ["dagster/airlift.yaml"],
    "every file": ["dagster/airlift.yaml", *(f"{STATE_DIR}/{n}" for n in sorted(PROJECT_STATES))],
    "one state file": [f"{STATE_DIR}/orders.yaml"],
}


def _project(root: Path) -> Path:
    """The validate project, with a folder named like a proxied-state file in its
    proxied-state folder."""
    make_project(root)
    (root / STATE_DIR / "later.yaml").mkdir()  # a folder: not a proxied-state file
    return root


def _folder_becomes_file(root: Path) -> None:
    (root / STATE_DIR / "later.yaml").rmdir()
    write(root / STATE_DIR / "later.yaml", "proxied: true\n")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's cache folder, outside the project; returns where entries go."""
    return use_user_cache(tmp_path, monkeypatch)


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One item per full check `airlift validate` ran (not answered from the cache)."""
    return record_calls(monkeypatch, validate, "validate_paths")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """The project of ``_project``, at ``repo``."""
    return _project(tmp_path / "repo")


def _break(path: Path) -> None:
    if path.name.startswith("airlift"):
        path.write_text(PROJECT_AIRLIFT + "    nope: 1\n", encoding="utf-8")
    else:
        path.write_text("tasks:\n  - id: load\n    proxied: maybe\n", encoding="utf-8")


#: Edits of one file a pass read: name -> edit(the file).
FILE_EDITS: dict[str, Callable[[Path], None]] = {
    "break it": _break,
    "add a comment": add_comment,
    "delete it": lambda path: path.unlink(),
}
#: Edits around the files a pass read: name -> (edit(project root), the shapes whose
#: runs read what it changes: the proxied-state folder's names, the search for the
#: airlift.yaml of a proxied-state file named on its own).
PROJECT_EDITS: dict[str, tuple[Callable[[Path], Any], tuple[str, ...]]] = {
    "an unmapped proxied DAG beside them": (
        lambda root: write(root / STATE_DIR / "unmapped.yaml", "proxied: true\n"),
        tuple(SHAPES),
    ),
    "a folder beside them named like one becomes an unmapped proxied DAG": (
        _folder_becomes_file,
        tuple(SHAPES),
    ),
    "a second airlift.yaml naming their folder, mapping nothing": (
        lambda root: write(
            root / "other" / "airlift.yaml",
            PROJECT_AIRLIFT.replace("name: shop", "name: other").split("    mappings:")[0],
        ),
        ("folder", "one state file"),
    ),
}


@pytest.mark.parametrize("shape", list(SHAPES), ids=list(SHAPES))
def test_any_change_to_what_a_pass_read_is_judged_again_as_without_the_cache(
    tmp_path: Path,
    cache: Path,
    checks: list[int],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    shape: str,
) -> None:
    """Every file a remembered pass read, edited every way, and every change around
    them: the next run says exactly what a run without the cache says, and checks
    again whenever something it read changed."""
    args = SHAPES[shape]
    template = _project(tmp_path / "template")
    monkeypatch.chdir(template)
    assert run_validate(capsys, *args)[0] == 0
    (entry,) = cache_entries(cache)
    read = sorted(json.loads(entry.read_bytes())["inputs"]["files"])
    assert read, "the entry records the files the pass read"
    entry.unlink()
    cases: list[tuple[str, Callable[[Path], Any], bool]] = [
        (f"{name}: {Path(recorded).relative_to(template)}", _on(edit, recorded, template), True)
        for name, edit in FILE_EDITS.items()
        for recorded in read
    ]
    cases += [(name, edit, shape in reads) for name, (edit, reads) in PROJECT_EDITS.items()]
    for number, (name, edit, judged_again) in enumerate(cases):
        root = tmp_path / f"case-{number}"
        shutil.copytree(template, root)
        monkeypatch.chdir(root)
        before = len(checks)
        first = run_validate(capsys, *args)
        assert first[0] == 0 and run_validate(capsys, *args) == first
        assert len(checks) == before + 1, "the second run was answered from the cache"
        edit(root)
        cached = run_validate(capsys, *args)
        if judged_again:
            assert len(checks) == before + 2, f"{name}: not judged again"
        assert cached == run_validate(capsys, "--no-cache", *args), name


def _on(edit: Callable[[Path], None], recorded: str, template: Path) -> Callable[[Path], None]:
    """``edit`` applied to the copy, in a project root, of a file the template's run read."""
    return lambda root: edit(root / Path(recorded).relative_to(template))


def test_a_remembered_pass_prints_what_the_check_printed(
    root: Path, cache: Path, checks: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    for form in ("text", "json"):
        args = ["--format", form, str(root)]
        first = run_validate(capsys, *args)
        assert first[0] == 0 and run_validate(capsys, *args) == first
    assert len(checks) == 1  # the format is not part of the question
    assert json.loads(first[1])["files_checked"] == 4


def test_a_failed_run_is_never_remembered(
    root: Path, cache: Path, checks: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    _break(root / STATE_DIR / "orders.yaml")
    for _ in range(2):
        assert run_validate(capsys, str(root))[0] == 1
    assert len(checks) == 2 and cache_entries(cache) == []


def test_the_xcom_warnings_are_worked_out_on_every_run(
    tmp_path: Path,
    cache: Path,
    checks: list[int],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """They read the stored Airflow state, which a remembered pass does not cover: a
    state written after the pass warns on the next, remembered, run."""
    project = tmp_path / "project"
    write(project / "airlift.yaml", AIRLIFT)
    proxied = STATE.replace("transform\n    proxied: false", "transform\n    proxied: true")
    write(project / "dags" / "proxied_state" / "tutorial_taskflow_api.yaml", proxied)
    monkeypatch.chdir(project)
    assert run_validate(capsys) == (0, "2 files checked, no problems\n")
    write_state_file(default_state_file(project / "airlift.yaml"), _state())
    code, out = run_validate(capsys)
    assert len(checks) == 1
    assert code == 0 and out.endswith("2 files checked, no problems, 1 warning\n")
    assert out.startswith("dags/proxied_state/tutorial_taskflow_api.yaml:4:1: warning: ")
    assert (code, out) == run_validate(capsys, "--no-cache")


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(path.relative_to(root)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
    }


def test_nothing_is_written_inside_the_project(
    root: Path,
    cache: Path,
    checks: list[int],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(root)
    before = _tree(root)
    for args in SHAPES.values():
        assert run_validate(capsys, *args)[0] == 0
        assert run_validate(capsys, *args)[0] == 0
    assert _tree(root) == before
    assert len(cache_entries(cache)) == len(SHAPES) and len(checks) == len(SHAPES)
    # A cache folder pointed into the project is not used at all.
    monkeypatch.setenv("XDG_CACHE_HOME", str(root / ".cache"))
    for _ in range(2):
        assert run_validate(capsys, ".")[0] == 0
    assert _tree(root) == before and len(checks) == len(SHAPES) + 2


@pytest.mark.parametrize(
    "where",
    ["missing", "a file", "not absolute"],
    ids=["missing folder is created", "folder cannot be made", "relative XDG path"],
)
def test_a_missing_or_unwritable_cache_folder_is_no_error(
    tmp_path: Path,
    checks: list[int],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    write(tmp_path / "blocker", "a file where the cache folder would be\n")
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv(verdict_cache.ENV_VAR, raising=False)
    base = {
        "missing": str(tmp_path / "not" / "yet"),
        "a file": str(tmp_path / "blocker" / "cache"),
        "not absolute": "relative/cache",  # the XDG spec says: use ~/.cache
    }[where]
    monkeypatch.setenv("XDG_CACHE_HOME", base)
    root = _project(tmp_path / "repo")
    monkeypatch.chdir(root)
    results = [run_validate(capsys, ".") for _ in range(2)]
    assert results == [(0, "4 files checked, no problems\n")] * 2
    remembered = {
        "missing": tmp_path / "not" / "yet",
        "a file": None,
        "not absolute": home / ".cache",
    }[where]
    if remembered is None:
        assert len(checks) == 2
    else:
        assert len(checks) == 1
        assert cache_entries(remembered / "airlift-component" / "validate")
    assert not (root / "relative").exists()


def test_a_read_only_cache_entry_folder_is_no_error(
    root: Path,
    cache: Path,
    checks: list[int],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Writing fails (as in a read-only home): every run checks, none fails for it."""

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise PermissionError(13, "Read-only file system")

    monkeypatch.setattr(cache_store.tempfile, "mkstemp", refuse)
    for _ in range(2):
        assert run_validate(capsys, str(root)) == (0, "4 files checked, no problems\n")
    assert len(checks) == 2 and cache_entries(cache) == []


def _corrupt_entries() -> Iterator[tuple[str, Damage]]:
    def fifo(entry: Path, _good: dict[str, Any]) -> None:
        entry.unlink()
        os.mkfifo(entry)

    yield "not json", bytes_written(b"\x00\xff{{ not json")
    yield "cut short", cut_short(100)
    yield "a list", bytes_written(b"[1, 2, 3]")
    yield "empty object", bytes_written(b"{}")
    yield "another key", fields_changed(key="0" * 40)
    yield "another format", fields_changed(format=verdict_cache.FORMAT + 1)
    yield (
        "no code",
        lambda entry, good: entry.write_text(
            json.dumps({**good, "inputs": {**good["inputs"], "code": {}}})
        ),
    )
    yield "odd types", fields_changed(files_checked={"a": 1}, hint_sources=7)
    yield "odd inputs", fields_changed(inputs={"code": [1], "files": 2})
    yield "a folder", made_a_folder
    if hasattr(os, "mkfifo"):
        yield "a FIFO", fifo


CORRUPT = dict(_corrupt_entries())


@pytest.mark.parametrize("damage", list(CORRUPT), ids=list(CORRUPT))
def test_a_corrupt_or_foreign_entry_is_ignored_and_replaced(
    root: Path, cache: Path, checks: list[int], capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    assert run_validate(capsys, str(root))[0] == 0
    (entry,) = cache_entries(cache)
    good = json.loads(entry.read_bytes())
    CORRUPT[damage](entry, good)
    assert run_validate(capsys, str(root)) == (0, "4 files checked, no problems\n")
    assert len(checks) == 2
    if entry.is_dir():
        return  # nothing can be renamed over a folder: the run checks every time
    assert json.loads(entry.read_bytes())["inputs"] == good["inputs"]
    assert run_validate(capsys, str(root))[0] == 0 and len(checks) == 2


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_the_cache_can_be_turned_off(
    root: Path,
    cache: Path,
    checks: list[int],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    assert run_validate(capsys, str(root))[0] == 0  # remembered
    args = [str(root)]
    if how == "flag":
        args.insert(0, "--no-cache")
    else:
        monkeypatch.setenv(verdict_cache.ENV_VAR, "0")
    (entry,) = cache_entries(cache)
    entry.unlink()
    for _ in range(2):
        assert run_validate(capsys, *args)[0] == 0
    assert len(checks) == 3 and cache_entries(cache) == []


def test_the_code_that_judges_is_part_of_what_a_pass_read() -> None:
    """The rules, the models, the readers and pydantic's and PyYAML's versions."""
    import pydantic.version
    import yaml

    from airlift_component.config.airlift_yaml import model, rules
    from airlift_component.config.proxied_state import file
    from airlift_component.config.validation import cross_file
    from airlift_component.config.yaml import read

    code = inputs.code_files()
    for module in (model, rules, file, cross_file, read, validate, pydantic.version, yaml):
        assert os.path.abspath(str(module.__file__)) in code


def _airlift(
    package: Path, project: Path, cache: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    return validate_in_fresh_process(
        project, cache, *args, package=package, PYTHONDONTWRITEBYTECODE="1"
    )


def _checked(result: subprocess.CompletedProcess[str]) -> bool:
    """Whether the run checked the files (imported the checking code) or remembered."""
    return "airlift_component.config.validation.validate" in result.stderr


def test_an_edited_rule_judges_again_in_a_fresh_process(tmp_path: Path) -> None:
    """No version is bumped by hand: editing a rule's source is enough."""
    package = tmp_path / "package"
    shutil.copytree(
        REPO / "airlift_component",
        package / "airlift_component",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    project = _project(tmp_path / "repo")
    runs = [_airlift(package, project, tmp_path / "cache", ".") for _ in range(2)]
    assert [(r.returncode, r.stdout) for r in runs] == [(0, "4 files checked, no problems\n")] * 2
    assert [_checked(r) for r in runs] == [True, False]
    (entry,) = cache_entries(tmp_path / "cache" / "airlift-component" / "validate")
    code = json.loads(entry.read_bytes())["inputs"]["code"]
    assert any(Path(path).is_relative_to(package) for path in code), "the copy ran"
    rules = package / "airlift_component" / "config" / "airlift_yaml" / "rules.py"
    rules.write_text(rules.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    again = _airlift(package, project, tmp_path / "cache", ".")
    assert (again.returncode, _checked(again)) == (0, True)


def test_concurrent_runs_share_one_cache(tmp_path: Path) -> None:
    """pre-commit in several work trees at once: every run answers, the entry is whole."""
    project = _project(tmp_path / "repo")
    env = validate_env(tmp_path / "cache")
    command = [sys.executable, "-m", "airlift_component", "validate", "."]
    runs = [
        subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0] * 4
    assert outputs == ["4 files checked, no problems\n"] * 4
    folder = tmp_path / "cache" / "airlift-component" / "validate"
    (entry,) = cache_entries(folder)
    assert json.loads(entry.read_bytes())["files_checked"] == 4
    assert not [path for path in folder.rglob("*") if path.is_file() and path.suffix != ".json"]


def _doc_commands() -> list[str]:
    """The commands of docs/pre-commit.md's "Remembered passes", as written."""
    text = (REPO / "docs" / "pre-commit.md").read_text(encoding="utf-8")
    section = text[text.index("### Remembered passes") :]
    block = section[section.index("```bash\n") + len("```bash\n") :]
    return [line for line in block[: block.index("```")].splitlines() if line.strip()]


def test_the_docs_commands_do_what_they_say(tmp_path: Path) -> None:
    """Run by a shell with the package's `airlift` first on PATH and a home of its own."""
    home = tmp_path / "home"
    home.mkdir()
    project = _project(tmp_path / "repo")
    env = {
        **os.environ,
        "HOME": str(home),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    for name in ("XDG_CACHE_HOME", verdict_cache.ENV_VAR):
        env.pop(name, None)
    folder = home / ".cache" / "airlift-component" / "validate"
    commands = _doc_commands()
    assert [command.split("#")[0].split() for command in commands] == [
        ["airlift", "validate"],
        ["airlift", "validate", "--no-cache"],
        ["AIRLIFT_VALIDATE_CACHE=0", "airlift", "validate"],
        ["rm", "-rf", "~/.cache/airlift-component/validate"],
    ]
    entries: list[list[Path]] = []
    for command in commands:
        result = subprocess.run(
            ["bash", "-c", command],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        if command.startswith(("airlift", "AIRLIFT")):
            assert result.stdout == "4 files checked, no problems\n"
        entries.append(cache_entries(folder))
        if len(entries) == 1:
            (entry,) = entries[0]
            assert json.loads(entry.read_bytes())["files_checked"] == 4
            entry.write_bytes(b"{}")  # the two that follow neither use nor replace it
        elif len(entries) < 4:
            assert entry.read_bytes() == b"{}"
    assert [len(found) for found in entries] == [1, 1, 1, 0]
    assert not folder.exists()


def test_a_remembered_pass_walks_each_search_root_once(
    root: Path,
    cache: Path,
    checks: list[int],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every named proxied-state file records its search; the repository is walked
    once for all of them, not once per file (1,000 files took 3.7 s CPU)."""
    monkeypatch.chdir(root)
    files = [f"{STATE_DIR}/{name}" for name in sorted(PROJECT_STATES)]
    assert run_validate(capsys, *files)[0] == 0
    walks = record_calls(monkeypatch, inputs, "airlift_files_below", lambda folder: folder)
    assert run_validate(capsys, *files) == (0, "3 files checked, no problems\n")
    assert len(checks) == 1 and walks == [Path(".")]


def test_a_deleted_current_folder_is_no_error(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Absolute paths still validate, without a traceback (and without the cache,
    which cannot tell whether it would sit inside the current folder)."""
    root = _project(tmp_path / "repo")
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    state = root / STATE_DIR / "orders.yaml"
    assert run_validate(capsys, str(state)) == (0, "1 file checked, no problems\n")
    assert cache_entries(cache) == []
