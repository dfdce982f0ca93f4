"""`airlift proxy on DAG --dag` on a task-level file, and `off --dag` back: nothing lost.

Property: for any task-level file (random tasks and flags, comments, blank
lines, flow or block style, CRLF, a byte-order mark, with or without a final
newline), ``on --dag`` gives a valid whole-DAG file that every reader takes as
``proxied: true`` and ``off --dag`` gives back the original bytes.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airlift_component.cli.main import main
from airlift_component.config.proxied_state.edit import EditRequest, plan_edit
from airlift_component.config.proxied_state.file import read_proxied_state_file
from airlift_component.config.proxied_state.whole_dag_switch import to_whole_dag
from airlift_component.config.validation.validate import validate_paths
from airlift_component.config.yaml.read import MAX_FILE_BYTES, parse_yaml_text
from airlift_component.errors import ProxyStateEditError

ON = EditRequest("dag", True)
OFF = EditRequest("dag", False)

ids = st.from_regex(r"t_[a-z0-9_.\-]{0,12}", fullmatch=True)  # never a YAML bool or null
comments = st.sampled_from(["", "  # note", "   # keep me: yes", "\t# tab before"])
bool_words = st.sampled_from(["true", "false", "True", "FALSE", "yes", "no", "off"])


@st.composite
def task_level_files(draw: st.DrawFn) -> bytes:
    tasks = draw(st.lists(ids, max_size=6, unique=True))
    header = draw(st.sampled_from(["", "# Proxied state\n", "%YAML 1.1\n---\n", "# a\n\n# b\n"]))
    if draw(st.booleans()) and tasks:
        items = ", ".join(f"{{id: {t}, proxied: {draw(bool_words)}}}" for t in tasks)
        body = f"tasks: [{items}]{draw(comments)}\n"
    elif not tasks:
        body = "tasks: []\n"
    else:
        lines = [f"tasks:{draw(comments)}\n"]
        indent = draw(st.sampled_from(["", "  ", "    "]))
        for task in tasks:
            lines.append(f"{indent}- id: {task}{draw(comments)}\n")
            lines.append(f"{indent}  proxied: {draw(bool_words)}{draw(comments)}\n")
            if draw(st.booleans()):
                lines.append(draw(st.sampled_from(["\n", "# between\n", "   \n"])))
        body = "".join(lines)
    text = header + body + draw(st.sampled_from(["", "# trailing\n", "\n\n"]))
    if draw(st.booleans()):
        text = text.rstrip("\n")
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    raw = text.encode("utf-8")
    return codecs.BOM_UTF8 + raw if draw(st.booleans()) else raw


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(task_level_files())
def test_whole_dag_and_back_is_the_identity(raw: bytes) -> None:
    on = plan_edit(raw, "dag.yaml", ON)
    assert on.method == "whole-dag"
    text = on.new.decode("utf-8-sig")
    doc = parse_yaml_text(text, "dag.yaml", what="x")
    assert doc.data == {"proxied": True}  # what dagster-airlift and our Airflow side read
    again = plan_edit(on.new, "dag.yaml", ON)
    assert not again.changed  # already proxied as a whole
    off = plan_edit(on.new, "dag.yaml", OFF)
    assert off.method == "restore"
    assert off.new == raw


def test_the_cli_round_trip_and_validate_in_between(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = (
        b"# Proxied state of DAG dag\n"
        b"tasks:\n"
        b"  - id: load   # moved first\n"
        b"    proxied: true\n"
        b"  - id: transform\n"
        b"    proxied: false\n"
    )
    path = tmp_path / "proxied_state" / "dag.yaml"
    path.parent.mkdir()
    path.write_bytes(original)
    folder = str(path.parent)
    assert main(["proxy", "on", "dag", "--dag", "--dir", folder]) == 0
    out = capsys.readouterr().out
    assert "DAG-level flag: proxied false -> true" in out
    assert "`airlift proxy off dag --dag` restores it" in out
    state, problems = read_proxied_state_file(path)
    assert not problems and state is not None and state.proxied is True and not state.tasks
    assert validate_paths([path]).ok
    assert main(["proxy", "off", "dag", "--dag", "--dir", folder]) == 0
    assert "restored the task list (2 tasks; proxied: load)" in capsys.readouterr().out
    assert path.read_bytes() == original


def test_a_dag_level_file_without_kept_list_still_just_flips() -> None:
    plan = plan_edit(b"proxied: true  # all in\n", "dag.yaml", OFF)
    assert plan.method == "span"
    assert plan.new == b"proxied: false  # all in\n"


@pytest.mark.parametrize(
    ("tamper", "fragment"),
    [
        pytest.param(lambda t: t.replace("#   - id: load", "  #   - id: load"), "no longer"),
        pytest.param(lambda t: t.replace("# airlift:kept-tasks end", ""), "no '# airlift"),
        pytest.param(lambda t: t.replace("# tasks:", "# tasks: {"), "not be a valid file"),
    ],
    ids=["uncommented-line", "no-end-marker", "broken-list"],
)
def test_a_tampered_kept_list_is_refused_and_nothing_changes(
    tamper: Callable[[str], str], fragment: str
) -> None:
    raw = b"tasks:\n  - id: load\n    proxied: true\n"
    on = plan_edit(raw, "dag.yaml", ON).new.decode()
    with pytest.raises(ProxyStateEditError) as info:
        plan_edit(tamper(on).encode(), "dag.yaml", OFF)
    message = str(info.value)
    assert fragment in message
    assert message.endswith("(the file was not changed)")


def test_a_task_flip_on_a_decommissioned_file_points_at_off_dag() -> None:
    on = plan_edit(b"tasks:\n  - id: load\n    proxied: false\n", "dag.yaml", ON)
    with pytest.raises(ProxyStateEditError) as info:
        plan_edit(on.new, "dag.yaml", EditRequest("dag", True, ("load",)))
    assert "airlift proxy off dag --dag, then run this again" in str(info.value)


def near_the_limit(head: str, room: int) -> bytes:
    """``head`` then comment lines filling the file up to ``room`` bytes under the
    readers' size limit."""
    line = "# " + "x" * 1021 + "\n"  # 1 KiB a line: the switch adds 2 bytes to each
    lines, rest = divmod(MAX_FILE_BYTES - room - len(head), len(line))
    return (head + line * lines + "#" * max(rest - 1, 0) + "\n").encode()


