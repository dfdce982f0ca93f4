"""The committed JSON Schemas: generated from the models, draft-07, deterministic."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from airlift_component.config.airlift_yaml.model import AirliftFile
from airlift_component.config.proxied_state.file import ProxiedStateFile
from airlift_component.config.validation.schema_export import (
    DRAFT_07,
    SCHEMA_FILES,
    generate,
    stale_schemas,
)

REPO = Path(__file__).resolve().parents[2]
SCHEMA_DIR = REPO / "schemas"
NOT_DRAFT_07 = {
    "$defs",
    "prefixItems",
    "unevaluatedProperties",
    "unevaluatedItems",
    "dependentRequired",
    "dependentSchemas",
    "$dynamicRef",
    "$dynamicAnchor",
    "$anchor",
    "$vocabulary",
    "minContains",
    "maxContains",
    "discriminator",
}


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    return loaded


def test_committed_schemas_match_the_models() -> None:
    stale = stale_schemas(SCHEMA_DIR)
    assert not stale, f"run `airlift schema` and commit: {stale}"


@pytest.mark.parametrize("name", sorted(SCHEMA_FILES))
def test_schema_is_valid_draft_07(name: str) -> None:
    schema = _load(name)
    assert schema["$schema"] == DRAFT_07
    jsonschema.Draft7Validator.check_schema(schema)


@pytest.mark.parametrize("name", sorted(SCHEMA_FILES))
def test_schema_uses_no_keyword_draft_07_lacks(name: str) -> None:
    for node in _walk(_load(name)):
        assert not NOT_DRAFT_07 & set(node), sorted(NOT_DRAFT_07 & set(node))
        ref = node.get("$ref")
        if isinstance(ref, str):
            assert ref.startswith("#/definitions/")
            assert len(node) == 1, f"draft-07 ignores siblings of $ref: {node}"


def test_generation_is_deterministic_and_ends_with_newline() -> None:
    first, second = generate(), generate()
    assert first == second
    for text in first.values():
        assert text.endswith("}\n")
        parsed = json.loads(text)
        assert text == json.dumps(parsed, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@pytest.mark.parametrize(
    ("name", "model"),
    [("airlift.schema.json", AirliftFile), ("proxied-state.schema.json", ProxiedStateFile)],
)
def test_every_top_level_field_is_in_the_schema(name: str, model: type) -> None:
    schema = _load(name)
    fields = {info.alias or field for field, info in model.model_fields.items()}
    assert set(schema["properties"]) == fields
    assert schema["additionalProperties"] is False


def test_every_model_forbids_unknown_keys_in_the_schema() -> None:
    for node in _walk(_load("airlift.schema.json")["definitions"]):
        if node.get("type") == "object" and "properties" in node:
            assert node["additionalProperties"] is False, node.get("title")


def test_proxied_state_schema_requires_exactly_one_form() -> None:
    validator = jsonschema.Draft7Validator(_load("proxied-state.schema.json"))
    assert validator.is_valid({"proxied": True})
    assert validator.is_valid({"tasks": [{"id": "a", "proxied": False}]})
    assert not validator.is_valid({"proxied": True, "tasks": []})
    assert not validator.is_valid({})
    assert not validator.is_valid({"proxied": None})


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "airlift_component", "schema", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_schema_command_writes_then_check_detects_drift(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    missing = _cli("--out", str(out), "--check", cwd=tmp_path)
    assert missing.returncode == 1
    assert f"airlift.schema.json: missing (looked in {out.resolve()};" in missing.stdout
    assert "out of date" not in missing.stdout
    written = _cli("--out", str(out), cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    for name in SCHEMA_FILES:
        assert (out / name).read_bytes() == (SCHEMA_DIR / name).read_bytes()
    assert _cli("--out", str(out), "--check", cwd=tmp_path).returncode == 0
    target = out / "airlift.schema.json"
    target.write_text(target.read_text(encoding="utf-8").replace('"minItems": 1', '"minItems": 0'))
    drifted = _cli("--out", str(out), "--check", cwd=tmp_path)
    assert drifted.returncode == 1
    assert "airlift.schema.json" in drifted.stdout
    assert "proxied-state" not in drifted.stdout


def test_schema_check_passes_in_the_repository() -> None:
    result = _cli("--check", cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_command_reports_an_unwritable_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = _cli("--out", str(blocker / "schemas"), cwd=tmp_path)
    assert result.returncode == 2
    assert "cannot write the schemas" in result.stderr
    assert "Traceback" not in result.stderr
