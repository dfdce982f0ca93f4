"""The environment that configures a throw-away local Airflow 2 or Airflow 3.

Everything is set through ``AIRFLOW__SECTION__KEY`` variables, so the generated
``airflow.cfg`` in the home folder never matters and nothing leaks in from the
caller's own Airflow settings (inherited ``AIRFLOW*`` variables are dropped).
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from devtools.local_stack.ports import LOOPBACK

# Variables from the caller's environment that would point a child at another
# Airflow, another virtualenv or other packages.
_DROPPED_PREFIXES = ("AIRFLOW_", "AIRFLOW__", "DAGSTER_")
_DROPPED_NAMES = {"AIRFLOW_HOME", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "CONDA_PREFIX"}

# How quickly new DAG files show up, in seconds (a folder listing is cheap).
DAG_DIR_LIST_INTERVAL = 2
# How often an unchanged DAG file is parsed again. Each parse costs a process and a
# quarter of a CPU second: measured idle with the e2e DAG files, an Airflow 3 spent
# 12.5% of a core at 60 s and 4.4% at 600 s (its dag-processor 9.3 -> 1.0 CPU s per
# 90 s), an Airflow 2 8.7% -> 5.2%; a test run keeps four or five of them up on two
# cores. Airflow parses a file again at once when its modification time is newer
# than its last parse ("modified_time" sort mode, both versions), so a test that
# changes what a DAG file reads (its proxied state) asks for the parse by touching
# the file with ``DagHelpers.request_parse`` (``DagHelpers.wait_for_dag_tags`` does),
# as must any other wait for a re-parse.
MIN_FILE_PROCESS_INTERVAL = 600
FILE_PARSING_SORT_MODE = "modified_time"

# How long an Airflow process waits for SQLite's write lock before "database is
# locked". A REST call that writes can take that long to answer on a loaded machine,
# so a client of these servers must wait longer (see ``HarnessApi``).
SQLITE_BUSY_TIMEOUT_SECONDS = 60

# Airflow 2's executor: the SequentialExecutor, but each task starts in a fork of the
# scheduler instead of a new interpreter (devtools/local_stack/airflow2_fork_executor.py,
# copied into the home's config/ folder, which Airflow puts on sys.path).
AIRFLOW2_EXECUTOR_MODULE = "airflow2_fork_executor"
AIRFLOW2_EXECUTOR = f"{AIRFLOW2_EXECUTOR_MODULE}.ForkingSequentialExecutor"


@dataclass(frozen=True)
class AirflowSecrets:
    """Random per-server keys, so all components of one server agree with each other."""

    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    fernet_key: str = field(
        default_factory=lambda: base64.urlsafe_b64encode(os.urandom(32)).decode()
    )


def clean_base_environment(python: Path) -> dict[str, str]:
    """The caller's environment minus Airflow/Dagster/virtualenv settings, venv bin first on PATH."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _DROPPED_NAMES and not key.startswith(_DROPPED_PREFIXES)
    }
    bin_dir = str(python.parent)
    env["PATH"] = os.pathsep.join([bin_dir, env.get("PATH", "")])
    env["VIRTUAL_ENV"] = str(python.parent.parent)
    env["NO_PROXY"] = env["no_proxy"] = ",".join(
        x for x in (LOOPBACK, "localhost", env.get("NO_PROXY", "")) if x
    )
    env["PYTHONUNBUFFERED"] = "1"
    return env


