"""Entry point of the `airlift` command.

Subcommands are the ``cmd_*.py`` modules of this package. Each defines ``NAME``,
``HELP``, ``ORDER`` (position in ``--help``), ``register(parser)`` to declare its
arguments and ``run(args) -> int``. Modules import heavy dependencies inside
``run`` only, so ``airlift --help`` and ``airlift validate`` stay fast and never
import Dagster or Airflow.

Errors are turned into exit codes here and nowhere else: an
:class:`~airlift_component.errors.AirliftError` prints its message (no
traceback) and exits with its ``exit_code``; usage errors exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType

from airlift_component.errors import AirliftError


def _command_modules() -> list[ModuleType]:
    package = importlib.import_module("airlift_component.cli")
    modules = [
        importlib.import_module(f"airlift_component.cli.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
        if info.name.startswith("cmd_")
    ]
    return sorted(modules, key=lambda m: (getattr(m, "ORDER", 100), m.NAME))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="airlift",
        description="Observe Airflow DAGs in Dagster and migrate them task by task.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _command_modules():
        sub = subparsers.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.register(sub)
        sub.set_defaults(run=module.run)
    _remember_parser(parser)
    return parser


def _remember_parser(parser: argparse.ArgumentParser) -> None:
    """Let every (sub)command's parser put itself in the namespace, the innermost last,
    so that an unknown option is reported with the usage of the command it was given to."""
    parser.set_defaults(_parser=parser)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _remember_parser(sub)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # argparse would report these with the top-level usage
        args._parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if getattr(args, "run", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args.run(args))
    except AirliftError as exc:
        print(
            f"airlift {args.command}: {exc}" if "\n" not in str(exc) else str(exc), file=sys.stderr
        )
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
