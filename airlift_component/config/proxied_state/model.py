"""The pydantic models of a proxied-state file (:mod:`.file` reads the format).

They judge a file that is not in the usual valid shape, word its problems and are
the source of its JSON Schema; :mod:`.file` imports them only then, so reading the
usual valid file imports no pydantic.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictStr
from pydantic_core import PydanticCustomError

from airlift_component.config.ids import TASK_ID_PATTERN

__all__ = ["ProxiedStateFile", "TaskProxiedState"]


class TaskProxiedState(BaseModel):
    """Whether one task runs in Dagster."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    id: StrictStr = Field(pattern=TASK_ID_PATTERN)
    proxied: StrictBool


def _not_null(error_type: str, expected: str) -> Any:
    """A validator refusing an explicit ``null``: a key left empty is a mistake, and the
    JSON Schema (which cannot tell "absent" from "null") must judge the file the same way."""

    def check(value: Any) -> Any:
        if value is None:
            raise PydanticCustomError(error_type, f"Input should be {expected}")
        return value

    return check


def _not_nullable(schema: dict[str, Any]) -> None:
    """Publish an optional field as "absent or a value", never ``null``."""
    branches = [b for b in schema.pop("anyOf", []) if b != {"type": "null"}]
    if len(branches) == 1:
        schema.update(branches[0])
    elif branches:
        schema["anyOf"] = branches
    schema.pop("default", None)


class ProxiedStateFile(BaseModel):
    """One DAG's proxied state: ``tasks`` or a DAG-level ``proxied``, never both."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        title="proxied_state/<dag_id>.yaml",
        json_schema_extra={
            "$comment": "Generated from airlift_component.config.proxied_state.model",
            "oneOf": [{"required": ["tasks"]}, {"required": ["proxied"]}],
        },
    )

    tasks: Annotated[
        list[TaskProxiedState] | None, BeforeValidator(_not_null("list_type", "a list"))
    ] = Field(default=None, json_schema_extra=_not_nullable)
    proxied: Annotated[
        StrictBool | None, BeforeValidator(_not_null("bool_type", "true or false"))
    ] = Field(default=None, json_schema_extra=_not_nullable)
