"""``airlift.yaml`` as the definitions build reads it: most DAG mappings one at a time.

The build reads a DAG's mapping once, for its asset specs, unless the mapping asks
for more (``code:``, ``checks:``, ``decommissioned:``), which passes over the
whole instance read. :func:`~.load.load_for_build` therefore keeps those DAGs'
mappings as models in ``instance.mappings`` and every other one as the JSON text
it was checked in (:mod:`.checked_form`, shipped in the Airflow state by
:mod:`.shipped`). The build reads such a text when it reaches that DAG
(:meth:`MappedDags.for_specs`) and drops it after its specs are built.

Why it exists (``bench/compare/floor_ratio.py``, issue 21's row in BENCHMARKS.md):
at 1,000 DAGs x 10 tasks the whole validated model is about 126,000 objects that
the cyclic collector scans again at every full pass while the specs are built;
read one DAG at a time they never pile up. The warm build went from 1.47x to
1.28x Dagster's own floor (medians of 7 paired rounds, 7 Dec 2026, ``d8cd397``).

The build reads those texts as plain data (:class:`PlainMapping`), not through the
models again: each is the text the refresh made from the file that passed every
check, and the shipped form is sealed (:func:`.shipped.unship` reads a text only
when its seal holds). Validating each one again cost 34 us a DAG against 16 us to
read it plain (about 0.02 s CPU of the stored build at 1,000 DAGs, 0.09 s at 5,000).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from pydantic import TypeAdapter

from airlift_component.config.airlift_yaml.model import AirliftFile, DagMapping, TimePartitions

#: The fields a DAG mapping, its tasks and their assets may set while naming only asset
#: keys and their specs. Anything else (``code:``, ``select:``, ``checks:``,
#: ``decommissioned:``, or a field added later) keeps the DAG's mapping a model.
SPEC_ONLY_FIELDS: dict[str, frozenset[str]] = {
    "dag": frozenset({"dag", "assets", "tasks"}),
    "task": frozenset({"task", "assets"}),
    "asset": frozenset(
        {"key", "deps", "group", "owners", "kinds", "tags", "description", "metadata"}
        | {"partitions"}
    ),
}

_DAG_MAPPING: TypeAdapter[DagMapping] = TypeAdapter(DagMapping)


def _spec_only_assets(assets: Any) -> bool:
    return isinstance(assets, list) and all(
        isinstance(asset, str)
        or (isinstance(asset, dict) and asset.keys() <= SPEC_ONLY_FIELDS["asset"])
        for asset in assets
    )


def spec_only(mapping: Any) -> bool:
    """Whether ``mapping`` (one DAG's mapping as plain data) sets only the fields of
    :data:`SPEC_ONLY_FIELDS`: the build reads it for its specs and for nothing else."""
    if not isinstance(mapping, dict) or not mapping.keys() <= SPEC_ONLY_FIELDS["dag"]:
        return False
    tasks = mapping.get("tasks", [])
    return (
        _spec_only_assets(mapping.get("assets", []))
        and isinstance(tasks, list)
        and all(
            isinstance(task, dict)
            and task.keys() <= SPEC_ONLY_FIELDS["task"]
            and _spec_only_assets(task.get("assets", []))
            for task in tasks
        )
    )


def validate_mapping(text: str) -> DagMapping:
    """One DAG's mapping from its JSON text (strict, as the whole file is validated)."""
    return _DAG_MAPPING.validate_json(text)


_NONE: Mapping[str, Any] = {}


class PlainAsset(NamedTuple):
    """A spec-only asset as its checked text gives it: the fields of
    :class:`~.model.AssetSpecModel` that :data:`SPEC_ONLY_FIELDS` allows, under the
    same names, and what an absent field means (``owners``: none, which Dagster reads
    as ``[]``)."""

    key: str
    deps: Sequence[str] = ()
    group: str | None = None
    owners: list[str] | None = None
    kinds: Sequence[str] = ()
    tags: Mapping[str, str] = _NONE
    description: str | None = None
    metadata: Mapping[str, Any] = _NONE
    partitions: TimePartitions | None = None
    code: None = None


class PlainTask(NamedTuple):
    """A spec-only task mapping, as :class:`~.model.TaskMapping` names its fields."""

    task: str
    assets: Sequence[PlainAsset]


class PlainMapping(NamedTuple):
    """A spec-only DAG mapping, as :class:`~.model.DagMapping` names its fields."""

    dag: str
    tasks: Sequence[PlainTask] = ()
    assets: Sequence[PlainAsset] = ()


def _plain_asset(asset: Any) -> PlainAsset:
    if type(asset) is str:
        return PlainAsset(asset)
    partitions = asset.get("partitions")
    if partitions is not None:
        asset = {**asset, "partitions": TimePartitions.model_validate(partitions)}
    return PlainAsset(**asset)


def plain_mapping(text: str) -> PlainMapping:
    """A spec-only DAG mapping from the JSON text it passed every check in."""
    data = json.loads(text)
    return PlainMapping(
        data["dag"],
        [
            PlainTask(task["task"], [_plain_asset(asset) for asset in task["assets"]])
            for task in data.get("tasks", ())
        ],
        [_plain_asset(asset) for asset in data.get("assets", ())],
    )


class MappedDags:
    """Every DAG one instance maps, in file order, and each one's mapping on demand.

    Built from models (:meth:`of`), :meth:`for_specs` and :meth:`get` return them.
    Built from the checked form, it holds the JSON text of each spec-only mapping:
    :meth:`for_specs` (the build) reads it plain and :meth:`get` validates it, each
    at every call, keeping nothing. Such a text passed every check at the refresh, by
    the same checking code and versions (the shipped form's key), and its seal holds
    (:func:`.shipped.unship`); a spec-only mapping's checks are plain data and
    patterns, not the host's, so validating it again gives the model the refresh had.
    """

    def __init__(
        self,
        dags: Sequence[str],
        models: Mapping[str, DagMapping],
        texts: Mapping[str, str] | None = None,
    ) -> None:
        self.dags = tuple(dags)
        self._models = models
        self._texts = texts or {}

    @classmethod
    def of(cls, mappings: Iterable[DagMapping]) -> MappedDags:
        """The mappings of a fully validated instance."""
        models = {mapping.dag: mapping for mapping in mappings}
        return cls(list(models), models)

    def for_specs(self, dag_id: str) -> DagMapping | PlainMapping | None:
        """The mapping of ``dag_id`` for its asset specs: the model when one is held,
        else its checked text read as :class:`PlainMapping` (``None``: not mapped)."""
        model = self._models.get(dag_id)
        if model is not None:
            return model
        text = self._texts.get(dag_id)
        return None if text is None else plain_mapping(text)

    def get(self, dag_id: str) -> DagMapping | None:
        """The mapping of ``dag_id`` (``None``: not mapped), validated."""
        model = self._models.get(dag_id)
        if model is not None:
            return model
        text = self._texts.get(dag_id)
        return None if text is None else validate_mapping(text)


@dataclass(frozen=True)
class BuildFile:
    """``airlift.yaml`` for the definitions build: in ``model`` each instance's
    ``mappings`` holds at least the mappings that are not spec-only (all of them when
    loaded whole); ``mapped`` has every mapped DAG of each instance, by instance name."""

    model: AirliftFile
    mapped: dict[str, MappedDags]

    @classmethod
    def of(cls, model: AirliftFile) -> BuildFile:
        """A fully validated file, its mappings all models."""
        return cls(model, {i.name: MappedDags.of(i.mappings) for i in model.instances})
