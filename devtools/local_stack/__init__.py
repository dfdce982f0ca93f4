"""Throw-away local Airflow and Dagster servers for tests and the demo.

Every server binds 127.0.0.1 on a port chosen at run time, keeps its state in a
home folder it is given (SQLite, logs, config), starts each component as its
own process group and is stopped with :meth:`stop` (an ``atexit`` hook stops
whatever is still running when the interpreter exits)::

    from devtools.local_stack import AirflowServer, DagsterServer

    with AirflowServer(version_major=3, home=tmp / "af3", dags_folder=tmp / "dags") as af:
        print(af.url, af.username, af.password)
        af.wait_for_dag("my_dag")
        print(af.trigger_and_wait("my_dag"))   # "success"
"""

from devtools.local_stack.airflow import AirflowServer
from devtools.local_stack.dagster import DagsterServer
from devtools.local_stack.processes import StackStartError

__all__ = ["AirflowServer", "DagsterServer", "StackStartError"]
