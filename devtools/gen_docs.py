"""Generate ``docs/airlift-yaml-reference.md`` from the pydantic models.

The reference is a walk of the models' JSON Schema: one section per object, one
table row per key with its type, default and constraints. Run it after changing
a model; ``tests/unit/test_docs_examples.py`` fails when the committed file
differs from what this prints::

    .venv/bin/python -m devtools.gen_docs          # rewrite the file
    .venv/bin/python -m devtools.gen_docs --check  # exit 1 when it is stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "airlift-yaml-reference.md"

#: Explanations for keys whose model field carries no ``description`` yet. A
#: description on the model field wins, so moving one into the model is safe.
FIELD_NOTES: dict[str, str] = {
    "airlift.yaml.version": "Format version of the file; only `1` exists.",
    "airlift.yaml.instances": "The Airflow deployments to peer; at least one.",
    "Instance.name": "Unique name; used in asset keys (`<name>/dag/<dag_id>`) and sensor names.",
    "Instance.url": "Base URL of the Airflow webserver / API server, or `${VAR}`.",
    "Instance.api": "REST API to use: `v1` (Airflow 2), `v2` (Airflow 3) or detect it.",
    "Instance.auth": "How to authenticate; one of the auth objects below, chosen by `type`.",
    "Instance.dags": "Which DAGs to peer; all by default.",
    "Instance.sensor": "The sensor that records Airflow runs in Dagster.",
    "Instance.http": "Timeouts, retries and TLS for the REST calls.",
    "Instance.proxied_state_dir": "Folder of `<dag_id>.yaml` proxied-state files, relative to "
    "airlift.yaml; enables the cross-file checks of `airlift validate`.",
    "Instance.mappings": "Which assets each DAG and task produces.",
    "DagMapping.dag": "The Airflow DAG id.",
    "DagMapping.assets": "DAG-level assets, materialized when a DAG run succeeds.",
    "DagMapping.tasks": "Per-task assets, materialized when the task instance succeeds.",
    "TaskMapping.task": "The task id; tasks in a TaskGroup are `group.task`.",
    "TaskMapping.assets": "Assets the task produces: a key, or a full asset object.",
    "AssetSpecModel.deps": "Upstream asset keys (lineage in Dagster).",
    "AssetSpecModel.group": "Dagster asset group.",
    "AssetSpecModel.owners": "Owners, e.g. `team:data` or an email address.",
    "AssetSpecModel.kinds": "Kinds shown as badges in Dagster, e.g. `python`, `dbt`.",
    "AssetSpecModel.tags": "Dagster asset tags.",
    "AssetSpecModel.description": "Shown in the Dagster UI.",
    "AssetSpecModel.metadata": "Static metadata attached to the asset definition.",
    "AssetSpecModel.partitions": "Time partitions; the Airflow run's logical date picks one.",
    "DagFilter.include": "Shell globs of DAG ids to peer.",
    "DagFilter.exclude": "Shell globs of DAG ids to leave out.",
    "DagFilter.tags": "When set, only DAGs carrying at least one of these tags.",
    "SensorSettings.interval_seconds": "Seconds between sensor ticks.",
    "SensorSettings.lookback_hours": "How far back the first tick looks for finished runs.",
    "SensorSettings.batch_size": "DAG runs fetched per REST page.",
    "SensorSettings.default_status": "Whether the sensor starts running or stopped.",
    "HttpSettings.connect_timeout": "Seconds to wait for a connection.",
    "HttpSettings.read_timeout": "Seconds to wait for a response.",
    "HttpSettings.retries": "Retries of a failed call (connection errors, 429, 5xx).",
    "HttpSettings.deadline_seconds": "Give up on one call, retries included, after this long.",
    "HttpSettings.verify": "Verify TLS certificates.",
    "HttpSettings.ca_bundle": "A CA bundle file for a private certificate authority.",
    "TimePartitions.schedule": "Partition size.",
    "TimePartitions.start": "First partition, `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`.",
    "TimePartitions.timezone": "IANA time zone of the partitions.",
    "BasicAuth.username": "Airflow user name, usually `${AIRFLOW_USERNAME}`.",
    "MwaaAuth.environment_name": "The MWAA environment name.",
    "MwaaAuth.region": "AWS region; default: boto3's.",
    "MwaaAuth.profile": "AWS profile; default: boto3's credential chain.",
    "ComposerAuth.scopes": "OAuth scopes requested from Application Default Credentials.",
    "CustomAuth.class": "`package.module:ClassName` of your auth class.",
    "CustomAuth.options": "Keyword arguments for the class; `${VAR}` works here too.",
    "ProxiedStateFile.tasks": "Task-level form: one `{id, proxied}` per task.",
    "ProxiedStateFile.proxied": "DAG-level form: `true` runs the whole DAG in Dagster.",
    "TaskProxiedState.id": "The task id (`group.task` inside a TaskGroup).",
    "TaskProxiedState.proxied": "`true`: the task runs in Dagster; `false`: in Airflow.",
}

_CONSTRAINTS = (
    ("pattern", "matches `{}`"),
    ("minimum", "≥ {}"),
    ("exclusiveMinimum", "> {}"),
    ("maximum", "≤ {}"),
    ("minLength", "at least {} characters"),
    ("minItems", "at least {} item(s)"),
)


def _anchor(name: str) -> str:
    return name.lower().replace(".", "").replace("/", "").replace(" ", "-")


def _type(node: dict[str, Any]) -> str:
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{_anchor(name)})"
    if "const" in node:
        return f"`{node['const']!r}`".replace("'", '"')
    if "enum" in node:
        return " \\| ".join(f'`"{value}"`' for value in node["enum"])
    for union in ("oneOf", "anyOf"):
        if union in node:
            options = [_type(option) for option in node[union] if option.get("type") != "null"]
            return " or ".join(options)
    kind = node.get("type")
    if kind == "array":
        return f"list of {_type(node.get('items', {}))}"
    if kind == "object":
        values = node.get("additionalProperties")
        if isinstance(values, dict):
            return f"mapping of string to {_type(values)}"
        return "mapping" if values else "object"
    if kind == "string" and node.get("format") == "password":
        return "secret string"
    return str(kind or "any")


def _constraints(node: dict[str, Any]) -> list[str]:
    found = [fmt.format(node[key]) for key, fmt in _CONSTRAINTS if key in node]
    for union in ("oneOf", "anyOf"):
        for option in node.get(union, []):
            found.extend(_constraints(option))
    items = node.get("items")
    if isinstance(items, dict):
        found.extend(f"each {text}" for text in _constraints(items))
    return found


def _default(name: str, node: dict[str, Any], required: set[str]) -> str:
    if name in required:
        return "**required**"
    if "default" not in node:
        return "optional"
    default = node["default"]
    if default is None:
        return "not set"
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    return f"`{default}`" if default not in ([], {}) else f"`{default!r}`".replace("'", '"')


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _section(title: str, node: dict[str, Any], level: str = "##") -> list[str]:
    lines = [f"{level} {title}", ""]
    if node.get("description"):
        lines += [" ".join(node["description"].split()), ""]
    lines += ["| key | type | default | notes |", "|---|---|---|---|"]
    required = set(node.get("required", []))
    for name, prop in node.get("properties", {}).items():
        note = prop.get("description") or FIELD_NOTES.get(f"{title}.{name}", "")
        extra = _constraints(prop)
        if extra:
            note = f"{note} ({'; '.join(extra)})" if note else "; ".join(extra)
        row = [f"`{name}`", _type(prop), _default(name, prop, required), _cell(note)]
        lines.append("| " + " | ".join(row) + " |")
    return [*lines, ""]


def _ordered_defs(schema: dict[str, Any]) -> list[str]:
    """Definitions in the order a reader meets them walking down from the root."""
    defs = schema.get("$defs", {})
    order: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                name = ref.rsplit("/", 1)[-1]
                if name not in order:
                    order.append(name)
                    visit(defs[name])
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(schema.get("properties", {}))
    return order


HEADER = """\
<!-- Generated by `python -m devtools.gen_docs` from the pydantic models in
airlift_component/config/. Do not edit by hand: a test fails when it drifts. -->

