"""Times Airflow's DagBag over a folder of DAG files (run by an Airflow venv's python).

    python parse_driver.py ONE_FILE_FOLDER ALL_FILES_FOLDER

Prints ``{"first_file": s, "all_files": s, "dags": n, "tasks": n, "errors": n}``:
``first_file`` parses one file in a process that has Airflow imported but not
the proxying library (what Airflow 2's per-file processor pays), ``all_files``
then parses the whole folder with everything imported.
"""

from __future__ import annotations

import json
import sys
import time

from airflow.models.dagbag import DagBag


def parse(folder: str) -> tuple[float, DagBag]:
    started = time.perf_counter()
    bag = DagBag(dag_folder=folder, include_examples=False, safe_mode=False)
    return time.perf_counter() - started, bag


if __name__ == "__main__":
    first, _ = parse(sys.argv[1])
    every, bag = parse(sys.argv[2])
    print(
        json.dumps(
            {
                "first_file": first,
                "all_files": every,
                "dags": len(bag.dags),
                "tasks": sum(len(d.tasks) for d in bag.dags.values()),
                "errors": len(bag.import_errors),
                "error_text": "\n".join(map(str, bag.import_errors.values()))[:2000],
            }
        )
    )
