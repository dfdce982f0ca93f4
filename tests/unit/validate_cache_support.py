"""What the two tests of `airlift validate`'s caches share beyond the project they
run in (tests/unit/validate_project.py): a counter of the full checks, the ways a
cache entry is damaged, and a run of ``airlift validate`` in a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from airlift_component.config.validation import verdict_cache

REPO = Path(__file__).resolve().parents[2]

#: A damage done to a cache entry: damage(the entry, what it held when it was good).
Damage = Callable[[Path, dict[str, Any]], None]


def record_calls(
    monkeypatch: pytest.MonkeyPatch,
    owner: object,
    name: str,
    note: Callable[..., Any] = lambda *_args, **_kwargs: 1,
) -> list[Any]:
    """Wrap ``owner.name`` so that each call appends ``note(*args, **kwargs)`` to the
    returned list, then runs the real one."""
    calls: list[Any] = []
    real = getattr(owner, name)

    def recording(*args: Any, **kwargs: Any) -> Any:
        calls.append(note(*args, **kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, recording)
    return calls


def add_comment(path: Path) -> None:
    """Append a comment line: other bytes, the same meaning."""
    path.write_text(path.read_text(encoding="utf-8") + "# reviewed\n", encoding="utf-8")


def bytes_written(data: bytes) -> Damage:
    """The entry replaced by ``data``."""
    return lambda entry, _good: entry.write_bytes(data)


def cut_short(length: int) -> Damage:
    """The entry cut after ``length`` bytes."""
    return lambda entry, _good: entry.write_bytes(entry.read_bytes()[:length])


def fields_changed(**fields: Any) -> Damage:
    """The good entry with ``fields`` set to other values."""
    return lambda entry, good: entry.write_text(json.dumps({**good, **fields}))


def made_a_folder(entry: Path, _good: dict[str, Any]) -> None:
    """A folder where the entry was."""
    entry.unlink()
    entry.mkdir()


def validate_env(cache: Path, **more: str) -> dict[str, str]:
    """This process's environment with the user's cache folder at ``cache`` and the
    cache switched on (plus ``more``)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), **more}
    env.pop(verdict_cache.ENV_VAR, None)
    return env


def validate_in_fresh_process(
    project: Path, cache: Path, *args: str, package: Path = REPO, **more_env: str
) -> subprocess.CompletedProcess[str]:
    """``airlift validate ARGS`` run in ``project`` by a new Python that imports
    airlift_component from ``package`` and reports its imports (``-X importtime``)
    on stderr."""
    env = validate_env(cache, PYTHONPATH=str(package), **more_env)
    command = [sys.executable, "-X", "importtime", "-m", "airlift_component", "validate"]
    return subprocess.run(
        [*command, *args], cwd=project, env=env, capture_output=True, text=True, timeout=300
    )
