"""The value rules of ``airlift.yaml`` that need no pydantic.

The patterns of its string fields, which auth fields hold secrets, and what counts
as a loopback URL. The models (:mod:`.model`) use them and re-export them; the
rules on the document as written (:mod:`.rules`) use them without importing
pydantic (the check of a usual file, :mod:`.usual`, reads the patterns from the
models' JSON Schema).
"""

from __future__ import annotations

import re

INSTANCE_NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
ASSET_KEY_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*(/[A-Za-z0-9_][A-Za-z0-9_.\-]*)*$"
GROUP_PATTERN = r"^[A-Za-z0-9_]+$"
PYTHON_REF_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$"
# A URL, or one that starts with a ${VAR} placeholder (checked again once resolved).
URL_PATTERN = r"^(https?://[^\s/?#]+(/[^\s?#]*)?|\$\{[^}\s]+\}[^\s]*)$"
#: A span of time: a whole number and a unit, ``s``, ``m``, ``h`` or ``d`` (``90m``, ``26h``).
DURATION_PATTERN = r"^[1-9][0-9]*[smhd]$"
#: A partition start: a date, optionally with a time.
PARTITION_START_PATTERN = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?$"
#: A five-field cron.
CRON_PATTERN = r"^\S+( \S+){4}$"
#: ISO 8601 with an offset.
FIRST_TICK_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)$"

#: Fields that hold secrets, by auth type (checked for literals off loopback).
SECRET_FIELDS: dict[str, tuple[str, ...]] = {
    "basic": ("password",),
    "token": ("token",),
    "astronomer": ("api_token",),
}

_LOOPBACK_HOST = re.compile(r"^https?://(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d+)?(/|$)")


def is_loopback_url(url: str) -> bool:
    """True for URLs on the loopback interface, where literal secrets are tolerated."""
    return bool(_LOOPBACK_HOST.match(url))
