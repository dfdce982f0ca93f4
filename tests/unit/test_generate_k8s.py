"""KubernetesPodOperator → a generated asset on ``dagster_k8s.PipesK8sClient``, checked as
generated code only: it compiles, passes ruff, and hands the client the operator's
image, command, args, env, namespace and pod settings (rendered). No pod is started:
``dagster_k8s`` is replaced by a recorder here (it is not a dependency of this project)."""

from __future__ import annotations

import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.unit.generated_project import generate, generated_project, local_instance

DAG_FILE = """\
from airflow.sdk import DAG
from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator

with DAG("pods", schedule=None, params={"size": "small"}) as pods:
    KubernetesPodOperator(
        task_id="train",
        name="train-pod",
        image="registry.example/train:{{ params.size }}",
        cmds=["python", "-m", "train"],
        arguments=["--day", "{{ ds }}"],
        env_vars={"RUN": "{{ run_id }}", "MODE": "batch"},
        namespace="ml",
        labels={"team": "ml"},
        image_pull_policy="Always",
        service_account_name="trainer",
        in_cluster=True,
        get_logs=True,
        retries=3,
    )
    KubernetesPodOperator(task_id="xcom", image="busybox", do_xcom_push=True)
    KubernetesPodOperator(task_id="vols", image="busybox", volumes=[])
"""

AIRLIFT_YAML = local_instance("""\
- dag: pods
  tasks:
    - {task: train, assets: [ml/model]}
    - {task: xcom, assets: [ml/xcom]}
    - {task: vols, assets: [ml/vols]}
""")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    with generated_project(tmp_path, monkeypatch, {"pods.py": DAG_FILE}, AIRLIFT_YAML):
        yield tmp_path


def test_refusals_name_the_reason_and_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert generate("pods", "xcom", "vols") == 1
    err = capsys.readouterr().err
    assert "pods.xcom: refused: dags/pods.py:20: argument do_xcom_push=True" in err
    assert "pods.vols: refused: dags/pods.py:21: argument volumes= not supported" in err


def test_the_module_compiles_and_passes_ruff(project: Path) -> None:
    assert generate("pods", "train") == 0
    module = project / "airlift_generated" / "pods__train.py"
    compile(module.read_text(), str(module), "exec")
    ruff = Path(sys.executable).parent / "ruff"
    done = subprocess.run(
        [str(ruff), "check", "--isolated", str(module)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


class _Recorder:
    """Stands in for ``dagster_k8s.PipesK8sClient``: records what it is given."""

    calls: list[dict[str, Any]] = []

    def __init__(self, **config: Any) -> None:
        self.config = config

    def run(self, **kwargs: Any) -> None:
        self.calls.append({"client": self.config, **kwargs})


def test_the_operator_arguments_reach_the_pipes_client(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    import dagster as dg

    fake = types.ModuleType("dagster_k8s")
    fake.PipesK8sClient = _Recorder  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "dagster_k8s", fake)
    _Recorder.calls.clear()
    assert generate("pods", "train") == 0
    asset = importlib.import_module("airlift_generated.pods__train").pods__train
    result = dg.materialize([asset])
    (call,) = _Recorder.calls
    call.pop("context")
    day = call["base_pod_spec"]["containers"][0]["args"][1]
    assert call == {
        "client": {"load_incluster_config": True},
        "image": "registry.example/train:small",
        "command": ["python", "-m", "train"],
        "namespace": "ml",
        "env": {"RUN": f"dagster__{result.run_id}", "MODE": "batch"},
        "base_pod_meta": {"labels": {"team": "ml"}},
        "base_pod_spec": {
            "containers": [{"name": "base", "args": ["--day", day], "imagePullPolicy": "Always"}],
            "serviceAccountName": "trainer",
        },
    }
    assert len(day) == 10 and day[4] == "-"
