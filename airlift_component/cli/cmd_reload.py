"""``airlift reload``: ask a running Dagster webserver to reload a code location."""

from __future__ import annotations

import argparse

NAME = "reload"
HELP = "reload a Dagster code location over GraphQL (e.g. in CI after Airflow changed)"
ORDER = 70

DEFAULT_URL = "http://127.0.0.1:3000"
DEFAULT_TOKEN_ENV = "DAGSTER_API_TOKEN"


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--location", required=True, metavar="NAME", help="code location to reload")
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
        client.reload_location(args.location)
    print(f"reloaded code location {args.location!r} at {client.graphql_url}")
    return 0
