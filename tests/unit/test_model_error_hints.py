"""Every value problem in airlift.yaml says how to write the value, also in lists and maps."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlift_component.config.validation.validate import validate_paths

KEY_HINT = "asset keys are slash-separated parts of letters, digits, _, - and ."
HEAD = (
    "version: 1\ninstances:\n  - name: a\n    url: https://a.example.com\n    auth: {type: none}\n"
)


@pytest.mark.parametrize(
    ("tail", "message"),
    [
        ("    mappings:\n      - dag: d\n        assets: ['raw customers']\n", "'raw customers'"),
        (
            "    mappings:\n      - dag: d\n        tasks:\n"
            "          - {task: t, assets: [lake//orders]}\n",
            "'lake//orders'",
        ),
        (
            "    airflow_assets:\n      enabled: true\n      keys: {'s3://b/k': 'bad key'}\n",
            "'bad key'",
        ),
    ],
    ids=["dag-level-asset", "task-asset", "airflow-asset-key"],
)
def test_an_asset_key_given_as_a_string_gets_the_key_rule(
    tmp_path: Path, tail: str, message: str
) -> None:
    path = tmp_path / "airlift.yaml"
    path.write_text(HEAD + tail)
    (problem,) = validate_paths([path]).problems
    assert problem.message == f"{message} is not a valid value"
    assert problem.hint == KEY_HINT


def test_a_decimal_where_a_whole_number_belongs_says_so(tmp_path: Path) -> None:
    path = tmp_path / "airlift.yaml"
    path.write_text(HEAD + "    sensor: {interval_seconds: 1.5}\n")
    (problem,) = validate_paths([path]).problems
    assert (problem.line, problem.message) == (6, "expected a whole number, got a number")
    assert problem.hint == "write a whole number, without a decimal point"
