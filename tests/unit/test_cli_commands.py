"""The table of subcommands in ``cli/main.py`` is complete and is what ``--help``
shows; a run of one command imports that command's module only, and parses and
reports exactly as the parser with every command does."""

from __future__ import annotations

import argparse
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from airlift_component.cli import main as cli_main

CLI_DIR = Path(cli_main.__file__).parent


def test_every_command_module_is_in_the_table() -> None:
    on_disk = {f"airlift_component.cli.{path.stem}" for path in CLI_DIR.glob("cmd_*.py")}
    missing = sorted(on_disk - set(cli_main.COMMANDS.values()))
    assert missing == [], "add these modules to COMMANDS in airlift_component/cli/main.py"
    assert len(cli_main.COMMANDS) == len(on_disk)


@pytest.mark.parametrize("name", list(cli_main.COMMANDS))
def test_each_entry_names_its_command(name: str) -> None:
    module = importlib.import_module(cli_main.COMMANDS[name])
    assert name == module.NAME and cli_main.command(name) is module
    assert callable(module.register) and callable(module.run) and module.HELP


def test_help_lists_the_commands_in_table_order(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli_main.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    positions = [
        re.search(rf"\n    {re.escape(name)}\s", out).start()  # type: ignore[union-attr]
        for name in cli_main.COMMANDS
    ]
    assert positions == sorted(positions)


def _parse(
    parser: argparse.ArgumentParser, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[object, str, str]:
    """What parsing ``argv`` gives: the arguments (or the exit code) and the output."""
    try:
        args, unknown = parser.parse_known_args(argv)
        found: object = (
            {k: v for k, v in vars(args).items() if k not in ("_parser", "run")},
            unknown,
            args._parser.prog,
        )
    except SystemExit as exc:
        found = exc.code
    out, err = capsys.readouterr()
    return found, out, err


ARGV = [[], ["--help"], ["--bogus"], ["-x", "1"], ["."], [".", "--no-such-option"], ["a", "b"]]


@pytest.mark.parametrize("name", list(cli_main.COMMANDS))
@pytest.mark.parametrize("rest", ARGV, ids=[" ".join(a) or "nothing" for a in ARGV])
def test_a_command_alone_parses_as_with_every_command(
    name: str, rest: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [name, *rest]
    every = _parse(cli_main.build_parser([name]), argv, capsys)
    alone = _parse(cli_main.build_parser([name], listed=[name]), argv, capsys)
    assert alone == every


def test_a_run_of_one_command_imports_no_other_command_module(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from airlift_component.cli.main import COMMANDS, main\n"
        "code = main(['validate', sys.argv[1]])\n"
        "print(code, sorted(n for n, m in COMMANDS.items() if m in sys.modules))\n"
    )
    (tmp_path / "proxied_state").mkdir()
    (tmp_path / "proxied_state" / "d.yaml").write_text("proxied: false\n", encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines()[-1] == "0 ['validate']"
