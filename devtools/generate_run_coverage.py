"""Do the generated assets of Airflow's example tasks run? Measured in a real Dagster.

For every example task `airlift generate` translates (see
:mod:`devtools.generate_coverage`), the module it would write is rendered into a
scratch package and its asset materialized alone in an in-process Dagster, in
one child process per Airflow, each asset bounded by a timeout. The runs are launched from Dagster
alone, not by a proxied Airflow task: the logical date is the time of the run,
and a task reading an upstream XCom fails by design (it needs its Airflow run).
Prints, per Airflow, the generated tasks and how their runs ended::

    .venv/bin/python -m devtools.generate_run_coverage
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

from airlift_component.generate.dag_finder import param_defaults
from airlift_component.generate.names import module_names
from airlift_component.generate.render import MappedKey, ModuleSpec, asset_name, render_module
from devtools.generate_coverage import ROOT, VENVS, Found, example_folders, tasks

#: Most seconds one asset may run.
ASSET_TIMEOUT = 60


def _module_text(found: Found) -> str | None:
    site, translation = found.site, found.translation
    assert site is not None and translation is not None
    task_params = param_defaults(site.keyword("params"), module_names(found.source.tree))
    if found.dag.params is None or task_params is None:
        return None
    spec = ModuleSpec(
        found.dag.dag_id,
        site.task_id,
        site.operator.rsplit(".", 1)[-1],
        found.source.path.name,
        site.line,
        (MappedKey(("coverage", found.dag.dag_id, site.task_id)),),
        {**found.dag.params, **task_params},
        "airlift.yaml",
    )
    return render_module(spec, translation)


def _outcome(message: str) -> str:
    if "was not launched by Airflow" in message:
        return "reads an upstream XCom (needs its Airflow run)"
    if "skip_on_exit_code" in message:
        return "exit code Airflow reads as skipped"
    first = message.strip().splitlines()[0] if message.strip() else "?"
    return f"failed: {first[:100]}"


def run_all(package: Path, modules: list[tuple[str, str]]) -> dict[str, str]:
    """Materialize each ``(module, asset)`` of ``package`` in one child process."""
    done = subprocess.run(
        [sys.executable, "-m", "devtools.generate_run_coverage", "--worker", json.dumps(modules)],
        cwd=package.parent,
        env={"PYTHONPATH": f"{package.parent}:{ROOT}", "PATH": "/usr/bin:/bin", "HOME": "/tmp"},
        capture_output=True,
        text=True,
        timeout=ASSET_TIMEOUT * len(modules) + 300,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    results = json.loads(lines[-1]) if lines else {}
    return {module: results.get(module, "failed: worker died") for module, _ in modules}


def _timed_out(signum: int, frame: object) -> None:
    raise TimeoutError(f"ran longer than {ASSET_TIMEOUT}s")


def worker(modules: list[tuple[str, str]]) -> None:
    """In the child: materialize each asset alone; print {module: outcome} as JSON."""
    import importlib
    import signal

    import dagster as dg

    signal.signal(signal.SIGALRM, _timed_out)  # this child process only
    results: dict[str, str] = {}
    for module, name in modules:
        signal.alarm(ASSET_TIMEOUT)
        try:
            asset = getattr(importlib.import_module(f"cov.{module}"), name)
            result = dg.materialize([asset], raise_on_error=False)
        except Exception as exc:  # an import error of the module is an outcome too
            results[module] = _outcome(f"{type(exc).__name__}: {exc}")
            continue
        finally:
            signal.alarm(0)
        if result.success:
            results[module] = "green"
            continue
        failures = result.get_step_failure_events()
        error = failures[0].event_specific_data.error if failures else None  # type: ignore[union-attr]
        while error is not None and error.cause is not None:  # the user code's own error
            error = error.cause
        results[module] = _outcome(error.message if error is not None else "run failed")
    print(json.dumps(results))


def measure_runs(label: str, venv: Path) -> Counter[str]:
    """Outcome counts of every generated example task of one Airflow."""
    by_file: dict[Path, list[Found]] = defaultdict(list)
    for found in tasks(example_folders(venv)):
        if isinstance(found, Found) and found.translation is not None:
            by_file[found.source.path].append(found)
    outcomes: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="airlift-coverage-") as scratch:
        package = Path(scratch, "cov")
        package.mkdir()
        (package / "__init__.py").write_text("")
        modules: list[tuple[str, str]] = []
        where: dict[str, str] = {}
        for index, (path, found_tasks) in enumerate(sorted(by_file.items())):
            for number, found in enumerate(found_tasks):
                assert found.site is not None
                text = _module_text(found)
                if text is None:
                    outcomes["params not literal"] += 1
                    continue
                module = f"f{index}_t{number}"
                (package / f"{module}.py").write_text(text)
                modules.append((module, asset_name(found.dag.dag_id, found.site.task_id)))
                where[module] = f"{path.name}: {found.site.task_id}"
        for module, outcome in run_all(package, modules).items():
            outcomes[outcome] += 1
            if outcome != "green":
                print(f"{label}: {where[module]}: {outcome}", file=sys.stderr)
    return outcomes


def main() -> int:
    if sys.argv[1:2] == ["--worker"]:
        worker([(str(m[0]), str(m[1])) for m in json.loads(sys.argv[2])])
        return 0
    for label, venv in VENVS.items():
        outcomes = measure_runs(label, venv)
        total = sum(outcomes.values())
        print(f"### {label}: generated {total}, green from Dagster alone {outcomes['green']}")
        for outcome, count in sorted(outcomes.items(), key=lambda i: (-i[1], i[0])):
            print(f"| {outcome} | {count} |")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
