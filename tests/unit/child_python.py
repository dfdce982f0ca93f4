"""Running a script in a child Python, Airflow 2.10's in ``.venv-airflow2`` by default,
from a unit test that compares with Airflow 2 or keeps an import out of its own process::

    env = airflow_home_env(tmp_path / "home")
    answer = json_answer([str(HELPER)], env=env, stdin=json.dumps(cases))
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypedDict, Unpack

ROOT = Path(__file__).resolve().parents[2]
#: The interpreter of Airflow 2.10 that scripts/setup makes.
AIRFLOW2_PYTHON = ROOT / ".venv-airflow2" / "bin" / "python"
#: The interpreters of this Airflow 3 and, where it is set up, Airflow 2.10, by name.
INTERPRETERS = {"airflow3": Path(sys.executable)}
if AIRFLOW2_PYTHON.exists():
    INTERPRETERS["airflow2"] = AIRFLOW2_PYTHON


def airflow_home_env(home: Path) -> dict[str, str]:
    """An environment inheriting nothing, for an Airflow whose home and SQLite database
    are in ``home``, without the example DAGs."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }


class RunOptions(TypedDict, total=False):
    """How :func:`run_python` runs the child, where the defaults do not do."""

    #: The interpreter: Airflow 2.10's by default.
    python: Path
    #: Its standard input: none by default.
    stdin: str | None
    #: Seconds it may take: 300 by default.
    timeout: float


def run_python(
    args: Sequence[str], *, env: Mapping[str, str], **options: Unpack[RunOptions]
) -> str:
    """What ``python ARGS`` (a script's path, or ``-c`` and its text, and its arguments)
    prints, run with ``env`` alone and ``stdin`` as its input; the test fails with the
    end of its standard error when it exits non-zero."""
    done = subprocess.run(
        [str(options.get("python", AIRFLOW2_PYTHON)), *args],
        input=options.get("stdin"),
        capture_output=True,
        text=True,
        env=dict(env),
        timeout=options.get("timeout", 300),
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def json_answer(
    args: Sequence[str], *, env: Mapping[str, str], **options: Unpack[RunOptions]
) -> Any:
    """The last line :func:`run_python` prints, read as JSON (the lines before it are
    whatever Airflow itself prints)."""
    stdout = run_python(args, env=env, **options)
    return json.loads(stdout.strip().splitlines()[-1])
