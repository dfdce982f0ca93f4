"""Checking and loading ``airlift.yaml``.

:func:`check_airlift_document` runs the models and the rules a JSON Schema cannot
express (listed in :data:`NON_SCHEMA_RULES`); the cross-file rules live in
:mod:`airlift_component.config.cross_file`; :func:`load_airlift_file` runs both
and then resolves ``${VAR}`` placeholders for use.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from airlift_component.config.airlift_model import (
    SECRET_FIELDS,
    AirliftFile,
    is_loopback_url,
)
from airlift_component.config.checked_cache import (
    CheckedDocument,
    content_digest,
    read_checked,
    write_checked,
)
from airlift_component.config.cross_file import check_against_proxied_state
from airlift_component.config.model_errors import problems_from_validation_error
from airlift_component.config.placeholders import PlaceholderError, placeholders, resolve
from airlift_component.config.problems import Problem
from airlift_component.config.yaml_read import (
    Loc,
    YamlDocument,
    YamlLoadError,
    load_yaml_file,
    parse_yaml_text,
    read_text,
)
from airlift_component.errors import ConfigError

WHAT = "airlift.yaml"
_FROM_ENV = "the value comes from an environment variable: check what it is set to"

#: Rules checked beyond the JSON Schema, by the ``rule`` id their problems carry.
#: The corpus test proves these are exactly the verdicts where pydantic and the
#: JSON Schema differ. Problems found while reading the YAML (rules ``yaml`` and
#: ``duplicate-yaml-key``) stop both validators alike, so they are not listed.
NON_SCHEMA_RULES: dict[str, str] = {
    "duplicate-instance": "instance names are unique",
    "duplicate-asset-key": "an asset key is produced by one DAG or task only",
    "duplicate-dag": "a DAG is mapped once per instance",
    "duplicate-task": "a task is mapped once per DAG",
    "duplicate-task-id": "a proxied-state file lists a task once",
    "literal-secret": "secrets come from ${VAR} unless the instance is on loopback",
    "placeholder": "${VAR} placeholders are well-formed",
    "cross-file": "proxied-state files agree with airlift.yaml",
}


def _walk_strings(value: Any, marker: str = "") -> list[tuple[Loc, str]]:
    """Every string in ``value`` containing ``marker``, with its location."""
    found: list[tuple[Loc, str]] = []
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), value)]
    while stack:
        loc, node = stack.pop()
        if isinstance(node, str):
            if marker in node:
                found.append((loc, node))
        elif isinstance(node, dict):
            stack.extend(((*loc, key), item) for key, item in node.items())
        elif isinstance(node, list):
            stack.extend(((*loc, index), item) for index, item in enumerate(node))
    found.reverse()
    return found


def _malformed(text: str) -> bool:
    try:
        placeholders(text)
    except PlaceholderError:
        return True
    return False


def _placeholder_problems(doc: YamlDocument) -> list[Problem]:
    if doc.placeholder_strings is not None and not any(
        _malformed(text) for text in doc.placeholder_strings
    ):
        return []  # the common case, decided without walking the whole document
    problems = []
    for loc, text in _walk_strings(doc.data, "${"):
        try:
            placeholders(text)
        except PlaceholderError as exc:
            problems.append(doc.problem(loc, str(exc), rule="placeholder"))
    return problems


def _duplicate(
    doc: YamlDocument,
    seen: dict[Any, Loc],
    value: Any,
    loc: Loc,
    what: str,
    rule: str,
    hint: str,
) -> Problem | None:
    if value not in seen:
        seen[value] = loc
        return None
    first = doc.position(seen[value])[0]
    return doc.problem(loc, f"{what} (first on line {first})", hint=hint, rule=rule)


def _semantic_problems(doc: YamlDocument, model: AirliftFile) -> list[Problem]:
    problems: list[Problem | None] = []
    names: dict[Any, Loc] = {}
    asset_keys: dict[Any, Loc] = {}
    for i, instance in enumerate(model.instances):
        iloc: Loc = ("instances", i)
        problems.append(
            _duplicate(
                doc,
                names,
                instance.name,
                (*iloc, "name"),
                f"instance name {instance.name!r} is used twice",
                "duplicate-instance",
                "give each instance its own name",
            )
        )
        dags: dict[Any, Loc] = {}
        for d, mapping in enumerate(instance.mappings):
            dloc: Loc = (*iloc, "mappings", d)
            problems.append(
                _duplicate(
                    doc,
                    dags,
                    mapping.dag,
                    (*dloc, "dag"),
                    f"DAG {mapping.dag!r} is mapped twice in instance {instance.name!r}",
                    "duplicate-dag",
                    "merge the two entries into one",
                )
            )
            entries: list[tuple[Loc, Any]] = [
                ((*dloc, "assets", a), spec) for a, spec in enumerate(mapping.assets)
            ]
            tasks: dict[Any, Loc] = {}
            for t, task in enumerate(mapping.tasks):
                tloc: Loc = (*dloc, "tasks", t)
                problems.append(
                    _duplicate(
                        doc,
                        tasks,
                        task.task,
                        (*tloc, "task"),
                        f"task {task.task!r} is mapped twice in DAG {mapping.dag!r}",
                        "duplicate-task",
                        "merge the two entries into one",
                    )
                )
                entries.extend(((*tloc, "assets", a), spec) for a, spec in enumerate(task.assets))
            for aloc, spec in entries:
                key_loc = aloc if isinstance(_value_at(doc.data, aloc), str) else (*aloc, "key")
                problems.append(
                    _duplicate(
                        doc,
                        asset_keys,
                        spec.key,
                        key_loc,
                        f"asset key {spec.key!r} is produced twice",
                        "duplicate-asset-key",
                        "an asset is produced by exactly one DAG or task; rename one",
                    )
                )
    return [p for p in problems if p is not None]


def _value_at(data: Any, loc: Loc) -> Any:
    for part in loc:
        data = data[part]
    return data


def _without_userinfo(url: str) -> str:
    return re.sub(r"//[^/@]*@", "//", url, count=1)


def _secret_problems(doc: YamlDocument) -> list[Problem]:
    """Literal secrets off loopback, found in the raw data so that they are reported
    even when other parts of the file are malformed."""
    instances = doc.data.get("instances")
    if not isinstance(instances, list):
        return []
    problems = []
    for i, instance in enumerate(instances):
        if not isinstance(instance, dict):
            continue
        url, auth = instance.get("url"), instance.get("auth")
        if not isinstance(url, str) or not isinstance(auth, dict) or is_loopback_url(url):
            continue
        auth_type = auth.get("type")
        for field in SECRET_FIELDS.get(auth_type, ()) if isinstance(auth_type, str) else ():
            raw = auth.get(field)
            if isinstance(raw, str) and not placeholders_or_empty(raw):
                problems.append(
                    doc.problem(
                        ("instances", i, "auth", field),
                        f"literal secret in '{field}' for {_without_userinfo(url)}",
                        hint=f"read it from the environment, e.g. {field}: ${{AIRFLOW_{field.upper()}}}",
                        rule="literal-secret",
                    )
                )
    return problems


def placeholders_or_empty(text: str) -> bool:
    try:
        return bool(placeholders(text))
    except PlaceholderError:
        return True  # reported by the placeholder rule


def inspect_airlift_document(doc: YamlDocument) -> tuple[AirliftFile | None, list[Problem]]:
    """Every problem of a parsed ``airlift.yaml``, and its model whenever the structure
    is valid (even when other rules found problems), so cross-file checks can still run."""
    problems = _placeholder_problems(doc) + _secret_problems(doc)
    try:
        model = AirliftFile.model_validate(doc.data)
    except ValidationError as exc:
        problems.extend(problems_from_validation_error(doc, exc, AirliftFile))
        problems.sort(key=lambda p: (p.line, p.col))
        return None, problems
    problems.extend(_semantic_problems(doc, model))
    problems.sort(key=lambda p: (p.line, p.col))
    return model, problems


def check_airlift_document(doc: YamlDocument) -> tuple[AirliftFile | None, list[Problem]]:
    """Validate a parsed ``airlift.yaml`` without touching the environment or other files.

    Returns the model only when there is no problem at all.
    """
    model, problems = inspect_airlift_document(doc)
    return (None if problems else model), problems


def _substitute(
    data: Any, locs: Iterable[Loc], environ: Mapping[str, str]
) -> list[tuple[Loc, PlaceholderError]]:
    """Resolve the ``${VAR}`` strings at ``locs`` in ``data`` in place; those that
    cannot be resolved are left as they are and returned with the reason."""
    failed = []
    for loc in locs:
        try:
            value = resolve(_value_at(data, loc), environ)
        except PlaceholderError as exc:
            failed.append((loc, exc))
            continue
        _value_at(data, loc[:-1])[loc[-1]] = value
    return failed


def resolve_placeholders(
    doc: YamlDocument, environ: Mapping[str, str], locs: Iterable[Loc] | None = None
) -> list[Problem]:
    """Replace ``${VAR}`` in ``doc.data`` in place (at ``locs`` when the caller already
    found them); problems name unset variables."""
    if locs is None:
        locs = [loc for loc, _ in _walk_strings(doc.data, "${")]
    return [
        doc.problem(loc, str(exc), rule="placeholder")
        for loc, exc in _substitute(doc.data, locs, environ)
    ]


def read_airlift_document(path: Path) -> YamlDocument:
    """Parse ``airlift.yaml``; :class:`ConfigError` when it is not a YAML mapping."""
    try:
        return load_yaml_file(path, what=WHAT)
    except YamlLoadError as exc:
        raise ConfigError([exc.problem]) from None


def load_airlift_file(
    path: str | Path,
    environ: Mapping[str, str] | None = None,
    *,
    cross_file: bool = True,
    checked_cache: Path | None = None,
) -> AirliftFile:
    """Load ``airlift.yaml`` for use: validated, cross-checked, placeholders resolved.

    With ``checked_cache`` (a file path; only without ``cross_file``), a file whose
    text is unchanged since it last passed every check loads from that cache,
    without parsing YAML (see :mod:`airlift_component.config.checked_cache`).
    Raises :class:`ConfigError` listing every problem, each with file, line and column.
    """
    if checked_cache is not None and cross_file:
        raise ValueError("checked_cache works only with cross_file=False")
    environ = os.environ if environ is None else environ
    if checked_cache is None:
        return _load_airlift_file(read_airlift_document(Path(path)), environ, cross_file)
    return _load_with_checked_cache(Path(path), environ, checked_cache)


def _load_with_checked_cache(path: Path, environ: Mapping[str, str], cache: Path) -> AirliftFile:
    try:
        text = read_text(path, what=WHAT)
        digest = content_digest(text)
        cached = read_checked(cache, digest)
        model = _model_from_checked(cached, environ) if cached is not None else None
        if model is not None:
            return model
        doc = parse_yaml_text(text, str(path), what=WHAT)
    except YamlLoadError as exc:
        raise ConfigError([exc.problem]) from None
    return _load_airlift_file(doc, environ, False, remember=(cache, digest))


def _model_from_checked(cached: CheckedDocument, environ: Mapping[str, str]) -> AirliftFile | None:
    # None sends the caller to the full load, which reports problems with positions.
    try:
        if _substitute(cached.data, cached.placeholders, environ):
            return None
        return AirliftFile.model_validate(cached.data)
    except (ValidationError, LookupError, TypeError):
        return None


def _load_airlift_file(
    doc: YamlDocument,
    environ: Mapping[str, str],
    cross_file: bool,
    remember: tuple[Path, str] | None = None,
) -> AirliftFile:
    model, problems = check_airlift_document(doc)
    if model is None:
        raise ConfigError(problems)
    if cross_file:
        problems = check_against_proxied_state(doc, model)
        if problems:
            raise ConfigError(problems)
    found = [loc for loc, _ in _walk_strings(doc.data, "${")]
    if remember is not None:
        write_checked(remember[0], remember[1], CheckedDocument(doc.data, found))
    problems = resolve_placeholders(doc, environ, found)
    if problems:
        raise ConfigError(problems)
    try:
        return AirliftFile.model_validate(doc.data)
    except ValidationError as exc:  # a value from the environment does not fit its field
        raise ConfigError(
            [
                replace(problem, hint=(problem.hint + "; " if problem.hint else "") + _FROM_ENV)
                for problem in problems_from_validation_error(doc, exc, AirliftFile)
            ]
        ) from None


def parse_airlift_text(text: str, path: str = WHAT) -> tuple[AirliftFile | None, list[Problem]]:
    """Check ``airlift.yaml`` content given as text (used by tests and docs checks)."""
    try:
        doc = parse_yaml_text(text, path, what=WHAT)
    except YamlLoadError as exc:
        return None, [exc.problem]
    return check_airlift_document(doc)
