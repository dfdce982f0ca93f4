"""Acceptance checks in `airlift proxy status` and `airlift proxy on`, against a fake
Dagster GraphQL server on loopback (the real one is in tests/e2e/test_proxy_checks_e2e.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from airlift_component.cli.main import main
from airlift_component.dagster_api import DagsterClient
from airlift_component.dagster_api.checks import CheckKey, check_histories
from devtools.loopback_http import LoopbackHTTPServer
from tests.unit.cli_project import one_instance
from tests.unit.fake_dagster_checks import FakeChecksDagster, FakeChecksHandler

STATE = "tasks:\n  - id: load_raw\n    proxied: false\n  - id: publish\n    proxied: true\n"


def _analytics(mappings: str) -> str:
    """Instance ``analytics`` keeping its proxied state in ``proxied_state/``, mapping
    ``mappings``."""
    return one_instance(
        mappings,
        name="analytics",
        auth="{type: basic, username: admin, password: admin}",
        extra="proxied_state_dir: proxied_state",
    )


AIRLIFT = _analytics("""\
- dag: customers
  tasks:
    - task: load_raw
      assets: [raw/customers]
    - task: publish
      assets: [customers/report]
""")
RAW: tuple[str, ...] = ("raw", "customers")
REPORT: tuple[str, ...] = ("customers", "report")
PROXY_TAGS = {"airlift/airflow_task_id": "publish", "airlift/airflow_run_id": "manual__1"}
T0 = 1_765_000_000.0  # 2025-12-06 05:46:40 UTC


@pytest.fixture
def fake() -> FakeChecksDagster:
    fake = FakeChecksDagster()
    fake.dags["customers"] = {"load_raw": [RAW], "publish": [REPORT]}
    fake.checks = {RAW: ["not_empty"], REPORT: ["row_count"]}
    fake.run_tags = {"proxy-1": PROXY_TAGS, "by-hand": {}, "sensor-checks": {}}
    # raw/customers: passed on Airflow's output, then failed on Airflow's output.
    fake.execution(RAW, "not_empty", "SUCCEEDED", T0, run_id="sensor-checks", target_run="")
    fake.execution(RAW, "not_empty", "FAILED", T0 + 60, run_id="sensor-checks", target_run="")
    # customers/report: passed before the flip, failed after it (in the proxy's run).
    fake.execution(REPORT, "row_count", "SUCCEEDED", T0, run_id="sensor-checks", target_run="")
    fake.execution(REPORT, "row_count", "FAILED", T0 + 120, run_id="proxy-1", target_run="proxy-1")
    return fake


@pytest.fixture
def dagster(fake: FakeChecksDagster) -> Iterator[str]:
    with LoopbackHTTPServer(FakeChecksHandler, owner=fake) as server:
        yield server.url


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "proxied_state").mkdir()
    (tmp_path / "proxied_state" / "customers.yaml").write_text(STATE)
    (tmp_path / "airlift.yaml").write_text(AIRLIFT)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DAGSTER_URL", raising=False)
    return tmp_path / "proxied_state" / "customers.yaml"


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_executions_are_sided_by_the_materialization_they_judged(
    fake: FakeChecksDagster, dagster: str
) -> None:
    fake.execution(
        REPORT, "row_count", "SUCCEEDED", T0 + 200, run_id="by-hand", target_run="by-hand"
    )
    fake.execution(REPORT, "row_count", "SKIPPED", T0 + 300, run_id="early", target_run=None)
    with DagsterClient(dagster) as client:
        (history,) = check_histories(client, [CheckKey(REPORT, "row_count")])
    assert [e.origin for e in history.executions] == ["none", "dagster", "proxied", "airflow"]
    assert history.latest is not None and history.latest.status == "SKIPPED"
    assert history.before is not None and history.before.status == "SUCCEEDED"
    assert history.after is not None and history.after.status == "FAILED"
    assert history.after.run_id == "proxy-1"
    # checks' executions in one document, then the judged runs' tags in one more
    assert fake.operations == ["AirliftCheckExecutions", "AirliftRunsByIds"]


def test_many_checks_are_read_in_few_requests(fake: FakeChecksDagster, dagster: str) -> None:
    keys = [CheckKey(RAW, f"check_{i}") for i in range(120)]
    with DagsterClient(dagster) as client:
        histories = check_histories(client, keys)
    assert len(histories) == 120 and all(h.latest is None for h in histories)
    assert fake.operations == ["AirliftCheckExecutions"] * 3  # 50 + 50 + 20


def test_status_shows_before_and_after_per_task(
    project: Path, dagster: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(["proxy", "status", "--dagster-url", dagster], capsys)
    assert code == 0, err
    block = out.split("acceptance checks of analytics", 1)[1].splitlines()
    assert block[0] == f" (Dagster at {dagster})"
    assert block[1].split() == [
        "DAG",
        "TASK",
        "PROXIED",
        "CHECK",
        "BEFORE",
        "(AIRFLOW)",
        "AFTER",
        "(PROXIED)",
    ]
    rows = {line.split()[1]: line.split() for line in block[2:]}
    assert rows["load_raw"][:4] == ["customers", "load_raw", "no", "raw/customers:not_empty"]
    assert rows["load_raw"][4:] == ["FAILED", "2025-12-06", "05:47", "UTC", "-"]
    assert rows["publish"][:4] == ["customers", "publish", "yes", "customers/report:row_count"]
    assert rows["publish"][4:] == [
        "passed", "2025-12-06", "05:46", "UTC", "FAILED", "2025-12-06", "05:48", "UTC"
    ]  # fmt: skip


def test_status_json_and_html_carry_the_checks(
    project: Path, dagster: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(["proxy", "status", "--dagster-url", dagster, "--format", "json"], capsys)
    assert code == 0
    (instance,) = json.loads(out)["instances"]
    rows = {row["task_id"]: row for row in instance["checks"]["rows"]}
    assert rows["publish"]["before"]["status"] == "SUCCEEDED"
    assert rows["publish"]["after"] == {
        "status": "FAILED",
        "timestamp": T0 + 120,
        "time": "2025-12-06T05:48:40+00:00",
        "run_id": "proxy-1",
    }
    assert rows["load_raw"]["after"] is None and rows["load_raw"]["proxied"] is False
    code, out, _ = _run(["proxy", "status", "--dagster-url", dagster, "--format", "html"], capsys)
    assert code == 0
    assert "<h3>Acceptance checks</h3>" in out
    assert "<td>customers/report:row_count</td>" in out
    assert '<td class="bad" title="Dagster run proxy-1">FAILED' in out


def test_status_without_a_dagster_url_says_so_and_shows_the_rest(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(["proxy", "status"], capsys)
    assert code == 0
    assert "customers" in out and "acceptance checks of" not in out
    assert "acceptance checks not looked at: no Dagster URL" in err
    assert "--dagster-url URL or set $DAGSTER_URL" in err


def test_status_with_dagster_down_shows_the_rest_and_names_the_url(
    project: Path, fake: FakeChecksDagster, dagster: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.fail_with = 502
    code, out, _ = _run(["proxy", "status", "--dagster-url", dagster], capsys)
    assert code == 0
    assert "1/2" in out
    assert f"cannot read the checks: Dagster GraphQL at {dagster}/graphql answered HTTP 502" in out


def test_on_refuses_a_task_whose_check_failed(
    project: Path, dagster: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = _run(
        ["proxy", "on", "customers", "load_raw", "--dagster-url", dagster], capsys
    )
    assert code == 1
    assert "refused: 1 of 1 acceptance check(s) do not back this flip" in err
    assert "raw/customers:not_empty (task load_raw): FAILED 2025-12-06 05:47 UTC" in err
    assert "--force" in err
    assert project.read_text() == STATE


def test_on_with_force_warns_and_flips(
    project: Path, dagster: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["proxy", "on", "customers", "load_raw", "--dagster-url", dagster, "--force"]
    code, out, err = _run(argv, capsys)
    assert code == 0
    assert "warning: 1 of 1 acceptance check(s) do not back this flip (--force" in err
    assert "raw/customers:not_empty (task load_raw): FAILED" in err
    assert "task 'load_raw': proxied false -> true" in out
    assert "load_raw\n    proxied: true" in project.read_text()


def test_on_refuses_a_check_that_never_ran(
    project: Path, fake: FakeChecksDagster, dagster: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.checks[RAW].append("fresh")
    fake.execution(RAW, "not_empty", "SUCCEEDED", T0 + 90, run_id="sensor-checks", target_run="")
    code, _, err = _run(["proxy", "on", "customers", "load_raw", "--dagster-url", dagster], capsys)
    assert code == 1
    assert "1 of 2 acceptance check(s)" in err
    assert "raw/customers:fresh (task load_raw): never ran" in err
    assert "not_empty" not in err


def test_on_proceeds_when_every_check_passed(
    project: Path, fake: FakeChecksDagster, dagster: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.execution(RAW, "not_empty", "SUCCEEDED", T0 + 90, run_id="sensor-checks", target_run="")
    code, out, _ = _run(["proxy", "on", "customers", "load_raw", "--dagster-url", dagster], capsys)
    assert code == 0
    assert "acceptance checks: 1 passed" in out
    assert "load_raw\n    proxied: true" in project.read_text()


def test_on_judges_only_tasks_it_turns_on(
    project: Path, fake: FakeChecksDagster, dagster: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """publish is already proxied (its failed after-check is not this flip's business)."""
    code, out, _ = _run(["proxy", "on", "customers", "publish", "--dagster-url", dagster], capsys)
    assert code == 0 and "nothing to change" in out
    assert fake.operations == []


def test_on_whole_dag_judges_every_task(
    project: Path, dagster: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(["proxy", "on", "customers", "--dag", "--dagster-url", dagster], capsys)
    assert code == 1
    assert "2 of 2 acceptance check(s)" in err
    assert "(task load_raw)" in err and "(task publish)" in err


def test_on_without_a_url_says_so_and_flips(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(["proxy", "on", "customers", "load_raw"], capsys)
    assert (code, err) == (0, "")
    assert "acceptance checks not looked at: no Dagster URL" in out
    assert "load_raw\n    proxied: true" in project.read_text()


def test_on_with_dagster_unreachable_refuses_unless_forced(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_URL", "http://127.0.0.1:9")
    code, _, err = _run(["proxy", "on", "customers", "load_raw"], capsys)
    assert code == 1
    assert (
        "cannot look at the acceptance checks: Dagster GraphQL at http://127.0.0.1:9/graphql" in err
    )
    assert project.read_text() == STATE
    code, _, err = _run(["proxy", "on", "customers", "load_raw", "--force"], capsys)
    assert code == 0 and "warning: acceptance checks not looked at" in err


def test_on_refuses_checks_older_than_the_last_refresh(
    project: Path, fake: FakeChecksDagster, dagster: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import datetime, timezone

    from airlift_component.airflow_state.state_file import AirliftStateFile, write_state_file
    from airlift_component.airflow_state.state_location import refresh_targets

    fake.execution(RAW, "not_empty", "SUCCEEDED", T0 + 90, run_id="sensor-checks", target_run="")
    refreshed = datetime.fromtimestamp(T0 + 3600, timezone.utc)
    (path,) = refresh_targets(Path("airlift.yaml")).paths[:1]
    write_state_file(path, AirliftStateFile(fetched_at=refreshed))
    code, _, err = _run(["proxy", "on", "customers", "load_raw", "--dagster-url", dagster], capsys)
    assert code == 1
    assert (
        "raw/customers:not_empty (task load_raw): not run since the last refresh "
        "(2025-12-06 06:46 UTC); latest: passed 2025-12-06 05:48 UTC"
    ) in err


def test_base_cli_reads_checks_without_importing_dagster_or_airflow(
    project: Path, dagster: str
) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        from airlift_component.cli.main import main
        codes = [main(["proxy", "status", "--dagster-url", {dagster!r}]),
                 main(["proxy", "on", "customers", "load_raw", "--dagster-url", {dagster!r},
                       "--force"])]
        assert codes == [0, 0], codes
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in {{"dagster", "airflow"}})
        assert not heavy, heavy
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


PLAYBOOK = Path(__file__).resolve().parents[2] / "docs" / "migration-playbook.md"
PLAYBOOK_AIRLIFT = _analytics("""\
- dag: customers_etl
  tasks:
    - task: transform.clean
      assets: [staging/customers_clean]
""")


def _playbook_commands() -> list[str]:
    section = PLAYBOOK.read_text().split("## Acceptance checks", 1)[1].split("\n## ", 1)[0]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    return [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]


def test_the_playbook_commands_run_as_written(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import shlex

    clean = ("staging", "customers_clean")
    fake = FakeChecksDagster()
    fake.dags["customers_etl"] = {"transform.clean": [clean]}
    fake.checks = {clean: ["no_duplicate_ids"]}
    fake.execution(clean, "no_duplicate_ids", "FAILED", T0, run_id="chk", target_run="")
    (tmp_path / "proxied_state").mkdir()
    state = tmp_path / "proxied_state" / "customers_etl.yaml"
    state.write_text("tasks:\n  - id: transform.clean\n    proxied: false\n")
    (tmp_path / "airlift.yaml").write_text(PLAYBOOK_AIRLIFT)
    monkeypatch.chdir(tmp_path)
    commands = _playbook_commands()
    assert commands[0] == "export DAGSTER_URL=http://127.0.0.1:3000"
    results = []
    with LoopbackHTTPServer(FakeChecksHandler, owner=fake) as server:
        monkeypatch.setenv("DAGSTER_URL", server.url)
        for command in commands[1:]:
            argv = shlex.split(command)
            assert argv[0] == "airlift"
            results.append(_run(argv[1:], capsys))
    assert [code for code, _, _ in results] == [0, 1, 0, 0]
    status, refused, forced, as_json = results
    assert "staging/customers_clean:no_duplicate_ids  FAILED 2025-12-06 05:46 UTC  -" in status[1]
    assert "refused: 1 of 1 acceptance check(s) do not back this flip:" in refused[2]
    assert "(task transform.clean): FAILED" in refused[2]
    assert "task 'transform.clean': proxied false -> true" in forced[1]
    (row,) = json.loads(as_json[1])["instances"][0]["checks"]["rows"]
    assert (row["task_id"], row["proxied"], row["before"]["status"]) == (
        "transform.clean",
        True,
        "FAILED",
    )
    text = PLAYBOOK.read_text()
    assert "DAG            TASK             PROXIED  CHECK" in text  # the table as shown


def test_a_password_in_the_dagster_url_is_never_shown(
    project: Path, dagster: str, capsys: pytest.CaptureFixture[str]
) -> None:
    secret_url = dagster.replace("http://", "http://ops:s3cret-pw@")
    outputs = []
    for argv in (
        ["proxy", "status", "--dagster-url", secret_url],
        ["proxy", "status", "--dagster-url", secret_url, "--format", "json"],
        ["proxy", "on", "customers", "load_raw", "--dagster-url", secret_url],
    ):
        _, out, err = _run(argv, capsys)
        outputs.append(out + err)
    text = "\n".join(outputs)
    assert "s3cret-pw" not in text
    assert "acceptance checks of analytics (Dagster at http://" in text
    assert "refused: 1 of 1 acceptance check(s)" in text  # it did talk to Dagster
