"""Entry point of the `airlift` command.

The subcommands are listed in :data:`COMMANDS`, in the order ``airlift --help``
shows them. Each is a ``cmd_*.py`` module of this package that defines ``NAME``,
``HELP``, ``register(parser)`` to declare its arguments and ``run(args) -> int``.
A command module is imported only when it is needed: a run of one command imports
that one (``airlift --help`` imports them all), and command modules import heavy
dependencies inside ``run`` only, so ``airlift --help`` and ``airlift validate``
stay fast and never import Dagster or Airflow.

Errors are turned into exit codes here and nowhere else: an
:class:`~airlift_component.errors.AirliftError` prints its message (no
traceback) and exits with its ``exit_code``; usage errors exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any, Protocol, cast

from airlift_component.errors import AirliftError


class Command(Protocol):
    """What a ``cmd_*`` module provides."""

    NAME: str
    HELP: str

    def register(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


#: Every subcommand by name, in the order ``airlift --help`` lists them: the module
#: that implements it, imported by :func:`command` (the import rules of
#: ``tests/unit/test_import_rules.py`` read these names as imports). Importing every
#: command module cost a run of one command about 0.025 s (``bench/bench_validate.py``,
#: cold ``validate .`` at about 0.35 s).
COMMANDS: dict[str, str] = {
    "validate": "airlift_component.cli.cmd_validate",
    "scaffold": "airlift_component.cli.cmd_scaffold",
    "proxy": "airlift_component.cli.cmd_proxy",
    "decommission": "airlift_component.cli.cmd_decommission",
    "refresh": "airlift_component.cli.cmd_refresh",
    "drift": "airlift_component.cli.cmd_drift",
    "reload": "airlift_component.cli.cmd_reload",
    "generate": "airlift_component.cli.cmd_generate",
    "import-python": "airlift_component.cli.cmd_import_python",
    "schema": "airlift_component.cli.cmd_schema",
}


def command(name: str) -> Command:
    """The module of the command ``name`` (a key of :data:`COMMANDS`)."""
    return cast(Command, importlib.import_module(COMMANDS[name]))


class _Parser(argparse.ArgumentParser):
    """A parser that puts itself in the namespace as ``_parser``.

    ``add_subparsers`` builds subcommand parsers of the same class, and the
    innermost parser's defaults win, so after parsing ``_parser`` is the parser
    of the command that was given: an unknown option is reported with its usage.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_defaults(_parser=self)


def build_parser(
    only: Sequence[str] | None = None, *, listed: Sequence[str] | None = None
) -> argparse.ArgumentParser:
    """The ``airlift`` parser with the commands of :data:`COMMANDS`.

    With ``only``, just those commands declare their arguments; every command is
    still listed with its help. Declaring a command's arguments may import what its
    options need (``proxy``'s Dagster options), which the others never use. With
    ``listed``, only those commands are on the parser at all, and no other command
    module is imported: enough to parse arguments that start with one of them,
    which argparse then hands to that command's parser alone.
    """
    parser = _Parser(
        prog="airlift",
        description="Observe Airflow DAGs in Dagster and migrate them task by task.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        if listed is not None and name not in listed:
            continue
        module = command(name)
        sub = subparsers.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        if only is None or module.NAME in only:
            module.register(sub)
        sub.set_defaults(run=module.run)
    return parser


def _named_command(argv: Sequence[str]) -> list[str]:
    """The command ``argv`` names (the top-level parser takes no option with a
    value, so it is the first argument that is no option); none for ``--help``."""
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    return [first] if first is not None else []


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    given = list(sys.argv[1:] if argv is None else argv)
    first = given[0] if given else ""
    if first in COMMANDS:  # it gets every later argument: no other command is listed
        parser = build_parser([first], listed=[first])
    else:
        parser = build_parser(_named_command(given))
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
