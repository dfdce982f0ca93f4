"""Airflow 2's SequentialExecutor, starting each task in a fork of the scheduler.

Not imported by the harness: :class:`~devtools.local_stack.AirflowServer` copies
this file into an Airflow 2 home's ``config/`` folder (on Airflow's ``sys.path``)
and names the class in ``AIRFLOW__CORE__EXECUTOR``.

Airflow 2 allows only single-threaded executors on SQLite. Its
``SequentialExecutor`` runs ``airflow tasks run --local ...`` as a new
interpreter per task, which on a loaded 2-core machine spends 5-6 s importing
Airflow before the task starts. This executor runs the same command, one task
at a time, the way Airflow 2's ``LocalExecutor`` and Celery workers run it by
default: a fork of an interpreter that has imported Airflow already, which
parses the command with Airflow's own CLI parser and runs it. The task runner,
the DAG parse from ``--subdir`` and the task's own process are Airflow's.
"""

from __future__ import annotations

import logging
import os
import signal
from typing import Any

from airflow import settings
from airflow.executors.sequential_executor import SequentialExecutor


class ForkingSequentialExecutor(SequentialExecutor):
    """One task at a time, each ``airflow tasks run`` in a fork of the scheduler."""

    commands_to_run: list[tuple[Any, Any]]

    def sync(self) -> None:
        for key, command in self.commands_to_run:
            self.log.info("Executing command in a fork: %s", command)
            if _run_in_fork(list(command)) == 0:
                self.success(key)
            else:
                self.fail(key)
                self.log.error("Task %s failed.", key)
        self.commands_to_run = []


def _run_in_fork(command: list[str]) -> int:
    """Run ``airflow <command[1:]>`` in a forked child; return its exit status."""
    pid = os.fork()
    if pid:
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status)
    code = 1
    try:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR2):
            signal.signal(signum, signal.SIG_DFL)
        # The child opens its own database connections.
        engine = settings.engine
        if engine is not None:
            engine.pool.dispose()
            engine.dispose()
        from airflow.cli.cli_parser import get_parser

        args: Any = get_parser().parse_args(command[1:])
        args.shut_down_logging = False
        args.func(args)
        code = 0
    except BaseException:
        logging.getLogger(__name__).exception("airflow %s failed", " ".join(command[1:4]))
    finally:
        logging.shutdown()
        os._exit(code)
    return code  # unreachable: the child has exited
