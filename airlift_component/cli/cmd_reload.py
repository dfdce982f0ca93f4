"""``airlift reload``: ask a running Dagster webserver to reload a code location."""

from __future__ import annotations

import argparse

NAME = "reload"
HELP = "reload a Dagster code location over GraphQL (e.g. in CI after Airflow changed)"

DEFAULT_URL = "http://127.0.0.1:3000"
DEFAULT_TOKEN_ENV = "DAGSTER_API_TOKEN"


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--location",
        metavar="NAME",
        help="code location to reload (default: the webserver's only location, when it has one)",
    )
    parser.add_argument(
        "--dagster-url",
        metavar="URL",
        help=f"Dagster webserver or Dagster+ deployment URL (default: $DAGSTER_URL or {DEFAULT_URL})",
    )
    parser.add_argument(
        "--token-env",
        default=DEFAULT_TOKEN_ENV,
        metavar="VAR",
        help=f"environment variable holding a Dagster+ API token (default: {DEFAULT_TOKEN_ENV}; "
        "unset means no token)",
    )
    parser.add_argument(
        "--timeout", type=float, default=120.0, metavar="SECONDS", help="request timeout"
    )


def run(args: argparse.Namespace) -> int:
    """Reload the location; exit 1 with the URL in the message when it fails."""
    import os

    from airlift_component.dagster_api import DagsterClient

    url = args.dagster_url or os.environ.get("DAGSTER_URL") or DEFAULT_URL
    token = os.environ.get(args.token_env) or None
    with DagsterClient(url, token=token, timeout=args.timeout) as client:
        location = args.location or _only_location(client.location_names(), client.graphql_url)
        client.reload_location(location)
    print(f"reloaded code location {location!r} at {client.graphql_url}")
    return 0


def _only_location(names: list[str], where: str) -> str:
    from airlift_component.errors import UsageError

    if len(names) == 1:
        return names[0]
    if not names:
        raise UsageError(f"Dagster at {where} has no code location to reload")
    listed = ", ".join(sorted(names))
    raise UsageError(
        f"Dagster at {where} has {len(names)} code locations ({listed}): "
        "name one with --location NAME"
    )
