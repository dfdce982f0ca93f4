"""The shared corpus: every file through our checker and through the JSON Schema.

Good files pass both. Each bad file declares what it expects in leading comments,
``# expect: LINE[:COL] message fragment`` (cross-file cases prefix a path relative
to their airlift.yaml: ``# expect: proxied_state/x.yaml:1 ...``); the checker must
report exactly those problems. The JSON Schema must give the same verdict as the
checker, except for files whose every problem comes from a rule listed in
``NON_SCHEMA_RULES``; a last test proves that list has no stale entry.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from airlift_component.config.airlift_yaml.rules import NON_SCHEMA_RULES
from airlift_component.config.problems import Problem
from airlift_component.config.validation.discovery import guess_kind, kind_by_name
from airlift_component.config.validation.validate import ValidationResult, validate_paths
from airlift_component.config.yaml.read import YamlLoadError, load_yaml_file

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "corpus"
SCHEMAS = {
    "airlift": REPO / "schemas" / "airlift.schema.json",
    "proxied-state": REPO / "schemas" / "proxied-state.schema.json",
}
_EXPECT = re.compile(
    rb"^# expect: (?:(?P<file>\S+\.ya?ml):)?(?P<line>\d+)(?::(?P<col>\d+))? (?P<fragment>.+)$"
)


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml"))


GOOD = _yaml_files(CORPUS / "good")
BAD = sorted(p for p in (CORPUS / "bad").rglob("*") if p.is_file())
CROSS = sorted((CORPUS / "cross").rglob("airlift.yaml"))


def _id(path: Path) -> str:
    return str(path.relative_to(CORPUS))


@dataclass(frozen=True)
class Expect:
    path: Path
    line: int
    col: int | None
    fragment: str

    def matches(self, problem: Problem) -> bool:
        return (
            Path(problem.path).resolve() == self.path.resolve()
            and problem.line == self.line
            and (self.col is None or problem.col == self.col)
            and self.fragment in problem.message
        )


def expectations(path: Path) -> list[Expect]:
    """The ``# expect:`` lines at the top of ``path``."""
    found = []
    for raw in path.read_bytes().splitlines():
        if not raw.startswith(b"#"):
            break
        match = _EXPECT.match(raw)
        if match:
            target = path.parent / match["file"].decode() if match["file"] else path
            col = int(match["col"]) if match["col"] else None
            found.append(Expect(target, int(match["line"]), col, match["fragment"].decode()))
    return found


@cache
def _schema(kind: str) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(json.loads(SCHEMAS[kind].read_text(encoding="utf-8")))


def schema_accepts(path: Path) -> bool:
    """The JSON Schema's verdict on one file (a file that is not YAML is refused by both)."""
    try:
        doc = load_yaml_file(path, what="corpus file")
    except YamlLoadError:
        return False
    kind = kind_by_name(path) or guess_kind(doc.data)
    return bool(_schema(kind).is_valid(doc.data))


def schema_accepts_case(airlift_yaml: Path) -> bool:
    """A cross-file case: its airlift.yaml and every proxied-state file it contains."""
    case = CORPUS / "cross" / airlift_yaml.relative_to(CORPUS / "cross").parts[0]
    files = [airlift_yaml, *_yaml_files(case)]
    return all(schema_accepts(p) for p in dict.fromkeys(files))


def _rules(result: ValidationResult) -> set[str]:
    return {problem.rule for problem in result.problems}


def _formatted(result: ValidationResult) -> list[str]:
    return [problem.format() for problem in result.problems]


def test_corpus_is_big_enough() -> None:
    assert len(GOOD) >= 10
    assert len(BAD) >= 40
    kinds = {kind_by_name(p) for p in GOOD}
    assert kinds == {"airlift", "proxied-state"}


@pytest.mark.parametrize("path", GOOD, ids=_id)
def test_good_file_passes_checker_and_schema(path: Path) -> None:
    result = validate_paths([path])
    assert result.ok, _formatted(result)
    assert schema_accepts(path)


@pytest.mark.parametrize("path", BAD + CROSS, ids=_id)
def test_bad_file_reports_exactly_what_it_expects(path: Path) -> None:
    expected = expectations(path)
    assert expected, f"{path} declares no '# expect:' line"
    result = validate_paths([path])
    unmatched = list(result.problems)
    for expect in expected:
        hit = next((p for p in unmatched if expect.matches(p)), None)
        assert hit is not None, f"{expect} not among {_formatted(result)}"
        unmatched.remove(hit)
    assert not unmatched, f"unexpected problems: {[p.format() for p in unmatched]}"


@pytest.mark.parametrize("path", BAD + CROSS, ids=_id)
def test_schema_agrees_with_checker(path: Path) -> None:
    result = validate_paths([path])
    assert not result.ok
    accepted = schema_accepts_case(path) if path in CROSS else schema_accepts(path)
    if _rules(result) <= set(NON_SCHEMA_RULES):
        assert accepted, f"{_rules(result)} are listed as beyond the schema, yet it refuses"
    else:
        assert not accepted, f"the schema accepts a file the checker refuses: {_formatted(result)}"


def test_non_schema_rules_are_exactly_the_differences() -> None:
    differing: set[str] = set()
    for path in BAD + CROSS:
        accepted = schema_accepts_case(path) if path in CROSS else schema_accepts(path)
        if accepted:
            differing |= _rules(validate_paths([path]))
    assert differing == set(NON_SCHEMA_RULES)


def test_every_rule_of_the_checker_has_a_bad_file() -> None:
    rules: set[Any] = set()
    for path in BAD + CROSS:
        rules |= _rules(validate_paths([path]))
    assert set(NON_SCHEMA_RULES) | {"yaml", "duplicate-yaml-key", ""} <= rules
