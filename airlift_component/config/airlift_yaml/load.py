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

:func:`load_airlift_file` runs all four, one after the other;
:func:`check_airlift_document` (what ``airlift validate`` runs) skips step 3.
:func:`load_for_refresh` also gives what the Airflow state is to carry of the file
(:mod:`.shipped`), and :func:`load_for_build` (the definitions build) reads that:
when the file is unchanged since the refresh, steps 1 and 2 run on its settings only
(the mappings passed them at the refresh) and most DAG mappings are validated one
at a time (:mod:`.mapped_dags`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from airlift_component.config.airlift_yaml.checked_form import (
    CheckedDocument,
    content_digest,
    stored_form,
)
from airlift_component.config.airlift_yaml.mapped_dags import (
    BuildFile,
    MappedDags,
    validate_mapping,
)
from airlift_component.config.airlift_yaml.model import (
    PATTERN_HINTS,
    SECRET_FIELDS,
    AirliftFile,
)
from airlift_component.config.airlift_yaml.placeholders import PlaceholderError, resolve
from airlift_component.config.airlift_yaml.rules import (
    model_problems,
    raw_problems,
    value_at,
    walk_strings,
)
from airlift_component.config.airlift_yaml.shipped import for_another_version, ship, unship
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
log = logging.getLogger(__name__)
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


def load_airlift_file(path: str | Path, environ: Mapping[str, str] | None = None) -> AirliftFile:
    """Load ``airlift.yaml`` for use: checked, placeholders resolved, validated.

    The proxied-state files are not read: ``airlift validate`` checks the two
    formats against each other (:mod:`airlift_component.config.validation`).
    Raises :class:`ConfigError` listing every problem, each with file, line and column.
    """
    environ = os.environ if environ is None else environ
    text, _ = _read(Path(path), keyed=False)
    return _load_text(text, str(path), environ, stored=False)[0]


def load_for_build(
    path: str | Path, environ: Mapping[str, str] | None = None, *, shipped: object = None
) -> BuildFile:
    """``airlift.yaml`` as the definitions build reads it (:mod:`.mapped_dags`), with the
    same checks and errors as :func:`load_airlift_file`. ``shipped`` is what the
    Airflow state carries of the file (:mod:`.shipped`): when the file is unchanged
    since that refresh, only its settings are parsed, and each spec-only DAG mapping
    stays JSON text until the build reaches that DAG. Otherwise the file is read in
    full, and when the state's mappings are for another version of it, one INFO line
    says so and that a refresh makes loads fast again."""
    environ = os.environ if environ is None else environ
    text, digest = _read(Path(path), keyed=shipped is not None)
    found = unship(text, digest, shipped, str(path)) if shipped is not None else None
    if for_another_version(digest, shipped):
        log.info(
            "%s: the Airflow state's shipped mappings are for another version of this file "
            "(edited since the last refresh, or another airlift-component), so it is read "
            "in full at every load; a refresh (`airlift refresh` or "
            "`dg utils refresh-defs-state`) makes loads fast again",
            path,
        )
    if found is not None:
        doc, split = found
        settings = CheckedDocument(doc.data, [loc for loc, _ in _placeholder_strings(doc)], split)
        built = _build_from_checked(settings, environ)
        if built is not None:
            return built
    return BuildFile.of(_load_text(text, str(path), environ, stored=False)[0])


def load_for_refresh(
    path: str | Path, environ: Mapping[str, str] | None = None
) -> tuple[AirliftFile, dict[str, Any] | None]:
    """``airlift.yaml`` loaded as :func:`load_airlift_file` loads it, and what the
    Airflow state a refresh writes is to carry of it (:func:`.shipped.ship`; ``None``:
    nothing)."""
    environ = os.environ if environ is None else environ
    text, digest = _read(Path(path), keyed=True)
    model, stored = _load_text(text, str(path), environ, stored=bool(digest))
    return model, ship(text, digest, stored) if stored is not None else None


def _read(path: Path, *, keyed: bool) -> tuple[str, str]:
    """The file's text and, when ``keyed``, its key (:func:`.checked_form.content_digest`;
    ``""``: none)."""
    try:
        text = read_text(path, what=WHAT)
    except YamlLoadError as exc:
        raise ConfigError([exc.problem]) from None
    return text, content_digest(text) if keyed else ""


def _load_text(
    text: str, path: str, environ: Mapping[str, str], *, stored: bool
) -> tuple[AirliftFile, CheckedDocument | None]:
    """Steps 1 to 4 on ``text``; with ``stored``, also the checked document as a
    refresh ships it (``None`` when JSON cannot hold it)."""
    try:
        doc = _parse(text, path)  # 1. read
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
    if not stored:
        return model, None
    for loc, value in written:  # the checked form holds the file as written
        value_at(doc.data, loc[:-1])[loc[-1]] = value
    return model, stored_form(CheckedDocument(doc.data, found))


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


def _build_from_checked(
    cached: CheckedDocument | None, environ: Mapping[str, str]
) -> BuildFile | None:
    """The build's view of a document that passed every check before: of the split
    mappings only those that are not spec-only are validated now, the others kept as
    text in :class:`.MappedDags`. ``None`` sends the caller to the full load, which
    reports any problem (an unset variable, an environment value that does not fit)
    with its position."""
    if cached is None:
        return None
    texts: dict[int, tuple[list[str], dict[str, str]]] = {}
    try:
        if _substitute(cached.data, cached.placeholders, environ):
            return None
        for index, split in cached.mappings_json.items():
            held = set(split.held)
            mappings = [validate_mapping(split.texts[n]) for n in split.held]
            cached.data["instances"][index]["mappings"] = mappings
            later = zip(split.dags, split.texts, strict=True)
            texts[index] = (
                split.dags,
                {dag: text for n, (dag, text) in enumerate(later) if n not in held},
            )
        model = AirliftFile.model_validate(cached.data)
    except (ValidationError, LookupError, TypeError):
        return None
    mapped: dict[str, MappedDags] = {}
    for index, instance in enumerate(model.instances):
        if index not in texts:
            mapped[instance.name] = MappedDags.of(instance.mappings)
            continue
        dags, later_texts = texts[index]
        models = {mapping.dag: mapping for mapping in instance.mappings}
        mapped[instance.name] = MappedDags(dags, models, later_texts)
    return BuildFile(model, mapped)


def parse_airlift_text(text: str, path: str = WHAT) -> tuple[AirliftFile | None, list[Problem]]:
    """Check ``airlift.yaml`` content given as text (used by tests and docs checks)."""
    try:
        doc = _parse(text, path)
    except YamlLoadError as exc:
        return None, [exc.problem]
    return check_airlift_document(doc)
