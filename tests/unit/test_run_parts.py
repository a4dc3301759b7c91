"""The parts of a content type's run, each without services: the relation targets' lookup and cache
(`sync.targets`), the run's quarantine bookkeeping (`sync.quarantine_book`), a reconcile's deletes
(`sync.reconcile`), and the run's options read once from the environment (`settings.SyncOptions`)."""

from datetime import timedelta

import pytest

from pipelines.mapping import load_mappings
from pipelines.row_failure import RowFailure
from pipelines.settings import SHIPPED_MAPPINGS_DIR, SettingsError, SyncOptions, WritePaths
from pipelines.sync.plan import EntryPlan
from pipelines.sync.quarantine_book import QuarantineBook
from pipelines.sync.reconcile import Reconciler
from pipelines.sync.result import SyncResult
from pipelines.sync.state import QuarantinedRow
from pipelines.sync.targets import TargetResolver
from pipelines.sync.transform import Record

MAPPINGS = load_mappings(SHIPPED_MAPPINGS_DIR)
PRODUCT = MAPPINGS.get("product")
RELATIONS = {rel.attribute: rel.target for rel in PRODUCT.relations}


class FakeFind:
    """Strapi's entries by content type and medusa_id; counts the lookups."""

    def __init__(self, entries):
        self.entries = entries
        self.asked = []

    def __call__(self, content_type, medusa_ids):
        medusa_ids = list(medusa_ids)
        self.asked.append((content_type, sorted(medusa_ids)))
        return {mid: {"documentId": doc} for mid, doc in self.entries.get(content_type, {}).items() if mid in medusa_ids}


def test_targets_are_looked_up_once_and_kept_between_chunks():
    collection = MAPPINGS.get("product-collection")
    find = FakeFind({collection.content_type: {"pcol_1": "docC1"}})
    resolver = TargetResolver(RELATIONS, find)
    first = resolver.targets_of([Record("prod_1", links={"product_collection": "pcol_1"})])
    again = resolver.targets_of([Record("prod_2", links={"product_collection": "pcol_1"})])
    assert first["product-collection"] == again["product-collection"] == {"pcol_1": "docC1"}
    assert [asked for asked in find.asked if asked[0] == collection.content_type] == [(collection.content_type, ["pcol_1"])]


def test_a_target_not_in_strapi_is_left_out_and_asked_again_later():
    collection = MAPPINGS.get("product-collection")
    find = FakeFind({})
    resolver = TargetResolver(RELATIONS, find)
    assert resolver.targets_of([Record("prod_1", links={"product_collection": "pcol_9"})])["product-collection"] == {}
    find.entries[collection.content_type] = {"pcol_9": "docC9"}  # created meanwhile, by the collection's run
    assert resolver.targets_of([Record("prod_1", links={"product_collection": "pcol_9"})])["product-collection"] == {"pcol_9": "docC9"}


def test_the_target_cache_is_emptied_past_its_size():
    collection = MAPPINGS.get("product-collection")
    find = FakeFind({collection.content_type: {f"pcol_{i}": f"doc{i}" for i in range(5)}})
    resolver = TargetResolver(RELATIONS, find, cache_size=2)
    for i in range(5):
        resolver.targets_of([Record(f"prod_{i}", links={"product_collection": f"pcol_{i}"})])
    resolver.targets_of([Record("prod_0", links={"product_collection": "pcol_0"})])
    assert sum(1 for content_type, _ in find.asked if content_type == collection.content_type) == 6  # pcol_0 read again


class FakeQuarantine:
    def __init__(self, rows):
        self.held = rows
        self.added, self.cleared = [], []

    def rows(self, content_type=None):
        return [r for r in self.held if content_type in (None, r.content_type)]

    def add(self, content_type, failures):
        self.added.extend((content_type, f.medusa_id) for f in failures)

    def clear(self, rows):
        self.cleared.extend(r.medusa_id for r in rows)


def held(content_type, medusa_id):
    return QuarantinedRow(content_type, medusa_id, "convert", "bad", "t0", "t0", 1)


class Log:
    def info(self, message):
        pass


def test_the_book_releases_rows_read_again_that_did_not_fail_and_keeps_the_others():
    quarantine = FakeQuarantine([held("product", "prod_1"), held("product", "prod_2"), held("product", "prod_3")])
    book = QuarantineBook("product", PRODUCT.source_key, quarantine)
    book.load()
    book.note_read([Record("prod_1"), Record("prod_2")])
    book.note_failed(RowFailure("prod_2", "convert", "still bad", permanent=True))
    result = SyncResult("product")
    result.record_failure(RowFailure("prod_2", "convert", "still bad", permanent=True))
    book.settle(result, full=False, log=Log())
    assert quarantine.cleared == ["prod_1"]  # prod_3 was not read by this partial run
    assert quarantine.added == [("product", "prod_2")]


def test_a_full_run_releases_what_it_did_not_fail():
    quarantine = FakeQuarantine([held("product", "prod_gone")])
    book = QuarantineBook("product", PRODUCT.source_key, quarantine)
    book.load()
    book.settle(SyncResult("product"), full=True, log=Log())
    assert quarantine.cleared == ["prod_gone"]


