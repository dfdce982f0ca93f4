"""`airlift generate` and `airlift import-python` read Python files through the
project's one bounded reader (``config.yaml.read.read_bytes``): a folder, a FIFO or
a file over their limit is one error naming the file, never a hang or a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from airlift_component.generate.refusals import GenerateError
from airlift_component.generate.source import MAX_SOURCE_BYTES as DAG_LIMIT
from airlift_component.generate.source import read_dag_source
from airlift_component.import_python.result import ImportPythonError
from airlift_component.import_python.source import MAX_SOURCE_BYTES as MODULE_LIMIT
from airlift_component.import_python.source import read_source


def _readers() -> list[tuple[object, type[Exception], int]]:
    return [
        (read_dag_source, GenerateError, DAG_LIMIT),
        (lambda path: read_source(path, "mod"), ImportPythonError, MODULE_LIMIT),
    ]


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("read", "error", "limit"), _readers(), ids=["generate", "import"])
def test_a_fifo_folder_or_missing_file_is_one_error(
    tmp_path: Path, read: object, error: type[Exception], limit: int
) -> None:
    fifo = tmp_path / "dag.py"
    os.mkfifo(fifo)
    for path, said in ((fifo, "is not a regular file"), (tmp_path, "is a folder"),
                       (tmp_path / "nope.py", "no such file")):  # fmt: skip
        with pytest.raises(error) as info:
            read(path)  # type: ignore[operator]
        assert str(info.value).startswith(f"{path}: {said}")


@pytest.mark.parametrize(("read", "error", "limit"), _readers(), ids=["generate", "import"])
def test_a_file_over_the_limit_is_refused_naming_it(
    tmp_path: Path, read: object, error: type[Exception], limit: int
) -> None:
    big = tmp_path / "big.py"
    big.write_bytes(b"#" * (limit + 1))
    with pytest.raises(error, match=f"at most {limit:,} are read"):
        read(big)  # type: ignore[operator]
    ok = tmp_path / "ok.py"
    ok.write_text("x = 1\n")
    read(ok)  # type: ignore[operator]
