"""Running content types in dependency order, several at a time (pipelines/sync/schedule.py), without services."""

from __future__ import annotations

import threading
import time

import pytest

from pipelines.sync.schedule import run_in_dependency_order

# a -> b means b relates to a: b waits for a
DEPENDS = {"a": [], "b": [], "c": ["a"], "d": ["c", "b"], "e": ["b", "zz"]}  # zz: not scheduled, ignored


class Recorder:
    def __init__(self, seconds=None):
        self.seconds = seconds or {}
        self.lock = threading.Lock()
        self.events: list[tuple[str, str]] = []
        self.running = 0
        self.most = 0
        self.threads: set[str] = set()

    def run(self, item, extra):
        with self.lock:
            self.events.append(("start", item))
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(self.seconds.get(item, 0.02))
        with self.lock:
            self.events.append(("end", item))
            self.running -= 1
        return f"{item}:{extra.get('tag')}"

    def order(self, kind):
        return [item for k, item in self.events if k == kind]


def test_each_item_starts_after_what_it_depends_on_and_results_keep_the_given_order():
    rec = Recorder({"a": 0.1})
    called = []
    results = run_in_dependency_order(
        list(DEPENDS), DEPENDS.get, rec.run, at_once=2,
        before=lambda item: called.append(("before", item, threading.current_thread().name)) or {"tag": item.upper()},
        after=lambda result: called.append(("after", result, threading.current_thread().name)),
    )
    assert results == ["a:A", "b:B", "c:C", "d:D", "e:E"]
    for item, needs in DEPENDS.items():
        for need in needs:
            if need in DEPENDS:
                assert rec.events.index(("end", need)) < rec.events.index(("start", item))
    assert rec.most == 2  # b, then e, ran while a was still running
    assert rec.order("start")[:3] == ["a", "b", "e"]
    main = threading.current_thread().name
    assert {thread for *_, thread in called} == {main} and len(called) == 10


def test_one_at_a_time_is_the_dependency_order():
    rec = Recorder()
    run_in_dependency_order(list(DEPENDS), DEPENDS.get, rec.run, at_once=1)
    assert rec.order("start") == list(DEPENDS) and rec.most == 1


def test_an_error_lets_running_items_finish_starts_nothing_more_and_is_raised():
    rec = Recorder({"a": 0.15})
    finished = []

    def run(item, extra):
        if item == "b":
            raise RuntimeError("b broke")
        return rec.run(item, extra)

    with pytest.raises(RuntimeError, match="b broke"):
        run_in_dependency_order(list(DEPENDS), DEPENDS.get, run, at_once=2, after=finished.append)
    assert finished == ["a:None"] and rec.order("start") == ["a"]  # a finished; c, d and e never started


def test_items_that_wait_for_each_other_are_refused_not_awaited_forever():
    with pytest.raises(ValueError, match=r"not in a dependency order: \['x', 'y'\]"):
        run_in_dependency_order(["x", "y"], {"x": ["y"], "y": ["x"]}.get, lambda item, extra: item, at_once=2)
