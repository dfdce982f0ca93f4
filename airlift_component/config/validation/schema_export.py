"""JSON Schema documents generated from the pydantic models.

Editors' YAML language servers and most pre-commit schema checkers speak draft-07,
so pydantic's 2020-12 output is rewritten into that dialect: ``$defs`` becomes
``definitions``, ``$ref`` never has siblings (draft-07 ignores them) and the
OpenAPI-only ``discriminator`` keyword is dropped (the ``oneOf`` it annotates is
kept and is enough for validation). The output is deterministic: keys sorted,
two-space indent, trailing newline, so ``airlift schema --check`` can compare bytes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

DRAFT_07 = "http://json-schema.org/draft-07/schema#"

#: Schema file name → ``(module, model class name)``; the models are imported on use.
SCHEMA_FILES: dict[str, tuple[str, str]] = {
    "airlift.schema.json": ("airlift_component.config.airlift_yaml.model", "AirliftFile"),
    "proxied-state.schema.json": (
        "airlift_component.config.proxied_state.file",
        "ProxiedStateFile",
    ),
}

_DROPPED_KEYWORDS = frozenset({"discriminator"})


def _model(module: str, name: str) -> type[BaseModel]:
    import importlib

    model: type[BaseModel] = getattr(importlib.import_module(module), name)
    return model


def _to_draft07(node: Any) -> Any:
    if isinstance(node, list):
        return [_to_draft07(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED_KEYWORDS:
            continue
        if key == "$defs":
            out["definitions"] = {name: _to_draft07(item) for name, item in value.items()}
        elif key == "$ref" and isinstance(value, str):
            out[key] = value.replace("#/$defs/", "#/definitions/")
        else:
            out[key] = _to_draft07(value)
    if "$ref" in out and len(out) > 1:
        ref = out.pop("$ref")
        out["allOf"] = [{"$ref": ref}, *out.get("allOf", [])]
    return out


def schema_for(model: type[BaseModel], *, schema_id: str) -> dict[str, Any]:
    """The draft-07 JSON Schema of ``model`` (validation mode)."""
    generated = model.model_json_schema(mode="validation", ref_template="#/definitions/{model}")
    schema = _to_draft07(generated)
    schema["$schema"] = DRAFT_07
    schema["$id"] = schema_id
    return schema


def render(schema: dict[str, Any]) -> str:
    """Serialise a schema the same way every time (sorted keys, trailing newline)."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generate() -> dict[str, str]:
    """Every schema file's name and its text."""
    return {
        file_name: render(schema_for(_model(module, name), schema_id=file_name))
        for file_name, (module, name) in SCHEMA_FILES.items()
    }


def write_schemas(out_dir: Path) -> list[Path]:
    """Write every schema into ``out_dir``; returns the files that changed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    changed = []
    for file_name, text in generate().items():
        target = out_dir / file_name
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            changed.append(target)
    return changed


def stale_schemas(out_dir: Path) -> list[Path]:
    """The schema files in ``out_dir`` that are missing or differ from the models."""
    stale = []
    for file_name, text in generate().items():
        target = out_dir / file_name
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            stale.append(target)
    return stale