def airflow_environment(
    *,
    version_major: int,
    python: Path,
    home: Path,
    dags_folder: Path,
    port: int,
    log_server_ports: tuple[int, int],
    username: str,
    passwords_file: Path,
    keys: AirflowSecrets,
    overrides: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Return the full environment for every ``airflow`` process of one local server."""
    url = f"http://{LOOPBACK}:{port}"
    env = clean_base_environment(python)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(home / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__FERNET_KEY": keys.fernet_key,
            # SQLite's 5 s default busy timeout is too short on a loaded 2-core machine:
            # a write (an API call's audit-log row) waiting behind the scheduler's or a
            # task's transaction failed with "database is locked" (HTTP 500).
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": (
                f"sqlite:///{home / 'airflow.db'}?timeout={SQLITE_BUSY_TIMEOUT_SECONDS}"
            ),
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(log_server_ports[0]),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(log_server_ports[1]),
            "AIRFLOW__SCHEDULER__CATCHUP_BY_DEFAULT": "False",
        }
    )
    if version_major >= 3:
        env.update(
            {
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__CORE__AUTH_MANAGER": (
                    "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
                ),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{username}:admin",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords_file),
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{url}/execution/",
                "AIRFLOW__API__HOST": LOOPBACK,
                "AIRFLOW__API__PORT": str(port),
                "AIRFLOW__API__BASE_URL": url,
                "AIRFLOW__API__WORKERS": "1",
                # A parse writes the DAG's serialized form (its task list) at most this
                # often (30 s by default) while its tags are written every time: a re-parse
                # soon after another showed a proxied-state edit in the tags and not in the
                # tasks until a later parse, which at MIN_FILE_PROCESS_INTERVAL never came.
                "AIRFLOW__CORE__MIN_SERIALIZED_DAG_UPDATE_INTERVAL": "1",
                "AIRFLOW__API__SECRET_KEY": keys.secret_key,
                "AIRFLOW__API_AUTH__JWT_SECRET": keys.jwt_secret,
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": str(DAG_DIR_LIST_INTERVAL),
                "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": str(MIN_FILE_PROCESS_INTERVAL),
                "AIRFLOW__DAG_PROCESSOR__FILE_PARSING_SORT_MODE": FILE_PARSING_SORT_MODE,
                "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
                # The task supervisor's calls to the api-server time out after 5 s by
                # default; on a loaded 2-core machine the single-worker api-server took
                # longer and a plain task failed while queued (httpcore.ReadTimeout).
                "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "60",
            }
        )
    else:
        env.update(
            {
                # Airflow 2 allows only single-threaded executors on SQLite.
                "AIRFLOW__CORE__EXECUTOR": AIRFLOW2_EXECUTOR,
                "AIRFLOW__CORE__MIN_SERIALIZED_DAG_UPDATE_INTERVAL": "1",
                "AIRFLOW__CORE__MIN_SERIALIZED_DAG_FETCH_INTERVAL": "1",
                "AIRFLOW__API__AUTH_BACKENDS": (
                    "airflow.api.auth.backend.basic_auth,airflow.api.auth.backend.session"
                ),
                "AIRFLOW__WEBSERVER__WEB_SERVER_HOST": LOOPBACK,
                "AIRFLOW__WEBSERVER__WEB_SERVER_PORT": str(port),
                "AIRFLOW__WEBSERVER__BASE_URL": url,
                "AIRFLOW__WEBSERVER__WORKERS": "1",
                # Gunicorn restarts its own workers. Airflow 2's monitor of it, on a
                # loaded machine, counted 0 workers while the first still booted, asked
                # for another, then gave up waiting for the count and shut the webserver
                # down mid-test; a batch of 0 leaves the count to gunicorn.
                "AIRFLOW__WEBSERVER__WORKER_REFRESH_BATCH_SIZE": "0",
                "AIRFLOW__WEBSERVER__WORKER_REFRESH_INTERVAL": "0",
                # and the monitor's wait for the first worker outlasts a slow boot.
                "AIRFLOW__WEBSERVER__WEB_SERVER_MASTER_TIMEOUT": "600",
                "AIRFLOW__WEBSERVER__SECRET_KEY": keys.secret_key,
                "AIRFLOW__SCHEDULER__DAG_DIR_LIST_INTERVAL": str(DAG_DIR_LIST_INTERVAL),
                "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": str(MIN_FILE_PROCESS_INTERVAL),
                "AIRFLOW__SCHEDULER__FILE_PARSING_SORT_MODE": FILE_PARSING_SORT_MODE,
                "AIRFLOW__SCHEDULER__PARSING_PROCESSES": "1",
            }
        )
    env.update(overrides or {})
    return env
