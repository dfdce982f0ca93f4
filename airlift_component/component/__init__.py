"""The Dagster side: the ``AirliftComponent`` and the plain-Python ``build_defs``.

Needs the ``[dagster]`` extra; nothing in the base install imports this package.
"""

from __future__ import annotations

from airlift_component.component.component import AirliftComponent
from airlift_component.component.defs_builder import build_defs

__all__ = ["AirliftComponent", "build_defs"]
