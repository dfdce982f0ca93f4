"""`airlift validate`: exit codes, output shapes, discovery and user mistakes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from airlift_component.cli.main import main

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "corpus"
GOOD_AIRLIFT = (
    "version: 1\ninstances:\n  - name: a\n    url: https://a.example.com\n    auth: {type: none}\n"
)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["validate", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out + err


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_good_corpus_passes_with_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, str(CORPUS / "good"))
    assert code == 0
    assert out.strip().splitlines()[-1].endswith("files checked, no problems")


def test_every_problem_of_every_file_in_one_run(capsys: pytest.CaptureFixture[str]) -> None:
    bad = sorted((CORPUS / "bad").iterdir())
    code, out = _run(capsys, *map(str, bad))
    assert code == 1
    lines = out.strip().splitlines()
    problem_lines = lines[:-1]
    assert len({line.split(":", 1)[0] for line in problem_lines}) >= 100
    assert lines[-1].endswith(f"{len(problem_lines)} problems")
    for line in problem_lines:
        path, lineno, col, message = line.split(":", 3)
        assert Path(path).exists() and int(lineno) >= 1 and int(col) >= 1 and message.strip()


def test_json_format(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = _write(tmp_path / "airlift.yaml", GOOD_AIRLIFT.replace("name: a", "name: A"))
    code, out = _run(capsys, "--format", "json", str(path))
    assert code == 1
    report = json.loads(out)
    assert report["files_checked"] == 1
    (problem,) = report["problems"]
    assert set(problem) == {"path", "line", "col", "field", "message", "hint", "rule"}
    assert (problem["line"], problem["col"], problem["field"]) == (3, 11, "$.instances[0].name")


def test_json_format_when_clean(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = _write(tmp_path / "airlift.yaml", GOOD_AIRLIFT)
    code, out = _run(capsys, "--format=json", str(path))
    assert (code, json.loads(out)) == (0, {"files_checked": 1, "problems": []})


def test_usage_errors_exit_2() -> None:
    for args in (["--format", "xml"], ["--no-such-flag"]):
        result = subprocess.run(
            [sys.executable, "-m", "airlift_component", "validate", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2
        assert "Traceback" not in result.stderr


def test_discovers_files_under_the_current_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path / "dagster" / "airlift.yaml", GOOD_AIRLIFT)
    _write(tmp_path / "airflow" / "dags" / "proxied_state" / "d.yaml", "proxied: false\n")
    _write(tmp_path / "airflow" / "dags" / "other.yaml", "not: checked\n")
    for skipped in (".git", ".venv-airflow2", "node_modules"):
        _write(tmp_path / skipped / "airlift.yaml", "broken: [\n")
        _write(tmp_path / skipped / "proxied_state" / "x.yaml", "broken: [\n")
    monkeypatch.chdir(tmp_path)
    code, out = _run(capsys)
    assert (code, out.strip()) == (0, "2 files checked, no problems")


def test_nothing_to_check_is_a_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = _run(capsys)
    assert code == 1
    assert "no airlift.yaml or proxied_state/*.yaml found" in out


def test_path_mistakes_are_problems_not_tracebacks(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    notes = _write(tmp_path / "notes.txt", "hello\n")
    code, out = _run(capsys, str(tmp_path / "missing.yaml"), str(notes))
    assert code == 1
    assert f"{tmp_path / 'missing.yaml'}:1:1: no such file or folder" in out
    assert f"{notes}:1:1: not an airlift.yaml or proxied-state file" in out


def test_unreadable_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "airlift.yaml", GOOD_AIRLIFT)

    real_open = os.open

    def refuse(file: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied")
        return real_open(file, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    code, out = _run(capsys, str(path))
    assert code == 1
    assert f"{path}:1:1: cannot read file: Permission denied (check permissions)" in out


def test_explicit_file_with_another_name_is_judged_by_content(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    airlift = _write(tmp_path / "prod-airlift.yaml", GOOD_AIRLIFT + "    apii: v2\n")
    state = _write(tmp_path / "customers.yaml", "proxied: maybe\n")
    code, out = _run(capsys, str(airlift), str(state))
    assert code == 1
    assert "unknown key 'apii' (did you mean 'api'?)" in out
    assert "expected true or false, got a string" in out


def test_state_file_checked_directly_and_through_airlift_yaml_is_reported_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    case = CORPUS / "cross" / "broken_state_file_once"
    state = case / "proxied_state" / "customers.yaml"
    code, out = _run(capsys, str(state), str(case / "airlift.yaml"), str(case))
    assert code == 1
    assert out.count("expected true or false") == 1
    assert out.strip().splitlines()[-1] == "2 files checked, 1 problem"


def test_unset_variables_are_fine_at_validate_time(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "airlift.yaml",
        GOOD_AIRLIFT.replace(
            "{type: none}", "{type: basic, username: '${U}', password: '${NEVER_SET_ANYWHERE}'}"
        ),
    )
    env = {k: v for k, v in os.environ.items() if k not in ("U", "NEVER_SET_ANYWHERE")}
    result = subprocess.run(
        [sys.executable, "-m", "airlift_component", "validate", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert (result.returncode, result.stdout.strip()) == (0, "1 file checked, no problems")


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_secrets_never_appear_in_output(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str
) -> None:
    secret = "s3cr3t-Passw0rd-value"
    path = _write(
        tmp_path / "airlift.yaml",
        "version: 1\ninstances:\n"
        "  - name: a\n    url: https://a.example.com\n"
        f"    auth: {{type: basic, username: u, password: {secret}}}\n"
        "  - name: b\n    url: https://b.example.com\n"
        f"    auth: {{type: token, token: [{secret}]}}\n"
        "  - name: c\n    url: https://c.example.com\n"
        f"    auth: {{type: astronomer, api_token: {{value: {secret}}}}}\n",
    )
    code, out = _run(capsys, "--format", fmt, str(path))
    assert code == 1
    assert "literal secret in 'password'" in out
    assert secret not in out


def test_whole_bad_corpus_in_a_subprocess_has_no_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "airlift_component", "validate", str(CORPUS / "bad")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr == ""
    assert "Traceback" not in result.stdout


def test_the_collector_is_left_as_it_was(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import gc

    path = _write(tmp_path / "airlift.yaml", GOOD_AIRLIFT)
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    _run(capsys, str(path))
    assert gc.isenabled() and gc.get_freeze_count() == frozen
    gc.disable()
    try:
        _run(capsys, str(path))
        assert not gc.isenabled()
    finally:
        gc.enable()


def _repo_with_split_folders(root: Path) -> Path:
    """A git work tree laid out like the example project: the Dagster side's
    airlift.yaml names the Airflow side's proxied-state folder."""
    (root / ".git").mkdir(parents=True)
    _write(
        root / "dagster" / "airlift.yaml",
        GOOD_AIRLIFT + "    proxied_state_dir: ../airflow/proxied_state\n"
        "    mappings:\n      - dag: customers\n        tasks:\n"
        "          - {task: load, assets: [raw/customers]}\n",
    )
    _write(
        root / "airflow" / "proxied_state" / "customers.yaml",
        "tasks:\n  - id: load\n    proxied: true\n  - id: other\n    proxied: true\n",
    )
    # A DAG airlift.yaml does not map, with a proxied task.
    _write(
        root / "airflow" / "proxied_state" / "ghost.yaml", "tasks:\n  - {id: t, proxied: true}\n"
    )
    return root


