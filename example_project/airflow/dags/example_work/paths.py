"""Where the example reads its sources and writes its outputs."""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

#: The environment variable naming the data folder; the demo points it at its work copy.
DATA_ENV = "AIRLIFT_EXAMPLE_DATA"

SEED_DIR = Path(__file__).parent / "seed"
_DEFAULT_DATA_DIR = Path(__file__).resolve().parents[3] / ".data"


def data_dir() -> Path:
    """The data folder: ``$AIRLIFT_EXAMPLE_DATA``, else ``example_project/.data``."""
    configured = os.environ.get(DATA_ENV)
    path = Path(configured) if configured else _DEFAULT_DATA_DIR
    path.mkdir(parents=True, exist_ok=True)
    return path


def output(relative: str) -> Path:
    """A file under the data folder, its parent folder created."""
    path = data_dir() / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV file written by an upstream step; names the step when missing."""
    if not path.exists():
        raise FileNotFoundError(
            f"{path} does not exist: run the upstream task that writes it first"
        )
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_rows(path: Path, fields: Sequence[str], rows: Iterable[dict[str, object]]) -> int:
    """Write a CSV atomically (temp file + rename), so a reader never sees half a file."""
    count = 0
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(fields))
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    os.replace(tmp, path)
    return count
