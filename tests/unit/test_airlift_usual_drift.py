"""The usual check (config/airlift_yaml/usual.py) cannot drift from the models: its
per-field checks are compiled from the models' JSON Schema (schema_checks.py), so a
tightened constraint is followed; what the schema cannot say (the models' validators,
field types the schema states more loosely than the strict models take them, the
uniqueness rules) is listed here against pydantic's own record and fails by name."""

from __future__ import annotations

import copy
import json
import tomllib
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import annotated_types
import pytest
from pydantic import (
    BaseModel,
    Field,
    SecretStr,
    StrictInt,
    ValidationError,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic.functional_validators import (
    AfterValidator,
    BeforeValidator,
    PlainValidator,
    WrapValidator,
)
from pydantic.types import Strict

from airlift_component.config.airlift_yaml import usual
from airlift_component.config.airlift_yaml.model import AirliftFile, Instance, SensorSettings
from airlift_component.config.airlift_yaml.rules import NON_SCHEMA_RULES
from airlift_component.config.airlift_yaml.schema_checks import compile_schema
from airlift_component.config.validation.schema_export import schema_for

REPO = Path(__file__).resolve().parents[2]
MIRRORS = "config/airlift_yaml/usual.py's MIRRORED_VALIDATORS"

#: Validators in a field's type whose input the schema states exactly (pydantic writes
#: their ``json_schema_input_type``): an asset given as its key alone.
INPUT_IN_THE_SCHEMA = {
    ("DagMapping", "assets", "_key_as_spec"),
    ("TaskMapping", "assets", "_key_as_spec"),
}
#: Field types whose JSON Schema says what the strict models take, no more.
EXACT_TYPES = (str, int, float, bool, type(None), SecretStr, typing.Any)
#: Constraints the schema writes (minLength, minimum, ...).
EXACT_METADATA = (
    Strict,
    annotated_types.Ge,
    annotated_types.Le,
    annotated_types.Gt,
    annotated_types.Lt,
    annotated_types.MinLen,
    annotated_types.MaxLen,
)
VALIDATORS = (BeforeValidator, AfterValidator, PlainValidator, WrapValidator)
#: Rules of rules.py that check_airlift runs on a usual file too, or that are about
#: other files.
NOT_ON_THE_MODEL = {"literal-secret", "placeholder", "cross-file", "duplicate-task-id"}


def _models(root: type[BaseModel] = AirliftFile) -> list[type[BaseModel]]:
    """``root`` and every model its fields reach."""
    found: list[type[BaseModel]] = []

    def visit(model: type[BaseModel]) -> None:
        if model not in found:
            found.append(model)
            for name, field in model.model_fields.items():
                for kind, _ in _types(field, (model.__name__, name)):
                    if isinstance(kind, type) and issubclass(kind, BaseModel):
                        visit(kind)

    visit(root)
    return found


def _types(field: FieldInfo, where: tuple[str, str]) -> Iterator[tuple[Any, tuple[str, ...]]]:
    """Every type in a field's annotation, and every piece of metadata (as ``(item,
    ("meta", where...))``)."""
    stack: list[Any] = [field.annotation]
    for item in field.metadata:
        yield item, ("meta", *where)
    while stack:
        kind = stack.pop()
        origin = typing.get_origin(kind)
        if origin is typing.Annotated:
            stack.append(typing.get_args(kind)[0])
            for item in kind.__metadata__:
                yield item, ("meta", *where)
                if isinstance(item, FieldInfo):
                    for inner in item.metadata:
                        yield inner, ("meta", *where)
        elif origin is typing.Literal:
            yield origin, where
        elif origin in (typing.Union, types.UnionType, list):
            stack.extend(typing.get_args(kind))
        elif origin is dict:
            key, value = typing.get_args(kind)
            yield ("key", key), where
            stack.append(value)
        elif origin is not None:
            yield origin, where
        else:
            yield kind, where


def _validators(root: type[BaseModel]) -> dict[str, set[str]]:
    """The validators of ``root`` and of every model it reaches, by model."""
    found: dict[str, set[str]] = {}
    for model in _models(root):
        decorators = model.__pydantic_decorators__
        for kind in ("validators", "field_validators", "root_validators", "model_validators"):
            names = set(getattr(decorators, kind))
            if names:
                found.setdefault(model.__name__, set()).update(names)
    return found


def test_every_validator_of_the_models_is_mirrored() -> None:
    """A validator added to a model (or one removed) fails here until usual.py mirrors
    it: the schema cannot say what a validator checks."""
    found = _validators(AirliftFile)
    mirrored = {model: set(checks) for model, checks in usual.MIRRORED_VALIDATORS.items()}
    assert found == mirrored, (
        f"the models' validators changed: mirror each in {MIRRORS} "
        f"(the models have {found}, usual.py mirrors {mirrored})"
    )


def _exact(item: Any, meta: bool, models: list[type[BaseModel]]) -> bool:
    """Whether the schema says exactly what the strict models take of this type (or
    piece of metadata)."""
    if meta:
        if type(item).__name__ == "_PydanticGeneralMetadata":
            return set(vars(item)) == {"pattern"}
        return isinstance(item, (FieldInfo, *EXACT_METADATA))
    if isinstance(item, tuple):  # a dict's key type: a string
        key = item[1]
        return key is str or (
            typing.get_origin(key) is typing.Annotated and typing.get_args(key)[0] is str
        )
    return item is typing.Literal or item in EXACT_TYPES or item in models


def test_every_field_type_is_one_the_schema_says_exactly() -> None:
    """A type whose schema is looser than the strict models (an Enum, a date, a set, a
    tuple, a Decimal, a dict with other than string keys) or a validator inside a
    field's type fails here: usual.py would follow the schema and pass what the models
    refuse."""
    odd: list[str] = []
    annotated: set[tuple[str, str, str]] = set()
    models = _models()
    for model in models:
        for name, field in model.model_fields.items():
            where = (model.__name__, name)
            for item, at in _types(field, where):
                if isinstance(item, VALIDATORS):
                    annotated.add((*where, item.func.__name__))
                elif not _exact(item, at[0] == "meta", models):
                    odd.append(f"{where}: {item!r}")
    assert not odd, (
        f"the models hold types or constraints whose JSON Schema usual.py may read more "
        f"loosely than the strict models judge them: {odd}; teach "
        f"config/airlift_yaml/usual.py (or schema_checks.py) about them, then list them here"
    )
    assert annotated == INPUT_IN_THE_SCHEMA, (
        f"validators in field types changed: {sorted(annotated)}; mirror them in {MIRRORS}"
    )


#: Model settings that do not make the models refuse what their schema allows (strict
#: and forbidding unknown keys are written into the schema or checked by usual.py
#: anyway: types compared exactly, keys only those of ``properties``).
HARMLESS_CONFIG = {
    "extra",
    "strict",
    "frozen",
    "title",
    "json_schema_extra",
    "populate_by_name",
    "validate_by_alias",
    "validate_by_name",
}


def test_no_model_setting_refuses_what_the_schema_allows() -> None:
    """A setting such as ``str_max_length`` tightens every string of a model without a
    word in its schema: it fails here until usual.py follows it."""
    odd = {
        (model.__name__, key)
        for model in _models()
        for key in model.model_config
        if key not in HARMLESS_CONFIG
    }
    assert not odd, f"teach config/airlift_yaml/usual.py these model settings: {sorted(odd)}"


def test_every_rule_that_needs_the_model_is_mirrored() -> None:
    on_the_model = set(NON_SCHEMA_RULES) - NOT_ON_THE_MODEL
    assert on_the_model == set(usual.MIRRORED_RULES), (
        "rules.model_problems has other rules: mirror them in "
        "config/airlift_yaml/usual.py's _all_unique and MIRRORED_RULES"
    )


def test_the_schema_usual_reads_is_the_models() -> None:
    """In a checkout the schema is schemas/ (which test_schemas.py holds equal to the
    models); in the wheel it is the same file, shipped where usual.py looks first."""
    assert usual.SCHEMA_PLACES[1] == REPO / "schemas" / usual.SCHEMA_NAME
    read = json.loads(usual.SCHEMA_PLACES[1].read_text(encoding="utf-8"))
    assert read == schema_for(AirliftFile, schema_id=usual.SCHEMA_NAME)
    shipped = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    force_include = shipped["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    package = REPO / force_include["schemas"] / usual.SCHEMA_NAME
    assert usual.SCHEMA_PLACES[0] == package


# --- a tightened constraint is followed -------------------------------------------------


def _schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(usual.SCHEMA_PLACES[1].read_text(encoding="utf-8"))
    return loaded


def _document(sensor: dict[str, Any] | None = None, **instance: Any) -> dict[str, Any]:
    one = {"name": "a", "url": "https://x.example.com", "auth": {"type": "none"}, **instance}
    if sensor is not None:
        one["sensor"] = sensor
    return {"version": 1, "instances": [one]}


def _tightened(edit: Any) -> dict[str, Any]:
    schema = copy.deepcopy(_schema())
    edit(schema["definitions"])
    return schema


def _set(path: str, value: Any) -> Any:
    def edit(definitions: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = definitions
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[last] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "document"),
    [
        (_set("SensorSettings.properties.batch_size.maximum", 500), _document({"batch_size": 800})),
        (
            _set("Instance.properties.name.pattern", "^[a-z][a-z0-9]*$"),
            _document(name="a_1"),
        ),
        (_set("HttpSettings.required", ["verify"]), _document(http={"retries": 3})),
        (
            _set("Instance.properties.proxied_state_dir.anyOf.0.minLength", 5),
            _document(proxied_state_dir="x"),
        ),
        (
            _set("HttpSettings.properties.retries.multipleOf", 2),
            _document(http={"retries": 3}),
        ),
        (
            _set("Instance.properties.proxied_state_dir.anyOf.0.format", "path"),
            _document(proxied_state_dir="x"),
        ),
        (
            _set("SensorSettings.properties.default_status", {"$ref": "#/definitions/Status"}),
            _document({"default_status": "running"}),
        ),
    ],
    ids=[
        "smaller maximum",
        "new pattern",
        "new required key",
        "new minLength",
        "unknown keyword",
        "unknown format",
        "an Enum",
    ],
)
def test_a_tightened_schema_is_followed(edit: Any, document: dict[str, Any]) -> None:
    assert usual.checker(_schema())(document)
    assert usual.is_usual(document)
    schema = _tightened(edit)
    schema["definitions"]["Status"] = {"enum": ["running", "stopped"], "type": "string"}
    assert not usual.checker(schema)(document)
    assert usual.checker(schema)(_document())  # the rest is still usual


class _TightSensor(SensorSettings):
    batch_size: Annotated[StrictInt, Field(ge=1, le=500)] = 100

    @model_validator(mode="after")
    def _even(self) -> _TightSensor:
        if self.interval_seconds % 2:
            raise ValueError("an even interval")
        return self


class _TightInstance(Instance):
    sensor: _TightSensor = Field(default_factory=_TightSensor)


class _TightFile(AirliftFile):
    # A narrower field type, as a change to model.py would make it.
    instances: list[_TightInstance] = Field(min_length=1)  # type: ignore[assignment]


def test_a_model_tightened_is_followed_through_its_schema() -> None:
    """From the model to usual.py: a smaller bound is followed by the generated
    schema alone, a new validator fails the mirror test until usual.py has it."""
    tight = usual.checker(schema_for(_TightFile, schema_id=usual.SCHEMA_NAME))
    large = _document({"batch_size": 800})
    assert usual.is_usual(large) and AirliftFile.model_validate(large)
    assert not tight(large)
    with pytest.raises(ValidationError):
        _TightFile.model_validate(large)
    assert tight(_document({"batch_size": 400}))
    assert _validators(_TightFile)["_TightSensor"] == {"_even"}
    assert set(_validators(_TightFile)) - set(usual.MIRRORED_VALIDATORS) == {"_TightSensor"}


def test_is_usual_reads_the_schema_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tightened = tmp_path / usual.SCHEMA_NAME
    schema = _tightened(_set("SensorSettings.properties.batch_size.maximum", 500))
    tightened.write_text(json.dumps(schema), encoding="utf-8")
    monkeypatch.setattr(usual, "SCHEMA_PLACES", (tmp_path / "none.json", tightened))
    usual._file_check.cache_clear()
    try:
        assert usual.is_usual(_document({"batch_size": 400}))
        assert not usual.is_usual(_document({"batch_size": 800}))
        tightened.write_text('{"$comment": "another schema"}', encoding="utf-8")
        usual._file_check.cache_clear()
        assert not usual.is_usual(_document()), "a file not generated from the models"
    finally:
        usual._file_check.cache_clear()


# --- the compiler ------------------------------------------------------------------------


def _check(schema: dict[str, Any], **rules: Any) -> Any:
    return compile_schema({"definitions": {}, **schema}, rules)


@pytest.mark.parametrize(
    ("schema", "good", "bad"),
    [
        ({"type": "integer", "minimum": 1}, [1, 7], [0, True, 1.0, "1", None]),
        ({"type": "number", "exclusiveMinimum": 0}, [1, 0.5], [0, True, float("nan"), -1.0]),
        ({"type": "number"}, [1e300], [float("inf")]),
        (
            {"type": "string", "pattern": "^[a-z]+$"},
            ["abc"],
            ["ab1", "", "\u00e4", "ab\n", "ab\x1c", 1],
        ),
        ({"type": "string", "minLength": 2, "maxLength": 3}, ["ab", "\u00e4\u00e4"], ["a", "abcd"]),
        ({"const": 1, "type": "integer"}, [1], [True, 1.0, 2]),
        ({"enum": ["a", "b"], "type": "string"}, ["a"], ["c", None]),
        ({"anyOf": [{"type": "string"}, {"type": "null"}]}, ["x", None], [1, []]),
        (
            {"anyOf": [{"type": "integer"}, {"type": "number"}]},
            [1, 1.5],
            [True, "1"],
        ),
        ({"type": "array", "items": {"type": "string"}, "minItems": 1}, [["a"]], [[], [1], ("a",)]),
        (
            {
                "type": "object",
                "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
                "required": ["a"],
                "additionalProperties": False,
                "dependencies": {"b": ["c"]},
            },
            [{"a": "x"}],
            [{}, {"a": 1}, {"a": "x", "z": 1}, {"a": "x", "b": "y"}, {1: "x", "a": "x"}],
        ),
        (
            {"type": "object", "additionalProperties": {"type": "integer"}},
            [{}, {"k": 1}],
            [{"k": "1"}, {1: 1}],
        ),
        (
            {"type": "object", "propertyNames": {"minLength": 1}},
            [{"k": 1}],
            [{"": 1}],
        ),
        (
            {"type": "object", "oneOf": [{"required": ["a"]}, {"required": ["b"]}]},
            [{"a": 1}, {"b": 1}],
            [{}, {"a": 1, "b": 1}],
        ),
    ],
    ids=[
        "integer",
        "number",
        "finite",
        "pattern",
        "length",
        "const",
        "enum",
        "optional",
        "overlapping types",
        "array",
        "model",
        "dict",
        "key names",
        "one set of keys",
    ],
)
def test_compiled_checks(schema: dict[str, Any], good: list[Any], bad: list[Any]) -> None:
    check = _check(schema)
    assert [v for v in good if not check(v)] == []
    assert [v for v in bad if check(v)] == []


def test_a_discriminated_union_and_its_rules() -> None:
    definitions = {
        "A": {
            "type": "object",
            "properties": {"type": {"const": "a", "type": "string"}, "n": {"type": "integer"}},
            "required": ["type"],
            "additionalProperties": False,
        },
        "B": {
            "type": "object",
            "properties": {"type": {"const": "b", "type": "string"}, "x": {"format": "date"}},
            "required": ["type"],
            "additionalProperties": False,
        },
    }
    schema = {
        "definitions": definitions,
        "oneOf": [{"$ref": "#/definitions/A"}, {"$ref": "#/definitions/B"}],
    }
    check = compile_schema(schema, {"A": [lambda v: v.get("n") != 13]})
    assert check({"type": "a", "n": 1}) and check({"type": "b"})
    assert not check({"type": "a", "n": 13}), "the rule of A"
    assert not check({"type": "b", "x": "2024-01-01"}), "B's unknown part, where given"
    assert not check({"type": "c"}) and not check({"n": 1})


def test_rules_of_the_root_and_of_a_missing_definition() -> None:
    schema = {"definitions": {}, "type": "object", "required": ["a"]}
    assert compile_schema(schema, {"Top": [lambda v: len(v) == 1]}, root="Top")({"a": 1})
    assert not compile_schema(schema, {"Top": [lambda v: len(v) == 2]}, root="Top")({"a": 1})
    assert not compile_schema(schema, {"Renamed": [lambda v: True]})({"a": 1})


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "propertyNames": {"enum": ["a"]}},
        {"anyOf": [{"type": "string"}, {"type": "string", "format": "date"}]},
        {"type": "string", "pattern": "^(?i)a$"},
        {"type": "string", "pattern": "^[[:alpha:]]$"},
        {"type": "string", "pattern": "^[a-z--b]$"},
        {"type": "string", "pattern": "^(a$"},
        {"type": ["string", "null"]},
        {"not": {"type": "string"}},
        {"type": "array", "items": [{"type": "string"}]},
        {"type": "array", "uniqueItems": True},
        {"$ref": "#/definitions/Missing"},
        {"oneOf": [{"type": "string"}, {"type": "integer"}]},
    ],
    ids=[
        "key names of an enum",
        "an unknown branch",
        "inline flags",
        "a class Python reads otherwise",
        "a set difference Rust has",
        "a pattern Python refuses",
        "a list of types",
        "not",
        "tuple items",
        "a set",
        "a missing definition",
        "oneOf without a discriminator",
    ],
)
def test_what_the_compiler_does_not_know_passes_nothing(schema: dict[str, Any]) -> None:
    check = _check(schema)
    assert not any(check(v) for v in ["a", 1, None, [], ["a"], {}])
