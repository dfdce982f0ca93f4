"""``airlift scaffold``: write a proxied-state file for every DAG, nothing proxied yet.

Reads the DAGs and their tasks from Airflow's REST API (no Airflow install
needed), at ``--airflow-url`` or an instance of ``--config`` (default
``./airlift.yaml`` when it exists, which is only read), and writes ``<out>/<dag_id>.yaml`` listing each task, in dependency
order, with ``proxied: false``. An existing file is never touched: it is
reported as skipped. Files are created atomically (written aside, then linked
into place), so a reader never sees half a file.

DAG and task ids come from the server and are not trusted: an id that is not
a valid Airflow id (letters, digits, ``_``, ``.``, ``-``; at most 250
characters) is refused with one line naming it, and nothing is written for
that DAG, so no id can name a file outside ``--out`` or inject YAML.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from airlift_component.config.problems import one_line

if TYPE_CHECKING:
    from airlift_component.airflow_api.client import AirflowClient
    from airlift_component.airflow_api.types import AirflowTask

NAME = "scaffold"
HELP = "write proxied_state/<dag_id>.yaml (every task proxied: false) for every Airflow DAG"

#: Show a progress bar from this many DAGs on (and only on a terminal).
PROGRESS_THRESHOLD = 20


def register(parser: argparse.ArgumentParser) -> None:
    source = parser.add_argument_group("which Airflow")
    source.add_argument("--airflow-url", metavar="URL", help="the Airflow web/API server URL")
    source.add_argument(
        "--api",
        choices=("auto", "v1", "v2"),
        default="auto",
        help="REST API version: v1 (Airflow 2), v2 (Airflow 3), auto detects (default)",
    )
    source.add_argument("--username", help="basic-auth user (with --password-env)")
    source.add_argument(
        "--password-env", metavar="VAR", help="environment variable with the password"
    )
    source.add_argument(
        "--token-env", metavar="VAR", help="environment variable with a bearer token"
    )
    source.add_argument(
        "--config",
        metavar="PATH",
        help="take the instance from this airlift.yaml (default: ./airlift.yaml when it exists "
        "and --airflow-url is not given)",
    )
    source.add_argument(
        "--instance", metavar="NAME", help="instance of --config (default: the only one)"
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="folder for the files (default: the instance's proxied_state_dir, else ./proxied_state)",
    )


def topological_order(tasks: Sequence[AirflowTask]) -> list[str]:
    """Task ids with every task after its upstream tasks; ties keep Airflow's order."""
    order = [task.task_id for task in tasks]
    position = {task_id: index for index, task_id in enumerate(order)}
    upstream_count = dict.fromkeys(order, 0)
    for task in tasks:
        for down in task.downstream_task_ids:
            if down in upstream_count:
                upstream_count[down] += 1
    downstream = {task.task_id: task.downstream_task_ids for task in tasks}
    ready = sorted((t for t, n in upstream_count.items() if n == 0), key=position.__getitem__)
    result: list[str] = []
    while ready:
        task_id = ready.pop(0)
        result.append(task_id)
        for down in downstream[task_id]:
            if down in upstream_count:
                upstream_count[down] -= 1
                if upstream_count[down] == 0:
                    ready.append(down)
                    ready.sort(key=position.__getitem__)
    # A cycle cannot come from Airflow; keep any leftovers rather than drop them.
    return result + [task_id for task_id in order if task_id not in set(result)]


def _yaml_scalar(value: str) -> str:
    import yaml

    plain = yaml.safe_load(value) == value if value.strip() == value else False
    return value if plain and not value.startswith(("-", "?", ":")) else json.dumps(value)


def render_state(dag_id: str, task_ids: Sequence[str]) -> str:
    """The text of a new proxied-state file: every task listed with ``proxied: false``."""
    lines = [
        f"# Proxied state of DAG {dag_id}, written by `airlift scaffold`.",
        f"# Run a task in Dagster with `airlift proxy on {dag_id} <task>` (or set proxied: true).",
    ]
    if not task_ids:
        lines.append("tasks: []")
    else:
        lines.append("tasks:")
        for task_id in task_ids:
            lines += [f"  - id: {_yaml_scalar(task_id)}", "    proxied: false"]
    return "\n".join(lines) + "\n"


class Progress:
    """A one-line progress bar on a terminal stream; silent elsewhere."""

    def __init__(self, total: int, stream: TextIO, *, width: int = 30) -> None:
        self.total = total
        self.stream = stream
        self.width = width
        self.enabled = total >= PROGRESS_THRESHOLD and stream.isatty()

    def update(self, done: int, label: str) -> None:
        if not self.enabled:
            return
        filled = self.width * done // max(1, self.total)
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r[{bar}] {done}/{self.total} {label[:40]:<40}")
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * (self.width + 55) + "\r")
            self.stream.flush()


@dataclass
class ScaffoldResult:
    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    #: One line per DAG refused because of an id Airflow itself would not accept.
    refused: list[str] = field(default_factory=list)


#: Airflow's own limit on DAG and task ids (its ``ID_LEN``).
MAX_ID_LENGTH = 250


def _valid_id(value: str, pattern: str) -> bool:
    return (
        len(value) <= MAX_ID_LENGTH
        and value not in (".", "..")
        and re.fullmatch(pattern, value) is not None
    )


