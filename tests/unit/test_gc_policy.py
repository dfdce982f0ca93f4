"""The build pauses the cyclic collector and freezes the heap once per process."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from airlift_component.component import gc_policy


@pytest.fixture
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As if no build had frozen the heap yet; unfreezes whatever the test froze."""
    monkeypatch.setattr(gc_policy, "_froze_once", False)
    monkeypatch.delenv(gc_policy.FREEZE_ENV, raising=False)
    enabled = gc.isenabled()
    gc.enable()
    yield
    gc.unfreeze()
    if not enabled:
        gc.disable()


def test_collector_is_paused_during_the_build_and_back_after(fresh_process: None) -> None:
    with gc_policy.building():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_first_build_freezes_the_heap_and_later_builds_do_not(fresh_process: None) -> None:
    gc.unfreeze()
    with gc_policy.building():
        alive = [object() for _ in range(3)]
    frozen = gc.get_freeze_count()
    assert frozen > 0
    assert alive
    with gc_policy.building():
        [[] for _ in range(100)]  # more objects, which must stay collectable
    assert gc.get_freeze_count() == frozen


def test_opting_out_keeps_the_heap_collectable(
    fresh_process: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    gc.unfreeze()
    monkeypatch.setenv(gc_policy.FREEZE_ENV, "0")
    with gc_policy.building():
        pass
    assert gc.get_freeze_count() == 0


def test_a_process_that_disabled_the_collector_is_left_alone(fresh_process: None) -> None:
    gc.unfreeze()
    gc.disable()
    with gc_policy.building():
        pass
    assert not gc.isenabled()
    assert gc.get_freeze_count() == 0
    gc.enable()


def test_a_failed_build_restores_the_collector_without_freezing(fresh_process: None) -> None:
    gc.unfreeze()
    with pytest.raises(RuntimeError), gc_policy.building():
        raise RuntimeError("bad airlift.yaml")
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_garbage_cycles_of_a_build_that_talked_to_airflow_are_collected_not_frozen(
    fresh_process: None,
) -> None:
    class Node:
        pass

    gc.unfreeze()
    with gc_policy.building() as build:
        build.talked_to_airflow = True
        cycle = Node()
        cycle.self = cycle  # type: ignore[attr-defined]
        gone = weakref.ref(cycle)
        del cycle
    assert gc.get_freeze_count() > 0
    assert gone() is None


def test_a_build_from_the_caches_alone_skips_the_collection_pass(
    fresh_process: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    passes: list[int] = []
    monkeypatch.setattr(gc, "collect", lambda generation=2: passes.append(generation) or 0)
    gc.unfreeze()
    with gc_policy.building():
        pass
    assert passes == []
    assert gc.get_freeze_count() > 0