def test_a_row_whose_target_is_quarantined_waits_for_it_and_a_dry_run_touches_nothing():
    plan = EntryPlan("fail", reason="collection pcol_1 is not in Strapi", missing=(("product-collection", ("pcol_1",)),))
    book = QuarantineBook("product", PRODUCT.source_key, FakeQuarantine([held("product-collection", "pcol_1")]))
    waiting = book.unresolved(Record("prod_1"), plan)
    assert waiting.permanent and "waits for quarantined product-collection 'pcol_1'" in waiting.message
    assert not QuarantineBook("product", PRODUCT.source_key, FakeQuarantine([])).unresolved(Record("prod_1"), plan).permanent
    dry = QuarantineBook("product", PRODUCT.source_key, None)
    dry.load()
    assert dry.every_row() == [] and not dry.unresolved(Record("prod_1"), plan).permanent


class FakeSource:
    """Medusa's live product rows, for the reconcile's second look."""

    def __init__(self, live):
        self.live = live

    def iter_chunks(self, spec, window, chunk_size):
        raise AssertionError("not asked in these cases")

    def count(self, spec):
        return len(self.live)


def test_the_reconciler_deletes_entries_not_seen_live_and_spares_rows_that_failed(monkeypatch):
    reconciler = Reconciler(PRODUCT, FakeSource(["prod_1"]))
    reconciler.note_read([Record("prod_1", key="prod_1"), Record("prod_bad", key="prod_bad", error="bad"),
                          Record("prod_del", key="prod_del", deleted=True)])
    monkeypatch.setattr(reconciler, "_live_now", lambda ids: (set(), set()))
    entries = [{"documentId": d, "medusa_id": m} for d, m in
               (("d1", "prod_1"), ("d2", "prod_bad"), ("d3", "prod_gone"), ("d4", None))]
    assert reconciler.orphans(entries) == [{"documentId": "d3", "medusa_id": "prod_gone"}]


def test_the_reconciler_refuses_a_mass_delete_unless_allowed(monkeypatch):
    entries = [{"documentId": f"d{i}", "medusa_id": f"prod_{i}"} for i in range(20)]
    refused = Reconciler(PRODUCT, FakeSource([]))
    monkeypatch.setattr(refused, "_live_now", lambda ids: (set(), set()))
    refusal = refused.orphans(entries)
    assert isinstance(refusal, RowFailure) and "--allow-mass-delete" in refusal.message
    allowed = Reconciler(PRODUCT, FakeSource([]), allow_mass_delete=True)
    monkeypatch.setattr(allowed, "_live_now", lambda ids: (set(), set()))
    assert len(allowed.orphans(entries)) == 20


def test_sync_options_are_read_once_with_safe_defaults_and_every_unusable_value_named():
    assert SyncOptions.from_env({}) == SyncOptions()
    options = SyncOptions.from_env({"WRITE_PATH_FULL": "rest", "SYNC_OVERLAP_SECONDS": "30", "STRAPI_MAX_WRITERS": "3"})
    assert options.write_paths == WritePaths("rest", "rest") and options.overlap == timedelta(seconds=30)
    assert options.max_writers == 3
    with pytest.raises(SettingsError) as raised:
        SyncOptions.from_env({"WRITE_PATH_FULL": "fast", "STRAPI_MAX_WRITERS": "0"})
    assert "WRITE_PATH_FULL" in str(raised.value) and "STRAPI_MAX_WRITERS" in str(raised.value)


class FakeWriter:
    def __init__(self):
        self.sent = []

    def send(self, write):
        self.sent.append(write.medusa_id)
        return "created"


class FakeBatchWriter:
    def __init__(self, gate):
        self.gate = gate
        self.batches = []

    def send_all(self, writes):
        self.gate.wait(5)
        self.batches.append([w.medusa_id for w in writes])
        return ["created"] * len(writes)


def test_rest_writes_are_counted_at_once_and_batches_when_they_finish_or_at_drain():
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from pipelines.sync.pipeline import BATCHES_IN_FLIGHT, WritePipeline
    from pipelines.sync.write import Write

    counted = []
    with ThreadPoolExecutor(4) as pool:
        rest = WritePipeline(pool, FakeWriter(), None, lambda outcomes: counted.extend(o for _, o in outcomes))
        rest.send([Write("a", "create", {}), Write("b", "create", {})])
        assert counted == ["created", "created"]

        counted.clear()
        gate = threading.Event()
        batches = FakeBatchWriter(gate)
        bulk = WritePipeline(pool, FakeWriter(), batches, lambda outcomes: counted.extend(o for _, o in outcomes))
        for i in range(BATCHES_IN_FLIGHT):
            bulk.send([Write(f"c{i}", "create", {})])
        assert counted == []  # in flight, while the run plans the next chunk
        gate.set()
        bulk.send([Write("last", "create", {})])  # waits for the oldest chunk first
        bulk.drain()
        assert len(counted) == BATCHES_IN_FLIGHT + 1 and sorted(b[0] for b in batches.batches) == ["c0", "c1", "last"]