def test_a_lone_proxied_state_file_is_checked_against_the_airlift_yaml_naming_its_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the pre-commit hook passes when a commit touches only a DAG's file."""
    root = _repo_with_split_folders(tmp_path / "repo")
    monkeypatch.chdir(root / "airflow")  # anywhere in the work tree
    code, out = _run(capsys, "proxied_state/ghost.yaml")
    assert code == 1
    assert out.strip().splitlines() == [
        "proxied_state/ghost.yaml:2:1: DAG 'ghost' proxies tasks but is not mapped in "
        "airlift.yaml (instance 'a') (add '- dag: ghost' with its assets under the "
        "instance's mappings, or set proxied: false)",
        "1 file checked, 1 problem",
    ]


def test_a_lone_file_reports_its_own_cross_file_problems_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo_with_split_folders(tmp_path / "repo")
    # ghost.yaml has a problem nobody asks about here.
    monkeypatch.chdir(root)
    code, out = _run(capsys, "airflow/proxied_state/customers.yaml")
    assert code == 1
    assert "ghost" not in out
    assert "task 'other' is proxied but has no assets mapped in airlift.yaml" in out
    assert out.strip().splitlines()[0].startswith("airflow/proxied_state/customers.yaml:4:1: ")
    assert out.strip().splitlines()[-1] == "1 file checked, 1 problem"