def test_on_dag_that_would_pass_the_size_limit_is_refused_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The kept block grows the file by 2 bytes a line; past the limit every reader
    (and so `off --dag`) would refuse it: refused before writing, with the fix."""
    raw = near_the_limit("tasks:\n  - id: load\n    proxied: false\n", room=1000)
    path = tmp_path / "proxied_state" / "dag.yaml"
    path.parent.mkdir()
    path.write_bytes(raw)
    assert main(["proxy", "on", "dag", "--dag", "--dir", str(path.parent)]) != 0
    captured = capsys.readouterr()
    error = captured.err[captured.err.index(f"{path}: ") :]
    assert "Traceback" not in captured.err
    # stdout holds at most proxy on's note that no Dagster URL was given for the checks
    assert all(
        line.startswith("acceptance checks not looked at") for line in captured.out.splitlines()
    )
    assert f"over the limit of {MAX_FILE_BYTES:,} bytes" in error
    assert "make room first" in error and "'proxied: true' by hand" in error
    assert error.rstrip().endswith("(the file was not changed)")
    assert path.read_bytes() == raw
    state, problems = read_proxied_state_file(path)
    assert not problems and state is not None and state.tasks


def test_a_flip_that_would_pass_the_size_limit_is_refused() -> None:
    """'true' -> 'false' adds a byte; a file at the limit cannot take it."""
    raw = near_the_limit("tasks:\n  - id: load\n    proxied: true\n", room=0)
    assert len(raw) == MAX_FILE_BYTES
    with pytest.raises(ProxyStateEditError) as info:
        plan_edit(raw, "dag.yaml", EditRequest("dag", False, ("load",)))
    assert f"this flip would make the file {MAX_FILE_BYTES + 1:,} bytes" in str(info.value)
    assert plan_edit(raw, "dag.yaml", EditRequest("dag", True, ("load",))).new == raw


def test_off_dag_restores_a_file_an_earlier_version_wrote_past_the_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before the refusal above, `on --dag` wrote such files; every reader refuses
    them, and `off --dag` is the way back to the original bytes."""
    original = near_the_limit("tasks:\n  - id: load\n    proxied: false\n", room=1000)
    text = original.decode()
    past = to_whole_dag(text, parse_yaml_text(text, "dag.yaml", what="x").root, True).encode()
    assert len(past) > MAX_FILE_BYTES
    path = tmp_path / "proxied_state" / "dag.yaml"
    path.parent.mkdir()
    path.write_bytes(past)
    assert read_proxied_state_file(path)[0] is None  # too big for every reader
    assert main(["proxy", "off", "dag", "--dag", "--dir", str(path.parent)]) == 0
    assert "restored the task list" in capsys.readouterr().out
    assert path.read_bytes() == original
    # Anything else is refused on such a file, with the way back.
    path.write_bytes(past)
    assert main(["proxy", "on", "dag", "--dag", "--dir", str(path.parent)]) != 0
    error = capsys.readouterr().err
    assert f"{path}: the file is {len(past):,} bytes, over the limit" in error
    assert "`airlift proxy off DAG --dag`" in error and "Traceback" not in error
    assert path.read_bytes() == past
