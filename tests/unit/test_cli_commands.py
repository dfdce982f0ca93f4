"""The table of subcommands in ``cli/main.py`` is complete and is what ``--help`` shows."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from airlift_component.cli import main as cli_main

CLI_DIR = Path(cli_main.__file__).parent


def test_every_command_module_is_in_the_table() -> None:
    on_disk = {
        path.stem: importlib.import_module(f"airlift_component.cli.{path.stem}")
        for path in CLI_DIR.glob("cmd_*.py")
    }
    missing = sorted(name for name, module in on_disk.items() if module not in cli_main.COMMANDS)
    assert missing == [], "add these modules to COMMANDS in airlift_component/cli/main.py"
    assert len(cli_main.COMMANDS) == len(on_disk)


def test_help_lists_the_commands_in_table_order(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli_main.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    positions = [
        re.search(rf"\n    {re.escape(command.NAME)}\s", out).start()  # type: ignore[union-attr]
        for command in cli_main.COMMANDS
    ]
    assert positions == sorted(positions)
