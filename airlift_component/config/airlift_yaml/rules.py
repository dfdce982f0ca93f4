"""The rules of ``airlift.yaml`` that a JSON Schema cannot express.

Two kinds, run at two points of :mod:`airlift_component.config.airlift_yaml.load`:

* on the document as written (before ``${VAR}`` placeholders are resolved):
  placeholder syntax and literal secrets (:func:`raw_problems`);
* on the validated model: duplicates (:func:`model_problems`).

Every rule is listed in :data:`NON_SCHEMA_RULES` by the ``rule`` id its problems
carry. A checked form shipped in the Airflow state (``checked_form``) is keyed by
this module's text, so changing a rule needs nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airlift_component.config.airlift_yaml.patterns import SECRET_FIELDS, is_loopback_url
from airlift_component.config.airlift_yaml.placeholders import PlaceholderError, placeholders
from airlift_component.config.problems import Problem
from airlift_component.config.yaml.read import Loc, YamlDocument
from airlift_component.redact import userinfo_span

if TYPE_CHECKING:  # the rules on the document as written import no pydantic
    from airlift_component.config.airlift_yaml.model import AirliftFile

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
    "literal-secret": "secrets (auth fields, a password in the url's user:password@) come "
    "from ${VAR} (without a default) unless the instance is on loopback",
    "placeholder": "${VAR} placeholders are well-formed",
    "cross-file": "proxied-state files agree with airlift.yaml",
}


def walk_strings(value: Any, marker: str = "") -> list[tuple[Loc, str]]:
    """Every string in ``value`` containing ``marker``, with its location, in document order."""
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


def value_at(data: Any, loc: Loc) -> Any:
    """The value at ``loc`` (a path of keys and indexes) in ``data``."""
    for part in loc:
        data = data[part]
    return data


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
    for loc, text in walk_strings(doc.data, "${"):
        try:
            placeholders(text)
        except PlaceholderError as exc:
            problems.append(doc.problem(loc, str(exc), rule="placeholder"))
    return problems


def from_environment_only(text: str) -> bool:
    """True when no secret in ``text`` is written in the file itself.

    A placeholder's default is written in the file, so a non-empty one is a literal
    secret (``${PW:-hunter2}``). Fixed text around a required placeholder is fine
    (``Bearer ${TOKEN}``); text that is used when every placeholder falls back to
    its (empty) default is not (``literal-${EMPTY:-}``).
    """
    try:
        found = placeholders(text)
    except PlaceholderError:
        return True  # reported by the placeholder rule
    if any(p.default for p in found):
        return False
    if any(p.default is None for p in found):
        return True
    return re.sub(r"\$\{[^}]*\}", "", text) == ""


#: Stands for one placeholder (or ``$${``) while a URL is taken apart, so that the
#: text of a placeholder never reads as a delimiter of the URL.
_OPAQUE = "\x00"
_URL_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)\}")


def _opaque(url: str) -> tuple[str, list[str]]:
    """``url`` with every placeholder (and ``$${``) as one :data:`_OPAQUE` character,
    and the tokens those stand for, in order."""
    tokens: list[str] = []

    def swap(match: re.Match[str]) -> str:
        tokens.append(match.group(0))
        return _OPAQUE

    return _URL_TOKEN.sub(swap, url), tokens


def _as_written(opaque: str, start: int, end: int, tokens: list[str]) -> str:
    """``opaque[start:end]`` with its placeholders written out again."""
    index = opaque.count(_OPAQUE, 0, start)
    out = []
    for char in opaque[start:end]:
        if char == _OPAQUE:
            out.append(tokens[index])
            index += 1
        else:
            out.append(char)
    return "".join(out)


def _with_defaults(url: str) -> str:
    """``url`` as it resolves when only the required placeholders are set (each one an
    :data:`_OPAQUE` character): every default is used."""

    def fill(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return "${"
        _, sep, default = match.group(1).partition(":-")
        return default if sep else _OPAQUE

    return _URL_TOKEN.sub(fill, url)


def literal_url_password(url: str) -> bool:
    """True when ``url`` holds a password (``user:password@``) written in the file.

    The password must come from the environment, as for the auth fields
    (:func:`from_environment_only`): ``https://${USER}:${PASSWORD}@host`` is fine,
    ``https://admin:${PW:-hunter2}@host`` is not, and neither is a default that
    writes the credentials (``${URL:-https://admin:hunter2@host}``). A user without a
    password (``https://admin@host``) or with an empty one is no secret.
    """
    tokens: list[str] = []
    if _OPAQUE in url:
        opaque = url  # not a URL; its placeholders are then taken as literal text
    else:
        try:
            placeholders(url)
        except PlaceholderError:
            return False  # reported by the placeholder rule
        opaque, tokens = _opaque(url)
    span = userinfo_span(opaque)
    if span is not None and ":" in opaque[span[0] : span[1]]:
        colon = opaque.index(":", span[0])
        if not from_environment_only(_as_written(opaque, colon + 1, span[1], tokens)):
            return True
    resolved = _with_defaults(url) if tokens else opaque
    span = userinfo_span(resolved)
    if span is None:
        return False
    _, sep, password = resolved[span[0] : span[1]].partition(":")
    return bool(sep and password and _OPAQUE not in password)


def _on_loopback(url: str) -> bool:
    """True when ``url``, without its userinfo, is on the loopback interface."""
    opaque = _opaque(url)[0] if _OPAQUE not in url else url
    span = userinfo_span(opaque)
    if span is not None:
        opaque = opaque[: span[0]] + opaque[span[1] + 1 :]
    return is_loopback_url(opaque)


def shown_url(url: str) -> str:
    """``url`` for a message: when it has a userinfo (as written, or in a placeholder's
    default), all from its ``//`` to its last ``@`` is ``***``, so none of it shows."""
    start, end = url.find("//"), url.rfind("@")
    if start < 0 or end < start:
        return url
    opaque = _opaque(url)[0] if _OPAQUE not in url else url
    if userinfo_span(opaque) is None and userinfo_span(_with_defaults(url)) is None:
        return url  # an '@' in the path
    return f"{url[: start + 2]}***{url[end:]}"


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
        if not isinstance(url, str) or _on_loopback(url):
            continue
        if literal_url_password(url):
            problems.append(
                doc.problem(
                    ("instances", i, "url"),
                    f"literal secret in 'url' (a password in user:password@) for {shown_url(url)}",
                    hint="move the credentials to auth: and read them from the environment, "
                    "without a default, e.g. auth: {type: basic, username: ${AIRFLOW_USER}, "
                    "password: ${AIRFLOW_PASSWORD}}",
                    rule="literal-secret",
                )
            )
        if not isinstance(auth, dict):
            continue
        auth_type = auth.get("type")
        for field in SECRET_FIELDS.get(auth_type, ()) if isinstance(auth_type, str) else ():
            raw = auth.get(field)
            if isinstance(raw, str) and not from_environment_only(raw):
                problems.append(
                    doc.problem(
                        ("instances", i, "auth", field),
                        f"literal secret in '{field}' for {shown_url(url)}",
                        hint=f"read it from the environment, without a default, e.g. "
                        f"{field}: ${{AIRFLOW_{field.upper()}}}",
                        rule="literal-secret",
                    )
                )
    return problems


def raw_problems(doc: YamlDocument) -> list[Problem]:
    """The rules that look at the document as written: placeholder syntax, literal secrets."""
    return _placeholder_problems(doc) + _secret_problems(doc)


@dataclass(frozen=True)
class _Unique:
    """One uniqueness rule: where its values were first seen, and how to report a repeat."""

    rule: str
    hint: str
    seen: dict[Any, Loc]


def _unique(rule: str, hint: str) -> _Unique:
    return _Unique(rule, hint, {})


def _claims(doc: YamlDocument, model: AirliftFile) -> Iterator[tuple[_Unique, Any, Loc, str]]:
    """Every value that must be unique within its scope, with where it is and what it is."""
    instances = _unique("duplicate-instance", "give each instance its own name")
    asset_keys = _unique(
        "duplicate-asset-key", "an asset is produced by exactly one DAG or task; rename one"
    )
    for i, instance in enumerate(model.instances):
        iloc: Loc = ("instances", i)
        yield (
            instances,
            instance.name,
            (*iloc, "name"),
            f"instance name {instance.name!r} is used twice",
        )
        dags = _unique("duplicate-dag", "merge the two entries into one")
        for d, mapping in enumerate(instance.mappings):
            dloc: Loc = (*iloc, "mappings", d)
            yield (
                dags,
                mapping.dag,
                (*dloc, "dag"),
                (f"DAG {mapping.dag!r} is mapped twice in instance {instance.name!r}"),
            )
            entries: list[tuple[Loc, Any]] = [
                ((*dloc, "assets", a), spec) for a, spec in enumerate(mapping.assets)
            ]
            tasks = _unique("duplicate-task", "merge the two entries into one")
            for t, task in enumerate(mapping.tasks):
                tloc: Loc = (*dloc, "tasks", t)
                yield (
                    tasks,
                    task.task,
                    (*tloc, "task"),
                    (f"task {task.task!r} is mapped twice in DAG {mapping.dag!r}"),
                )
                entries.extend(((*tloc, "assets", a), spec) for a, spec in enumerate(task.assets))
            for aloc, spec in entries:
                key_loc = aloc if isinstance(value_at(doc.data, aloc), str) else (*aloc, "key")
                yield asset_keys, spec.key, key_loc, f"asset key {spec.key!r} is produced twice"
        # An Airflow asset's key override may not reuse a mapped key (or another override's):
        # the Airflow asset is recorded from Airflow's asset events, apart from any task.
        for uri, key in instance.airflow_assets.keys.items():
            where: Loc = (*iloc, "airflow_assets", "keys", uri)
            yield asset_keys, key, where, f"asset key {key!r} is produced twice"


def model_problems(doc: YamlDocument, model: AirliftFile) -> list[Problem]:
    """The rules that need the validated model: every name and key that must be unique."""
    problems = []
    for unique, value, loc, what in _claims(doc, model):
        first = unique.seen.setdefault(value, loc)
        if first is not loc:
            line = doc.position(first)[0]
            problems.append(
                doc.problem(
                    loc, f"{what} (first on line {line})", hint=unique.hint, rule=unique.rule
                )
            )
    return problems
