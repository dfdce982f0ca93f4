"""The project `airlift validate`'s cache tests run in: a git work tree with
``dagster/airlift.yaml`` (instance ``shop``) and its proxied-state folder, the user's
cache folder outside it, and one ``airlift validate`` run with its output."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlift_component.cli.main import main
from airlift_component.config.validation import verdict_cache

STATE_DIR = "airflow/proxied_state"
AIRLIFT = """\
version: 1
instances:
  - name: shop
    url: https://airflow.example.com
    auth: {type: basic, username: admin, password: '${AIRFLOW_PASSWORD}'}
    proxied_state_dir: ../airflow/proxied_state
    mappings:
      - dag: orders
        tasks:
          - {task: load, assets: [shop/orders]}
          - {task: report, assets: [shop/report]}
      - dag: customers
        assets: [shop/customers]
"""
STATES = {
    "orders.yaml": "tasks:\n  - id: load\n    proxied: true\n  - id: report\n    proxied: false\n",
    "customers.yaml": "proxied: true\n",
    "peered.yaml": "proxied: false\n",
}


def write(path: Path, text: str) -> Path:
    """Write ``text`` to ``path``, making its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def make_project(root: Path, airlift: str = AIRLIFT, states: dict[str, str] = STATES) -> Path:
    """A git work tree with dagster/airlift.yaml and its proxied-state folder."""
    (root / ".git").mkdir(parents=True)
    write(root / "dagster" / "airlift.yaml", airlift)
    (root / STATE_DIR).mkdir(parents=True)
    for name, text in states.items():
        write(root / STATE_DIR / name, text)
    return root


def use_user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Put the user's cache folder under ``tmp_path``, outside the project, with the
    cache on; returns the folder `airlift validate` keeps its entries in."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    monkeypatch.delenv(verdict_cache.ENV_VAR, raising=False)
    return tmp_path / "user-cache" / "airlift-component" / "validate"


def run_validate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """``airlift validate ARGS``: its exit code and output (never a traceback)."""
    code = main(["validate", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out + err


def cache_entries(folder: Path) -> list[Path]:
    """The cache entries in ``folder``."""
    return sorted(folder.glob("*.json")) if folder.is_dir() else []
