"""``airlift.yaml`` as it passed every check, in the form a refresh ships it.

A refresh reads and checks ``airlift.yaml`` in full; what the build needs of it is
kept in the Airflow state (:mod:`.shipped`): the document *before* ``${VAR}``
placeholders are resolved, with each instance's ``mappings`` held apart as one JSON
text per DAG (:class:`SplitMappings`). Values from the environment are never in it.
The loader hands those texts to pydantic's JSON validation: the tens of thousands
of dicts and lists ``json.loads`` would build for them are never made, and the
definitions build validates each spec-only mapping only when it reaches that DAG
(:mod:`.mapped_dags`).

The key of a checked form covers the file's text and what decides a verdict: the
package version, pydantic's and PyYAML's versions and the bytes of the checking code
itself (:func:`checking_code_fingerprint`), so an edited rule or model never reuses
an old verdict and nobody keeps a version number by hand.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic
import yaml

from airlift_component import __version__
from airlift_component.config.airlift_yaml.mapped_dags import spec_only
from airlift_component.config.yaml.read import Loc

# Bumped when the layout of the checked form changes.
_FORMAT = 6
_CONFIG = Path(__file__).resolve().parents[1]
#: The code whose verdict is kept: the airlift.yaml format, the YAML reading and
#: the problems it reports.
_CHECKING_CODE = ("airlift_yaml", "yaml", "model_errors.py", "problems.py", "ids.py")


@dataclass(frozen=True)
class SplitMappings:
    """One instance's ``mappings`` kept apart from the document: each DAG's id and
    mapping as JSON text, in file order, and the positions of those that are not
    spec-only (:func:`.mapped_dags.spec_only`)."""

    dags: list[str]
    texts: list[str]
    held: list[int]


@dataclass(frozen=True)
class CheckedDocument:
    """A document that passed every check, with its placeholders not yet resolved.

    ``mappings_json`` holds, by instance index, the ``mappings`` of instances that
    ``data`` leaves out (as :func:`stored_form` splits them, or as shipped; empty as
    first made from a whole document).
    """

    data: dict[str, Any]
    placeholders: list[Loc]
    mappings_json: dict[int, SplitMappings] = field(default_factory=dict)


@functools.cache
def checking_code_fingerprint() -> str:
    """A digest of the checking code's source files and of the versions of the package,
    pydantic and PyYAML; ``""`` when a source file cannot be read (then nothing is
    shipped)."""
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
    """The key of a file's text and the code that checks it; ``""`` (never shipped)
    when that code cannot be fingerprinted."""
    code = checking_code_fingerprint()
    if not code:
        return ""
    return hashlib.sha256(code.encode() + text.encode("utf-8")).hexdigest()


def split_to_json(split: SplitMappings) -> dict[str, Any]:
    """``split`` as JSON data (:func:`split_from_json` reads it back)."""
    return {"dags": split.dags, "texts": split.texts, "held": split.held}


def split_from_json(item: Any) -> SplitMappings | None:
    """The :class:`SplitMappings` of :func:`split_to_json`'s data, ``None`` when damaged."""
    if not isinstance(item, dict):
        return None
    dags, texts, held = item.get("dags"), item.get("texts"), item.get("held")
    if not (isinstance(dags, list) and isinstance(texts, list) and isinstance(held, list)):
        return None
    if len(dags) != len(texts) or not all(isinstance(t, str) for t in [*dags, *texts]):
        return None
    if not all(type(i) is int and 0 <= i < len(dags) for i in held):
        return None
    return SplitMappings(dags, texts, held)


def _split(mappings: Any) -> SplitMappings | None:
    if not isinstance(mappings, list) or not all(
        isinstance(m, dict) and isinstance(m.get("dag"), str) for m in mappings
    ):
        return None
    dumps = json.dumps
    return SplitMappings(
        dags=[m["dag"] for m in mappings],
        texts=[dumps(m, separators=(",", ":")) for m in mappings],
        held=[n for n, m in enumerate(mappings) if not spec_only(m)],
    )


def stored_form(document: CheckedDocument) -> CheckedDocument | None:
    """``document`` (whole) as it is shipped: the ``mappings`` of instances that hold
    no placeholder in them split out as :class:`SplitMappings`. ``None`` when JSON
    cannot hold the document exactly (dates, non-string keys): it is not shipped."""
    instances = document.data.get("instances")
    if not isinstance(instances, list):
        return document if _exact(document, document.data) else None
    in_mappings = {
        loc[1]
        for loc in document.placeholders
        if len(loc) > 2 and loc[0] == "instances" and loc[2] == "mappings"
    }
    kept: list[Any] = []
    split: dict[int, SplitMappings] = {}
    try:
        for index, instance in enumerate(instances):
            found = None
            if isinstance(instance, dict) and index not in in_mappings:
                found = _split(instance.get("mappings"))
            if found is not None:
                split[index] = found
                instance = {key: value for key, value in instance.items() if key != "mappings"}
            kept.append(instance)
    except (TypeError, ValueError):
        return None
    stored = CheckedDocument({**document.data, "instances": kept}, document.placeholders, split)
    return stored if _exact(stored, document.data) else None


def _exact(stored: CheckedDocument, whole: dict[str, Any]) -> bool:
    """Whether JSON gives back ``whole`` from ``stored``."""
    try:
        back = json.loads(json.dumps(stored.data))
    except (TypeError, ValueError):
        return False
    loads = json.loads
    for index, split in stored.mappings_json.items():
        back["instances"][index]["mappings"] = [loads(text) for text in split.texts]
    return bool(back == whole)
