"""``airlift scaffold`` against the fake Airflow server."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from airlift_component.airflow_api.retry import RetryPolicy
from airlift_component.airflow_api.types import AirflowTask
from airlift_component.cli.cmd_scaffold import Progress, render_state, scaffold, topological_order
from airlift_component.cli.main import main
from airlift_component.config.proxied_state.file import (
    read_proxied_state_dir,
    read_proxied_state_file,
)
from tests.harness.fake_airflow import FakeAirflow


@pytest.fixture(params=["v1", "v2"])
def fake(request: pytest.FixtureRequest) -> Iterator[FakeAirflow]:
    with FakeAirflow(api=request.param, username="admin", password="pw") as server:
        server.add_dag(
            "etl", tasks={"z_extract": ["m_transform"], "m_transform": ["a_load"], "a_load": []}
        )
        server.add_dag("empty", tasks={})
        server.add_dag("diamond", tasks={"d": [], "b": ["d"], "c": ["d"], "a": ["c", "b"]})
        yield server


def run_scaffold(fake: FakeAirflow, out: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> int:
    monkeypatch.setenv("FAKE_AIRFLOW_PW", "pw")
    argv = ["scaffold", "--airflow-url", fake.url, "--username", "admin"]
    argv += ["--password-env", "FAKE_AIRFLOW_PW", "--out", str(out), *extra]
    return main(argv)


def task_ids(path: Path) -> list[str]:
    state, problems = read_proxied_state_file(path)
    assert not problems and state is not None
    assert not any(state.tasks.values())
    return list(state.tasks)


def test_writes_one_valid_file_per_dag_in_dependency_order(
    fake: FakeAirflow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "proxied_state"
    assert run_scaffold(fake, out, monkeypatch) == 0
    assert sorted(p.name for p in out.iterdir()) == ["diamond.yaml", "empty.yaml", "etl.yaml"]
    assert task_ids(out / "etl.yaml") == ["z_extract", "m_transform", "a_load"]
    assert task_ids(out / "diamond.yaml") == ["a", "b", "c", "d"]
    assert task_ids(out / "empty.yaml") == []
    assert not read_proxied_state_dir(out).problems
    assert "wrote 3 file(s), skipped 0" in capsys.readouterr().out


def test_never_overwrites_an_existing_file(
    fake: FakeAirflow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "state"
    out.mkdir()
    (out / "etl.yaml").write_text("proxied: true\n")
    (out / "diamond.yml").write_text("proxied: false\n")
    assert run_scaffold(fake, out, monkeypatch) == 0
    assert (out / "etl.yaml").read_text() == "proxied: true\n"
    assert not (out / "diamond.yaml").exists()
    printed = capsys.readouterr().out
    assert f"skipped {out / 'etl.yaml'}" in printed and f"skipped {out / 'diamond.yml'}" in printed
    assert "wrote 1 file(s), skipped 2" in printed
    assert not fake.api_requests(r"/dags/etl/tasks$")


def test_reads_the_instance_from_airlift_yaml(fake: FakeAirflow, tmp_path: Path) -> None:
    config = {
        "version": 1,
        "instances": [
            fake.instance_config(
                "prod", dags={"include": ["e*"]}, proxied_state_dir="dags/proxied_state"
            )
        ],
    }
    path = tmp_path / "airlift.yaml"
    path.write_text(json.dumps(config))
    assert main(["scaffold", "--config", str(path), "--instance", "prod"]) == 0
    written = sorted(p.name for p in (tmp_path / "dags" / "proxied_state").iterdir())
    assert written == ["empty.yaml", "etl.yaml"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--token-env", "NOT_SET_ANYWHERE_42"], "NOT_SET_ANYWHERE_42 is not set"),
        (["--username", "admin"], "--password-env"),
    ],
    ids=["unset-token-env", "username-without-password"],
)
def test_credential_mistakes_are_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scaffold", "--airflow-url", "http://127.0.0.1:9", *argv]) == 2
    assert message in capsys.readouterr().err


def test_an_unreachable_airflow_is_one_clear_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RetryPolicy, "backoff", lambda self, attempt, rng=None: 0.001)
    code = main(
        ["scaffold", "--airflow-url", "http://127.0.0.1:9", "--api", "v2", "--out", str(tmp_path)]
    )
    err = capsys.readouterr().err
    assert code == 1 and "127.0.0.1:9" in err and "Traceback" not in err


def test_task_ids_that_look_like_other_yaml_types_stay_strings(tmp_path: Path) -> None:
    ids = ["123", "true", "1.5", "null", "-x", "a.b", "on", "0x1F"]
    path = tmp_path / "odd.yaml"
    path.write_text(render_state("odd", ids))
    assert task_ids(path) == ids


def test_topological_order_keeps_airflow_order_for_ties() -> None:
    tasks = [
        AirflowTask("c", ()),
        AirflowTask("b", ("c",)),
        AirflowTask("a", ("c",)),
        AirflowTask("x", ()),
    ]
    assert topological_order(tasks) == ["b", "a", "c", "x"]


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_for_many_dags_on_a_terminal(tmp_path: Path) -> None:
    with FakeAirflow(api="v2") as fake:
        for i in range(25):
            fake.add_dag(f"dag_{i:02d}", tasks={"t": []})
        from airlift_component.airflow_api.client import AirflowClient

        tty, pipe = Tty(), io.StringIO()
        with AirflowClient.for_url(fake.url) as client:
            scaffold(client, tmp_path / "a", progress_stream=tty)
            scaffold(client, tmp_path / "b", progress_stream=pipe)
    assert "25/25" in tty.getvalue() and "[" in tty.getvalue()
    assert pipe.getvalue() == ""
    assert not Progress(3, Tty()).enabled


@pytest.mark.parametrize(
    "dag_id",
    ["../../../escaped", "a/b", "x\ny: 1", "..", "" + "d" * 251, "caf\u00e9 dag"],
    ids=["dotdot", "slash", "newline", "parent", "too-long", "space"],
)
def test_dag_ids_airflow_would_refuse_are_refused_and_nothing_escapes_out(
    dag_id: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "deep" / "proxied_state"
    with FakeAirflow(api="v2", username="admin", password="pw") as server:
        server.add_dag("good", tasks={"a": []})
        server.add_dag(dag_id, tasks={"t": []})
        assert run_scaffold(server, out, monkeypatch) == 1
    captured = capsys.readouterr()
    assert sorted(p.name for p in out.iterdir()) == ["good.yaml"]
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["good.yaml"]
    refusal = [line for line in captured.err.splitlines() if line.startswith("skipped DAG")]
    assert len(refusal) == 1
    assert "not a valid DAG id" in refusal[0]
    assert "Traceback" not in captured.err
    assert "refused 1 (invalid ids)" in captured.out


def test_task_ids_that_would_inject_yaml_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "proxied_state"
    with FakeAirflow(api="v2", username="admin", password="pw") as server:
        server.add_dag("dag", tasks={"ok": [], "x\n    proxied: true": []})
        assert run_scaffold(server, out, monkeypatch) == 1
    assert not (out / "dag.yaml").exists()
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "skipped DAG 'dag': task id(s) 'x\\n    proxied: true' are not valid task ids "
        "(letters, digits, '_', '.' and '-' only, at most 250 characters)"
    ]


def test_validate_accepts_what_scaffold_writes(
    fake: FakeAirflow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mapped bare, or not mapped at all: a file that proxies nothing is normal."""
    out = tmp_path / "proxied_state"
    assert run_scaffold(fake, out, monkeypatch) == 0
    (tmp_path / "airlift.yaml").write_text(
        "version: 1\ninstances:\n  - name: prod\n    url: http://127.0.0.1:8080\n"
        "    auth: {type: none}\n    proxied_state_dir: proxied_state\n"
        "    mappings:\n      - dag: etl\n",
        encoding="utf-8",
    )
    assert main(["validate", str(tmp_path)]) == 0
    # Proxying a task then needs its assets mapped first.
    assert main(["proxy", "on", "etl", "a_load", "--config", str(tmp_path / "airlift.yaml")]) == 1


def test_defaults_to_airlift_yaml_in_the_current_folder(
    fake: FakeAirflow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = {"version": 1, "instances": [fake.instance_config("prod")]}
    text = json.dumps(config)
    (tmp_path / "airlift.yaml").write_text(text)
    monkeypatch.chdir(tmp_path)
    assert main(["scaffold"]) == 0
    assert (tmp_path / "proxied_state" / "etl.yaml").is_file()
    assert (tmp_path / "airlift.yaml").read_text() == text  # only read


def test_without_airlift_yaml_or_url_says_what_to_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["scaffold"]) == 2
    assert "no ./airlift.yaml here" in capsys.readouterr().err
    assert not (tmp_path / "proxied_state").exists()
