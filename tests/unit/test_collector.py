"""The collector's thresholds are raised while any run is inside, and put back by the last one out."""

import gc
import threading

from pipelines.sync.collector import RUN_THRESHOLDS, fewer_collections


def test_thresholds_are_raised_inside_and_restored_by_the_last_run_out():
    before = gc.get_threshold()
    second_in, released = threading.Event(), threading.Event()
    seen = {}

    def other_run():
        with fewer_collections():
            second_in.set()
            released.wait(5)

    with fewer_collections():
        seen["first"] = gc.get_threshold()
        thread = threading.Thread(target=other_run)
        thread.start()
        second_in.wait(5)
    seen["first out, second inside"] = gc.get_threshold()
    released.set()
    thread.join(5)
    assert seen == {"first": RUN_THRESHOLDS, "first out, second inside": RUN_THRESHOLDS}
    assert gc.get_threshold() == before


def test_an_error_inside_restores_the_thresholds():
    before = gc.get_threshold()
    try:
        with fewer_collections():
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.get_threshold() == before


def test_malloc_arenas_are_capped_once_where_the_c_library_is_glibc():
    from pipelines.sync.collector import limit_malloc_arenas

    assert limit_malloc_arenas() in (True, False)
    assert limit_malloc_arenas() == limit_malloc_arenas()  # idempotent
