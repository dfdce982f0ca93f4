"""Write tests/fixtures/cursors/: sensor cursors made by every earlier cursor format's
own code, taken from the git history.

A cursor format that the code wrote, even for a short while, is one users may
hold in their Dagster storage. For each commit in :data:`FORMATS` (the first
commit of each stored form), this takes that commit's ``airlift_component``
package out of git (``git archive``) into a temporary folder, runs
``devtools/cursor_fixture_driver.py`` there on a few seeded Airflow histories
(so the cursor is written by that commit's sensor, not by a re-creation), and
saves what it prints as ``<format>-<seed>.json``: the cursor, the history and
what that version recorded. ``tests/unit/test_cursor_upgrade.py`` reads them.

Run from the repository root::

    .venv/bin/python -m devtools.make_cursor_fixtures
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "cursors"
DRIVER = Path(__file__).with_name("cursor_fixture_driver.py")
#: (seed, steps of history): the long one makes cursors that are stored compressed.
SEEDS = ((1, 80), (2, 100), (3, 500))

#: (name, driver format, commit, what the stored form holds): the first commit of each.
FORMATS = (
    ("f1", "1", "0d2feb3", "v1: end-date high-water mark and the run ids near it"),
    ("f2-runs", "2", "3e969dc", "v2: per-run memory and a horizon; nothing forgotten kept"),
    ("f2-horizon-capped", "2", "87ecbd8", "v2 as above, horizon capped at seen + overlap"),
    ("f2-forgotten12", "2", "975c8f2", "v2 + forgotten runs as 12-byte records"),
    ("f2-forgotten21", "2", "3bfe187", "v2 + forgotten runs as 21-byte records"),
    ("f2-zlib", "2", "e32978c", "v2, compressed above 4 KB"),
    ("f2-events", "2", "63dea0b", "v2 + asset_events"),
    ("f2-dags", "2", "ff20265", "v2 + the covered DAG ids"),
)


def checkout(commit: str, into: Path) -> None:
    """Put ``commit``'s ``airlift_component`` package into the folder ``into``."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit, "airlift_component"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


def _run(folder: Path, form: str, seed: int, steps: int) -> dict[str, object]:
    shutil.copy(DRIVER, folder / DRIVER.name)
    # The script's folder comes first on sys.path: `airlift_component` is the old one.
    done = subprocess.run(
        [sys.executable, DRIVER.name, form, str(seed), str(steps)],
        cwd=folder,
        check=True,
        capture_output=True,
        text=True,
    )
    data: dict[str, object] = json.loads(done.stdout)
    return data


def _dump(data: dict[str, object]) -> str:
    """JSON with one line per top-level key (and per run), so a diff stays readable."""
    lines = []
    for key, value in data.items():
        if isinstance(value, list):
            items = ",\n  ".join(json.dumps(item) for item in value)
            lines.append(f"{json.dumps(key)}: [\n  {items}\n ]" if value else f'"{key}": []')
        else:
            lines.append(f"{json.dumps(key)}: {json.dumps(value)}")
    return "{\n " + ",\n ".join(lines) + "\n}\n"


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, form, commit, what in FORMATS:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            checkout(commit, folder)
            for seed, steps in SEEDS:
                data = {"format": name, "commit": commit, "holds": what, "seed": seed}
                data.update(_run(folder, form, seed, steps))
                path = OUT / f"{name}-{seed}.json"
                path.write_text(_dump(data), encoding="utf-8")
                print(f"{path.relative_to(ROOT)}: {len(str(data['cursor']))} characters")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