def _refusal(dag_id: str, tasks: Sequence[str]) -> str | None:
    """Why the DAG's file cannot be written, or ``None`` when its ids are all valid."""
    from airlift_component.config.ids import DAG_ID_PATTERN, TASK_ID_PATTERN

    rule = f"letters, digits, '_', '.' and '-' only, at most {MAX_ID_LENGTH} characters"
    if not _valid_id(dag_id, DAG_ID_PATTERN):
        return f"skipped DAG {one_line(repr(dag_id))}: not a valid DAG id ({rule})"
    bad = [task for task in tasks if not _valid_id(task, TASK_ID_PATTERN)]
    if bad:
        listed = one_line(", ".join(repr(task) for task in bad[:5]))
        return f"skipped DAG {dag_id!r}: task id(s) {listed} are not valid task ids ({rule})"
    return None


def _inside(folder: Path, path: Path) -> bool:
    return os.path.dirname(os.path.realpath(path)) == os.path.realpath(folder)


def scaffold(client: AirflowClient, out_dir: Path, *, progress_stream: TextIO) -> ScaffoldResult:
    """Write one file per DAG the client lists; never overwrite an existing one."""
    from airlift_component.config.atomic_write import create_exclusive

    out_dir.mkdir(parents=True, exist_ok=True)
    dags = client.list_dags()
    result = ScaffoldResult()
    progress = Progress(len(dags), progress_stream)
    for done, dag in enumerate(dags, start=1):
        progress.update(done, one_line(dag.dag_id))
        refused = _refusal(dag.dag_id, [])
        if refused is None and not _inside(out_dir, out_dir / f"{dag.dag_id}.yaml"):
            refused = (
                f"skipped DAG {one_line(repr(dag.dag_id))}: its file would be outside {out_dir}"
            )
        if refused is not None:
            result.refused.append(refused)
            continue
        target = out_dir / f"{dag.dag_id}.yaml"
        existing = [p for p in (target, target.with_suffix(".yml")) if p.exists()]
        if existing:
            result.skipped.append(existing[0])
            continue
        tasks = topological_order(client.list_tasks(dag.dag_id))
        refused = _refusal(dag.dag_id, tasks)
        if refused is not None:
            result.refused.append(refused)
            continue
        text = render_state(dag.dag_id, tasks)
        try:
            create_exclusive(target, text.encode())
        except FileExistsError:
            result.skipped.append(target)
            continue
        result.written.append(target)
    progress.finish()
    return result


def _secret_from_env(var: str, flag: str) -> str:
    import os

    from airlift_component.errors import UsageError

    value = os.environ.get(var)
    if not value:
        raise UsageError(
            f"{flag} {var}: the environment variable {var} is not set (export it first)"
        )
    return value


def _client_and_out(args: argparse.Namespace) -> tuple[AirflowClient, Path]:
    from airlift_component.airflow_api.client import AirflowClient
    from airlift_component.errors import UsageError

    config = args.config
    if config is None and not args.airflow_url and Path("airlift.yaml").is_file():
        config = "airlift.yaml"  # like drift, refresh and proxy; scaffold only reads it
    if config:
        from airlift_component.cli.config_args import load_config
        from airlift_component.config.airlift_yaml.instances import selected_instances

        path = Path(config)
        model = load_config(path)
        instances = selected_instances(model, [args.instance] if args.instance else None, path)
        if len(instances) != 1:
            names = ", ".join(i.name for i in instances)
            raise UsageError(
                f"{path} defines several instances ({names}); choose one with --instance"
            )
        instance = instances[0]
        default_out = (
            path.parent / instance.proxied_state_dir if instance.proxied_state_dir else None
        )
        return AirflowClient(instance), Path(args.out) if args.out else (
            default_out or Path("proxied_state")
        )
    if not args.airflow_url:
        raise UsageError(
            "no ./airlift.yaml here to read the instance from: pass --config PATH, "
            "or --airflow-url URL"
        )
    auth: dict[str, Any] = {}
    if args.token_env:
        auth["token"] = _secret_from_env(args.token_env, "--token-env")
    elif args.username:
        if not args.password_env:
            raise UsageError(
                "--username needs --password-env VAR (passwords never go on the command line)"
            )
        auth.update(
            username=args.username, password=_secret_from_env(args.password_env, "--password-env")
        )
    try:
        client = AirflowClient.for_url(args.airflow_url, api=args.api, **auth)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise UsageError(
            f"--airflow-url {args.airflow_url!r} is not a valid URL ({exc.__class__.__name__})"
        ) from None
    return client, Path(args.out or "proxied_state")


def run(args: argparse.Namespace) -> int:
    """Scaffold the files; 0 on success (skipped files are not an error), 1 when a DAG
    was refused for an invalid id (the others are still written)."""
    client, out_dir = _client_and_out(args)
    with client:
        result = scaffold(client, out_dir, progress_stream=sys.stderr)
    for path in result.skipped:
        print(one_line(f"skipped {path} (exists; scaffold never overwrites)"))
    for line in result.refused:
        print(line, file=sys.stderr)
    refused = f", refused {len(result.refused)} (invalid ids)" if result.refused else ""
    print(
        one_line(
            f"wrote {len(result.written)} file(s), skipped {len(result.skipped)} existing"
            f"{refused}, in {out_dir}"
        )
    )
    return 1 if result.refused else 0
