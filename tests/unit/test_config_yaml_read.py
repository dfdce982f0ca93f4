"""Located YAML reading: positions, merges, duplicate keys, tags, file-level mistakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlift_component.config.yaml.read import (
    YamlLoadError,
    format_loc,
    load_yaml_file,
    parse_yaml_text,
)

TEXT = """\
version: 1
instances:
  - name: a
    url: https://a.example.com
    auth:
      type: none
"""


def _error(text: str) -> YamlLoadError:
    with pytest.raises(YamlLoadError) as info:
        parse_yaml_text(text, "f.yaml", what="airlift.yaml")
    return info.value


def test_positions_of_values_and_keys() -> None:
    doc = parse_yaml_text(TEXT, "f.yaml", what="x")
    assert doc.position(("instances", 0, "url")) == (4, 10)
    assert doc.position(("instances", 0, "url"), key=True) == (4, 5)
    assert doc.position(("instances", 0, "auth", "type")) == (6, 13)


def test_position_of_a_missing_key_is_its_deepest_parent() -> None:
    doc = parse_yaml_text(TEXT, "f.yaml", what="x")
    assert doc.position(("instances", 0, "auth", "password")) == (6, 7)
    assert doc.position(("instances", 5)) == doc.position(("instances",))


def test_problem_carries_path_field_and_rule() -> None:
    doc = parse_yaml_text(TEXT, "f.yaml", what="x")
    problem = doc.problem(("instances", 0, "name"), "bad", hint="fix it", rule="r")
    assert problem.format() == "f.yaml:3:11: bad (fix it)"
    assert (problem.field, problem.rule) == ("$.instances[0].name", "r")
    assert format_loc(()) == "$"


def test_merge_keys_first_source_wins_and_explicit_keys_win() -> None:
    doc = parse_yaml_text(
        "a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  x: 3\n", "f", what="x"
    )
    assert doc.data["c"] == {"x": 3, "y": 1, "z": 2}
    assert doc.position(("c", "z")) == (2, 17)  # found through the merge
    assert doc.position(("c", "y")) == (1, 17)  # the first source, as in the data
    assert doc.position(("c", "x")) == (5, 6)


def test_values_keep_json_types_and_timestamps_stay_strings() -> None:
    doc = parse_yaml_text(
        "a: 2024-01-01\nb: False\nc: 1_000\nd: ~\ne: '1'\nf: 1.5\n", "f", what="x"
    )
    assert doc.data == {"a": "2024-01-01", "b": False, "c": 1000, "d": None, "e": "1", "f": 1.5}


@pytest.mark.parametrize(
    ("text", "line", "col", "fragment"),
    [
        ("a: 1\nb: 2\na: 3\n", 3, 1, "duplicate key 'a' (first defined on line 1)"),
        ("a:\n  b: 1\n  b: 2\n", 3, 3, "duplicate key 'b'"),
        ("a: [1\n", 2, 1, "YAML syntax error"),
        ("a: 1\n---\nb: 2\n", 2, 1, "expected a single document"),
        ("", 1, 1, "file is empty"),
        ("# only a comment\n", 1, 1, "file is empty"),
        ("- 1\n", 1, 1, "the top level is a list, not a mapping"),
        ("just text\n", 1, 1, "the top level is a single value"),
        ("a: !custom 1\n", 1, 4, "unsupported YAML tag '!custom'"),
        ("a: !!binary aGk=\n", 1, 4, "unsupported YAML tag '!!binary'"),
        ("a: !!set {x}\n", 1, 4, "unsupported YAML tag '!!set'"),
        ("a: !!int one\n", 1, 4, "'one' cannot be read as int"),
        ("a: !!bool maybe\n", 1, 4, "'maybe' cannot be read as bool"),
        ("a: &x [*x]\n", 1, 4, "recursive YAML alias"),
        ("? [a]\n: 1\n", 1, 3, "mapping keys must be plain values"),
        ("a: 1\n<<: 5\n", 2, 5, "a '<<' merge key needs a mapping"),
        ("a: 1\x00\n", 1, 1, "this is not a text file"),
    ],
)
def test_load_errors_are_located(text: str, line: int, col: int, fragment: str) -> None:
    problem = _error(text).problem
    assert (problem.line, problem.col) == (line, col)
    assert fragment in problem.message
    assert problem.rule in ("yaml", "duplicate-yaml-key")


def test_file_level_mistakes(tmp_path: Path) -> None:
    binary = tmp_path / "airlift.yaml"
    binary.write_bytes(b"\x89PNG\x00\x00")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"a: 1\nb: caf\xe9\n")
    cases = {
        binary: "this is not a text file",
        latin: "file is not valid UTF-8",
        tmp_path / "missing.yaml": "no such file",
        tmp_path: "is a folder, not a file",
    }
    for path, fragment in cases.items():
        with pytest.raises(YamlLoadError) as info:
            load_yaml_file(path, what="airlift.yaml")
        assert fragment in info.value.problem.message
        assert info.value.problem.path == str(path)
    with pytest.raises(YamlLoadError) as info:
        load_yaml_file(latin, what="x")
    assert info.value.problem.line == 2


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "airlift.yaml"
    path.write_bytes("\ufeffa: é\n".encode())
    assert load_yaml_file(path, what="x").data == {"a": "é"}


def test_placeholder_strings_are_recorded() -> None:
    doc = parse_yaml_text("a: ${X}\nb: [x, 'y${Z:-1}']\nc: plain\n", "f", what="x")
    assert doc.placeholder_strings == ["${X}", "y${Z:-1}"]


@pytest.mark.parametrize(
    "value",
    [
        "",
        "~",
        "null",
        "true",
        "off",
        "Yes",
        "1",
        "-1",
        "0x1f",
        "0o17",
        "1_000",
        "1.5",
        ".nan",
        "-.inf",
        "2024-01-01",
        "2024-01-01T00:00:00Z",
        "<<",
        "=",
        "task_1",
        "No",
        "1:20",
        "0b101",
    ],
)
def test_tags_resolve_as_pyyaml_resolves_them(value: str) -> None:
    import yaml

    from airlift_component.config.yaml.values import Loader

    expected = yaml.SafeLoader("").resolve(yaml.ScalarNode, value, (True, False))
    assert Loader("").resolve(yaml.ScalarNode, value, (True, False)) == expected


def test_the_tag_cache_keeps_no_long_values() -> None:
    from airlift_component.config.yaml import values as yaml_values

    long_value = "t" * 10_000
    parse_yaml_text(f"a: {long_value}\n", "f.yaml", what="x")
    assert long_value not in yaml_values._RESOLVED
