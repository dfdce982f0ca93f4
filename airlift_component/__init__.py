"""airlift-component: observe Airflow DAGs in Dagster and migrate them task by task.

The base package (configuration models, validation, the `airlift` CLI) imports
neither Dagster nor Airflow. The Dagster component is imported lazily from
``airlift_component.component`` so that installing only the base extra works.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["AirliftComponent", "__version__", "build_defs", "load_airlift_file"]

if TYPE_CHECKING:
    from airlift_component.component import AirliftComponent, build_defs
    from airlift_component.config.airlift_checks import load_airlift_file


def __getattr__(name: str) -> Any:
    if name in ("AirliftComponent", "build_defs"):
        from airlift_component.errors import require

        require("dagster", "dagster")
        from airlift_component import component

        return getattr(component, name)
    if name == "load_airlift_file":
        from airlift_component.config.airlift_checks import load_airlift_file

        return load_airlift_file
    raise AttributeError(f"module 'airlift_component' has no attribute {name!r}")
