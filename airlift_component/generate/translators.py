"""Choosing the translator of a task's operator; everything else is refused by name."""

from __future__ import annotations

from airlift_component.generate import (
    translate_bash,
    translate_empty,
    translate_k8s,
    translate_python,
    translate_sql,
)
from airlift_component.generate.refusals import Refusal
from airlift_component.generate.translation import TaskInput, Translation


def translate_task(task: TaskInput) -> Translation:
    """The translation of ``task``; :class:`Refusal` with the reason and line otherwise."""
    try:
        return _translate(task)
    except RecursionError:
        raise Refusal(
            "code nested too deeply to translate (hundreds of levels); split it into named parts",
            task.site.line,
        ) from None


def _translate(task: TaskInput) -> Translation:
    site = task.site
    if site.blocked:
        raise Refusal(site.blocked, site.line)
    if site.kind == "taskflow":
        if site.operator != "@task":
            raise Refusal(f"{site.operator} not supported", site.line)
        return translate_python.translate_taskflow(task)
    short = site.operator.rsplit(".", 1)[-1]
    if not site.operator.startswith("airflow"):
        raise Refusal(f"custom operator {short}", site.line)
    if short in translate_bash.OPERATORS:
        return translate_bash.translate(task)
    if short in translate_empty.OPERATORS:
        return translate_empty.translate(task)
    if short in translate_python.OPERATORS:
        return translate_python.translate(task)
    if short in translate_sql.OPERATORS:
        return translate_sql.translate(task)
    if short in translate_k8s.OPERATORS:
        return translate_k8s.translate(task)
    raise Refusal(f"operator {short} not supported", site.line)
