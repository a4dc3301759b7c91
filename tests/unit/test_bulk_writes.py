"""The Python side of bulk writes, without services: batching, outcomes, fallback, settings, read-ahead."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from pipelines.mapping import MappingSpec
from pipelines.settings import WRITE_MODES, SettingsError, WritePaths
from pipelines.strapi.bulk import MAX_BATCH_BYTES, MAX_BATCH_ENTRIES, EntryOutcome, WriteMode, batches
from pipelines.strapi.client import StrapiError, StrapiUnavailable
from pipelines.sync.read_ahead import read_ahead
from pipelines.sync.result import SyncResult
from pipelines.sync.write import BatchWriter, Write, Writer


def test_write_modes_are_the_enum():
    assert WRITE_MODES == tuple(m.value for m in WriteMode) == ("auto", "rest", "bulk")


def test_write_paths_default_bulk_for_full_runs_and_rest_for_changes():
    assert WritePaths.from_env({}) == WritePaths("auto", "rest")
    assert WritePaths.from_env({"WRITE_PATH_FULL": " BULK ", "WRITE_PATH_CHANGES": "auto"}) == WritePaths("bulk", "auto")
    with pytest.raises(SettingsError, match="WRITE_PATH_FULL must be one of auto, rest, bulk"):
        WritePaths.from_env({"WRITE_PATH_FULL": "fast"})


def test_batches_respect_count_and_bytes():
    small = list(range(MAX_BATCH_ENTRIES * 2 + 1))
    assert [len(b) for b in batches(small)] == [MAX_BATCH_ENTRIES, MAX_BATCH_ENTRIES, 1]
    big = ["x" * (MAX_BATCH_BYTES // 3)] * 7
    sizes = [len(b) for b in batches(big)]
    assert sum(sizes) == 7 and max(sizes) <= 3
    assert [len(b) for b in batches(["x" * (MAX_BATCH_BYTES * 2)])] == [1]  # too big alone: sent alone


class FakeBulk:
    key = "medusa_id"

    def __init__(self, answer):
        self.answer = answer
        self.calls = []

    def write_encoded(self, plural, encoded, deletes, versions=None, per_entry=None):
        entries = [json.loads(body) for body in encoded]
        self.calls.append((plural, entries, deletes))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer(entries, deletes)


class FakeRest(Writer):
    def __init__(self):
        super().__init__(client=None, spec=MappingSpec("product", "products", "product"), result=SyncResult("product"))
        self.sent = []

    def send(self, write):
        self.sent.append(write)
        return "created"


class Log:
    def __init__(self):
        self.lines = []

    def warning(self, text):
        self.lines.append(text)


WRITES = [
    Write("p1", "create", {"title": "a"}),
    Write("p2", "update", {"title": "b"}, "doc2"),
    Write("p3", "update", {"title": "c"}, "doc3", recount=False),
    Write("p4", "delete", {}, "doc4"),
]


def test_outcomes_per_entry_with_errors_and_races():
    def answer(entries, deletes):
        return ([EntryOutcome("p1", "updated", "doc1"),  # lost a race to another writer: an update
                 EntryOutcome("p2", "error", error_status=400, error="title: must be a string"),
                 EntryOutcome("p3", "updated", "doc3")],
                [EntryOutcome("doc4", "missing", "doc4")])

    bulk = FakeBulk(answer)
    outcomes = BatchWriter(bulk, FakeRest(), Log()).send_all(WRITES)
    assert outcomes[0] == "updated" and outcomes[2] is None and outcomes[3] == "deleted"
    assert outcomes[1].permanent and outcomes[1].message == "400: title: must be a string"
    (_, entries, deletes), = bulk.calls
    assert entries[0] == {"title": "a", "medusa_id": "p1"} and entries[1]["medusa_id"] == "p2" and deletes == ["doc4"]


def test_an_entry_json_cannot_carry_fails_alone_and_the_batch_goes():
    def answer(entries, deletes):
        return [EntryOutcome(e["medusa_id"], "created", "d") for e in entries], []

    bulk = FakeBulk(answer)
    writes = [Write("ok1", "create", {"weight": 1.5, "big": 2 ** 70}), Write("odd", "create", {"tags": {"a", "b"}}),
              Write("ok2", "create", {"title": "b"})]
    outcomes = BatchWriter(bulk, FakeRest(), Log()).send_all(writes)
    (failure,) = [o for o in outcomes if not isinstance(o, str)]
    assert failure.medusa_id == "odd" and failure.permanent and "not JSON serializable" in failure.message
    (_, entries, _), = bulk.calls
    assert [e["medusa_id"] for e in entries] == ["ok1", "ok2"] and outcomes.count("created") == 2
    assert entries[0]["big"] == 2 ** 70  # past orjson's 64 bits: the standard library's encoder takes it


def test_a_batch_rolled_back_is_written_entry_by_entry_over_rest():
    rest, log = FakeRest(), Log()
    outcomes = BatchWriter(FakeBulk(StrapiError("POST", "/api/bulk-upsert/products", 409, "batch rolled back")), rest, log).send_all(WRITES)
    assert rest.sent == WRITES and outcomes == ["created"] * 4
    assert "writing it entry by entry over REST" in log.lines[0]


def test_an_unreachable_strapi_stops_the_queued_batches():
    rest = FakeRest()
    with pytest.raises(StrapiUnavailable):
        BatchWriter(FakeBulk(StrapiUnavailable("down")), rest, Log()).send_all(WRITES)
    assert rest.stopped.is_set() and rest.sent == []


def test_read_ahead_keeps_order_and_raises_where_the_producer_failed():
    assert list(read_ahead(iter(range(10)))) == list(range(10))

    def failing():
        yield 1
        raise RuntimeError("database went away")

    seen = []
    with pytest.raises(RuntimeError, match="database went away"):
        for item in read_ahead(failing()):
            seen.append(item)
    assert seen == [1]


def test_read_ahead_closes_the_source_when_the_consumer_stops():
    closed = threading.Event()

    def endless():
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed.set()

    for item in read_ahead(endless()):
        if item == 3:
            break
    assert closed.wait(2)


def test_keyset_membership_and_size():
    from pipelines.sync.keyset import KeySet

    keys = KeySet()
    assert "a" not in keys and len(keys) == 0
    keys.update(f"prod_{i}" for i in range(10000))
    keys.update(["prod_5", "x"])
    assert "prod_0" in keys and "prod_9999" in keys and "x" in keys and "prod_10000" not in keys
    assert len(keys) == 10001


def test_writers_of_types_running_at_once_share_their_rest_slots():
    in_flight, peak, lock = 0, 0, threading.Lock()

    class SlowClient:
        def update(self, plural, document_id, data, query=()):
            nonlocal in_flight, peak
            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            threading.Event().wait(0.01)
            with lock:
                in_flight -= 1

    slots = threading.BoundedSemaphore(3)
    writers = [Writer(SlowClient(), MappingSpec(plural[:-1], plural, plural[:-1]), SyncResult(plural), slots=slots)
               for plural in ("products", "images")]
    writes = [Write(f"m{i}", "update", {"title": "t"}, f"d{i}") for i in range(24)]
    pools = [ThreadPoolExecutor(4) for _ in writers]  # each type's own pool of 4, as ContentTypeSync has
    outcomes = [pool.map(writer.send, writes) for pool, writer in zip(pools, writers)]
    assert [list(o) for o in outcomes] == [["updated"] * 24] * 2
    for pool in pools:
        pool.shutdown()
    assert peak == 3
