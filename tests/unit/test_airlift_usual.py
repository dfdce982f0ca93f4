"""An ``airlift.yaml`` the usual check (config/airlift_yaml/usual.py) passes is one
pydantic's models pass with no problem of the model's rules, and validation's answer
(``check_airlift``: problems and summary) is the models' answer for every file."""

from __future__ import annotations

import contextlib
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from airlift_component.config.airlift_yaml import usual as usual_module
from airlift_component.config.airlift_yaml.load import WHAT, inspect_airlift_document
from airlift_component.config.airlift_yaml.model import AirliftFile
from airlift_component.config.airlift_yaml.rules import model_problems
from airlift_component.config.airlift_yaml.usual import is_usual
from airlift_component.config.validation.airlift_summary import summarize
from airlift_component.config.validation.validate import check_airlift
from airlift_component.config.yaml.read import YamlDocument, YamlLoadError, parse_yaml_values

sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))
from bench_validate import write_project

CORPUS = Path(__file__).parents[1] / "corpus"

#: Values of the wrong type or shape for most fields, and near misses of the patterns.
_BAD: st.SearchStrategy[Any] = st.sampled_from(
    [None, 0, -1, 1001, 21, 1.5, -0.5, math.nan, math.inf, True, False, [], {}, ["a"]]
)
_NEAR_MISSES: st.SearchStrategy[Any] = st.sampled_from(
    [
        *["", " ", "a b", "a\n", "ä", "a//b", "/a", "-a", "pkg.mod:", "10x", "0m", "America"],
        *["a\x1cb", "a\x0bb", "0\x1c 0 * * *"],
    ]
)


