"""``airlift.yaml`` as it last passed every check, remembered by content.

Loading a large ``airlift.yaml`` is mostly YAML parsing and the checks. When the
file's text is exactly what last passed them, :func:`load_airlift_file` reuses the
checked document instead: its data *before* ``${VAR}`` placeholders are resolved,
plus where the placeholders are. Values from the environment are never written;
the file holds what ``airlift.yaml`` holds, readable by its owner only.

Where: the user's cache folder (:func:`cache_file_for`: ``$XDG_CACHE_HOME`` or
``~/.cache`` on Linux, ``~/Library/Caches`` on macOS, ``%LOCALAPPDATA%`` on
Windows), one file per ``airlift.yaml`` path, never the code folder. Nothing is
written when there is no such folder or it cannot be written (a read-only home in
a container): the load is then the full one, with the same result.

The key covers the file's text and what decides a verdict: the package version,
pydantic's and PyYAML's versions and the bytes of the checking code itself
(:func:`checking_code_fingerprint`), so an edited rule or model never reuses an
old verdict and nobody keeps a version number by hand. A corrupt, foreign or
stale cache file is ignored and rewritten. Anything that goes wrong on the fast
path (an unset variable, an environment value that does not fit its field) sends
the caller back to the full load, which reports the problem with file, line and
column.

An instance's ``mappings`` without a placeholder are kept as a JSON text of their
own (:attr:`CheckedDocument.mappings_json`), which the loader hands to pydantic's
JSON validation: the tens of thousands of dicts and lists ``json.loads`` would
build for them are never made.

Why it exists (``bench/compare/run.py --only defs``, CPU seconds of fresh
processes, BENCHMARKS.md): the build from stored state with the checked document
takes 2.08 s at 1,000 DAGs x 10 tasks; without it (a fresh container: YAML read,
checks, placeholders) 2.48 s (6 Dec 2026, at ``69241a5``).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic
import yaml

from airlift_component import __version__
from airlift_component.config.atomic_write import atomic_write_bytes
from airlift_component.config.yaml.read import Loc

# Bumped when the layout of the cache file changes.
_FORMAT = 4
_CONFIG = Path(__file__).resolve().parents[1]
#: The code whose verdict is cached: the airlift.yaml format, the YAML reading and
#: the problems it reports.
_CHECKING_CODE = ("airlift_yaml", "yaml", "model_errors.py", "problems.py", "ids.py")


@dataclass(frozen=True)
class CheckedDocument:
    """A document that passed every check, with its placeholders not yet resolved.

    ``mappings_json`` holds, by instance index, the ``mappings`` of instances that
    ``data`` leaves out, as JSON text (as read back from the cache; empty as written).
    """

    data: dict[str, Any]
    placeholders: list[Loc]
    mappings_json: dict[int, str] = field(default_factory=dict)


@functools.cache
def checking_code_fingerprint() -> str:
    """A digest of the checking code's source files and of the versions of the package,
    pydantic and PyYAML; ``""`` when a source file cannot be read (then nothing is
    cached)."""
    digest = hashlib.sha256(
        f"{_FORMAT}:{__version__}:{pydantic.VERSION}:{yaml.__version__}".encode()
    )
    try:
        for name in _CHECKING_CODE:
            place = _CONFIG / name
            for source in sorted(place.glob("*.py")) if place.is_dir() else [place]:
                digest.update(source.name.encode() + b"\0" + source.read_bytes())
    except OSError:
        return ""
    return digest.hexdigest()


def content_digest(text: str) -> str:
    """The cache key of a file's text and the code that checks it; ``""`` (never
    cached) when that code cannot be fingerprinted."""
    code = checking_code_fingerprint()
    if not code:
        return ""
    return hashlib.sha256(code.encode() + text.encode("utf-8")).hexdigest()


def user_cache_folder() -> Path | None:
    """This package's folder in the user's cache (``None`` when there is no home)."""
    base: str | None
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
    elif sys.platform == "darwin":
        base = str(Path.home() / "Library" / "Caches") if "HOME" in os.environ else None
    else:
        base = os.environ.get("XDG_CACHE_HOME", "")
        if not Path(base).is_absolute():  # the XDG spec ignores a relative path
            base = str(Path.home() / ".cache") if "HOME" in os.environ else None
    if not base or not Path(base).is_absolute():
        return None
    return Path(base) / "airlift-component"


def cache_file_for(airlift_yaml: Path) -> Path | None:
    """Where the checked form of ``airlift_yaml`` is kept: the user's cache folder, one
    file per absolute path (``None``: no cache folder, load without a cache)."""
    folder = user_cache_folder()
    if folder is None:
        return None
    name = hashlib.sha256(str(Path(airlift_yaml).absolute()).encode()).hexdigest()[:32]
    return folder / "checked" / f"{name}.json"


def read_checked(path: Path, digest: str) -> CheckedDocument | None:
    """The cached document for ``digest``, or ``None`` (no file, other content, corrupt)."""
    if not digest:
        return None
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
    if not digest:
        return
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
