"""A Dagster run launcher that starts each run as a container would (for the e2e tests).

Each run gets a fresh copy of the project folder (``.local_defs_state``,
``.airlift`` and caches left out: nothing on disk but the code and its YAML),
and a new process ``python -m dagster api execute_run`` in that copy with its
own environment (``PYTHONPATH=<copy>/src``, ``AIRFLOW_URL`` and friends from
the ``env`` config). The worker finds the definitions' state version in the run's
execution plan and reads it from the instance's defs-state storage, as in a
Kubernetes or Docker deployment. Configured in ``dagster.yaml``::

    run_launcher:
      module: devtools.local_stack.fresh_copy_launcher
      class: FreshCopyRunLauncher
      config: {project: /path/to/project, work_root: /tmp/runs, env: {AIRFLOW_URL: ...}}
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import Field, Permissive
from dagster._core.launcher.base import LaunchRunContext, RunLauncher
from dagster._grpc.types import ExecuteRunArgs
from dagster._serdes import ConfigurableClass, serialize_value
from dagster._serdes.config_class import ConfigurableClassData

_LEFT_OUT = shutil.ignore_patterns(".local_defs_state", ".airlift", "__pycache__", "*.pyc")


class FreshCopyRunLauncher(RunLauncher, ConfigurableClass):
    """Copy the project per run and execute the run there, in a process of its own."""

    def __init__(
        self,
        project: str,
        work_root: str,
        env: Mapping[str, str] | None = None,
        inst_data: ConfigurableClassData | None = None,
    ) -> None:
        self._inst_data = inst_data
        self.project = Path(project)
        self.work_root = Path(work_root)
        self.env = dict(env or {})
        self._workers: dict[str, subprocess.Popen[bytes]] = {}
        super().__init__()

    @property
    def inst_data(self) -> ConfigurableClassData | None:
        return self._inst_data

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        return {
            "project": Field(str),
            "work_root": Field(str),
            "env": Field(Permissive(), is_required=False),
        }

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData, config_value: Mapping[str, Any]
    ) -> FreshCopyRunLauncher:
        return cls(inst_data=inst_data, **config_value)

    def launch_run(self, context: LaunchRunContext) -> None:
        run = context.dagster_run
        copy = self.work_root / run.run_id
        shutil.copytree(self.project, copy, ignore=_LEFT_OUT)
        assert run.job_code_origin is not None
        args = ExecuteRunArgs(
            job_origin=run.job_code_origin, run_id=run.run_id, instance_ref=self._instance.get_ref()
        )
        # What the deployment gives every container: the launching process's environment
        # (credentials from secrets), minus its Dagster home, plus ``env``.
        env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
        env.update(self.env)
        extra = env.pop("PYTHONPATH_EXTRA", "")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(copy / "src"), extra) if p)
        log = (copy / "run-worker.log").open("ab")
        self._workers[run.run_id] = subprocess.Popen(
            [sys.executable, "-m", "dagster", "api", "execute_run", serialize_value(args)],
            cwd=copy,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()

    def terminate(self, run_id: str) -> bool:
        worker = self._workers.get(run_id)
        if worker is None or worker.poll() is not None:
            return False
        worker.terminate()
        return True

    def dispose(self) -> None:
        for worker in self._workers.values():
            if worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=15)
