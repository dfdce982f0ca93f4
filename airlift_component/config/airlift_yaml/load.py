"""Reading ``airlift.yaml``, from the file to the model, along one path.

1. **read** the YAML with :func:`..yaml.read.parse_yaml_values`: the values from
   libyaml's events; the node tree with positions is composed only when a problem
   must be located, or for a file that is not plain YAML (anchors, merge keys,
   tags), where it also gives the values (``airlift validate`` reads it the same way);
2. **check** the document as written (:func:`.rules.raw_problems`):
   placeholder syntax and literal secrets;
3. **resolve** ``${VAR}`` placeholders from the environment (only when loading
   for use: ``airlift validate`` skips this step and needs no secret);
4. **model**: one pydantic validation (:mod:`.model`; its errors are located by
   :mod:`..model_errors`), then the rules that need the model
   (:func:`.rules.model_problems`).

The proxied-state files are not read here: :mod:`..validation` holds the two
formats against each other.

:func:`load_airlift_file` runs all four, one after the other in its own body;
:func:`check_airlift_document` (what ``airlift validate`` runs) skips step 3. With a
``checked_cache`` an unchanged file skips steps 1, 2 and the rules of step 4 (see
:mod:`.checked_cache`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from airlift_component.config.airlift_yaml.checked_cache import (
    CheckedDocument,
    content_digest,
    read_checked,
    write_checked,
)
from airlift_component.config.airlift_yaml.model import (
    PATTERN_HINTS,
    SECRET_FIELDS,
    AirliftFile,
    DagMapping,
)
from airlift_component.config.airlift_yaml.placeholders import PlaceholderError, resolve
from airlift_component.config.airlift_yaml.rules import (
    model_problems,
    raw_problems,
    value_at,
    walk_strings,
)
from airlift_component.config.model_errors import problems_from_validation_error
from airlift_component.config.problems import Problem
from airlift_component.config.yaml.read import (
    Loc,
    YamlDocument,
    YamlLoadError,
    parse_yaml_values,
    read_text,
)
from airlift_component.errors import ConfigError

WHAT = "airlift.yaml"
_FROM_ENV = "the value comes from an environment variable: check what it is set to"


def read_airlift_document(path: Path) -> YamlDocument:
    """Step 1: parse ``airlift.yaml`` (its node tree composed only when a problem is
    located, see :func:`~..yaml.read.parse_yaml_values`); :class:`ConfigError` when it
    is not a YAML mapping."""
    try:
        return _parse(read_text(path, what=WHAT), str(path))
    except YamlLoadError as exc:
        raise ConfigError([exc.problem]) from None


def _parse(text: str, path: str) -> YamlDocument:
    """Step 1: the values of ``text``, the node tree composed on demand."""
    return parse_yaml_values(text, path, what=WHAT)


def _sorted(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.line, p.col))


def _validate(
    doc: YamlDocument, from_env: Iterable[Loc] = ()
) -> tuple[AirliftFile | None, list[Problem]]:
    """Step 4: the model, once; a problem at a value that came from the environment says so."""
    try:
        model = AirliftFile.model_validate(doc.data)
    except ValidationError as exc:
        from_env = set(from_env)
        problems = problems_from_validation_error(
            doc, exc, AirliftFile, hidden=from_env, hints=PATTERN_HINTS
        )
        env_positions = {doc.position(loc) for loc in from_env}
        return None, [
            replace(p, hint=(p.hint + "; " if p.hint else "") + _FROM_ENV)
            if (p.line, p.col) in env_positions
            else p
            for p in problems
        ]
    return model, model_problems(doc, model)


def inspect_airlift_document(doc: YamlDocument) -> tuple[AirliftFile | None, list[Problem]]:
    """Every problem of a parsed ``airlift.yaml`` as written (no environment), and its
    model whenever the structure is valid (even when other rules found problems), so
    cross-file checks can still run."""
    problems = raw_problems(doc)
    model, more = _validate(doc)
    return model, _sorted(problems + more)


def check_airlift_document(doc: YamlDocument) -> tuple[AirliftFile | None, list[Problem]]:
    """Validate a parsed ``airlift.yaml`` without touching the environment or other files.

    Returns the model only when there is no problem at all.
    """
    model, problems = inspect_airlift_document(doc)
    return (None if problems else model), problems


_SECRET_KEYS = frozenset(key for keys in SECRET_FIELDS.values() for key in keys)


def _substitute(
    data: Any, locs: Iterable[Loc], environ: Mapping[str, str]
) -> list[tuple[Loc, PlaceholderError]]:
    """Step 3: resolve the ``${VAR}`` strings at ``locs`` in ``data`` in place; those
    that cannot be resolved are left as they are and returned with the reason."""
    failed = []
    for loc in locs:
        try:
            value = resolve(value_at(data, loc), environ, secret=loc[-1] in _SECRET_KEYS)
        except PlaceholderError as exc:
            failed.append((loc, exc))
            continue
        value_at(data, loc[:-1])[loc[-1]] = value
    return failed


def load_airlift_file(
    path: str | Path,
    environ: Mapping[str, str] | None = None,
    *,
    checked_cache: Path | None = None,
) -> AirliftFile:
    """Load ``airlift.yaml`` for use: checked, placeholders resolved, validated.

    The proxied-state files are not read: ``airlift validate`` checks the two
    formats against each other (:mod:`airlift_component.config.validation`).
    With ``checked_cache`` (a file path), a file whose
    text is unchanged since it last passed every check loads from that cache,
    without parsing YAML (see :mod:`airlift_component.config.airlift_yaml.checked_cache`).
    Raises :class:`ConfigError` listing every problem, each with file, line and column.
    """
    environ = os.environ if environ is None else environ
    try:
        text = read_text(Path(path), what=WHAT)
        digest = content_digest(text) if checked_cache is not None else ""
        if checked_cache is not None and digest:
            model = _model_from_checked(read_checked(checked_cache, digest), environ)
            if model is not None:
                return model
        doc = _parse(text, str(path))  # 1. read
    except YamlLoadError as exc:
        raise ConfigError([exc.problem]) from None
    problems = raw_problems(doc)  # 2. check as written
    if problems:
        raise ConfigError(_sorted(problems))
    written = _placeholder_strings(doc)  # 3. resolve
    found = [loc for loc, _ in written]
    unset = [
        doc.problem(loc, str(exc), rule="placeholder")
        for loc, exc in _substitute(doc.data, found, environ)
    ]
    model, problems = _validate(doc, from_env=found)  # 4. model
    if unset or problems or model is None:
        raise ConfigError(_sorted(unset + problems))
    if checked_cache is not None and digest:
        for loc, value in written:  # the cache sees the file as written
            value_at(doc.data, loc[:-1])[loc[-1]] = value
        write_checked(checked_cache, digest, CheckedDocument(doc.data, found))
    return model


def _placeholder_strings(doc: YamlDocument) -> list[tuple[Loc, str]]:
    """Every string value holding ``${`` with its location, in document order.

    The reader lists those strings already (``placeholder_strings``): with none,
    nothing is walked, and when all of them lie outside the instances' mappings
    (the usual file: ``${VAR}`` in ``url`` and ``auth``), the mappings are not
    walked. Walking a 10,000-mapping document made a location tuple for each of its
    ~70,000 values: about 0.05 s of the build without the checked ``airlift.yaml``
    at 1,000 DAGs x 10 tasks.
    """
    known = doc.placeholder_strings
    if known is None:
        return walk_strings(doc.data, "${")
    if not known:
        return []
    instances = doc.data.get("instances")
    if not isinstance(instances, list) or not all(isinstance(i, dict) for i in instances):
        return walk_strings(doc.data, "${")
    # The same paths, without the mappings' subtrees: locations stay those of doc.data.
    settings = [{k: v for k, v in i.items() if k != "mappings"} for i in instances]
    found = walk_strings({**doc.data, "instances": settings}, "${")
    return found if len(found) == len(known) else walk_strings(doc.data, "${")


_MAPPINGS = TypeAdapter(list[DagMapping])


def _model_from_checked(
    cached: CheckedDocument | None, environ: Mapping[str, str]
) -> AirliftFile | None:
    """The model of a document that passed every check before; ``None`` sends the
    caller to the full load, which reports any problem with its position."""
    if cached is None:
        return None
    try:
        if _substitute(cached.data, cached.placeholders, environ):
            return None
        for index, text in cached.mappings_json.items():
            # Validated from the JSON text: no dicts and lists are built for them first.
            cached.data["instances"][index]["mappings"] = _MAPPINGS.validate_json(text)
        return AirliftFile.model_validate(cached.data)
    except (ValidationError, LookupError, TypeError):
        return None


def parse_airlift_text(text: str, path: str = WHAT) -> tuple[AirliftFile | None, list[Problem]]:
    """Check ``airlift.yaml`` content given as text (used by tests and docs checks)."""
    try:
        doc = _parse(text, path)
    except YamlLoadError as exc:
        return None, [exc.problem]
    return check_airlift_document(doc)
