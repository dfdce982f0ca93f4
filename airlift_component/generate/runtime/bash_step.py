"""The Dagster Pipes side of a generated Bash asset: runs ``bash -c`` as Airflow does.

Launched by ``dagster.PipesSubprocessClient`` with the command and its settings
in the Pipes extras (never on the command line, where ``ps`` would show them).
Output lines go to standard output as they come (Dagster captures them in the
step's logs); standard error is merged in, as Airflow's ``SubprocessHook`` does.
The outcome goes back as a custom Pipes message: ``{"last_line": ...}`` on
success, ``{"skipped": code}`` for an exit code in ``skip_on_exit_code``;
another non-zero exit code is this process's exit code, which fails the step.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from typing import Any

#: Variables Dagster Pipes sets for this process, not for the command.
_PIPES_PREFIX = "DAGSTER_PIPES_"


def command_env(extras: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, str]:
    """The command's environment, as Airflow's ``BashOperator.get_env`` builds it."""
    system = {k: v for k, v in environ.items() if not k.startswith(_PIPES_PREFIX)}
    env = extras.get("env")
    if env is None:
        result = dict(system)
    elif extras.get("append_env"):
        result = {**system, **env}
    else:
        result = dict(env)
    result.update(extras.get("airflow_env") or {})
    return result


def run_bash(extras: Mapping[str, Any], environ: Mapping[str, str]) -> tuple[int, str | None]:
    """Run the command; returns (exit code, last output line), streaming the output."""
    bash = shutil.which("bash", path=environ.get("PATH")) or "bash"
    encoding = str(extras.get("output_encoding") or "utf-8")
    with tempfile.TemporaryDirectory(prefix="airflowtmp") as scratch:
        process = subprocess.Popen(
            [bash, "-c", str(extras["command"])],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=extras.get("cwd") or scratch,
            env=command_env(extras, environ),
        )
        last = ""
        assert process.stdout is not None
        for raw in iter(process.stdout.readline, b""):
            last = raw.decode(encoding, errors="backslashreplace").rstrip()
            sys.stdout.write(last + "\n")
            sys.stdout.flush()
        return process.wait(), last


def main() -> int:
    """Entry point (``python -m airlift_component.generate.runtime.bash_step``)."""
    from dagster_pipes import open_dagster_pipes

    with open_dagster_pipes() as pipes:
        extras = pipes.extras
        code, last = run_bash(extras, os.environ)
        if code in (extras.get("skip_on_exit_code") or []):
            pipes.report_custom_message({"skipped": code})
            return 0
        if code != 0:
            print(
                f"Bash command failed. The command returned a non-zero exit code {code}.",
                file=sys.stderr,
            )
            return code
        pipes.report_custom_message({"last_line": last})
        return 0


if __name__ == "__main__":
    sys.exit(main())
