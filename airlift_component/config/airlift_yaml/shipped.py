"""The checked ``airlift.yaml`` that travels with the Airflow state: its mappings only.

A code server or run worker has the state (from Dagster's defs-state storage) and
``airlift.yaml``. Without help it parses and checks the whole file, mappings and
all, before building. So a refresh ships, inside the state,
what the build needs of the file that is costly to read: each instance's
``mappings``, one JSON text per DAG (:class:`.checked_form.SplitMappings`), and
where those ``mappings`` sit in the file (character ranges). A load whose
``airlift.yaml`` is byte for byte the one shipped (the same digest, which also
covers the checking code) cuts those ranges out of the text and parses what is
left: the instance settings, a few lines.

**No secret leaves the file.** The state lives in shared storage (S3, GCS), and
``airlift.yaml`` may hold a literal password or token for a loopback Airflow. The
shipped form holds no setting at all (no ``url``, no ``auth``): those are always
read from ``airlift.yaml`` itself. A mapping has no secret field, and an instance
whose mappings hold a ``${VAR}`` placeholder is not shipped (its mappings stay in
the text that is parsed).

**A changed file is read in full.** The key is a digest of the text and of the
checking code (:func:`.checked_form.content_digest`): after any edit of
``airlift.yaml`` (or of the package) the shipped form is ignored and the file is
parsed and checked as without it, at every load until the next refresh; the load
logs one INFO line saying so (:func:`for_another_version`). The cut is verified
when it is shipped: the text without its ranges must parse to exactly the settings
the full read found, else nothing is shipped. The same bytes and the same code give the same parse.

**The mappings are sealed.** The build reads the shipped mapping texts as plain
data, without validating them again (:mod:`.mapped_dags`), so the shipped form
carries a seal: a digest of the file's key, the cuts and every shipped text. A form whose
seal does not hold (a state file damaged or edited by hand) is not used: the file
is read in full. Sealing costs a hash of the texts, about 2 ms at 1,000 DAGs.

Why it exists (``bench/compare/floor_ratio.py``, CPU seconds of fresh processes in
paired rounds, BENCHMARKS.md, issue 21): the build from stored state takes 1.18-1.26x
Dagster's own floor at 1,000 DAGs x 10 tasks and 1.24-1.28x at 5,000 (medians of two
runs, 7 Dec 2026, at ``ac257ef`` and ``0eff01c``); reading the whole file instead (an
``airlift.yaml`` edited since the refresh) 1.71x at 1,000 DAGs, and the stored build
of ``2c6e066``, which did, 1.61-1.65x and 1.86-1.91x.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from airlift_component.config.airlift_yaml.checked_form import (
    CheckedDocument,
    SplitMappings,
    split_from_json,
    split_to_json,
)
from airlift_component.config.yaml.read import YamlDocument, YamlLoadError, parse_yaml_values

#: A block mapping key ``mappings:`` at the start of its line.
_KEY = re.compile(r"( *)mappings *:(?=\s|$)")


def _inside(line: str, indent: int) -> bool:
    """Whether ``line`` still belongs to the value of a key indented by ``indent``."""
    body = line.lstrip(" ")
    if not body.strip() or body.startswith("#"):
        return True
    depth = len(line) - len(body)
    # A block sequence may sit at its key's own indentation ("mappings:\n- dag: a").
    return depth > indent or (depth == indent and (body.startswith("- ") or body.rstrip() == "-"))


def _cuts(text: str) -> list[tuple[int, int]]:
    """The character ranges of every block ``mappings:`` key with its value."""
    lines = text.splitlines(keepends=True)
    cuts: list[tuple[int, int]] = []
    offset, n = 0, 0
    while n < len(lines):
        found = _KEY.match(lines[n])
        if found is None:
            offset += len(lines[n])
            n += 1
            continue
        start, indent = offset, len(found.group(1))
        offset += len(lines[n])
        n += 1
        while n < len(lines) and _inside(lines[n], indent):
            offset += len(lines[n])
            n += 1
        cuts.append((start, offset))
    return cuts


def _without(text: str, cuts: list[tuple[int, int]]) -> str:
    kept, last = [], 0
    for start, end in cuts:
        kept.append(text[last:start])
        last = end
    kept.append(text[last:])
    return "".join(kept)


def _settings(text: str, path: str) -> dict[str, Any] | None:
    try:
        return parse_yaml_values(text, path, what="airlift.yaml").data
    except YamlLoadError:
        return None


def _seal(digest: str, cuts: list[tuple[int, int]], mappings: dict[int, SplitMappings]) -> str:
    """A digest of a shipped form: the file's key, the cuts and the mappings."""
    sealed = hashlib.blake2b(json.dumps([digest, cuts]).encode(), digest_size=32)
    for index in sorted(mappings):
        split = mappings[index]
        sealed.update(json.dumps([index, split.dags, split.held]).encode())
        # A JSON text holds no raw NUL: the separator keeps the texts apart.
        sealed.update("\0".join(split.texts).encode())
    return sealed.hexdigest()


def ship(text: str, digest: str, stored: CheckedDocument) -> dict[str, Any] | None:
    """What the state carries for ``text`` (``stored``: its checked form as
    :func:`.checked_form.stored_form` splits it), or ``None`` when nothing can be
    shipped: no mappings split out, or the cut text does not parse to exactly the
    settings of ``stored``."""
    if not digest or not stored.mappings_json:
        return None
    cuts = _cuts(text)
    if _settings(_without(text, cuts), "airlift.yaml") != stored.data:
        return None
    return {
        "digest": digest,
        "cuts": [list(cut) for cut in cuts],
        "mappings": {str(i): split_to_json(s) for i, s in stored.mappings_json.items()},
        "seal": _seal(digest, cuts, stored.mappings_json),
    }


def for_another_version(digest: str, shipped: Any) -> bool:
    """Whether ``shipped`` is a shipped form keyed by another digest than ``digest``:
    ``airlift.yaml`` was edited since the refresh, or the checking code changed
    (another release of this package). A refresh ships the mappings again."""
    if not digest or not isinstance(shipped, dict):
        return False
    key = shipped.get("digest")
    return isinstance(key, str) and key != digest


def unship(
    text: str, digest: str, shipped: Any, path: str
) -> tuple[YamlDocument, dict[int, SplitMappings]] | None:
    """``text`` without its shipped mappings, parsed (the instance settings), and those
    mappings by instance index; ``None``: nothing shipped, another file or checking
    code (digest), or a damaged shipped form (its seal does not hold)."""
    if not digest or not isinstance(shipped, dict) or shipped.get("digest") != digest:
        return None
    cuts, split = shipped.get("cuts"), shipped.get("mappings")
    if not isinstance(cuts, list) or not isinstance(split, dict):
        return None
    ranges: list[tuple[int, int]] = []
    last = 0
    for cut in cuts:
        if not (isinstance(cut, list) and len(cut) == 2 and all(type(c) is int for c in cut)):
            return None
        if not last <= cut[0] <= cut[1] <= len(text):
            return None
        ranges.append((cut[0], cut[1]))
        last = cut[1]
    mappings = {}
    for key, item in split.items():
        found = split_from_json(item)
        if not key.isdigit() or found is None:
            return None
        mappings[int(key)] = found
    if shipped.get("seal") != _seal(digest, ranges, mappings):
        return None
    try:
        return parse_yaml_values(_without(text, ranges), path, what="airlift.yaml"), mappings
    except YamlLoadError:
        return None
