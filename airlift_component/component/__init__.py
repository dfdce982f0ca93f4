"""The Dagster side: the ``AirliftComponent`` and the plain-Python ``build_defs``.

Importing this package does not import Dagster; the names below load it on
first use, so ``airlift refresh`` and ``airlift drift`` (which use
:mod:`.state_cache`) stay light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airlift_component.component.component import AirliftComponent
    from airlift_component.component.defs_builder import build_defs

__all__ = ["AirliftComponent", "build_defs"]


def __getattr__(name: str) -> Any:
    if name == "AirliftComponent":
        from airlift_component.component.component import AirliftComponent

        return AirliftComponent
    if name == "build_defs":
        from airlift_component.component.defs_builder import build_defs

        return build_defs
    raise AttributeError(name)


def __dir__() -> list[str]:
    # `dg check yaml` finds component types by dir() of the module a defs.yaml names.
    return sorted([*globals(), *__all__])
