"""A JSON Schema compiled into plain Python checks, for the usual check (:mod:`.usual`).

:func:`compile_schema` turns the draft-07 schema that ``airlift schema`` writes from
the models (``schemas/airlift.schema.json``) into one function ``value -> bool``. It
understands only the keywords that schema meets, in the shapes pydantic writes them,
and is conservative: every check is at least as strict as the schema (strings
matched by a pattern are ASCII, numbers finite, mapping keys strings), and a
keyword or shape it does not know is :class:`Unknown`, which makes the value that
holds it fail (a property of an unknown shape fails whenever it is given; an unknown
branch of ``anyOf`` fails the whole ``anyOf``), so the models judge it.

What the schema cannot say (the models' validators) is added per definition, and for
the top model by its name (``root``), by the caller (``rules``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

Check = Callable[[Any], bool]

#: Keywords that say nothing about validity.
_ANNOTATIONS = frozenset(
    {"title", "description", "default", "examples", "$comment", "writeOnly", "readOnly"}
)
_TYPES: dict[str, frozenset[str]] = {
    "string": frozenset({"minLength", "maxLength", "pattern", "format"}),
    "integer": frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}),
    "number": frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}),
    "boolean": frozenset(),
    "null": frozenset(),
    "array": frozenset({"items", "minItems", "maxItems"}),
    "object": frozenset(
        {"properties", "required", "additionalProperties", "propertyNames", "dependencies"}
    ),
}
_EVERY_TYPE = frozenset({"type", "const", "enum"})
#: The Python types of the values a JSON type stands for, as the strict models take them.
_PYTHON_TYPES: dict[Any, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
    "object": (dict,),
    "array": (list,),
}
#: Formats whose values the models take as plain strings (``SecretStr``).
_STRING_FORMATS = frozenset({"password"})
#: Regex syntax that Rust's engine (pydantic's) and Python's may read differently:
#: flags and look-arounds, nested and POSIX classes, and the class set operations Rust
#: has and Python only warns about (``--``, ``&&``, ``~~``, ``||``).
_FOREIGN_SYNTAX = re.compile(r"\(\?(?!:)|\[\[|\[:|--|&&|~~|\|\|")


class Unknown(ValueError):
    """A keyword or shape the compiler does not understand."""


def _never(v: Any) -> bool:
    return False


def _anything(v: Any) -> bool:
    return True


def _both(first: Check, second: Check) -> Check:
    return lambda v: first(v) and second(v)


def _int_value(node: Mapping[str, Any], key: str) -> int | None:
    value = node.get(key)
    if value is not None and type(value) is not int:
        raise Unknown(f"{key}: {value!r}")
    return value


def _bound(node: Mapping[str, Any], key: str) -> float | None:
    value = node.get(key)
    if value is not None and type(value) not in (int, float):
        raise Unknown(f"{key}: {value!r}")
    return value


def _pattern(pattern: Any) -> Check:
    """An ASCII string that Python's ``fullmatch`` of the pattern matches: there, with
    ``re.ASCII`` (``\\s`` is ``[ \\t\\n\\r\\f\\v]`` as in Rust), it agrees with
    pydantic's (Rust) search of the same pattern or is stricter."""
    if type(pattern) is not str or _FOREIGN_SYNTAX.search(pattern):
        raise Unknown(f"pattern {pattern!r}")
    try:
        match = re.compile(pattern, re.ASCII).fullmatch
    except re.error as exc:
        raise Unknown(f"pattern {pattern!r}") from exc
    return lambda v: type(v) is str and v.isascii() and match(v) is not None


def _string(node: Mapping[str, Any]) -> Check:
    if "format" in node and node["format"] not in _STRING_FORMATS:
        raise Unknown(f"format {node['format']!r}")
    low = _int_value(node, "minLength") or 0
    high = _int_value(node, "maxLength")
    match = _pattern(node["pattern"]) if "pattern" in node else None
    if high is None and match is None:
        if low == 0:
            return lambda v: type(v) is str
        return lambda v: type(v) is str and len(v) >= low
    if high is None and low == 0 and match is not None:
        return match
    return lambda v: (
        type(v) is str
        and low <= len(v)
        and (high is None or len(v) <= high)
        and (match is None or match(v))
    )


def _number(node: Mapping[str, Any], *, whole: bool) -> Check:
    """StrictInt: an int, not a bool. StrictFloat: a finite float or an int (not a bool)."""
    low, high = _bound(node, "minimum"), _bound(node, "maximum")
    above, below = _bound(node, "exclusiveMinimum"), _bound(node, "exclusiveMaximum")

    def check(v: Any) -> bool:
        if type(v) is not int and (whole or type(v) is not float or not math.isfinite(v)):
            return False
        return (
            (low is None or v >= low)
            and (high is None or v <= high)
            and (above is None or v > above)
            and (below is None or v < below)
        )

    return check


def _choices(node: Mapping[str, Any]) -> Check:
    values = [node["const"]] if "const" in node else node["enum"]
    if type(values) is not list or ("const" in node and "enum" in node):
        raise Unknown("enum")
    choices = [(type(value), value) for value in values]
    return lambda v: (type(v), v) in choices


