"""Flipping proxied flags: only the flag's bytes change, refusals leave files alone,
writes are atomic and concurrent writers never lose an update."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from airlift_component.config import atomic_write
from airlift_component.config.proxied_state.edit import EditRequest, plan_edit, set_proxied
from airlift_component.config.proxied_state.file import read_proxied_state_file
from airlift_component.config.yaml.bool_edit import compose, span_edit
from airlift_component.errors import ProxyStateEditError

HEAVY = b"""\
# Proxied state of customers.   Hand-edited; keep the comments!
# yaml-language-server: $schema=../schemas/proxied-state.schema.json

tasks:   # one entry per task

  # --- extraction ---
  - id: load_raw        # first task
    proxied: false      # flip me
  - id: 'transform'
    proxied: False  #no space before this comment text

  - {id: "publish", proxied: FALSE}   # flow style
  -   id: notify
      proxied:    yes
# trailing comment, no blank line after
"""


def _only_change(old: bytes, new: bytes) -> tuple[bytes, bytes]:
    """The differing middle of two byte strings (common prefix and suffix removed)."""
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end = 0
    while end < min(len(old), len(new)) - start and old[-1 - end] == new[-1 - end]:
        end += 1
    return old[start : len(old) - end], new[start : len(new) - end]


def _flip(raw: bytes, *tasks: str, value: bool = True, dag: bool = False) -> bytes:
    request = EditRequest("customers", value, None if dag else tasks)
    return plan_edit(raw, "customers.yaml", request).new


@pytest.mark.parametrize(
    ("task", "old_line", "new_line"),
    [
        pytest.param(
            "load_raw",
            b"    proxied: false      # flip me\n",
            b"    proxied: true      # flip me\n",
            id="lowercase-inline-comment",
        ),
        pytest.param(
            "transform",
            b"    proxied: False  #no space before this comment text\n",
            b"    proxied: True  #no space before this comment text\n",
            id="capitalised-quoted-id",
        ),
        pytest.param(
            "publish",
            b'  - {id: "publish", proxied: FALSE}   # flow style\n',
            b'  - {id: "publish", proxied: TRUE}   # flow style\n',
            id="uppercase-flow-style",
        ),
    ],
)
def test_flip_changes_only_the_value_bytes(task: str, old_line: bytes, new_line: bytes) -> None:
    result = _flip(HEAVY, task)
    assert HEAVY.count(old_line) == 1
    assert result == HEAVY.replace(old_line, new_line)
    removed, added = _only_change(HEAVY, result)
    assert (removed, added) in {(b"fals", b"tru"), (b"Fals", b"Tru"), (b"FALS", b"TRU")}


def test_flow_style_value_keeps_braces_and_comment() -> None:
    result = _flip(HEAVY, "publish")
    assert b'  - {id: "publish", proxied: TRUE}   # flow style\n' in result
    assert result.replace(b"proxied: TRUE}", b"proxied: FALSE}") == HEAVY


def test_yaml11_word_becomes_true_false_in_the_same_case() -> None:
    result = _flip(HEAVY, "notify", value=False)
    assert _only_change(HEAVY, result) == (b"yes", b"false")
    assert b"      proxied:    false\n" in result


def test_several_tasks_in_one_edit() -> None:
    result = _flip(HEAVY, "load_raw", "transform", "publish")
    expected = (
        HEAVY.replace(b"proxied: false  ", b"proxied: true  ")
        .replace(b"proxied: False", b"proxied: True")
        .replace(b"proxied: FALSE}", b"proxied: TRUE}")
    )
    assert result == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(
            b"tasks:\r\n  - id: a  # c\r\n    proxied: false\r\n  - id: b\r\n    proxied: false\r\n",
            b"tasks:\r\n  - id: a  # c\r\n    proxied: true\r\n  - id: b\r\n    proxied: false\r\n",
            id="crlf",
        ),
        pytest.param(
            b"tasks:\n  - id: a\n    proxied: false",
            b"tasks:\n  - id: a\n    proxied: true",
            id="no-trailing-newline",
        ),
        pytest.param(
            b"\xef\xbb\xbftasks: [{id: a, proxied: false}]\n",
            b"\xef\xbb\xbftasks: [{id: a, proxied: true}]\n",
            id="bom-flow-sequence",
        ),
        pytest.param(
            b"tasks:\n- id: a\n  proxied: !!bool false # tagged\n",
            b"tasks:\n- id: a\n  proxied: !!bool true # tagged\n",
            id="explicit-tag",
        ),
        pytest.param(
            b'tasks:\n- id: a\n  proxied: !!bool "false"\n',
            b'tasks:\n- id: a\n  proxied: !!bool "true"\n',
            id="tagged-quoted",
        ),
        pytest.param(
            b"tasks:\n- id: a\n  proxied: &flag false\n",
            b"tasks:\n- id: a\n  proxied: &flag true\n",
            id="unused-anchor",
        ),
        pytest.param(
            "# caf\u00e9 \u2014 \u00fcml\u00e4uts\ntasks:\n- id: a\n  proxied: false # \u00e9\n".encode(),
            "# caf\u00e9 \u2014 \u00fcml\u00e4uts\ntasks:\n- id: a\n  proxied: true # \u00e9\n".encode(),
            id="non-ascii-comments",
        ),
    ],
)
def test_flip_is_byte_exact_on_unusual_layouts(raw: bytes, expected: bytes) -> None:
    plan = plan_edit(raw, "x.yaml", EditRequest("x", True, ("a",)))
    assert plan.new == expected
    assert plan.method == "span"


def test_dag_level_flip_keeps_comments() -> None:
    raw = b"# whole DAG\nproxied: false   # decommission step\n"
    assert _flip(raw, dag=True) == b"# whole DAG\nproxied: true   # decommission step\n"


def test_flipping_to_the_current_value_is_a_no_op() -> None:
    plan = plan_edit(HEAVY, "customers.yaml", EditRequest("customers", False, ("load_raw",)))
    assert not plan.changed
    assert plan.new == HEAVY
    assert [c.describe() for c in plan.changes] == [
        "task 'load_raw' is already proxied: false (unchanged)"
    ]


@pytest.mark.parametrize(
    ("raw", "line"),
    [
        pytest.param(
            b'# keep me\ntasks:\n  - id: a\n    proxied: !!bool "f\\x61lse"\n'
            b"  - id: b  # b\n    proxied: false\n",
            4,
            id="escaped-quoted-word",
        ),
        pytest.param(
            b'tasks:\n  - id: a\n    proxied: !!bool "fa\\\n      lse"\n',
            3,
            id="escaped-line-break",
        ),
    ],
)
def test_a_boolean_not_written_as_one_plain_word_is_refused_naming_its_line(
    raw: bytes, line: int
) -> None:
    with pytest.raises(ProxyStateEditError) as info:
        plan_edit(raw, "x.yaml", EditRequest("x", True, ("a",)))
    message = str(info.value)
    assert message.startswith(f"x.yaml: line {line}: this 'proxied' value is written ")
    assert f"write 'proxied: false' on line {line} and run again" in message
    assert message.endswith("(the file was not changed)")


def test_every_proxied_value_in_the_corpus_and_examples_is_rewritten_in_place() -> None:
    # Why unusual spellings are refused rather than round-tripped by a second YAML
    # library: no proxied-state file this project ships or tests is written that way.
    root = Path(__file__).resolve().parents[2]
    found = 0
    for folder in ("tests/corpus", "tests/e2e", "example_project", "docs"):
        for path in sorted((root / folder).rglob("*.y*ml")):
            if not path.is_file() or path.stat().st_size > 1_000_000:
                continue
            try:
                text = path.read_text(encoding="utf-8-sig")
            except UnicodeDecodeError:
                continue
            if "*" in text or "proxied" not in text:
                continue  # aliases (bombs among them) are refused before any rewrite
            try:
                root_node = compose(text)
                data = yaml.load(text, Loader=yaml.CSafeLoader)
            except (yaml.YAMLError, ValueError):
                continue
            tasks = data.get("tasks")
            locs: list[tuple[str | int, ...]] = [
                ("tasks", i, "proxied")
                for i, task in enumerate(tasks if isinstance(tasks, list) else [])
                if isinstance(task, dict) and isinstance(task.get("proxied"), bool)
            ]
            if isinstance(data.get("proxied"), bool):
                locs.append(("proxied",))
            for loc in locs:
                span_edit(text, [loc], True, root_node)  # raises on an unusual spelling
                found += 1
    assert found >= 20, found


def _refusal(raw: bytes, request: EditRequest) -> str:
    with pytest.raises(ProxyStateEditError) as info:
        plan_edit(raw, "customers.yaml", request)
    return str(info.value)


def test_unknown_task_is_refused_naming_file_and_listed_tasks() -> None:
    message = _refusal(HEAVY, EditRequest("customers", True, ("load_raw", "lod_raw2")))
    assert message.startswith("customers.yaml: DAG 'customers' does not list task(s) 'lod_raw2'")
    assert "the file lists: load_raw, transform, publish, notify" in message
    assert "the file was not changed" in message


def test_task_flip_on_dag_level_file_says_to_use_dag_flag() -> None:
    message = _refusal(b"proxied: false\n", EditRequest("customers", True, ("a",)))
    assert "proxies the whole DAG" in message
    assert "airlift proxy on customers --dag" in message


def test_dag_flag_off_on_task_level_file_is_refused_with_remedies() -> None:
    message = _refusal(HEAVY, EditRequest("customers", False))
    assert "not proxied as a whole" in message
    assert "airlift proxy off customers --all" in message


def test_whole_dag_and_back_gives_the_same_bytes() -> None:
    """The hand-edited file (flow items, yes/no, comments, odd spacing) survives the trip."""
    on = plan_edit(HEAVY, "customers.yaml", EditRequest("customers", True))
    assert on.method == "whole-dag"
    assert b"\nproxied: true\n" in on.new
    off = plan_edit(on.new, "customers.yaml", EditRequest("customers", False))
    assert off.method == "restore"
    assert off.new == HEAVY


def test_all_flips_every_listed_task() -> None:
    request = EditRequest("customers", True, None, all_tasks=True)
    plan = plan_edit(HEAVY, "customers.yaml", request)
    assert [c.target for c in plan.changes if c.changed] == ["load_raw", "transform", "publish"]


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        pytest.param(b"tasks: [\n", "YAML syntax error", id="syntax"),
        pytest.param(b"tasks: []\nproxied: true\n", "sets both", id="both-forms"),
        pytest.param(b"tasks:\n- id: a\n  proxied: maybe\n", "customers.yaml:3:", id="not-a-bool"),
        pytest.param(
            b"tasks:\n- {id: a, proxied: false}\n- {id: a, proxied: true}\n", "twice", id="dup"
        ),
    ],
)
def test_broken_file_is_refused_with_its_problems(raw: bytes, fragment: str) -> None:
    message = _refusal(raw, EditRequest("customers", True, ("a",)))
    assert "cannot edit a broken proxied-state file" in message
    assert fragment in message


def test_shared_alias_is_refused() -> None:
    raw = b"tasks:\n- {id: a, proxied: &off false}\n- {id: b, proxied: *off}\n"
    assert "anchor/alias" in _refusal(raw, EditRequest("customers", True, ("a",)))


def test_refusal_leaves_the_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "customers.yaml"
    path.write_bytes(HEAVY)
    before = path.stat()
    with pytest.raises(ProxyStateEditError):
        set_proxied(tmp_path, EditRequest("customers", True, ("nope",)))
    assert path.read_bytes() == HEAVY
    assert path.stat().st_ino == before.st_ino
    assert sorted(p.name for p in tmp_path.iterdir()) == ["customers.yaml"]


def test_missing_file_offers_create_and_create_writes_a_valid_file(tmp_path: Path) -> None:
    request = EditRequest("orders", True, ("load", "publish"))
    with pytest.raises(ProxyStateEditError, match="airlift proxy on orders load publish --create"):
        set_proxied(tmp_path, request)
    assert not (tmp_path / "orders.yaml").exists()
    set_proxied(tmp_path, request, create=True)
    state, problems = read_proxied_state_file(tmp_path / "orders.yaml")
    assert problems == []
    assert state is not None and dict(state.tasks) == {"load": True, "publish": True}


def test_yaml_and_yml_for_one_dag_is_refused(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text("proxied: false\n")
    (tmp_path / "d.yml").write_text("proxied: false\n")
    with pytest.raises(ProxyStateEditError, match="two proxied-state files"):
        set_proxied(tmp_path, EditRequest("d", True))


def test_set_proxied_writes_and_keeps_mode(tmp_path: Path) -> None:
    path = tmp_path / "customers.yaml"
    path.write_bytes(HEAVY)
    path.chmod(0o640)
    set_proxied(tmp_path, EditRequest("customers", True, ("load_raw",)))
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.read_bytes() == HEAVY.replace(b"proxied: false ", b"proxied: true ")


def test_symlinked_file_stays_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_bytes(b"proxied: false\n")
    (tmp_path / "state").mkdir()
    link = tmp_path / "state" / "d.yaml"
    link.symlink_to(real)
    set_proxied(tmp_path / "state", EditRequest("d", True))
    assert link.is_symlink()
    assert real.read_bytes() == b"proxied: true\n"


def test_interrupted_write_keeps_old_file_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "customers.yaml"
    path.write_bytes(HEAVY)

    def crash_midway(fd: int, data: bytes) -> None:
        os.write(fd, data[: len(data) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic_write, "_write_fully", crash_midway)
    with pytest.raises(ProxyStateEditError, match="No space left on device"):
        set_proxied(tmp_path, EditRequest("customers", True, ("load_raw",)))
    assert path.read_bytes() == HEAVY
    assert sorted(p.name for p in tmp_path.iterdir()) == ["customers.yaml"]


def test_interrupt_during_replace_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"old")

    def interrupted(src: object, dst: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic_write.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write.atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.yaml"]


def test_lock_times_out_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"proxied: false\n")
    with (
        atomic_write.locked(path),
        pytest.raises(atomic_write.FileLockTimeout, match="another process"),
        atomic_write.locked(path, timeout=0.05),
    ):
        pass


_WORKER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from airlift_component.config.proxied_state.edit import EditRequest, set_proxied

    directory, barrier, task, rounds = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    (barrier / f"ready-{task}").touch()
    deadline = time.monotonic() + 60
    while not (barrier / "go").exists():  # start together, so the edits really overlap
        if time.monotonic() > deadline:
            sys.exit("no go signal")
        time.sleep(0.005)
    for i in range(rounds):
        set_proxied(directory, EditRequest("wide", i % 2 == 0, (task,)))
    """
)


