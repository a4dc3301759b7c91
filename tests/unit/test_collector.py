"""The collector's thresholds are raised while any run is inside, and put back by the last one out; glibc's malloc
is tuned so large blocks go back to the system."""

import gc
import platform
import subprocess
import sys
import threading

import pytest

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


MALLOC_PROBE = """
import ctypes, sys
from pipelines.sync.collector import tune_malloc

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
libc.mallinfo2.restype = MallInfo2
if sys.argv[1] == "tuned":
    assert tune_malloc() and tune_malloc()  # idempotent
libc.free(libc.malloc(1 << 20))  # glibc's default then raises its mmap threshold past 1 MB
before = libc.mallinfo2().hblks
block = libc.malloc(1 << 20)
print(libc.mallinfo2().hblks - before)  # 0 when the second block came from the heap, 1 when it was mmapped
"""


@pytest.mark.skipif(not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc", reason="glibc's malloc only")
def test_tuned_malloc_returns_large_blocks_to_the_system_when_freed():
    def mmapped_blocks(mode: str) -> int:
        done = subprocess.run([sys.executable, "-c", MALLOC_PROBE, mode], capture_output=True, text=True, check=True)
        return int(done.stdout)

    assert mmapped_blocks("default") == 0  # glibc's dynamic threshold: the freed 1 MB block's successor sits in the heap
    assert mmapped_blocks("tuned") == 1
