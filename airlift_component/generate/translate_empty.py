"""EmptyOperator and the like: nothing to run; the asset only records."""

from __future__ import annotations

from airlift_component.generate.operator_args import operator_kwargs
from airlift_component.generate.translation import TaskInput, Translation

OPERATORS = ("EmptyOperator", "DummyOperator")


def translate(task: TaskInput) -> Translation:
    """An asset that materializes and hands nothing back (an EmptyOperator pushes no XCom)."""
    operator_kwargs(task.site, frozenset())
    return Translation(
        "empty", body=['context.log.info("nothing to run: the Airflow task was an EmptyOperator")']
    )
