"""``airlift decommission DAG``: move a DAG's schedule from Airflow to Dagster, or back."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from airlift_component.airflow_api.client import AirflowClient
    from airlift_component.cli.decommission_steps import DagsterSchedule
    from airlift_component.config.airlift_yaml.model import Decommissioned, Instance
    from airlift_component.dagster_api import DagsterClient
    from airlift_component.decommission.yaml_block import DecommissionRecord

NAME = "decommission"
HELP = "move a fully proxied DAG's schedule to Dagster and pause it in Airflow (--undo: back)"

_EPILOG = """\
what it does (per instance, like `airlift proxy`):
  1. refuses unless the DAG is fully proxied (DAG level, or every task), naming the
     tasks still in Airflow (--force: go on anyway);
  2. derives what replaces Airflow's schedule from the DAG's details in Airflow: a
     cron in the DAG's timezone whose first tick is Airflow's next run (presets, cron
     strings, timedeltas that land on a cron), or, for a DAG on Airflow assets
     (datasets), the Dagster keys of those assets (needs airflow_assets enabled);
     what cannot be expressed is refused with the reason;
  3. writes a `decommissioned:` block on the DAG's mapping in airlift.yaml;
  4. pauses the DAG in Airflow, but only once Dagster has loaded the block: with
     --reload it reloads the code location and checks over GraphQL that the
     schedule (or automation sensor) exists and first ticks at Airflow's next run;
     without --reload it stops after writing and says how to reload: run the same
     command again afterwards to check Dagster and pause.

--undo removes the block (airlift.yaml is then byte for byte as before; a block
edited since is refused, showing what differs, unless --force), reloads Dagster
with --reload, and unpauses the DAG in Airflow if this command paused it.

