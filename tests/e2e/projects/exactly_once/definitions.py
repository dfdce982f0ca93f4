"""Dagster code for the flip e2e test: the executable asset of ``exactly_once_flip.work``.

Tagged as the component tags a mapped asset, so the proxy operator finds it.
"""

from dagster import AssetSpec, Definitions, MaterializeResult, asset, in_process_executor

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


# Runs execute in their run worker: these tests are about the proxy, not the executor
# (a step process costs 5-8 s on the CI machine).
defs = Definitions(
    executor=in_process_executor,
    assets=[
        work,
        AssetSpec(
            key=[INSTANCE, "dag", "exactly_once_flip"],
            deps=[work],
            kinds={"airflow"},
            tags={"airlift/dag": f"{INSTANCE}.exactly_once_flip"},
        ),
    ],
)