def _wait_for(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "workers did not start in time"
        time.sleep(0.01)


def test_concurrent_processes_flipping_different_tasks_all_land(tmp_path: Path) -> None:
    workers, rounds = 4, 25  # odd rounds: every worker ends on proxied: true
    tasks = [f"task_{n}" for n in range(workers)]
    body = "".join(f"  - id: {t}   # owner {n}\n    proxied: false\n" for n, t in enumerate(tasks))
    folder, barrier = tmp_path / "state", tmp_path / "barrier"
    folder.mkdir()
    barrier.mkdir()
    path = folder / "wide.yaml"
    original = f"# shared by {workers} writers\ntasks:\n{body}".encode()
    path.write_bytes(original)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(folder), str(barrier), task, str(rounds)]
        )
        for task in tasks
    ]
    try:
        _wait_for(lambda: len(list(barrier.glob("ready-*"))) == workers, 60)
        (barrier / "go").touch()
        codes = [proc.wait(timeout=120) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert codes == [0] * workers
    state, problems = read_proxied_state_file(path)
    assert problems == []
    assert state is not None and dict(state.tasks) == dict.fromkeys(tasks, True)
    assert path.read_bytes() == original.replace(b"proxied: false", b"proxied: true")
    assert sorted(p.name for p in folder.iterdir()) == ["wide.yaml"]


def test_flipping_inside_a_shared_anchored_mapping_is_refused() -> None:
    raw = b"tasks:\n- &base {id: a, proxied: false}\n- *base\n"
    # the same entry twice is also a duplicate id; use a merge to make the ids differ
    merged = b"tasks:\n- &base {id: a, proxied: false}\n- <<: *base\n  id: b\n"
    assert "merge key" in _refusal(merged, EditRequest("customers", True, ("b",)))
    assert "anchor/alias" in _refusal(merged, EditRequest("customers", True, ("a",)))
    assert "broken" in _refusal(raw, EditRequest("customers", True, ("a",)))


@pytest.mark.parametrize(
    ("dag", "tasks"),
    [
        pytest.param("../etc/passwd", ("a",), id="dag-path"),
        pytest.param("d", ("a: b",), id="task-yaml-syntax"),
        pytest.param("d", ("#x",), id="task-comment"),
        pytest.param("d", ("a\n",), id="task-newline"),
    ],
)
def test_invalid_ids_are_usage_errors(dag: str, tasks: tuple[str, ...]) -> None:
    from airlift_component.errors import UsageError

    with pytest.raises(UsageError, match="is not a"):
        EditRequest(dag, True, tasks)


_CRASHER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from airlift_component.config import atomic_write
    from airlift_component.config.proxied_state.edit import EditRequest, set_proxied

    def write_half_then_die(fd, data):
        os.write(fd, data[: len(data) // 2])
        os.kill(os.getpid(), signal.SIGKILL)

    atomic_write._write_fully = write_half_then_die
    set_proxied(Path(sys.argv[1]), EditRequest("customers", True, ("load_raw",)))
    """
)


def test_process_killed_mid_write_leaves_old_file_and_next_edit_works(tmp_path: Path) -> None:
    path = tmp_path / "customers.yaml"
    path.write_bytes(HEAVY)
    result = subprocess.run([sys.executable, "-c", _CRASHER, str(tmp_path)], check=False)
    assert result.returncode == -9
    assert path.read_bytes() == HEAVY
    # A killed process cannot clean up: its half-written temp file is hidden and
    # ignored by every reader (dot-prefixed, .tmp suffix).
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "customers.yaml"]
    assert all(name.startswith(".customers.yaml.") and name.endswith(".tmp") for name in leftovers)
    set_proxied(tmp_path, EditRequest("customers", True, ("load_raw",)))
    assert path.read_bytes() == HEAVY.replace(b"proxied: false ", b"proxied: true ")
