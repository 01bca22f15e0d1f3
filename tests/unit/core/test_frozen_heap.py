"""``core.memory.frozen_heap``: a run's collections skip the objects the process had."""

from __future__ import annotations

import gc

from core.memory import frozen_heap


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_objects_alive_before_are_frozen_and_handed_back_after():
    assert gc.get_freeze_count() == 0
    with frozen_heap():
        assert gc.get_freeze_count() > 1000  # the interpreter's and the imports' objects
    assert gc.get_freeze_count() == 0


def test_the_runs_garbage_is_collected_and_garbage_from_before_after_the_block():
    import weakref

    gc.collect()
    before = _Node()
    gone_before = weakref.ref(before)
    del before  # unreachable, in a cycle: frozen with the rest (no collection first)
    with frozen_heap():
        during = _Node()
        gone_during = weakref.ref(during)
        del during
        gc.collect()
        assert gone_during() is None
        assert gone_before() is not None  # frozen: out of the run's collections
    gc.collect()
    assert gone_before() is None  # handed back with the rest, and collected


def test_a_nested_block_leaves_the_outer_freeze_alone(monkeypatch):
    """The inner block neither freezes nor unfreezes (the count itself moves
    when other threads free frozen objects, so the calls are what is checked)."""
    with frozen_heap():
        calls: list[str] = []
        for name in ("collect", "freeze", "unfreeze"):
            monkeypatch.setattr(gc, name, lambda *a, _n=name, **k: calls.append(_n))
        with frozen_heap():
            pass
        assert calls == []
        monkeypatch.undo()
        assert gc.get_freeze_count() > 0  # still frozen: the outer block owns it
    assert gc.get_freeze_count() == 0


def test_the_heap_is_handed_back_when_the_block_fails():
    try:
        with frozen_heap():
            raise RuntimeError("the run failed")
    except RuntimeError:
        pass
    assert gc.get_freeze_count() == 0
