"""The ``decommissioned:`` block goes in and comes out of airlift.yaml byte for byte."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from airlift_component.decommission.yaml_block import (
    BlockEditError,
    DecommissionRecord,
    add_block,
    remove_block,
)

RECORD = DecommissionRecord(
    cron="0 3 * * *",
    timezone="Europe/Amsterdam",
    first_tick="2026-12-07T02:00:00+00:00",
    logical_date="interval_start",
    paused_by_airlift=True,
)

comments = st.sampled_from(["", "  # keep me", '    #: note "quoted" ü'])


@st.composite
def airlift_files(draw: st.DrawFn) -> tuple[str, str, str]:
    """An airlift.yaml in varied layouts, and one (instance, dag) it maps."""
    step = draw(st.sampled_from([2, 4]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    dags = draw(
        st.lists(
            st.sampled_from(["orders", "billing", "etl_2"]), min_size=1, max_size=3, unique=True
        )
    )
    pad = " " * step
    lines = [
        "version: 1" + draw(comments),
        "instances:",
        f"{pad}- name: prod",
        f"{pad}  url: http://127.0.0.1:8080",
    ]
    lines += [f"{pad}  auth: {{type: none}}", f"{pad}  mappings:"]
    for dag in dags:
        lines.append(f"{pad}{pad}- dag: {dag}{draw(comments)}")
        if draw(st.booleans()):
            lines.append(f"{pad}{pad}  # a comment between keys")
        if draw(st.booleans()):
            lines += [f"{pad}{pad}  assets:", f"{pad}{pad}    - lake/{dag}"]
    text = newline.join(lines) + (newline if draw(st.booleans()) else "")
    return text, "prod", draw(st.sampled_from(dags))


@settings(max_examples=200, deadline=None)
@given(airlift_files())
def test_adding_then_removing_the_block_gives_the_file_back_byte_for_byte(
    case: tuple[str, str, str],
) -> None:
    text, instance, dag = case
    added = add_block(text, instance, dag, RECORD)
    mapping = next(m for m in yaml.safe_load(added)["instances"][0]["mappings"] if m["dag"] == dag)
    assert mapping["decommissioned"]["cron"] == RECORD.cron
    assert mapping["decommissioned"]["paused_by_airlift"] is True
    restored, record = remove_block(added, instance, dag)
    assert restored == text
    assert record == RECORD


def test_an_edited_block_is_not_undone() -> None:
    text = "version: 1\ninstances:\n  - name: prod\n    mappings:\n      - dag: orders\n"
    added = add_block(text, "prod", "orders", RECORD).replace(
        '"0 3 * * *"', '"0 3 * * *"  # moved to Dagster on Monday'
    )
    with pytest.raises(BlockEditError, match="edited since airlift wrote it"):
        remove_block(added, "prod", "orders")


def test_a_second_decommission_and_an_unknown_dag_are_refused() -> None:
    text = "version: 1\ninstances:\n  - name: prod\n    mappings:\n      - dag: orders\n"
    added = add_block(text, "prod", "orders", RECORD)
    with pytest.raises(BlockEditError, match="already decommissioned"):
        add_block(added, "prod", "orders", RECORD)
    with pytest.raises(BlockEditError, match="no mapping for DAG 'billing'"):
        add_block(text, "prod", "billing", RECORD)
    with pytest.raises(BlockEditError, match="no decommissioned: block"):
        remove_block(text, "prod", "orders")


ASSET_RECORD = DecommissionRecord(
    None,
    None,
    "2026-12-07T02:00:00+00:00",
    None,
    False,
    on_assets=("prod/airflow_asset/s3/lake/orders", "prod/airflow_asset/s3/lake/customers"),
    on_assets_updated="all",
)


def test_the_asset_variant_goes_in_and_comes_out_byte_for_byte() -> None:
    text = "version: 1\ninstances:\n  - name: prod\n    mappings:\n      - dag: orders  # x\n"
    added = add_block(text, "prod", "orders", ASSET_RECORD)
    block = yaml.safe_load(added)["instances"][0]["mappings"][0]["decommissioned"]
    assert block["on_assets"] == list(ASSET_RECORD.on_assets or ())
    assert "cron" not in block and block["on_assets_updated"] == "all"
    assert remove_block(added, "prod", "orders") == (text, ASSET_RECORD)


def test_an_edited_block_is_refused_showing_what_differs_and_forced_removes_it() -> None:
    text = "version: 1\ninstances:\n  - name: prod\n    mappings:\n      - dag: orders\n"
    added = add_block(text, "prod", "orders", RECORD).replace('"0 3 * * *"', '"0 4 * * *"  # hm')
    with pytest.raises(BlockEditError) as refused:
        remove_block(added, "prod", "orders")
    assert '-          cron: "0 4 * * *"' in str(refused.value)
    assert '+          cron: "0 4 * * *"  # hm' in str(refused.value)
    assert "--force" in str(refused.value)
    restored, record = remove_block(added, "prod", "orders", force=True)
    assert restored == text
    assert record is not None and record.cron == "0 4 * * *"
    broken = add_block(text, "prod", "orders", RECORD).replace("paused_by_airlift", "paused")
    assert remove_block(broken, "prod", "orders", force=True) == (text, None)