exit codes: 0 done (or nothing to do), 1 refused or failed, 2 usage."""


def register(parser: argparse.ArgumentParser) -> None:
    from airlift_component.cli.cmd_reload import DEFAULT_TOKEN_ENV, DEFAULT_URL

    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = _EPILOG
    parser.add_argument("dag", metavar="DAG", help="the DAG id")
    parser.add_argument("--undo", action="store_true", help="give the schedule back to Airflow")
    parser.add_argument(
        "--config", default="airlift.yaml", metavar="PATH", help="default: ./airlift.yaml"
    )
    parser.add_argument(
        "--instance", metavar="NAME", help="the instance (default: the one mapping DAG)"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="decommission a DAG not fully proxied; --undo: remove a block edited by hand",
    )
    parser.add_argument(
        "--timezone",
        metavar="NAME",
        help="the DAG's IANA timezone, when Airflow reports another (its DAG details give "
        "the server's default, not the timezone of the DAG's start_date)",
    )
    parser.add_argument(
        "--reload", action="store_true", help="reload the Dagster code location, then pause"
    )
    parser.add_argument(
        "--dagster-url",
        metavar="URL",
        help=f"Dagster webserver (default: $DAGSTER_URL or {DEFAULT_URL})",
    )
    parser.add_argument("--location", metavar="NAME", help="the code location to reload")
    parser.add_argument(
        "--token-env",
        default=DEFAULT_TOKEN_ENV,
        metavar="VAR",
        help=f"variable holding a Dagster+ API token (default: {DEFAULT_TOKEN_ENV})",
    )
    parser.add_argument(
        "--timeout", type=float, default=120.0, metavar="SECONDS", help="Dagster request timeout"
    )


def run(args: argparse.Namespace) -> int:
    """Decommission the DAG (or undo it); returns the exit code."""
    from airlift_component.airflow_state.fetch import default_client_factory
    from airlift_component.cli.config_args import load_config
    from airlift_component.cli.decommission_steps import pick_instance

    path = Path(args.config)
    model = load_config(path)
    instance = pick_instance(model, args.instance, args.dag, path)
    with default_client_factory(instance) as client:
        if args.undo:
            return _undo(args, path, instance, client)
        return _decommission(args, path, instance, client)


def _decommission(
    args: argparse.Namespace, path: Path, instance: Instance, client: AirflowClient
) -> int:
    from airlift_component.errors import AirliftError

    dag = args.dag
    mapping = next((m for m in instance.mappings if m.dag == dag), None)
    details = client.dag_details(dag)
    paused = bool(details.get("is_paused"))
    if mapping is None or mapping.decommissioned is None:
        record = _write_block(args, path, instance, client, details, paused)
        if not args.reload:
            print(_reload_hint(args, path, pause_next=not paused))
            return 0
        _reload(args)
        if paused:
            return 0
    else:
        record = _record(mapping.decommissioned)
        if paused:
            print(f"DAG {dag!r} is decommissioned and paused in Airflow: nothing to do")
            return 0
        if not record.paused_by_airlift:
            raise AirliftError(
                f"{path}: DAG {dag!r} was paused in Airflow when it was decommissioned, and "
                "is unpaused now: Airflow and Dagster both run it. Pause it in Airflow, or "
                f"give it back to Airflow: airlift decommission {dag} --undo"
            )
        if args.reload:
            _reload(args)
    _check_dagster(args, instance, record)
    if record.cron is not None:
        _same_next_run(path, dag, record, client)
    else:
        record = _restamp(path, instance.name, dag, record)
    client.set_paused(dag, True)
    print(f"paused DAG {dag!r} in Airflow: Dagster runs it from now on ({_what(record)})")
    return 0


def _write_block(
    args: argparse.Namespace,
    path: Path,
    instance: Instance,
    client: AirflowClient,
    details: dict[str, object],
    paused: bool,
) -> DecommissionRecord:
    from airlift_component.cli.decommission_steps import (
        edit_config,
        now,
        still_in_airflow,
        stored_asset_keys,
    )
    from airlift_component.decommission.cron import CannotReplaceSchedule
    from airlift_component.decommission.plan import plan_record
    from airlift_component.decommission.yaml_block import BlockEditError, add_block
    from airlift_component.errors import AirliftError

    dag = args.dag
    if args.timezone is not None:
        _known_timezone(args.timezone)
    if not args.force:
        left = still_in_airflow(instance, path, dag, client)
        if left:
            raise AirliftError(
                f"DAG {dag!r} is not fully proxied: {', '.join(left)} still run(s) in "
                f"Airflow. Proxy them first (airlift proxy on {dag} --dag), or pass --force"
            )
    try:
        record = plan_record(
            details,
            client.api_version(),
            now=now(),
            paused=paused,
            key_of=stored_asset_keys(instance, path),
            timezone_name=args.timezone,
        )
        edit_config(path, lambda text: add_block(text, instance.name, dag, record))
    except (CannotReplaceSchedule, BlockEditError) as exc:
        raise AirliftError(f"{path}: {exc}") from None
    print(f"{path}: wrote decommissioned: on DAG {dag!r} ({_what(record)})")
    if paused:
        print(f"DAG {dag!r} was paused in Airflow already: it stays paused, --undo leaves it so")
    return record


def _known_timezone(name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from airlift_component.errors import UsageError

    try:
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        raise UsageError(
            f"--timezone {name!r} is not an IANA timezone name (e.g. Europe/Amsterdam)"
        ) from None


def _what(record: DecommissionRecord) -> str:
    if record.cron is not None:
        return f"cron {record.cron!r} in {record.timezone}, first tick {record.first_tick}"
    which = "any" if record.on_assets_updated == "any" else "all"
    return f"when {which} of {', '.join(record.on_assets or ())} updated"


def _record(block: Decommissioned) -> DecommissionRecord:
    from airlift_component.decommission.yaml_block import DecommissionRecord

    assets = tuple(block.on_assets) if block.on_assets is not None else None
    return DecommissionRecord(
        block.cron,
        block.timezone,
        block.first_tick,
        block.logical_date,
        block.paused_by_airlift,
        assets,
        block.on_assets_updated,
    )


def _dagster_url(args: argparse.Namespace) -> str:
    import os

    from airlift_component.cli.cmd_reload import DEFAULT_URL

    return str(args.dagster_url or os.environ.get("DAGSTER_URL") or DEFAULT_URL)


def _reload_hint(args: argparse.Namespace, path: Path, *, pause_next: bool) -> str:
    location = f" --location {args.location}" if args.location else ""
    reload = f"airlift reload --dagster-url {_shown_url(args)}{location}"
    if not pause_next:
        return f"Dagster takes over once it reloads: {reload}"
    again = f"airlift decommission {args.dag} --config {path}"
    return (
        "Airflow still runs the DAG. Next, let Dagster load the block (the code location's "
        f"Reload button, or `{reload}`), then run `{again}` again: it checks that Dagster "
        "has the schedule and pauses the DAG in Airflow. (--reload does both now.)"
    )


def _shown_url(args: argparse.Namespace) -> str:
    from airlift_component.redact import redact_url

    return redact_url(_dagster_url(args))


def _reload(args: argparse.Namespace) -> None:
    from airlift_component.cli import cmd_reload

    cmd_reload.run(
        argparse.Namespace(
            location=args.location,
            dagster_url=_dagster_url(args),
            token_env=args.token_env,
            timeout=args.timeout,
        )
    )


def _dagster_client(args: argparse.Namespace) -> DagsterClient:
    """A client of the Dagster webserver the command checks (closed by the caller)."""
    import os

    from airlift_component.dagster_api import DagsterClient

    token = os.environ.get(args.token_env) or None
    return DagsterClient(_dagster_url(args), token=token, timeout=args.timeout)


def _check_dagster(
    args: argparse.Namespace, instance: Instance, record: DecommissionRecord
) -> None:
    """Refuse to pause unless Dagster has the replacement, ticking where Airflow would."""
    from datetime import datetime

    from airlift_component.cli.decommission_steps import dagster_definitions
    from airlift_component.decommission.names import automation_sensor_name, schedule_name
    from airlift_component.errors import AirliftError

    url, dag = _shown_url(args), args.dag
    undo = f"airlift decommission {dag} --undo"
    with _dagster_client(args) as dagster:
        found = dagster_definitions(dagster)
        if record.cron is None:
            name = automation_sensor_name(instance.name, dag)
            if name not in found.sensors:
                raise AirliftError(
                    f"Dagster at {url} has no sensor {name!r}: it has not loaded the block yet "
                    "(reload the code location and check that it loaded), so the DAG is not "
                    "paused in Airflow; run the command again after the reload"
                )
            _wait_for_the_sensor(args, dagster, name)
            return
        name = schedule_name(instance.name, dag)
        schedule = found.schedules.get(name)
        if schedule is None:
            raise AirliftError(
                f"Dagster at {url} has no schedule {name!r}: it has not loaded the block yet "
                "(reload the code location and check that it loaded; the DAG needs assets with "
                "code:), so the DAG is not paused in Airflow; run the command again after the "
                "reload"
            )
        first = datetime.fromisoformat(record.first_tick)
        ticks = schedule.next_ticks
        if record.paused_by_airlift and (not ticks or ticks[0] != first):
            shown = ticks[0].isoformat() if ticks else "never"
            raise AirliftError(
                f"Dagster's schedule {name!r} first ticks at {shown}, Airflow's next run is at "
                f"{first.isoformat()}: they do not agree, so the DAG is not paused in Airflow "
                f"(the cron cannot stand for its Airflow schedule here). Undo with `{undo}` and "
                "write the Dagster schedule by hand"
            )
        _count_ticks_from_now(args, dagster, schedule, first)


def _count_ticks_from_now(
    args: argparse.Namespace, dagster: DagsterClient, schedule: DagsterSchedule, first: datetime
) -> None:
    """Make Dagster count the schedule's ticks from before ``first``, or refuse."""
    from airlift_component.cli.decommission_steps import count_ticks_from_now
    from airlift_component.errors import AirliftError

    started = count_ticks_from_now(dagster, schedule)
    if started > first:
        name = schedule.selector["scheduleName"]
        raise AirliftError(
            f"Dagster counts {name!r}'s ticks from {started.isoformat()}, after its first "
            f"tick {first.isoformat()}: Dagster would not run that tick, so the DAG is not "
            f"paused in Airflow. Undo with `airlift decommission {args.dag} --undo` and "
            "decommission it again, well before its next run"
        )


