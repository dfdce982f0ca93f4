"""KubernetesPodOperator → a Dagster asset launching the same pod through Dagster Pipes.

The pod is started by ``dagster_k8s.PipesK8sClient`` (install ``dagster-k8s`` in
the Dagster environment): one container named ``base`` as Airflow names it, with
the operator's ``image``, ``cmds`` (the container's command), ``arguments``
(its args), ``env_vars``, ``image_pull_policy``, in ``namespace``, with the
pod's ``labels``, ``annotations``, ``service_account_name`` and
``node_selector``. The templated ones are rendered with the Airflow run's values
as Airflow renders them. The pod's logs stream into the step's logs; a non-zero
exit fails the step. The cluster is reached as ``PipesK8sClient`` loads its
configuration: ``in_cluster``, ``config_file`` and ``cluster_context`` are
passed to it; an Airflow Kubernetes connection (``kubernetes_conn_id``) is not read.

Refused: an XCom sidecar (``do_xcom_push=True``), and every pod setting not
listed above (volumes, secrets, resources, a pod template, affinity, ...): the
pod would not be the one Airflow starts. This translation is checked as
generated code only (compiled, ruff, the arguments mapped); no test starts a pod.
"""

from __future__ import annotations

from typing import Any

from airlift_component.generate.operator_args import literal, operator_kwargs
from airlift_component.generate.refusals import Refusal
from airlift_component.generate.template_check import check_template, is_template, strings_in
from airlift_component.generate.translation import TaskInput, Translation

OPERATORS = ("KubernetesPodOperator",)
#: Operator argument → (where it goes, its type check).
_POD = {
    "image": str,
    "cmds": list,
    "arguments": list,
    "env_vars": dict,
    "namespace": str,
    "labels": dict,
    "annotations": dict,
    "image_pull_policy": str,
    "service_account_name": str,
    "node_selector": dict,
}
_CLIENT = {"in_cluster": bool, "config_file": str, "cluster_context": str}
#: Arguments that change nothing of what runs (naming, log and cleanup behaviour).
_IGNORED = frozenset(
    {"name", "random_name_suffix", "get_logs", "log_events_on_failure", "on_finish_action",
     "is_delete_operator_pod", "startup_timeout_seconds", "reattach_on_restart",
     "container_logs", "do_xcom_push"}
)  # fmt: skip
#: Templated in Airflow: rendered with the run's values here too.
_TEMPLATED = frozenset(
    {"image", "cmds", "arguments", "env_vars", "namespace", "labels", "annotations"}
)


def _check(value: Any, line: int) -> None:
    for text in strings_in(value):
        if is_template(text):
            check_template(text, line)


def _strings(value: Any) -> bool:
    """A string, or a list or dict of strings (what the Kubernetes fields take)."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    if isinstance(value, list):
        return all(isinstance(v, str) for v in value)
    return isinstance(value, str)


def translate(task: TaskInput) -> Translation:
    """The asset code of a KubernetesPodOperator task; :class:`Refusal` when not faithful."""
    site = task.site
    args = operator_kwargs(site, frozenset(_POD) | frozenset(_CLIENT) | _IGNORED)
    if "do_xcom_push" in args and literal(site, args["do_xcom_push"], "do_xcom_push"):
        raise Refusal(
            "argument do_xcom_push=True not supported (Airflow's XCom sidecar)",
            args["do_xcom_push"].lineno,
        )
    if "image" not in args:
        raise Refusal("image is missing", site.line)
    values: dict[str, Any] = {}
    for name, kind in {**_POD, **_CLIENT}.items():
        if name not in args:
            continue
        value = literal(site, args[name], name)
        if isinstance(value, tuple):
            value = list(value)
        if not isinstance(value, kind) or (kind is not bool and not _strings(value)):
            raise Refusal(
                f"argument {name}= is not a {kind.__name__} of strings", args[name].lineno
            )
        if name in _TEMPLATED:
            _check(value, args[name].lineno)
        values[name] = value
    container: dict[str, Any] = {"name": "base"}
    if "arguments" in values:
        container["args"] = values["arguments"]
    if "image_pull_policy" in values:
        container["imagePullPolicy"] = values["image_pull_policy"]
    spec: dict[str, Any] = {"containers": [container]}
    if "service_account_name" in values:
        spec["serviceAccountName"] = values["service_account_name"]
    if "node_selector" in values:
        spec["nodeSelector"] = values["node_selector"]
    meta = {k: values[k] for k in ("labels", "annotations") if k in values}
    client = {
        "load_incluster_config": values.get("in_cluster"),
        "kubeconfig_file": values.get("config_file"),
        "kube_context": values.get("cluster_context"),
    }
    prelude = [
        f"IMAGE = {values['image']!r}",
        f"CMDS: list[str] | None = {values.get('cmds')!r}",
        f"NAMESPACE: str | None = {values.get('namespace')!r}",
        f"ENV_VARS: dict[str, str] = {values.get('env_vars', {})!r}",
        f"POD_META: dict[str, Any] = {meta!r}",
        f"POD_SPEC: dict[str, Any] = {spec!r}",
    ]
    if is_template(values.get("config_file") or ""):
        raise Refusal(
            "argument config_file= is templated; not supported", args["config_file"].lineno
        )
    client_args = ", ".join(f"{k}={v!r}" for k, v in client.items() if v is not None)
    body = [
        f"PipesK8sClient({client_args}).run(",
        "    context=context,",
        "    image=run.render(IMAGE),",
        "    command=None if CMDS is None else run.render_nested(CMDS),",
        "    namespace=None if NAMESPACE is None else run.render(NAMESPACE),",
        "    env=run.render_nested(ENV_VARS),",
        "    base_pod_meta=run.render_nested(POD_META),",
        "    base_pod_spec=run.render_nested(POD_SPEC),",
        ")",
    ]
    return Translation(
        "kubernetes",
        imports={"from typing import Any", "from dagster_k8s import PipesK8sClient"},
        prelude=prelude,
        body=body,
        notes=[
            "Needs dagster-k8s in the Dagster environment (pip install dagster-k8s) and",
            "access to the cluster (in-cluster, else the kubeconfig). The pod is named by",
            "Dagster, not by the operator's name=; nothing is handed back as XCom.",
        ],
    )
