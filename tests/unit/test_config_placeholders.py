"""``${VAR}`` placeholders: syntax at validate time, values at load time."""

from __future__ import annotations

import pytest

from airlift_component.config.airlift_yaml.placeholders import (
    Placeholder,
    PlaceholderError,
    has_placeholder,
    placeholders,
    resolve,
)


def test_placeholders_are_found_with_defaults() -> None:
    assert placeholders("${A}-${B:-x}-${C:-}") == [
        Placeholder("A", None),
        Placeholder("B", "x"),
        Placeholder("C", ""),
    ]
    assert placeholders("no placeholders, $HOME and $${ESCAPED}") == []


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("${A", "unclosed"),
        ("${1A}", "bad placeholder"),
        ("${A-B}", "bad placeholder"),
        ("${}", "bad"),
    ],
)
def test_bad_syntax_is_an_error(text: str, fragment: str) -> None:
    with pytest.raises(PlaceholderError, match=fragment):
        placeholders(text)
    assert not has_placeholder(text)


def test_resolve_uses_environment_then_default() -> None:
    env = {"USER": "ann", "EMPTY": ""}
    assert resolve("${USER}:${PASS:-dflt}:${EMPTY:-x}:$${USER}", env) == "ann:dflt::${USER}"


def test_unset_variable_names_the_variable_and_no_value() -> None:
    with pytest.raises(PlaceholderError) as info:
        resolve("${AIRFLOW_PASSWORD}", {"OTHER": "hunter2"})
    assert "AIRFLOW_PASSWORD is not set" in str(info.value)
    assert "hunter2" not in str(info.value)