#: How long the command waits for Dagster's daemon to take up the automation sensor:
#: it reads new code up to a minute after a reload.
DAEMON_WAIT_SECONDS = 240.0


def _wait_for_the_sensor(args: argparse.Namespace, dagster: DagsterClient, sensor: str) -> None:
    """Return once the automation sensor has ticked: it sees only the updates after
    its first tick, so pausing Airflow before then could lose one."""
    import time

    from airlift_component.cli.decommission_steps import sensor_has_ticked
    from airlift_component.errors import AirliftError

    give_up = time.monotonic() + DAEMON_WAIT_SECONDS
    while not sensor_has_ticked(dagster, sensor):
        if time.monotonic() >= give_up:
            raise AirliftError(
                f"Dagster at {_shown_url(args)} has sensor {sensor!r}, but its daemon has "
                "not ticked it yet (is dagster-daemon running on that instance? it takes "
                "up new code up to a minute after a reload), so the DAG is not paused in "
                f"Airflow; run the command again once {sensor!r} shows ticks"
            )
        time.sleep(2)


def _same_next_run(path: Path, dag: str, record: DecommissionRecord, client: AirflowClient) -> None:
    """Refuse when Airflow's next run is no longer the block's first tick, or is due."""
    from datetime import datetime

    from airlift_component.cli.decommission_steps import now
    from airlift_component.decommission.airflow_schedule import parse_schedule
    from airlift_component.errors import AirliftError

    schedule = parse_schedule(client.dag_details(dag), client.api_version())
    first = datetime.fromisoformat(record.first_tick)
    nxt = schedule.next_run.run_after
    if nxt != first or first <= now():
        raise AirliftError(
            f"{path}: Airflow's next run of DAG {dag!r} is {nxt.isoformat() if nxt else 'unknown'}"
            f", the block's first tick {first.isoformat()}: Airflow has reached the first "
            "interval Dagster was to run, so both would run it. The DAG is not paused: "
            f"undo with `airlift decommission {dag} --undo` and decommission it again, "
            "well before its next run"
        )


