"""Reading a DAG file by its syntax: its text and :mod:`ast` tree, never importing it."""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass
from pathlib import Path

from airlift_component.config.yaml.read import YamlLoadError, read_bytes
from airlift_component.generate.refusals import GenerateError

#: Largest DAG file read (a DAG file is code a person wrote; generated ones stay far below).
MAX_SOURCE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class DagSource:
    """One DAG file: where it is, its text and its syntax tree."""

    path: Path
    text: str
    tree: ast.Module

    def segment(self, node: ast.AST) -> str:
        """The source text of ``node`` as written, dedented (a nested function's too)."""
        text = ast.get_source_segment(self.text, node, padded=True)
        return textwrap.dedent(text) if text is not None else ast.unparse(node)


def parse_dag_source(text: str, path: Path) -> DagSource:
    """Parse ``text`` (the content of ``path``); :class:`GenerateError` on a syntax error."""
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as exc:
        raise GenerateError(
            f"{path}:{exc.lineno or 1}:{exc.offset or 1}: not valid Python ({exc.msg}); "
            "fix the DAG file (Airflow cannot parse it either)"
        ) from None
    except (RecursionError, MemoryError):
        raise too_deep(path) from None
    return DagSource(path, text, tree)


def too_deep(path: Path) -> GenerateError:
    """The error for a DAG file whose code is nested too deeply to read (Python's own
    recursion limit, reached by ``ast`` or by walking the tree)."""
    return GenerateError(
        f"{path}: nested too deeply to read (an expression or block of hundreds of levels); "
        "split it into named parts, or write this task's asset by hand"
    )


def read_dag_source(path: Path) -> DagSource:
    """Read and parse the DAG file at ``path`` (a regular file of bounded size, UTF-8)."""
    try:
        raw = read_bytes(path, what="a DAG file", limit=MAX_SOURCE_BYTES)
    except YamlLoadError as exc:
        problem = exc.problem
        raise GenerateError(f"{path}: {problem.message}; {problem.hint}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GenerateError(
            f"{path}: byte {exc.start} is not UTF-8; save the DAG file as UTF-8"
        ) from None
    return parse_dag_source(text, path)
