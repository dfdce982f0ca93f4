"""`airlift validate` keeps what it needs of an ``airlift.yaml`` that passed (its
summary) by the file's bytes, and a run over the same bytes uses it instead of
parsing and checking the file again: whatever else changed, the output is exactly
what a run without any cache prints."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airlift_component.config.airlift_yaml.model import AirliftFile
from airlift_component.config.validation import summary_cache, validate, verdict_cache
from airlift_component.config.validation.airlift_summary import from_json, summarize
from airlift_component.config.validation.cross_file import mapped_assets_of
from tests.unit.validate_cache_support import (
    Damage,
    add_comment,
    bytes_written,
    cut_short,
    fields_changed,
    made_a_folder,
    record_calls,
    validate_in_fresh_process,
)
from tests.unit.validate_project import (
    AIRLIFT,
    STATE_DIR,
    STATES,
    cache_entries,
    make_project,
    run_validate,
    use_user_cache,
    write,
)

SHAPES = {
    "folder": ["."],
    "airlift.yaml": ["dagster/airlift.yaml"],
    "every file": ["dagster/airlift.yaml", *(f"{STATE_DIR}/{n}" for n in sorted(STATES))],
    "state files": [f"{STATE_DIR}/{n}" for n in sorted(STATES)],
    "one state file": [f"{STATE_DIR}/orders.yaml"],
}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's cache folder, outside the project; returns where summaries go."""
    return use_user_cache(tmp_path, monkeypatch) / summary_cache.FOLDER


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The path of every airlift file checked in full (not taken from its summary)."""
    return record_calls(monkeypatch, validate, "check_airlift", lambda doc: doc.path)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """The validate project, unchanged."""
    return make_project(tmp_path / "repo")


def _flip(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("false", "TRUE").replace("true", "false").replace("TRUE", "true"))


#: Changes to the proxied-state files beside an unchanged airlift.yaml: the summary
#: stands in for it, and every verdict is the one a run without the cache gives.
STATE_EDITS: dict[str, Callable[[Path], Any]] = {
    "flags flipped": lambda root: [_flip(p) for p in (root / STATE_DIR).glob("*.yaml")],
    "a task without assets proxied": lambda root: write(
        root / STATE_DIR / "orders.yaml",
        "tasks:\n  - id: load\n    proxied: true\n  - id: extra\n    proxied: true\n",
    ),
    "an unmapped DAG proxied": lambda root: write(
        root / STATE_DIR / "peered.yaml", "proxied: true\n"
    ),
    "a file broken": lambda root: write(
        root / STATE_DIR / "orders.yaml", "tasks:\n  - id: load\n    proxied: maybe\n"
    ),
    "both keys set": lambda root: write(
        root / STATE_DIR / "customers.yaml", "proxied: true\ntasks: []\n"
    ),
    "a file deleted": lambda root: (root / STATE_DIR / "peered.yaml").unlink(),
    "a new unmapped proxied DAG": lambda root: write(
        root / STATE_DIR / "stray.yaml", "proxied: true\n"
    ),
    # Its problem is located in airlift.yaml, which is parsed again only for that.
    "the folder deleted": lambda root: shutil.rmtree(root / STATE_DIR),
    "the folder replaced by a file": lambda root: (
        shutil.rmtree(root / STATE_DIR),
        write(root / STATE_DIR, "not a folder\n"),
    ),
}


@pytest.mark.parametrize("edit", list(STATE_EDITS), ids=list(STATE_EDITS))
@pytest.mark.parametrize("shape", list(SHAPES), ids=list(SHAPES))
def test_an_unchanged_airlift_yaml_is_not_checked_again_and_the_output_is_the_same(
    root: Path,
    cache: Path,
    checks: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    shape: str,
    edit: str,
) -> None:
    monkeypatch.chdir(root)
    args = SHAPES[shape]
    assert run_validate(capsys, *args)[0] == 0
    assert checks == ["dagster/airlift.yaml"] and len(cache_entries(cache)) == 1
    STATE_EDITS[edit](root)
    cached = run_validate(capsys, *[a for a in args if os.path.lexists(a)] or ["."])
    assert checks == ["dagster/airlift.yaml"], "airlift.yaml was checked again"
    without = run_validate(capsys, "--no-cache", *[a for a in args if os.path.lexists(a)] or ["."])
    assert cached == without
    assert checks[1:] and set(checks) == {"dagster/airlift.yaml"}


#: Changes to the bytes of airlift.yaml: never answered from the old summary.
AIRLIFT_EDITS: dict[str, Callable[[Path], Any]] = {
    "a comment added": add_comment,
    "an unknown key": lambda path: path.write_text(AIRLIFT + "    nope: 1\n"),
    "a task unmapped": lambda path: path.write_text(
        AIRLIFT.replace("          - {task: load, assets: [shop/orders]}\n", "")
    ),
    "a literal password": lambda path: path.write_text(
        AIRLIFT.replace("'${AIRFLOW_PASSWORD}'", "hunter2")
    ),
    "another folder": lambda path: path.write_text(
        AIRLIFT.replace("../airflow/proxied_state", "../airflow/elsewhere")
    ),
    "not YAML": lambda path: path.write_text("version: [1\n"),
    "deleted": lambda path: path.unlink(),
}


@pytest.mark.parametrize("edit", list(AIRLIFT_EDITS), ids=list(AIRLIFT_EDITS))
def test_other_bytes_are_checked_in_full(
    root: Path,
    cache: Path,
    checks: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    edit: str,
) -> None:
    monkeypatch.chdir(root)
    assert run_validate(capsys, ".")[0] == 0 and len(checks) == 1
    AIRLIFT_EDITS[edit](root / "dagster" / "airlift.yaml")
    cached = run_validate(capsys, ".")
    if edit != "deleted" and edit != "not YAML":
        assert len(checks) == 2, "the new bytes were checked"
    assert cached == run_validate(capsys, "--no-cache", ".")
    # Back to the bytes that passed: their summary is used again.
    write(root / "dagster" / "airlift.yaml", AIRLIFT)
    _flip(root / STATE_DIR / "orders.yaml")
    before = len(checks)
    assert run_validate(capsys, ".") == run_validate(capsys, "--no-cache", ".")
    assert len(checks) == before + 1, "only the run without the cache checked it"


def test_a_file_with_a_problem_of_its_own_is_never_remembered(
    tmp_path: Path, cache: Path, checks: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A literal password: the model loads and the cross-file rules run, but the
    file fails, so nothing vouches for it."""
    root = make_project(tmp_path / "repo", AIRLIFT.replace("'${AIRFLOW_PASSWORD}'", "hunter2"))
    for _ in range(2):
        code, out = run_validate(capsys, str(root))
        assert code == 1 and "literal" in out.lower()
    assert len(checks) == 2 and cache_entries(cache) == []


