"""``airlift.yaml`` as it last passed every check, remembered by content.

Loading a large ``airlift.yaml`` is mostly YAML parsing with node positions (kept
for error messages) and the checks. When the file's text is exactly what last
passed them, :func:`load_airlift_file` reuses the checked document instead: its
data *before* ``${VAR}`` placeholders are resolved, plus where the placeholders
are. Values from the environment are never written; the file holds what
``airlift.yaml`` holds, and it is created readable by its owner only.

The key covers the file's text, the code of the checks and the package version.
A corrupt, foreign or stale cache file is ignored and rewritten. Anything that
goes wrong on the fast path (an unset variable, an environment value that does
not fit its field) sends the caller back to the full load, which reports the
problem with file, line and column.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airlift_component import __version__
from airlift_component.config.atomic_write import atomic_write_bytes
from airlift_component.config.yaml_read import Loc

#: File name of the cache, in the component's cache folder.
CHECKED_CACHE_NAME = "airlift.yaml.checked.json"

# Bumped whenever the models or the checks change what a document means.
_FORMAT = 1


@dataclass(frozen=True)
class CheckedDocument:
    """A document that passed every check, with its placeholders not yet resolved."""

    data: dict[str, Any]
    placeholders: list[Loc]


# The modules whose code decides what "passed every check" means.
_RULE_MODULES = (
    "airlift_checks",
    "airlift_file",
    "checked_cache",
    "interpolation",
    "yaml_build",
    "yamldoc",
)


@functools.cache
def rules_fingerprint() -> bytes:
    """A hash of the checking code, so an edited or upgraded check re-checks every file
    (the package version alone does not change in a source checkout)."""
    folder = Path(__file__).parent
    digest = hashlib.sha256()
    for name in _RULE_MODULES:
        try:
            digest.update((folder / f"{name}.py").read_bytes())
        except OSError:  # installed without sources: the version still keys the cache
            digest.update(name.encode())
    return digest.digest()


def content_digest(text: str) -> str:
    """The cache key of a file's text, the checking code, package version and format."""
    head = f"{_FORMAT}:{__version__}:".encode() + rules_fingerprint()
    return hashlib.sha256(head + text.encode("utf-8")).hexdigest()


def read_checked(path: Path, digest: str) -> CheckedDocument | None:
    """The cached document for ``digest``, or ``None`` (no file, other content, corrupt)."""
    try:
        cached = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(cached, dict) or cached.get("digest") != digest:
        return None
    data, locs = cached.get("document"), cached.get("placeholders")
    if not isinstance(data, dict) or not isinstance(locs, list):
        return None
    if not all(isinstance(loc, list) for loc in locs):
        return None
    return CheckedDocument(data, [tuple(loc) for loc in locs])


def write_checked(path: Path, digest: str, document: CheckedDocument) -> None:
    """Remember ``document`` under ``digest``; silently skipped when it cannot be.

    A document JSON cannot hold exactly (dates, non-string keys) is not cached.
    """
    try:
        text = json.dumps(
            {
                "digest": digest,
                "document": document.data,
                "placeholders": [list(loc) for loc in document.placeholders],
            },
            separators=(",", ":"),
        )
    except (TypeError, ValueError):
        return
    if json.loads(text)["document"] != document.data:
        return
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, text.encode("utf-8"), new_file_mode=0o600)
