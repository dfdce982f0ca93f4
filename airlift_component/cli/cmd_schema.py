"""``airlift schema``: write the JSON Schema files generated from the models."""

from __future__ import annotations

import argparse

NAME = "schema"
HELP = "write (or --check) schemas/airlift.schema.json and schemas/proxied-state.schema.json"


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        default="schemas",
        metavar="DIR",
        help="folder to write the schema files into (default: ./schemas)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 when the files in DIR differ from the models",
    )


def run(args: argparse.Namespace) -> int:
    """Write the schemas, or with ``--check`` report the ones that drifted."""
    from pathlib import Path

    from airlift_component.config.validation.schema_export import stale_schemas, write_schemas

    out_dir = Path(args.out)
    if args.check:
        stale = stale_schemas(out_dir)
        for path in stale:
            if path.is_file():
                print(f"{path}: out of date with the models (run: airlift schema --out {out_dir})")
            else:
                print(
                    f"{path}: missing (looked in {out_dir.resolve()}; pass --out DIR where "
                    f"the schemas are, or write them: airlift schema --out {out_dir})"
                )
        if not stale:
            print(f"schemas in {out_dir} are up to date")
        return 1 if stale else 0
    try:
        changed = write_schemas(out_dir)
    except OSError as exc:
        from airlift_component.errors import UsageError

        raise UsageError(
            f"cannot write the schemas into {out_dir}: {exc.strerror} (choose another --out)"
        ) from None
    for path in changed:
        print(f"wrote {path}")
    if not changed:
        print(f"schemas in {out_dir} are up to date")
    return 0