def test_the_cache_switches_turn_it_off(
    root: Path,
    cache: Path,
    checks: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert run_validate(capsys, "--no-cache", str(root))[0] == 0
    monkeypatch.setenv(verdict_cache.ENV_VAR, "0")
    assert run_validate(capsys, str(root))[0] == 0
    assert cache_entries(cache) == [] and len(checks) == 2
    # A user cache folder inside the project is not used either.
    monkeypatch.delenv(verdict_cache.ENV_VAR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(root / ".cache"))
    monkeypatch.chdir(root)
    assert run_validate(capsys, ".")[0] == 0
    assert not (root / ".cache").exists() and len(checks) == 3


DAMAGES: dict[str, Damage] = {
    "not json": bytes_written(b"\x00\xff{{"),
    "cut short": cut_short(50),
    "a list": bytes_written(b"[]"),
    "another name": fields_changed(name="0" * 40 + ".json"),
    "another format": fields_changed(format=summary_cache.FORMAT + 1),
    "no code": fields_changed(code={}),
    "edited code": lambda entry, good: entry.write_text(
        json.dumps({**good, "code": {path: "0" * 32 for path in good["code"]}})
    ),
    "odd summary": fields_changed(summary=[["shop", None, [["orders", "yes", []]]]]),
    "summary not a list": fields_changed(summary={"instances": []}),
    "a folder": made_a_folder,
}


@pytest.mark.parametrize("damage", list(DAMAGES), ids=list(DAMAGES))
def test_a_damaged_or_stale_summary_is_ignored_and_replaced(
    root: Path, cache: Path, checks: list[str], capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    assert run_validate(capsys, "--format", "json", str(root))[0] == 0
    (entry,) = cache_entries(cache)
    good = json.loads(entry.read_bytes())
    DAMAGES[damage](entry, good)
    _flip(root / STATE_DIR / "orders.yaml")  # so the remembered pass does not answer
    assert run_validate(capsys, str(root)) == run_validate(capsys, "--no-cache", str(root))
    assert len(checks) == 3
    if entry.is_dir():
        return  # nothing can be renamed over a folder
    again = json.loads(entry.read_bytes())
    # The code is what the process had loaded by then, which depends on the tests before.
    assert {**again, "code": None} == {**good, "code": None} and again["code"]
    _flip(root / STATE_DIR / "orders.yaml")
    assert run_validate(capsys, str(root))[0] == 0 and len(checks) == 3


# -- the property: any project, any sequence of edits, the output without the cache


_DAGS = ("orders", "customers", "billing")
_TASKS = ("load", "report")


@st.composite
def airlift_texts(draw: st.DrawFn) -> str:
    """An airlift.yaml: one instance with the proxied-state folder, maybe a second
    with none or with a folder that does not exist; DAGs with and without assets."""
    lines = ["version: 1", "instances:"]
    second = draw(st.sampled_from([None, "none", "../airflow/missing"]))
    for index, folder in enumerate(["../airflow/proxied_state", second]):
        if folder is None:
            continue
        lines += [
            f"  - name: {('shop', 'lake')[index]}",
            f"    url: https://airflow{index}.example.com",
            "    auth: {type: basic, username: admin, password: '${PW}'}",
        ]
        if folder != "none":
            lines.append(f"    proxied_state_dir: {folder}")
        dags = draw(st.lists(st.sampled_from(_DAGS), unique=True, max_size=3))
        lines.append("    mappings:" if dags else "    mappings: []")
        for dag in dags:
            lines.append(f"      - dag: {dag}")
            if draw(st.booleans()):
                lines.append(f"        assets: [{index}/{dag}]")
            tasks = draw(st.lists(st.sampled_from(_TASKS), unique=True, max_size=2))
            if tasks:
                lines.append("        tasks:")
            for task in tasks:
                what = draw(st.sampled_from(["assets", "code", "nothing"]))
                mapped = {
                    "assets": f"assets: [{index}/{dag}/{task}]",
                    "code": "code: 'pkg.mod:defs'",
                    "nothing": "assets: []",  # a problem of airlift.yaml's own
                }[what]
                lines.append(f"          - {{task: {task}, {mapped}}}")
    return "\n".join(lines) + "\n"


state_texts = st.one_of(
    st.sampled_from(["proxied: true\n", "proxied: false\n", "proxied: maybe\n", "tasks: [\n"]),
    st.lists(st.tuples(st.sampled_from((*_TASKS, "extra")), st.booleans()), max_size=3).map(
        lambda tasks: (
            "tasks:\n"
            + "".join(f"  - id: {task}\n    proxied: {str(flag).lower()}\n" for task, flag in tasks)
            if tasks
            else "tasks: []\n"
        )
    ),
)
state_names = st.sampled_from([*(f"{dag}.yaml" for dag in _DAGS), "stray.yaml"])
edits = st.one_of(
    st.tuples(st.just("state"), state_names, state_texts),
    st.tuples(st.just("delete state"), state_names, st.just("")),
    st.tuples(st.just("airlift"), st.just(""), airlift_texts()),
    st.tuples(st.just("comment airlift"), st.just(""), st.just("")),
    st.tuples(st.just("delete folder"), st.just(""), st.just("")),
)


def _apply(root: Path, edit: tuple[str, str, str]) -> None:
    kind, name, text = edit
    folder = root / STATE_DIR
    if kind == "state":
        write(folder / name, text)
    elif kind == "delete state" and (folder / name).exists():
        (folder / name).unlink()
    elif kind == "airlift":
        write(root / "dagster" / "airlift.yaml", text)
    elif kind == "comment airlift":
        add_comment(root / "dagster" / "airlift.yaml")
    elif kind == "delete folder":
        shutil.rmtree(folder, ignore_errors=True)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    airlift=airlift_texts(),
    states=st.dictionaries(state_names, state_texts, max_size=4),
    steps=st.lists(edits, min_size=1, max_size=5),
    shape=st.sampled_from(["folder", "airlift.yaml", "state files", "one state file"]),
)
def test_any_project_and_edits_print_what_a_run_without_the_cache_prints(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    airlift: str,
    states: dict[str, str],
    steps: list[tuple[str, str, str]],
    shape: str,
) -> None:
    with tempfile.TemporaryDirectory(prefix="airlift-summary-") as tmp:
        monkeypatch.setenv("XDG_CACHE_HOME", str(Path(tmp) / "user-cache"))
        monkeypatch.delenv(verdict_cache.ENV_VAR, raising=False)
        root = make_project(Path(tmp) / "repo", airlift, states)
        monkeypatch.chdir(root)
        for step in [None, *steps]:
            if step is not None:
                _apply(root, step)
            files = sorted(f"{STATE_DIR}/{p.name}" for p in (root / STATE_DIR).glob("*.yaml"))
            args = {
                "folder": ["."],
                "airlift.yaml": ["dagster/airlift.yaml"],
                "state files": files,
                "one state file": files[:1],
            }[shape] or ["."]
            cached = run_validate(capsys, *args)
            assert cached == run_validate(capsys, "--no-cache", *args), step
            assert run_validate(capsys, *args) == cached, step


# -- the summary itself, and that it pays for itself in a fresh process


def test_a_summary_reads_back_as_written_and_maps_what_the_model_maps() -> None:
    model = AirliftFile.model_validate(
        {
            "version": 1,
            "instances": [
                {
                    "name": "shop",
                    "url": "http://127.0.0.1:8080",
                    "auth": {"type": "none"},
                    "proxied_state_dir": "state",
                    "mappings": [
                        {"dag": "a", "tasks": [{"task": "t", "assets": ["x"]}]},
                        {"dag": "b", "assets": ["y"]},
                        {"dag": "c", "tasks": [{"task": "t", "code": "pkg.mod:defs"}]},
                        {"dag": "d"},
                    ],
                },
                {"name": "lake", "url": "http://127.0.0.1:8081", "auth": {"type": "none"}},
            ],
        }
    )
    summary = summarize(model)
    assert from_json(json.loads(json.dumps(summary.as_json()))) == summary
    first = summary.instances[0]
    assert first.mapped_assets("airlift.yaml") == mapped_assets_of(
        model.instances[0], "airlift.yaml"
    )
    assert [(i.name, i.proxied_state_dir) for i in summary.instances] == [
        ("shop", "state"),
        ("lake", None),
    ]
    assert first.dags["d"] == (False, frozenset())
    assert summary.instances[1].dags == {}  # no folder: its mappings are never read


def test_a_run_with_the_summary_imports_no_airlift_yaml_check(tmp_path: Path) -> None:
    """What makes it pay: nothing that checks airlift.yaml is even imported (its
    check in the usual shape, config/airlift_yaml/usual.py, nor pydantic's models)."""
    project = make_project(tmp_path / "repo")
    usual = "airlift_component.config.airlift_yaml.usual"
    model = "airlift_component.config.airlift_yaml.model"
    first = validate_in_fresh_process(project, tmp_path / "cache", ".")
    assert (first.returncode, usual in first.stderr, model in first.stderr) == (0, True, False)
    _flip(project / STATE_DIR / "orders.yaml")
    second = validate_in_fresh_process(project, tmp_path / "cache", ".")
    assert "airlift_component.config.validation.validate" in second.stderr, "it checked"
    assert usual not in second.stderr and model not in second.stderr
    assert second.stdout == first.stdout == "4 files checked, no problems\n"
