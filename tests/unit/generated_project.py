"""A throw-away project for the tests that run `airlift generate` and import what it wrote:
DAG files under ``dags/`` and an ``airlift.yaml``, the current folder and first on
``sys.path``, with an ``airlift_generated`` package of its own::

    AIRLIFT_YAML = local_instance(NIGHTLY)  # "- dag: nightly" and its tasks, from column 0

    @pytest.fixture
    def project(tmp_path, monkeypatch):
        with generated_project(tmp_path, monkeypatch, {"nightly.py": DAG}, AIRLIFT_YAML):
            assert generate("nightly") == 0
            yield importlib.import_module("airlift_generated.nightly__stamp")
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from airlift_component.cli import cmd_generate
from tests.unit.cli_project import one_instance

GENERATED_PACKAGE = "airlift_generated"


def local_instance(mappings: str) -> str:
    """The airlift.yaml of a generate test: one instance ``local`` (an Airflow at
    127.0.0.1:8080 that generate never asks) mapping ``mappings``, the entries of its
    ``mappings:`` list written from column 0 as :func:`one_instance` takes them."""
    return one_instance(
        mappings, name="local", auth="{type: basic, username: admin, password: admin}"
    )


def write_project(folder: Path, dag_files: Mapping[str, str], airlift_yaml: str) -> None:
    """``folder/dags/<name>`` of each of ``dag_files`` and ``folder/airlift.yaml``."""
    (folder / "dags").mkdir()
    for name, source in dag_files.items():
        (folder / "dags" / name).write_text(source)
    (folder / "airlift.yaml").write_text(airlift_yaml)


@contextmanager
def generated_project(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dag_files: Mapping[str, str],
    airlift_yaml: str,
) -> Iterator[Path]:
    """``tmp_path`` with ``dags/<name>`` of each of ``dag_files`` and ``airlift.yaml``,
    as the current folder and first on ``sys.path``. The ``airlift_generated`` modules
    imported inside are this project's: any imported before are set aside, and are back
    (these gone) at the end."""
    write_project(tmp_path, dag_files, airlift_yaml)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    saved = {name: sys.modules.pop(name) for name in _generated_modules()}
    try:
        yield tmp_path
    finally:
        for name in _generated_modules():
            del sys.modules[name]
        sys.modules.update(saved)


def _generated_modules() -> list[str]:
    return [name for name in sys.modules if name.split(".")[0] == GENERATED_PACKAGE]


def generate(*argv: str, project: Path | None = None) -> int:
    """``airlift generate ARGV --dags-folder dags`` in the current folder, or with
    ``--config`` and ``--dags-folder`` of the :func:`write_project` folder ``project``;
    its exit code."""
    if project is None:
        folders = ["--dags-folder", "dags"]
    else:
        folders = [
            "--config",
            str(project / "airlift.yaml"),
            "--dags-folder",
            str(project / "dags"),
        ]
    parser = argparse.ArgumentParser()
    cmd_generate.register(parser)
    return cmd_generate.run(parser.parse_args([*argv, *folders]))
