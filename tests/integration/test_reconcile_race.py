"""A reconcile never deletes an entry that another run created from a live Medusa row while it ran."""

from __future__ import annotations

import threading
import time

from pipelines.medusa.source import FULL, MedusaSource
from pipelines.medusa.locks import ContentTypeLock, WriterSlots
from pipelines.settings import SyncOptions
from pipelines.strapi.client import StrapiClient
from pipelines.sync.run import ContentTypeSync, sync_all

from ..support.proxy import StrapiProxy
from .helpers import clone_row


def test_reconcile_keeps_a_product_created_while_it_runs(stack, medusa_url, source, clean_strapi, mappings, medusa_sql):
    """Issue 7.1: the reconcile read Medusa's live ids at its start and deleted the newcomer at its end."""
    sync_all(mappings, source, clean_strapi)
    template = medusa_sql("select id from product where deleted_at is null order by id limit 1")[0][0]
    outcome = {}
    with StrapiProxy(stack["STRAPI_URL"]) as proxy:
        slow = StrapiClient(proxy.url, stack["STRAPI_API_TOKEN"])
        reconcile_source = MedusaSource(medusa_url)

        def reconcile():
            sync = ContentTypeSync(mappings.get("product"), mappings, reconcile_source, slow, SyncOptions(chunk_size=3, concurrency=1))
            outcome["result"] = sync.run(FULL, delete_missing=True)

        thread = threading.Thread(target=reconcile)
        thread.start()
        proxy.wait_until(lambda p: p.forwarded >= 3)  # the reconcile is reading its first chunks
        proxy.pause()
        proxy.wait_until(lambda p: p.waiting >= 1)  # ...and now waits for Strapi mid-run
        clone_row(medusa_sql, "product", template, id="prod_created_during_reconcile", handle="created-during-reconcile")
        (created,) = sync_all(mappings, source, clean_strapi, only=["product"])  # the sensor's run, or `sync --only product`
        assert created.created == 1 and created.failed == 0
        proxy.resume()
        thread.join(120)
        slow.close()
        reconcile_source.dispose()
    assert outcome["result"].deleted == 0, outcome["result"].summary()
    assert "prod_created_during_reconcile" in clean_strapi.find_by_medusa_ids("products", ["prod_created_during_reconcile"])


def test_reconcile_still_deletes_rows_gone_from_medusa(source, clean_strapi, mappings, medusa_sql):
    sync_all(mappings, source, clean_strapi)
    gone = medusa_sql("select id from product_tag order by id limit 1")[0][0]
    medusa_sql("delete from product_tags where product_tag_id = :id", id=gone)
    medusa_sql("delete from product_tag where id = :id", id=gone)
    (result,) = sync_all(mappings, source, clean_strapi, only=["product-tag"], delete_missing=True)
    assert result.deleted == 1
    assert clean_strapi.find_by_medusa_ids("product-tags", [gone]) == {}


def test_a_sync_waits_while_a_delete_phase_holds_the_type(source, clean_strapi, mappings):
    """Writers of a type hold its lock shared; a reconcile's delete phase holds it exclusively."""
    done = threading.Event()

    def sync_currencies():
        sync_all(mappings, source, clean_strapi, only=["currency"])
        done.set()

    with ContentTypeLock(source.engine, "currency").exclusive():
        thread = threading.Thread(target=sync_currencies)
        thread.start()
        assert not done.wait(1.5), "the sync wrote while another run was deleting"
        assert clean_strapi.find_by_medusa_ids("currencies", ["usd", "eur"]) == {}
    assert done.wait(60)
    thread.join()
    assert "usd" in clean_strapi.find_by_medusa_ids("currencies", ["usd"])


def test_delete_phases_of_one_type_take_turns(source):
    lock_a, lock_b = ContentTypeLock(source.engine, "product"), ContentTypeLock(source.engine, "product")
    entered = threading.Event()

    def second():
        with lock_b.exclusive():
            entered.set()

    with lock_a.shared():
        thread = threading.Thread(target=second)
        thread.start()
        assert not entered.wait(1.0)
    assert entered.wait(10)
    thread.join()
    with ContentTypeLock(source.engine, "product").exclusive(), ContentTypeLock(source.engine, "currency").exclusive():
        pass  # other types are independent


def test_writer_slots_let_at_most_the_limit_write_to_one_strapi(source):
    """Eight runs racing for two writer slots of one Strapi: never more than two hold one, every run gets one,
    and another Strapi's slots are independent."""
    holding, peak, lock = 0, 0, threading.Lock()

    def run():
        nonlocal holding, peak
        with WriterSlots(source.engine, "http://strapi.test:1337", 2).held() as slot:
            assert slot in (1, 2)
            with lock:
                holding += 1
                peak = max(peak, holding)
            time.sleep(0.2)
            with lock:
                holding -= 1

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    with WriterSlots(source.engine, "http://other-strapi.test:1337", 1).held():
        pass  # not kept waiting by the first Strapi's writers
    for thread in threads:
        thread.join(30)
    assert peak == 2 and holding == 0
