"""An Airflow asset URI loses only a real authority's ``user:password@``.

An ``@`` in the path (``gs://lake/users/alice@example.com/orders.csv``) is part of
the asset's identity: cutting there mangled keys, merged two Airflow assets into
one Dagster asset and silently ignored the ``keys:`` written for the real URIs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airlift_component.airflow_api.parse import parse_asset, parse_asset_event
from airlift_component.airflow_state.airflow_assets import derived_key
from airlift_component.component import build_defs
from airlift_component.redact import redact_uri
from tests.harness.fake_airflow import FakeAirflow

_SCHEMES = st.sampled_from(["s3", "gs", "gcs", "file", "hdfs", "postgres", "x-custom", "abfs"])
_HOSTS = st.from_regex(r"[a-z][a-z0-9.-]{0,12}", fullmatch=True)
_PORTS = st.one_of(st.just(""), st.integers(1, 65535).map(lambda p: f":{p}"))
#: Path segments as users write them: e-mails, versions, "@" anywhere.
_SEGMENT = st.text(st.sampled_from(list("abcXYZ019_.-@=+,~")), min_size=1, max_size=12)
_PATHS = st.lists(_SEGMENT, min_size=1, max_size=4).map(lambda parts: "/" + "/".join(parts))
#: Userinfo the RFC allows unencoded (no "/", "?", "#", "@").
_USERINFO = st.text(st.sampled_from(list("abcXYZ019_.-~!$&'()*+,;=:")), min_size=1, max_size=16)


@settings(max_examples=300, deadline=None)
@given(scheme=_SCHEMES, host=_HOSTS, port=_PORTS, path=_PATHS)
def test_a_uri_without_userinfo_is_kept_as_it_is(
    scheme: str, host: str, port: str, path: str
) -> None:
    uri = f"{scheme}://{host}{port}{path}"
    assert redact_uri(uri) == uri
    asset = parse_asset({"uri": uri, "producing_tasks": [], "scheduled_dags": []})
    assert asset.uri == uri and asset.name == uri
    event = parse_asset_event({"id": 1, "timestamp": "2026-01-01T00:00:00Z", "uri": uri})
    assert event.uri == uri


@settings(max_examples=300, deadline=None)
@given(scheme=_SCHEMES, userinfo=_USERINFO, host=_HOSTS, port=_PORTS, path=_PATHS)
def test_exactly_the_userinfo_of_a_real_authority_is_removed(
    scheme: str, userinfo: str, host: str, port: str, path: str
) -> None:
    redacted = redact_uri(f"{scheme}://{userinfo}@{host}{port}{path}")
    if "@" not in path:
        assert redacted == f"{scheme}://{host}{port}{path}"
    else:
        # With a userinfo, an "@" further on may be a password's ("u:pa@ss/w@host"):
        # all up to the last "@" goes. (Airflow drops the userinfo before it lists an
        # asset, so a URI it lists has none, and its path's "@" stays: above.)
        assert redacted == f"{scheme}://{path.rpartition('@')[2]}"


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (
            "gs://lake/users/alice@example.com/orders.csv",
            "gs://lake/users/bob@example.com/orders.csv",
        ),
        ("s3://lake/orders@v2/part.parquet", "s3://lake/orders@v3/part.parquet"),
    ],
    ids=["e-mail-in-path", "version-in-path"],
)
def test_uris_differing_before_a_path_at_get_their_own_keys(one: str, other: str) -> None:
    assert derived_key("a", redact_uri(one)) != derived_key("a", redact_uri(other))
    assert derived_key("a", redact_uri(one))[3] == "lake"


@pytest.fixture
def fake() -> Iterator[FakeAirflow]:
    with FakeAirflow(api="v2", username="admin", password="pw") as fake:
        fake.add_dag("producer", {"extract": []})
        fake.add_dag("consumer", {"report": []})
        yield fake


def test_two_assets_with_an_at_in_the_path_stay_two_and_keep_their_overrides(
    fake: FakeAirflow, tmp_path: Path
) -> None:
    alice = "gs://lake/users/alice@example.com/orders.csv"
    bob = "gs://lake/users/bob@example.com/orders.csv"
    fake.add_asset(alice, producing_tasks=[("producer", "extract")])
    fake.add_asset(bob, producing_tasks=[("producer", "extract")], scheduled_dags=["consumer"])
    path = tmp_path / "airlift.yaml"
    path.write_text(
        "version: 1\ninstances:\n  - name: fake\n"
        f"    url: {fake.url}\n"
        "    auth: {type: basic, username: admin, password: pw}\n"
        "    http: {retries: 0, deadline_seconds: 5}\n"
        "    airflow_assets:\n      enabled: true\n"
        f"      keys: {{'{alice}': lake/alice_orders}}\n"
    )
    defs = build_defs(path, refresh="always")
    keys = defs.resolve_all_asset_keys()
    assert dg.AssetKey(["lake", "alice_orders"]) in keys
    bob_key = dg.AssetKey(derived_key("fake", bob))
    assert bob_key in keys
    spec = defs.resolve_asset_graph().get(bob_key)
    assert spec.metadata["airflow/asset_uri"] == bob
