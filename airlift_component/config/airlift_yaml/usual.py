"""An ``airlift.yaml`` in the usual shape, judged without pydantic.

:func:`is_usual` says whether the models (:mod:`.model`) would accept a document's
values as written and the rules that need the model (:func:`.rules.model_problems`)
would find nothing. It is conservative: anything it is not sure of (a custom auth, a
value of another type, a string outside printable ASCII where a pattern applies, a
keyword of the schema it does not know, a name used twice) makes it say no, and then
the models judge and word every problem, so what any file is told is the models'
word. ``tests/unit/test_airlift_usual.py`` holds it to that: a document it passes is
one the models pass, with no problem.

It cannot drift from the models: each field's type, pattern, bounds and required keys
come from the JSON Schema generated from them (``schemas/airlift.schema.json``, shipped
in the wheel as ``airlift_component/json_schemas``; ``test_schemas.py`` holds it equal
to the models), compiled by :mod:`.schema_checks`. Only what the schema cannot say is
written here: the models' validators (:data:`MIRRORED_VALIDATORS`, which the tests
compare with pydantic's own record of them) and the uniqueness rules of
:func:`.rules.model_problems` (:data:`MIRRORED_RULES`). Without the schema file
nothing is usual, and the models judge every file.

Pays in ``bench/bench_validate.py``'s cold rows: a cold ``airlift validate`` of a
valid file otherwise imports pydantic and builds the models (about 0.14 s CPU) and
validates 10,000 mappings with them (0.05 s); this check takes about 0.04 s. Cold
``validate .`` went from 0.50 to 0.31 s with it (and ``cli/main.py`` importing only
the command that runs). Reading and compiling the schema costs about 2 ms, and the
compiled checks run about as fast as the hand-written ones they replaced (0.043 s
against 0.038-0.044 s in process). Cold rows, medians of five alternated rounds of
each row's CPU median (7 Dec 2026, load 1.3-2.5): ``validate .`` 0.322 -> 0.320 s,
``<every file>`` 0.335 -> 0.349 s, ``<state files>`` 0.383 -> 0.386 s, ``<one file>``
0.249 -> 0.247 s.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from airlift_component.config.airlift_yaml.schema_checks import compile_schema

Check = Callable[[Any], bool]

SCHEMA_NAME = "airlift.schema.json"
_PACKAGE = Path(__file__).resolve().parents[2]
#: Where the schema is read from: in the wheel, then in a checkout.
SCHEMA_PLACES = (_PACKAGE / "json_schemas" / SCHEMA_NAME, _PACKAGE.parent / "schemas" / SCHEMA_NAME)
_GENERATED = "Generated from airlift_component.config.airlift_yaml.model"


def _assets_or_code(v: dict[str, Any]) -> bool:
    """TaskMapping: ``assets`` or ``code`` (one of them), and ``select`` only with ``code``."""
    code = v.get("code")
    return bool(v.get("assets")) != (code is not None) and (
        v.get("select") is None or code is not None
    )


def _known_timezone(v: dict[str, Any]) -> bool:
    """Decommissioned: a ``timezone`` that names a zone."""
    timezone = v.get("timezone")
    if timezone is None:
        return True
    try:
        ZoneInfo(timezone)
    except Exception:  # the models word it
        return False
    return True


def _one_variant(v: dict[str, Any]) -> bool:
    """Decommissioned: either a time schedule (cron, timezone, logical_date) or Airflow
    assets (on_assets, on_assets_updated), not both."""
    cron = [v.get(key) is not None for key in ("cron", "timezone", "logical_date")]
    assets = [v.get(key) is not None for key in ("on_assets", "on_assets_updated")]
    return (all(cron) and not any(assets)) or (all(assets) and not any(cron))


def _left_to_the_models(v: Any) -> bool:
    return False


#: Every validator of the models (pydantic's ``Model.__pydantic_decorators__``), by
#: model (``AirliftFile`` for the whole document) and validator name, and the check
#: that mirrors it on the values as written.
MIRRORED_VALIDATORS: dict[str, dict[str, Check]] = {
    "TaskMapping": {"_assets_or_code": _assets_or_code},
    "Decommissioned": {"_known_timezone": _known_timezone, "_one_variant": _one_variant},
}
#: Models whose values are never usual: a custom auth's ``options`` are handed to the
#: user's class as written and its ``class`` has a second spelling (``class_``).
LEFT_TO_THE_MODELS = ("CustomAuth",)
#: The rules of :func:`.rules.model_problems` (by ``rule`` id) that :func:`_all_unique`
#: mirrors.
MIRRORED_RULES = ("duplicate-instance", "duplicate-dag", "duplicate-task", "duplicate-asset-key")


def _rules() -> dict[str, list[Check]]:
    rules: dict[str, list[Check]] = {name: [_left_to_the_models] for name in LEFT_TO_THE_MODELS}
    for model, validators in MIRRORED_VALIDATORS.items():
        rules.setdefault(model, []).extend(validators.values())
    return rules


def checker(schema: Mapping[str, Any]) -> Check:
    """The check of a document's values against ``schema`` (the models' JSON Schema) and
    the models' validators (without the uniqueness rules)."""
    return compile_schema(schema, _rules(), root="AirliftFile")


#: The data files the usual check was built from (the schema file read). The code a
#: validation verdict is remembered with (``config/validation/inputs.code_files``)
#: counts the ``DATA_FILES`` of every loaded module of this package besides their
#: sources, so a verdict the usual check gave is not reused once the schema (so the
#: models) changed.
DATA_FILES: list[str] = []


@functools.cache
def _file_check() -> Check:
    for place in SCHEMA_PLACES:
        try:
            schema = json.loads(place.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(schema, dict) and schema.get("$comment") == _GENERATED:
            DATA_FILES.append(str(place))
            return checker(schema)
    return lambda v: False


def _keys(entries: list[Any]) -> Iterable[str]:
    return (entry if type(entry) is str else entry["key"] for entry in entries)


def _all_unique(instances: list[dict[str, Any]]) -> bool:
    """No instance name, DAG of an instance, task of a DAG or asset key of the file
    twice (what :func:`.rules.model_problems` reports)."""
    names: set[str] = set()
    asset_keys: set[str] = set()
    claimed = 0
    for instance in instances:
        names.add(instance["name"])
        dags: set[str] = set()
        mappings = instance.get("mappings", ())
        for mapping in mappings:
            dags.add(mapping["dag"])
            tasks = mapping.get("tasks", ())
            if len({task["task"] for task in tasks}) != len(tasks):
                return False
            asset_keys.update(_keys(mapping.get("assets", ())))
            claimed += len(mapping.get("assets", ()))
            for task in tasks:
                asset_keys.update(_keys(task.get("assets", ())))
                claimed += len(task.get("assets", ()))
        if len(dags) != len(mappings):
            return False
        overrides = instance.get("airflow_assets", {}).get("keys", {})
        asset_keys.update(overrides.values())
        claimed += len(overrides)
    return len(names) == len(instances) and len(asset_keys) == claimed


def is_usual(data: Any) -> bool:
    """True when the models accept ``data`` (a document's values as written) and no
    name or key in it is used twice; ``False`` when they might not."""
    return _file_check()(data) and _all_unique(data["instances"])
