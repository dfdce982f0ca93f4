"""Executable assets: mapped keys computed by real Dagster code (``code:`` in airlift.yaml).

``code: package.module:attr`` names an ``AssetsDefinition`` (an ``@asset`` or
``@multi_asset`` function) that computes the mapped key. It replaces the bare
spec, with the mapping tags and metadata merged into its own, so the Airflow
side finds it and a proxied task runs exactly this code.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

import dagster as dg

from airlift_component.config.problems import Problem
from airlift_component.errors import ConfigError


def load_code_ref(ref: str, where: str) -> dg.AssetsDefinition:
    """Import ``package.module:attr``; :class:`ConfigError` when it is not an asset."""
    module_name, _, attr = ref.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise _problem(where, f"code {ref!r}: cannot import {module_name!r} ({exc})") from None
    value = getattr(module, attr, None)
    if value is None:
        raise _problem(where, f"code {ref!r}: module {module_name!r} has no attribute {attr!r}")
    if not isinstance(value, dg.AssetsDefinition):
        raise _problem(
            where,
            f"code {ref!r} is a {type(value).__name__}, not a Dagster asset; "
            "point it at an @asset or @multi_asset function",
        )
    return value


def _problem(where: str, message: str) -> ConfigError:
    return ConfigError(
        [Problem(where, 1, 1, message, hint="fix `code:` (write package.module:attribute)")]
    )


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
    refs: Mapping[dg.AssetKey, str], specs: Mapping[dg.AssetKey, dg.AssetSpec], where: str
) -> list[dg.AssetsDefinition]:
    """Load every referenced asset once, check it computes its key, merge the mappings."""
    loaded: dict[str, dg.AssetsDefinition] = {}
    for key, ref in refs.items():
        asset = loaded.get(ref) or load_code_ref(ref, where)
        loaded[ref] = asset
        if key not in asset.keys:
            computed = ", ".join(k.to_user_string() for k in sorted(asset.keys))
            raise _problem(
                where,
                f"code {ref!r} computes {computed}, not the mapped key {key.to_user_string()}",
            )
    return [merge_mapping(asset, specs) for asset in loaded.values()]
