"""An airlift.yaml with two instances and the matching stub Airflows, for component tests."""

from __future__ import annotations

from pathlib import Path

from airlift_stub import StubAirflow

AIRLIFT_YAML = """\
version: 1
instances:
  - name: prod
    url: http://127.0.0.1:8080
    auth: {type: none}
    sensor: {interval_seconds: 5, batch_size: 2}
    mappings:
      - dag: customers
        assets: [reports/customers]
        tasks:
          - task: extract
            assets:
              - key: raw/customers
                group: raw
                owners: [team:data]
                kinds: [s3]
                tags: {tier: bronze}
                metadata: {table: raw.customers}
          - task: load
            assets:
              - key: analytics/customers
                description: Clean customers.
                partitions: {schedule: daily, start: "2026-01-01"}
          - task: publish
            assets: [analytics/published]
  - name: staging
    url: http://127.0.0.1:8081
    auth: {type: none}
    mappings:
      - dag: customers
        tasks:
          - task: extract
            assets: [staging/raw_customers]
"""


def write_project(tmp_path: Path, text: str = AIRLIFT_YAML) -> Path:
    path = tmp_path / "airlift.yaml"
    path.write_text(text)
    return path


def airflows() -> dict[str, StubAirflow]:
    prod = StubAirflow("http://127.0.0.1:8080")
    # extract -> validate (unmapped) -> load -> publish; report is an unmapped leaf
    prod.add_dag(
        "customers",
        {"extract": ["validate"], "validate": ["load"], "load": ["publish"], "publish": []},
        owners=("airflow", "ann@example.com"),
        description="Customer pipeline",
        tags=("daily",),
    )
    prod.add_dag("orders", {"only": []})
    staging = StubAirflow("http://127.0.0.1:8081", api="v1")
    staging.add_dag("customers", {"extract": []})
    return {"prod": prod, "staging": staging}


def factory(stubs: dict[str, StubAirflow]):  # type: ignore[no-untyped-def]
    return lambda instance: stubs[instance.name].client(instance)