# `airlift.yaml` reference (format version 1)

Every key `airlift.yaml` accepts. Unknown keys are errors, so a typo never
becomes a silent default. Any string may use `${VAR}` or `${VAR:-default}`;
placeholders are resolved when Dagster loads the file, not by
`airlift validate`, which needs no secrets. The JSON Schema of the same models
is `schemas/airlift.schema.json`; point your editor at it with
`# yaml-language-server: $schema=<path>/airlift.schema.json` as the first line.

An asset may be written as its key alone (`raw/customers`) or as an
[AssetSpecModel](#assetspecmodel) object. Examples of whole files:
[quickstart](quickstart.md), `example_project/airlift.yaml`, and the
[migration playbook](migration-playbook.md).

Rules a JSON Schema cannot express, checked by `airlift validate`:

"""


def render() -> str:
    """The reference document, as Markdown."""
    from airlift_component.config.airlift_yaml.model import AirliftFile
    from airlift_component.config.airlift_yaml.rules import NON_SCHEMA_RULES
    from airlift_component.config.proxied_state.file import ProxiedStateFile

    lines = [HEADER.rstrip("\n"), ""]
    lines += [f"- `{rule}`: {text}" for rule, text in NON_SCHEMA_RULES.items()]
    lines.append("")
    schema = AirliftFile.model_json_schema(mode="validation")
    lines += _section("airlift.yaml", {**schema, "description": "The top level of the file."})
    for name in _ordered_defs(schema):
        lines += _section(name, schema["$defs"][name])
    state = ProxiedStateFile.model_json_schema(mode="validation")
    lines += [
        "# Proxied-state files (`proxied_state/<dag_id>.yaml`)",
        "",
        "Set exactly one of `tasks` or `proxied`. See [proxied-state.md](proxied-state.md).",
        "",
    ]
    lines += _section("ProxiedStateFile", state)
    for name in _ordered_defs(state):
        lines += _section(name, state["$defs"][name])
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 when the file is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = REFERENCE.read_text(encoding="utf-8") if REFERENCE.exists() else ""
        if current != text:
            print(f"{REFERENCE} is stale: run python -m devtools.gen_docs", file=sys.stderr)
            return 1
        return 0
    REFERENCE.parent.mkdir(parents=True, exist_ok=True)
    REFERENCE.write_text(text, encoding="utf-8")
    print(f"wrote {REFERENCE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
