"""``airlift.yaml`` as it last passed every check, remembered by content.

Loading a large ``airlift.yaml`` is mostly YAML parsing with node positions (kept
for error messages) and the checks. When the file's text is exactly what last
passed them, :func:`load_airlift_file` reuses the checked document instead: its
data *before* ``${VAR}`` placeholders are resolved, plus where the placeholders
are. Values from the environment are never written; the file holds what
``airlift.yaml`` holds, and it is created readable by its owner only.

The key covers the file's text, the package version and
:data:`~airlift_component.config.airlift_yaml.rules.RULES_VERSION`, which a test ties to
the rules and models, so a changed check never reuses an old verdict.
A corrupt, foreign or stale cache file is ignored and rewritten. Anything that
goes wrong on the fast path (an unset variable, an environment value that does
not fit its field) sends the caller back to the full load, which reports the
problem with file, line and column.

An instance's ``mappings`` without a placeholder are kept as a JSON text of their
own (:attr:`CheckedDocument.mappings_json`), which the loader hands to pydantic's
JSON validation: the tens of thousands of dicts and lists ``json.loads`` would
build for them, only to be validated and dropped, are never made. At 10,000
mappings that is one full pass of CPython's cyclic collector fewer: the warm
definitions build at 1,000 DAGs x 10 tasks (``bench/compare``) takes about 0.15 s
less CPU (2.0 s -> 1.85 s).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airlift_component import __version__
from airlift_component.config.airlift_yaml.rules import RULES_VERSION
from airlift_component.config.atomic_write import atomic_write_bytes
from airlift_component.config.yaml.read import Loc

#: File name of the cache, in the component's cache folder.
CHECKED_CACHE_NAME = "airlift.yaml.checked.json"

# Bumped when the layout of the cache file changes.
_FORMAT = 3


@dataclass(frozen=True)
class CheckedDocument:
    """A document that passed every check, with its placeholders not yet resolved.

    ``mappings_json`` holds, by instance index, the ``mappings`` of instances that
    ``data`` leaves out, as JSON text (as read back from the cache; empty as written).
    """

    data: dict[str, Any]
    placeholders: list[Loc]
    mappings_json: dict[int, str] = field(default_factory=dict)


def content_digest(text: str) -> str:
    """The cache key of a file's text: also the package version, the rules version and
    the cache format, so a changed check never reuses an old verdict."""
    head = f"{_FORMAT}:{__version__}:{RULES_VERSION}:".encode()
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
    split = cached.get("mappings", {})
    if not isinstance(data, dict) or not isinstance(locs, list) or not isinstance(split, dict):
        return None
    if not all(isinstance(loc, list) for loc in locs):
        return None
    if not all(key.isdigit() and isinstance(text, str) for key, text in split.items()):
        return None
    mappings = {int(key): text for key, text in split.items()}
    return CheckedDocument(data, [tuple(loc) for loc in locs], mappings)


def _split_mappings(document: CheckedDocument) -> tuple[dict[str, Any], dict[str, str]]:
    """The document without the mappings of instances that hold no placeholder in
    them, and those mappings as JSON text by instance index."""
    instances = document.data.get("instances")
    if not isinstance(instances, list):
        return document.data, {}
    in_mappings = {
        loc[1]
        for loc in document.placeholders
        if len(loc) > 2 and loc[0] == "instances" and loc[2] == "mappings"
    }
    kept: list[Any] = []
    split: dict[str, str] = {}
    for index, instance in enumerate(instances):
        if isinstance(instance, dict) and "mappings" in instance and index not in in_mappings:
            split[str(index)] = json.dumps(instance["mappings"], separators=(",", ":"))
            instance = {key: value for key, value in instance.items() if key != "mappings"}
        kept.append(instance)
    return {**document.data, "instances": kept}, split


def write_checked(path: Path, digest: str, document: CheckedDocument) -> None:
    """Remember ``document`` under ``digest``; silently skipped when it cannot be.

    A document JSON cannot hold exactly (dates, non-string keys) is not cached.
    """
    try:
        data, split = _split_mappings(document)
        text = json.dumps(
            {
                "digest": digest,
                "document": data,
                "placeholders": [list(loc) for loc in document.placeholders],
                "mappings": split,
            },
            separators=(",", ":"),
        )
    except (TypeError, ValueError):
        return
    back = json.loads(text)["document"]
    for index, mappings in split.items():
        back["instances"][int(index)]["mappings"] = json.loads(mappings)
    if back != document.data:
        return
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, text.encode("utf-8"), new_file_mode=0o600)
