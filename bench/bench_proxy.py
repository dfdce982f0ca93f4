"""How fast `airlift proxy on|off|status` is. Prints figures; not a timed test.

Run: .venv/bin/python bench/bench_proxy.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from airlift_component.config.proxied_state.edit import EditRequest, set_proxied
from airlift_component.config.validation.proxied_state_dirs import StateSource
from airlift_component.status.model import build_report
from airlift_component.status.render_html import render_html
from airlift_component.status.render_text import render_text


def _state(tasks: int) -> str:
    body = "".join(
        f"  - id: task_{n}   # owner team {n % 7}\n    proxied: false\n" for n in range(tasks)
    )
    return f"# generated for the benchmark\ntasks:\n{body}"


def _best(fn: object, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "proxied_state"
        folder.mkdir()
        (folder / "small.yaml").write_text(_state(10))
        (folder / "big.yaml").write_text(_state(1000))
        flips = iter(range(10**6))

        def flip(dag: str, task: str) -> None:
            set_proxied(folder, EditRequest(dag, next(flips) % 2 == 0, (task,)))

        print(
            f"flip 1 task, 10-task file:     {_best(lambda: flip('small', 'task_3')) * 1000:7.1f} ms"
        )
        print(
            f"flip 1 task, 1,000-task file:  {_best(lambda: flip('big', 'task_500')) * 1000:7.1f} ms"
        )

        cli = [
            sys.executable,
            "-m",
            "airlift_component",
            "proxy",
            "on",
            "small",
            "task_4",
            "--dir",
            str(folder),
        ]
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            subprocess.run(cli, check=True, capture_output=True)
            runs.append(time.perf_counter() - start)
        print(
            f"CLI `airlift proxy on` (process): {min(runs) * 1000:5.0f} ms best, {statistics.median(runs) * 1000:.0f} ms median"
        )

        many = Path(tmp) / "many"
        many.mkdir()
        for n in range(1000):
            (many / f"dag_{n}.yaml").write_text(_state(10))
        source = [StateSource(many, "bench", None, tuple(f"dag_{n}" for n in range(1100)))]
        report = build_report(source)
        print(
            f"status over 1,000 files (read): {_best(lambda: build_report(source), 3) * 1000:7.1f} ms"
        )
        print(
            f"render text / html, 1,100 DAGs:   {_best(lambda: render_text(report)) * 1000:5.1f} / {_best(lambda: render_html(report)) * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