def _dependency(key: str, keys: frozenset[str]) -> Check:
    return lambda v: key not in v or keys <= v.keys()


class _Compiler:
    def __init__(
        self, schema: Mapping[str, Any], rules: Mapping[str, Iterable[Check]], root: str
    ) -> None:
        self.definitions: Mapping[str, Any] = schema.get("definitions", {})
        if not isinstance(self.definitions, dict):
            raise Unknown("definitions")
        self.rules = rules
        unknown = set(rules) - set(self.definitions) - {root}
        if unknown:
            raise Unknown(f"rules for definitions the schema lacks: {sorted(unknown)}")
        self.compiled: dict[str, Check] = {}
        self.compiling: set[str] = set()

    def ref(self, node: Mapping[str, Any]) -> Check:
        ref = node["$ref"]
        if len(node) != 1 or type(ref) is not str or not ref.startswith("#/definitions/"):
            raise Unknown(f"$ref {ref!r}")
        name = ref.removeprefix("#/definitions/")
        if name in self.compiled:
            return self.compiled[name]
        if name not in self.definitions or name in self.compiling:
            raise Unknown(f"$ref {ref!r}")  # missing, or recursive: not met in our schema
        definition = self.definitions[name]
        if not isinstance(definition, dict) or definition.get("type") != "object":
            raise Unknown(f"{name}: not a model")  # an Enum, say: strict models want instances
        self.compiling.add(name)
        try:
            check = self.node(definition, self.rules.get(name, ()))
        finally:
            self.compiling.discard(name)
        self.compiled[name] = check
        return check

    def node(self, node: Any, then: Iterable[Check] = ()) -> Check:
        """The check of ``node``, and of the ``then`` checks on a value that passed it."""
        if node is True:
            return _anything
        if not isinstance(node, dict):
            raise Unknown(f"schema {node!r}")
        node = {k: v for k, v in node.items() if k not in _ANNOTATIONS}
        if "$ref" in node:
            return self.ref(node)
        # Checks on a mapping's keys, run after its values: they are cheap, and one
        # closure is faster than a chain.
        post = list(then)
        checks = []
        for keyword, combine in (("anyOf", any), ("allOf", all)):
            if keyword in node:
                checks.append(self.branches(node.pop(keyword), combine))
        if "oneOf" in node:
            one_of = self.one_of(node.pop("oneOf"))
            (post if node.get("type") == "object" else checks).append(one_of)
        if node.get("type") == "object":
            checks.append(self.typed(node, post))
        else:
            if node:
                checks.append(self.typed(node))
            checks.extend(post)
        if not checks:
            return _anything
        check = checks[0]
        for more in checks[1:]:
            check = _both(check, more)
        return check

    def branches(self, nodes: Any, combine: Callable[[Any], bool]) -> Check:
        if type(nodes) is not list or not nodes:
            raise Unknown("anyOf/allOf")
        checks = [self.node(branch) for branch in nodes]  # an unknown branch: all unknown
        if len(checks) == 1:
            return checks[0]
        if combine is any:
            kinds = [_PYTHON_TYPES.get(self.json_type(branch), ()) for branch in nodes]
            table = {
                kind: check
                for kinds_of, check in zip(kinds, checks, strict=True)
                for kind in kinds_of
            }
            if all(kinds) and len(table) == sum(map(len, kinds)):
                # Branches of distinct types (a string or a model, a value or null).
                return lambda v: (check := table.get(type(v))) is not None and check(v)
        return lambda v: combine(check(v) for check in checks)

    def json_type(self, node: Any) -> Any:
        """The ``type`` a value of ``node`` has, when it says one."""
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            node = self.definitions.get(node["$ref"].removeprefix("#/definitions/"))
        return node.get("type") if isinstance(node, dict) else None

    def one_of(self, nodes: Any) -> Check:
        """Either branches that each require their own keys (exactly one set given), or
        models told apart by a required constant ``type`` (a discriminated union)."""
        if type(nodes) is not list or not nodes:
            raise Unknown("oneOf")
        if all(isinstance(n, dict) and n.keys() == {"required"} for n in nodes):
            sets = [frozenset(self.names(n["required"])) for n in nodes]
            if len(sets) == 2 and all(len(keys) == 1 for keys in sets):
                (first,), (second,) = sets
                return lambda v: type(v) is dict and (first in v) is not (second in v)

            def exactly_one(v: Any) -> bool:
                if type(v) is not dict:
                    return False
                given = 0
                for keys in sets:
                    given += keys <= v.keys()
                return given == 1

            return exactly_one
        variants: dict[str, Check] = {}
        for branch in nodes:
            if not isinstance(branch, dict) or branch.keys() != {"$ref"}:
                raise Unknown("oneOf")
            definition = self.definitions.get(str(branch["$ref"]).rpartition("/")[2])
            kind = self.discriminator(definition)
            if kind in variants:
                raise Unknown("oneOf")
            try:
                variants[kind] = self.ref(branch)
            except Unknown:
                variants[kind] = _never  # only that variant is left to the models

        def check(v: Any) -> bool:
            kind = v.get("type") if type(v) is dict else None
            variant = variants.get(kind) if type(kind) is str else None
            return variant is not None and variant(v)

        return check

    @staticmethod
    def discriminator(definition: Any) -> str:
        try:
            kind = definition["properties"]["type"]["const"]
            required = "type" in definition["required"]
        except (KeyError, TypeError):
            raise Unknown("oneOf without a constant type") from None
        if type(kind) is not str or not required:
            raise Unknown("oneOf without a constant type")
        return kind

    @staticmethod
    def names(value: Any) -> list[str]:
        if type(value) is not list or not all(type(name) is str for name in value):
            raise Unknown(f"names {value!r}")
        return value

    def typed(self, node: dict[str, Any], post: list[Check] | None = None) -> Check:
        kind = node.get("type")
        if kind is None:
            if node.keys() <= {"const", "enum"}:
                return _choices(node)
            raise Unknown(f"keywords without a type: {sorted(node)}")
        if type(kind) is not str or kind not in _TYPES or node.keys() - _EVERY_TYPE - _TYPES[kind]:
            raise Unknown(f"type {kind!r} with {sorted(node)}")
        if "const" in node or "enum" in node:
            choices = _choices(node)
            if node.keys() - _EVERY_TYPE:
                raise Unknown(f"choices with {sorted(node)}")
            return choices
        if kind == "string":
            return _string(node)
        if kind in ("integer", "number"):
            return _number(node, whole=kind == "integer")
        if kind == "boolean":
            return lambda v: type(v) is bool
        if kind == "null":
            return lambda v: v is None
        if kind == "array":
            return self.array(node)
        return self.object(node, post or [])

    def part(self, node: Any) -> Check:
        """The check of a part of a value (a property, an item): an unknown part fails
        wherever it is given."""
        try:
            return self.node(node)
        except Unknown:
            return _never

    def array(self, node: dict[str, Any]) -> Check:
        if not isinstance(node.get("items", {}), dict):
            raise Unknown("items of a tuple")  # the strict models take a tuple, not a list
        item = self.part(node["items"]) if "items" in node else _anything
        low = _int_value(node, "minItems") or 0
        high = _int_value(node, "maxItems")
        return lambda v: (
            type(v) is list
            and low <= len(v)
            and (high is None or len(v) <= high)
            and all(map(item, v))
        )

    def object(self, node: dict[str, Any], post: list[Check]) -> Check:
        """A mapping with string keys, each value passing its property's check (or the
        check of ``additionalProperties``), the required keys given, then passing each
        check of ``post``."""
        properties = node.get("properties", {})
        if not isinstance(properties, dict):
            raise Unknown("properties")
        fields = {name: self.part(schema) for name, schema in properties.items()}
        needed = frozenset(self.names(node.get("required", [])))
        extra = node.get("additionalProperties", True)
        other = None if extra is False else self.part(extra)
        names = self.property_names(node["propertyNames"]) if "propertyNames" in node else None
        dependencies = node.get("dependencies", {})
        if not isinstance(dependencies, dict):
            raise Unknown("dependencies")
        after = {key: frozenset(self.names(keys)) for key, keys in dependencies.items()}

        def check(v: Any) -> bool:
            if type(v) is not dict or not needed <= v.keys():
                return False
            for key, value in v.items():
                field = fields.get(key, other) if type(key) is str else None
                if field is None or not field(value):
                    return False
            return True

        if names is not None:
            post.append(lambda v: all(map(names, v)))
        post.extend(_dependency(key, keys) for key, keys in after.items())
        if not post:
            return check

        def check_then(v: Any) -> bool:
            if not check(v):
                return False
            for more in post:  # noqa: SIM110 (no generator per value: this runs per task)
                if not more(v):
                    return False
            return True

        return check_then

    def property_names(self, node: Any) -> Check:
        """The check of every key of a mapping (a string, in any case)."""
        if not isinstance(node, dict):
            raise Unknown("propertyNames")
        node = {k: v for k, v in node.items() if k not in _ANNOTATIONS}
        if node.get("type", "string") != "string" or node.keys() - {"type"} - _TYPES["string"]:
            raise Unknown(f"propertyNames {sorted(node)}")
        return _string(node)


def compile_schema(
    schema: Mapping[str, Any],
    rules: Mapping[str, Iterable[Check]] | None = None,
    root: str = "",
) -> Check:
    """One check of a whole document: ``True`` only when ``schema`` (as ``airlift
    schema`` writes it) passes the value and each rule passes the values of its
    definition (``rules[root]`` the whole value); a schema the compiler does not
    understand at the top, or rules for a definition it lacks, pass nothing."""
    rules = rules or {}
    top = {k: v for k, v in schema.items() if k not in ("definitions", "$schema", "$id")}
    try:
        return _Compiler(schema, rules, root).node(top, rules.get(root, ()))
    except Unknown:
        return _never
