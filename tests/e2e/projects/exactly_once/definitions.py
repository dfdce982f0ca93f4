"""Dagster code for the flip e2e test: the executable asset of ``exactly_once_flip.work``.

Tagged as the component tags a mapped asset, so the proxy operator finds it.
"""

from dagster import AssetSpec, Definitions, MaterializeResult, asset

INSTANCE = "eo"


@asset(
    key=["eo_flip", "work"],
    tags={
        "airlift/dag": f"{INSTANCE}.exactly_once_flip",
        "airlift/task": f"{INSTANCE}.exactly_once_flip.work",
    },
)
def work() -> MaterializeResult:
    return MaterializeResult(metadata={"made_in": "dagster"})


defs = Definitions(
    assets=[
        work,
        AssetSpec(
            key=[INSTANCE, "dag", "exactly_once_flip"],
            deps=[work],
            kinds={"airflow"},
            tags={"airlift/dag": f"{INSTANCE}.exactly_once_flip"},
        ),
    ]
)
