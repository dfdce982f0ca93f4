"""The generated module's hash line: tells a module as generated from one the user edited."""

from __future__ import annotations

import hashlib
import re

HASH_PREFIX = "# airlift-generated: sha256="
_HASH_LINE = re.compile(r"^# airlift-generated: sha256=([0-9a-f]{64})\r?\n", re.MULTILINE)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def seal(text: str) -> str:
    """``text`` with the line ``# airlift-generated: sha256=`` completed with its hash
    (of the text without that line)."""
    placeholder = HASH_PREFIX + "\n"
    if placeholder not in text:
        raise ValueError("the text has no hash line to fill")
    return text.replace(
        placeholder, f"{HASH_PREFIX}{_digest(text.replace(placeholder, '', 1))}\n", 1
    )


def state(text: str) -> str:
    """``"generated"`` (as written), ``"edited"`` (hash line there, text changed) or
    ``"foreign"`` (no hash line: not written by `airlift generate`)."""
    match = _HASH_LINE.search(text)
    if match is None:
        return "foreign"
    rest = text[: match.start()] + text[match.end() :]
    return "generated" if _digest(rest) == match.group(1) else "edited"