def test_a_lone_file_no_airlift_yaml_names_gets_its_own_checks_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo_with_split_folders(tmp_path / "repo")
    elsewhere = _write(root / "other" / "proxied_state" / "x.yaml", "proxied: true\n")
    monkeypatch.chdir(root)
    code, out = _run(capsys, str(elsewhere.relative_to(root)))
    assert code == 0, out
    assert out.strip() == "1 file checked, no problems"


def test_a_lone_file_outside_any_work_tree_and_the_current_folder_searches_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from airlift_component.config.validation import targets

    state = _write(tmp_path / "outside" / "proxied_state" / "x.yaml", "proxied: true\n")
    here = tmp_path / "elsewhere"
    here.mkdir()
    monkeypatch.chdir(here)

    def no_walk(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("walked a folder that cannot hold its airlift.yaml")

    monkeypatch.setattr(targets, "discover", no_walk)
    code, out = _run(capsys, str(state))
    assert code == 0, out


@pytest.mark.parametrize("pattern", ["tests/fixtures", "tests/*", "fixtures"])
def test_exclude_passes_over_folders_by_path_glob_or_name(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    pattern: str,
) -> None:
    _write(tmp_path / "airlift.yaml", GOOD_AIRLIFT)
    bad = _write(tmp_path / "tests" / "fixtures" / "airlift.yaml", "version: 1\nnope: 1\n")
    monkeypatch.chdir(tmp_path)
    code, out = _run(capsys, "--exclude", pattern)
    assert (code, out.strip()) == (0, "1 file checked, no problems")
    # Named on its own, an excluded file is still checked.
    code, out = _run(capsys, "--exclude", pattern, str(bad.relative_to(tmp_path)))
    assert code == 1 and "unknown key 'nope'" in out


def test_lone_files_are_read_once_and_their_folder_mates_not_at_all(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pre-commit shape: the cross-file rules for named proxied-state files read
    the airlift.yaml naming their folder and those files, once each; the other
    files of the folder were not asked about."""
    from airlift_component.config.validation import validate as validation

    root = _repo_with_split_folders(tmp_path / "repo")
    for n in range(5):
        _write(root / "airflow" / "proxied_state" / f"mate_{n}.yaml", "proxied: false\n")
    monkeypatch.chdir(root)
    read: list[str] = []

    def counting(reader: Any) -> Any:
        def read_file(path: Path, *, what: str) -> Any:
            read.append(Path(path).name)
            return reader(path, what=what)

        return read_file

    monkeypatch.setattr(validation, "read_bytes", counting(validation.read_bytes))
    code, out = _run(capsys, "airflow/proxied_state/customers.yaml")
    assert code == 1 and "task 'other' is proxied" in out
    assert sorted(read) == ["airlift.yaml", "customers.yaml"]


def test_a_task_mapped_by_code_alone_counts_as_mapped_for_proxying() -> None:
    from airlift_component.config.airlift_yaml.model import Instance
    from airlift_component.config.validation.cross_file import mapped_assets_of

    instance = Instance.model_validate(
        {
            "name": "prod",
            "url": "http://127.0.0.1:8080",
            "auth": {"type": "none"},
            "mappings": [{"dag": "dbt", "tasks": [{"task": "build", "code": "pkg.mod:models"}]}],
        }
    )
    mapped = mapped_assets_of(instance, "airlift.yaml")
    assert mapped.tasks == {"dbt": frozenset({"build"})}
    assert mapped.dags == {"dbt": True}
