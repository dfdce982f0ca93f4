"""Executable assets: mapped keys computed by real Dagster code (``code:`` in airlift.yaml).

``code: package.module:attr`` names an ``AssetsDefinition`` (an ``@asset``,
``@multi_asset`` or ``@dbt_assets`` function) that computes the mapped key, or,
on a task, every key the task produces (see :mod:`.task_code`). It replaces the
bare spec, with the mapping tags and metadata merged into its own, so the Airflow
side finds it and a proxied task runs exactly this code.
"""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from airlift_component.component.code_refs import CodeSite, import_ref


def load_code_ref(ref: str, site: CodeSite) -> dg.AssetsDefinition:
    """Import ``package.module:attr``; :class:`ConfigError` when it is not an asset."""
    value = import_ref(ref, site)
    # An asset check is an AssetsDefinition to Dagster, but computes no asset.
    if not isinstance(value, dg.AssetsDefinition) or isinstance(value, dg.AssetChecksDefinition):
        raise site.problem(
            f"code {ref!r} is a {type(value).__name__}, not a Dagster asset definition; "
            "point it at an @asset, @multi_asset or @dbt_assets function"
        )
    return value


def merge_mapping(
    asset: dg.AssetsDefinition, specs: Mapping[dg.AssetKey, dg.AssetSpec]
) -> dg.AssetsDefinition:
    """``asset`` with the tags, metadata and kinds of the mapped ``specs`` merged in."""

    def merge(spec: dg.AssetSpec) -> dg.AssetSpec:
        mapped = specs.get(spec.key)
        if mapped is None:
            return spec
        tags = {k: v for k, v in mapped.tags.items() if not k.startswith("dagster/kind/")}
        return spec.merge_attributes(tags=tags, metadata=dict(mapped.metadata))

    return asset.map_asset_specs(merge)


def executable_assets(
    refs: Mapping[dg.AssetKey, tuple[str, CodeSite]],
    specs: Mapping[dg.AssetKey, dg.AssetSpec],
    loaded: dict[str, dg.AssetsDefinition] | None = None,
) -> list[dg.AssetsDefinition]:
    """Load every referenced asset once (``loaded`` holds those already imported),
    check it computes its key, merge the mappings."""
    loaded = {} if loaded is None else loaded
    used: dict[str, dg.AssetsDefinition] = {}
    for key, (ref, site) in refs.items():
        asset = loaded.get(ref) or load_code_ref(ref, site)
        loaded[ref] = used[ref] = asset
        if key not in asset.keys:
            computed = ", ".join(k.to_user_string() for k in sorted(asset.keys))
            raise site.problem(
                f"code {ref!r} computes {computed}, not the mapped key {key.to_user_string()}"
            )
    return [merge_mapping(asset, specs) for asset in used.values()]
