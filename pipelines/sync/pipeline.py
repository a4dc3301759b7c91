"""Write pipelining: a chunk's writes go to Strapi while the run reads and plans the next chunk.

Over REST the writes of a chunk are sent `concurrency` at a time and waited for; through the bulk plugin a
chunk's batch writes run in the background, up to BATCHES_IN_FLIGHT chunks, and their outcomes are counted as
they finish (`drain` waits for the rest, raising what stopped them).
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, Iterable

from ..row_failure import RowFailure
from .write import BatchWriter, Write, Writer

BATCHES_IN_FLIGHT = 2  # chunks whose batch writes go on while the next is read and planned

Outcomes = Iterable[tuple[Write, "str | RowFailure | None"]]  # each write with its counter, failure or None


class WritePipeline:
    """Sends writes through `batch_writer` (the plugin) when there is one, else through `writer` (REST), on
    `pool`; hands every write's outcome to `count`, from the calling thread."""

    def __init__(self, pool: ThreadPoolExecutor, writer: Writer, batch_writer: BatchWriter | None,
                 count: Callable[[Outcomes], None]):
        self.pool = pool
        self.writer = writer
        self.batch_writer = batch_writer
        self.count = count
        self._in_flight: deque[Future] = deque()

    def send(self, writes: list[Write]) -> None:
        """Send one chunk's writes (see the module docstring for when their outcomes are counted)."""
        batch_writer = self.batch_writer
        if batch_writer is None:
            self.count(zip(writes, self.pool.map(self.writer.send, writes)))
            return
        while len(self._in_flight) >= BATCHES_IN_FLIGHT:
            self.count(self._in_flight.popleft().result())
        self._in_flight.append(self.pool.submit(lambda: list(zip(writes, batch_writer.send_all(writes)))))

    def drain(self) -> None:
        """Wait for the batch writes in flight (raising what stopped them) and count their outcomes."""
        while self._in_flight:
            self.count(self._in_flight.popleft().result())