def _restamp(path: Path, instance: str, dag: str, record: DecommissionRecord) -> DecommissionRecord:
    """The asset variant's first_tick becomes the moment Airflow stops."""
    from dataclasses import replace

    from airlift_component.cli.decommission_steps import edit_config, now
    from airlift_component.decommission.yaml_block import BlockEditError, add_block, remove_block
    from airlift_component.errors import AirliftError

    stamped = replace(record, first_tick=now().isoformat())

    def change(text: str) -> str:
        without, _ = remove_block(text, instance, dag)
        return add_block(without, instance, dag, stamped)

    try:
        edit_config(path, change)
    except BlockEditError as exc:
        raise AirliftError(f"{path}: {exc}") from None
    return stamped


def _undo(args: argparse.Namespace, path: Path, instance: Instance, client: AirflowClient) -> int:
    from airlift_component.cli.decommission_steps import dagster_definitions, edit_config
    from airlift_component.decommission.names import automation_sensor_name, schedule_name
    from airlift_component.decommission.yaml_block import (
        BlockEditError,
        remove_block,
    )
    from airlift_component.errors import AirliftError

    dag = args.dag
    found: list[DecommissionRecord | None] = []

    def change(text: str) -> str:
        without, record = remove_block(text, instance.name, dag, force=args.force)
        found.append(record)
        return without

    try:
        edit_config(path, change)
    except BlockEditError as exc:
        raise AirliftError(f"{path}: {exc}") from None
    print(f"{path}: removed decommissioned: from DAG {dag!r}")
    if args.reload:
        _reload(args)
        with _dagster_client(args) as dagster:
            loaded = dagster_definitions(dagster)
        left = {schedule_name(instance.name, dag)} & set(loaded.schedules)
        left |= {automation_sensor_name(instance.name, dag)} & loaded.sensors
        if left:
            raise AirliftError(
                f"Dagster at {_shown_url(args)} still has {', '.join(sorted(left))} after the "
                f"reload: the block is gone from {path}, but the DAG stays paused in Airflow. "
                f"Reload the code location that loads {path}, then unpause the DAG in Airflow"
            )
    record = found[0]
    if record is None:
        print(
            f"the block no longer said whether airlift paused DAG {dag!r}: it is left as it "
            "is in Airflow; unpause it there if Airflow should run it"
        )
    elif record.paused_by_airlift:
        client.set_paused(dag, False)
        print(f"unpaused DAG {dag!r} in Airflow: Airflow runs it again")
    else:
        print(f"DAG {dag!r} was paused in Airflow before it was decommissioned: left paused")
    if not args.reload:
        print(
            "Dagster runs it too until it reloads: "
            f"airlift reload --dagster-url {_shown_url(args)} (or the code location's Reload button)"
        )
    return 0