def _field(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a good value, one time in ten a bad one."""
    return st.integers(0, 19).flatmap(lambda n: (_BAD, _NEAR_MISSES)[n] if n < 2 else good)


def _model(fields: dict[str, st.SearchStrategy[Any]], required: tuple[str, ...] = ()) -> Any:
    """A mapping of some of ``fields`` (``required`` ones nearly always), now and then
    with a key no model has."""

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        out = {}
        for name, good in fields.items():
            keep = draw(st.integers(0, 19)) != 0 if name in required else draw(st.booleans())
            if keep:
                out[name] = draw(_field(good))
        if draw(st.integers(0, 19)) == 0:
            out[draw(st.sampled_from(["extra", "Type", "class_"]))] = 1
        return out

    return build()


_KEYS = st.sampled_from(["a", "a/b", "x.y-z/c_1", "k", "shop/orders", "a/b/c"])
_REF = st.sampled_from(["pkg.mod:attr", "a:b", "pkg.mod:Auth"])
_STRS = st.lists(st.sampled_from(["x", "team:data", "ü"]), max_size=2)
_CHECKS = st.lists(
    st.one_of(
        _model(
            {
                "type": st.just("freshness"),
                "max_lag": st.sampled_from(["90m", "2d", None]),
                "deadline_cron": st.sampled_from(["0 9 * * *", None]),
            },
            ("type",),
        ),
        _model({"type": st.just("code"), "code": _REF}, ("type", "code")),
    ),
    max_size=2,
)
_SPEC = _model(
    {
        "key": _KEYS,
        "deps": st.lists(_KEYS, max_size=2),
        "group": st.sampled_from(["g", "bench_1", None]),
        "owners": _STRS,
        "kinds": _STRS,
        "tags": st.dictionaries(st.sampled_from(["t", "u"]), st.sampled_from(["v", ""])),
        "description": st.sampled_from(["text", "ü", None]),
        "metadata": st.dictionaries(
            st.sampled_from(["m", "n"]), st.sampled_from(["v", 1, 1.5, True, math.nan])
        ),
        "partitions": st.one_of(
            st.none(),
            _model(
                {
                    "schedule": st.sampled_from(["hourly", "daily", "weekly", "monthly"]),
                    "start": st.sampled_from(
                        ["2024-01-01", "2024-01-01T00:00", "2024-01-01 01:02:03"]
                    ),
                    "timezone": st.sampled_from(["UTC", "Europe/Amsterdam"]),
                },
                ("schedule", "start"),
            ),
        ),
        "code": st.one_of(st.none(), _REF),
        "checks": _CHECKS,
    },
    ("key",),
)
_ASSETS = st.lists(st.one_of(_KEYS, _SPEC), max_size=2)
_TASK = _model(
    {
        "task": st.sampled_from(["load", "report", "t.1-x"]),
        "assets": _ASSETS,
        "code": st.one_of(st.none(), _REF),
        "select": st.sampled_from(["group:marts", None]),
        "checks": _CHECKS,
    },
    ("task",),
)
_TICK = st.sampled_from(["2024-01-01T00:00:00+00:00", "2024-01-01T00:00Z"])
_DECOMMISSIONED = st.one_of(
    _model(
        {
            "cron": st.sampled_from(["0 0 * * *", "*/5 * * * *"]),
            "timezone": st.sampled_from(["UTC", "Europe/Amsterdam", "Nowhere/Land", "America"]),
            "logical_date": st.sampled_from(["interval_start", "tick"]),
            "first_tick": _TICK,
            "paused_by_airlift": st.booleans(),
            "on_assets_updated": st.sampled_from(["any", "all"]),
        },
        ("cron", "timezone", "logical_date", "first_tick", "paused_by_airlift"),
    ),
    _model(
        {
            "on_assets": st.lists(_KEYS, max_size=2),
            "on_assets_updated": st.sampled_from(["any", "all"]),
            "first_tick": _TICK,
            "paused_by_airlift": st.booleans(),
            "cron": st.just("0 0 * * *"),
        },
        ("on_assets", "on_assets_updated", "first_tick", "paused_by_airlift"),
    ),
)
_MAPPING = _model(
    {
        "dag": st.sampled_from(["orders", "customers", "d.1-x"]),
        "assets": _ASSETS,
        "tasks": st.lists(_TASK, max_size=3),
        "checks": _CHECKS,
        "decommissioned": st.one_of(st.none(), _DECOMMISSIONED),
    },
    ("dag",),
)
_AUTH = st.one_of(
    _model({"type": st.just("none")}, ("type",)),
    _model(
        {
            "type": st.just("basic"),
            "username": st.sampled_from(["admin", ""]),
            "password": st.sampled_from(["${PW}", "hunter2"]),
        },
        ("type", "username", "password"),
    ),
    _model({"type": st.just("token"), "token": st.just("${TOKEN}")}, ("type", "token")),
    _model(
        {
            "type": st.just("mwaa"),
            "environment_name": st.just("env"),
            "region": st.sampled_from(["eu-west-1", None]),
            "profile": st.sampled_from(["p", None]),
        },
        ("type", "environment_name"),
    ),
    _model({"type": st.just("astronomer"), "api_token": st.just("${T}")}, ("type", "api_token")),
    _model({"type": st.just("composer"), "scopes": _STRS}, ("type",)),
    _model(
        {"type": st.just("custom"), "class": _REF, "options": st.just({"a": [1]})},
        ("type", "class"),
    ),
)
_POSITIVE = st.sampled_from([0.5, 10, 120])
_INSTANCE = _model(
    {
        "name": st.sampled_from(["shop", "lake", "a_1"]),
        "url": st.sampled_from(
            [
                "https://airflow.example.com",
                "http://127.0.0.1:8080",
                "${AIRFLOW_URL}",
                "https://admin:hunter2@airflow.example.com/x",
            ]
        ),
        "api": st.sampled_from(["auto", "v1", "v2"]),
        "auth": _AUTH,
        "dags": _model({"include": _STRS, "exclude": _STRS, "tags": _STRS}),
        "sensor": _model(
            {
                "interval_seconds": st.sampled_from([1, 30]),
                "lookback_hours": st.sampled_from([0, 1.5, 24]),
                "batch_size": st.sampled_from([1, 100, 1000]),
                "default_status": st.sampled_from(["running", "stopped"]),
                "run_asset_checks": st.booleans(),
            }
        ),
        "http": _model(
            {
                "connect_timeout": _POSITIVE,
                "read_timeout": _POSITIVE,
                "retries": st.sampled_from([0, 4, 20]),
                "deadline_seconds": _POSITIVE,
                "verify": st.booleans(),
                "ca_bundle": st.sampled_from(["/etc/ca.pem", None]),
            }
        ),
        "proxied_state_dir": st.sampled_from(["../dags/proxied_state", None]),
        "mappings": st.lists(_MAPPING, max_size=3),
        "airflow_assets": _model(
            {
                "enabled": st.booleans(),
                "keys": st.dictionaries(st.sampled_from(["s3://b/k", "name"]), _KEYS, max_size=2),
            }
        ),
    },
    ("name", "url", "auth"),
)
_FILES = _model(
    {"version": st.just(1), "instances": st.lists(_INSTANCE, min_size=1, max_size=2)},
    ("version", "instances"),
)


def _models_answer(doc: YamlDocument) -> tuple[Any, list[Any]]:
    model, problems = inspect_airlift_document(doc)
    return (None if model is None else summarize(model)), problems


def _assert_same_answer(doc: YamlDocument) -> bool:
    """The models pass what the usual check passes, and validation answers as they
    do; returns whether the usual check passed it."""
    usual = is_usual(doc.data)
    if usual:
        model = AirliftFile.model_validate(doc.data)  # raises if the check was wrong
        assert model_problems(doc, model) == []
    assert check_airlift(doc) == _models_answer(doc)
    return usual


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_FILES, st.booleans())
def test_what_the_usual_check_passes_the_models_pass(data: dict[str, Any], flow: bool) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, sort_keys=False, allow_unicode=True)
    try:
        doc = parse_yaml_values(text, "airlift.yaml", what=WHAT)
    except YamlLoadError:
        return
    _assert_same_answer(doc)


def test_the_generated_files_are_often_usual_and_often_not() -> None:
    """The property above is not vacuous: both answers come up. About 3% of the
    generated files are usual, so 300 random examples missed them now and then (a CI
    run saw only False); the examples are derandomized, the same in every run."""
    seen: set[bool] = set()

    @settings(max_examples=300, deadline=None, database=None, derandomize=True)
    @given(_FILES)
    def judge(data: dict[str, Any]) -> None:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        with contextlib.suppress(YamlLoadError):
            seen.add(is_usual(parse_yaml_values(text, "airlift.yaml", what=WHAT).data))

    judge()
    assert seen == {True, False}


def _documents(paths: list[Path]) -> list[YamlDocument]:
    docs = []
    for path in paths:
        try:
            docs.append(parse_yaml_values(path.read_text(encoding="utf-8"), str(path), what=WHAT))
        except (YamlLoadError, UnicodeDecodeError):
            continue
    return docs


CORPUS_FILES = sorted(
    p for p in CORPUS.rglob("*") if p.suffix in (".yaml", ".yml") and "proxied_state" not in p.parts
)


def test_every_corpus_file_gets_the_models_answer() -> None:
    usual = [_assert_same_answer(doc) for doc in _documents(CORPUS_FILES)]
    assert sum(usual) >= 8, "the corpus's plain good files take the usual path"


def test_the_benchmarks_airlift_yaml_is_usual(tmp_path: Path) -> None:
    """bench/bench_validate.py measures the usual path."""
    write_project(tmp_path)
    (doc,) = _documents([tmp_path / "dagster" / "airlift.yaml"])
    assert _assert_same_answer(doc)


@pytest.mark.parametrize(
    ("text", "usual"),
    [
        ("auth: {type: none}", True),
        ("auth: {type: custom, class: 'pkg.mod:Auth'}", False),
        ("auth: {type: none}\n    sensor: {lookback_hours: .inf}", False),
        ("auth: {type: none}\n    nope: 1", False),
        (
            "auth: {type: none}\n    mappings:\n      - dag: d\n        decommissioned:\n"
            "          {cron: '0 0 * * *', timezone: America, logical_date: tick,\n"
            "           first_tick: '2024-01-01T00:00Z', paused_by_airlift: true}",
            False,
        ),
        ("auth: {type: none}\n    sensor: {batch_size: 1000}", True),
        ("auth: {type: none}\n    sensor: {batch_size: 1001}", False),
        ("auth: {type: none}\n    http: {retries: true}", False),
        ("auth: {type: none}\n    http: {read_timeout: 5}", True),
        (
            "auth: {type: none}\n    mappings:\n      - dag: d\n        tasks:\n"
            "          - {task: t, assets: [k], code: null}",
            False,
        ),
        ('auth: {type: none}\n    proxied_state_dir: "a\\x1cb"', True),
        (
            "auth: {type: none}\n    mappings:\n      - dag: d\n        decommissioned:\n"
            '          {cron: "0\\x1c 0 * * *", timezone: UTC, logical_date: tick,\n'
            "           first_tick: '2024-01-01T00:00Z', paused_by_airlift: true}",
            True,
        ),
    ],
    ids=[
        "plain",
        "custom auth",
        "infinite number",
        "unknown key",
        "a folder of timezones",
        "the largest batch",
        "a batch too large",
        "a bool for an int",
        "an int for a float",
        "assets beside code: null",
        "a control character in a plain string",
        "a control character where a pattern applies",
    ],
)
def test_what_is_left_to_the_models(text: str, usual: bool) -> None:
    source = f"version: 1\ninstances:\n  - name: a\n    url: https://x.example.com\n    {text}\n"
    doc = parse_yaml_values(source, "airlift.yaml", what=WHAT)
    assert _assert_same_answer(doc) is usual


def test_checking_a_usual_file_imports_no_pydantic(tmp_path: Path) -> None:
    """...and counts the schema it compiled among the code a remembered verdict (or
    summary) is keyed by (``inputs.code_files``), so a changed schema is judged anew."""
    good = tmp_path / "airlift.yaml"
    good.write_text(
        "version: 1\ninstances:\n  - name: a\n    url: https://x.example.com\n"
        "    auth: {type: none}\n",
        encoding="utf-8",
    )
    script = (
        "import sys\n"
        "from airlift_component.config.validation.inputs import code_files\n"
        "from airlift_component.config.validation.validate import validate_paths\n"
        "result = validate_paths([sys.argv[1]])\n"
        "print(result.ok, 'pydantic' in sys.modules)\n"
        "print(*code_files(), sep='\\n')\n"
    )
    env = {**os.environ, "AIRLIFT_VALIDATE_CACHE": "0"}
    out = subprocess.run(
        [sys.executable, "-c", script, str(good)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout.splitlines()
    assert out[0] == "True False"
    assert str(usual_module.SCHEMA_PLACES[1]) in out[1:]


def test_a_document_the_models_refuse_is_never_usual() -> None:
    with pytest.raises(ValidationError):
        AirliftFile.model_validate({"version": 1, "instances": []})
    assert not is_usual({"version": 1, "instances": []})
