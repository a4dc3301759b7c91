#!/usr/bin/env python3
"""Benchmark the write paths against ONE running Strapi, in one run (issue 11's figures).

    eval "$(scripts/stack env)"
    .venv/bin/python scripts/benchmark_sync.py --products 10000 --rest-products 1000

Copies the Medusa database twice and adds generated products (scripts/generate_catalog.py, Medusa v1):
`--products` to the big copy, `--rest-products` to the small one. Then, against the same Strapi:

  (a) raw REST create ceiling: prebuilt product payloads POSTed by 4 threads (`--raw` entries), measured
      before (c) and again right after it; (c) is compared with the mean of the two, as the machine's speed
      drifts over the minutes (c) takes
  (b) the seed plugin's path: one request per entity (POST), one at a time (`--serial`)
  (c) the project's full sync over all 19 types over REST (the small copy)
  (d) the same through the bulk-upsert plugin (the big copy; Strapi emptied of (c)'s entries first)
  (e) an unchanged re-sync of (d): incremental (what sensors and `sync --changes` run), and a full compare
  (f) extract + transform alone (the big copy, no Strapi)
  (g) media: `--images` image rows of the big copy pointed at distinct PNGs on a local HTTP server, their files
      fetched and uploaded to Strapi's media library by the media pass (MEDIA_CONCURRENCY uploads at once),
      then the same pass again (nothing to upload)

and prints entities/s, the ratios (c)/(a), (d)/(a), (d)/(b), writes and requests per entity, and peak RSS.
It leaves Strapi holding the big catalog; `medusa-strapi reconcile` against the demo database (or
`scripts/stack up --fresh`) puts it back.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import random
import resource
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import sqlalchemy as sa  # noqa: E402

from pipelines.mapping import load_mappings  # noqa: E402
from pipelines.media.run import MediaPass  # noqa: E402
from pipelines.medusa.source import FULL, MedusaSource  # noqa: E402
from pipelines.settings import MediaSettings, WritePaths, mappings_dir  # noqa: E402
from pipelines.strapi.bulk import BulkClient  # noqa: E402
from pipelines.strapi.client import StrapiClient  # noqa: E402
from pipelines.sync.collector import fewer_collections, tune_malloc  # noqa: E402
from pipelines.sync.extract import extracted_records  # noqa: E402
from pipelines.sync.run import DEFAULT_TYPES_AT_ONCE, related_types, sync_all  # noqa: E402
from pipelines.sync.write_path import BULK_CHUNK_SIZE  # noqa: E402
from pipelines.sync.schedule import run_in_dependency_order  # noqa: E402
from pipelines.sync.transform import transform  # noqa: E402
from tests.support.image_server import ImageServer, png  # noqa: E402
from throwaway_db import database_copy  # noqa: E402

REST, BULK = WritePaths("rest", "rest"), WritePaths("bulk", "bulk")


class Requests:
    """Counts the HTTP requests a client sends."""

    def __init__(self, client: StrapiClient):
        self.count = 0
        send = client.session.request

        def request(method, url, **kw):
            self.count += 1
            return send(method, url, **kw)

        client.session.request = request


def generate(url: str, products: int) -> None:
    if products:
        subprocess.run([sys.executable, str(REPO / "scripts" / "generate_catalog.py"), "--database-url", url,
                        "--products", str(products)], check=True, stdout=subprocess.DEVNULL)


def product_payloads(source: MedusaSource, mappings, prefix: str, n: int) -> list[dict]:
    """Scalar attributes of real product rows, with fresh medusa_ids (no relations: the raw ceiling)."""
    spec = mappings.get("product")
    payloads: list[dict] = []
    while len(payloads) < n:
        for rows in source.iter_chunks(spec, FULL, 1000):
            for record in transform(rows, spec):
                scalars = {k: v for k, v in record.attributes.items() if not isinstance(v, (dict, list, str)) or k != "metadata"}
                payloads.append({**scalars, "medusa_id": f"{prefix}_{len(payloads)}"})
                if len(payloads) == n:
                    return payloads
    return payloads


def delete_by_prefix(client: StrapiClient, plural: str, prefix: str) -> None:
    docs = [e["documentId"] for e in client.iter_entries(plural, filters=[("filters[medusa_id][$startsWith]", prefix)])]
    bulk = BulkClient(client)
    for start in range(0, len(docs), 2000):
        bulk.write(plural, [], docs[start:start + 2000])


def raw_ceiling(client: StrapiClient, payloads: list[dict], threads: int) -> float:
    """(a) entities/s of plain REST creates from prebuilt payloads."""
    started = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda data: client.create("products", data), payloads))
    return len(payloads) / (time.monotonic() - started)


def serial_upsert(client: StrapiClient, payloads: list[dict]) -> float:
    """(b) entities/s of the seed plugin's path: one request per entity, one at a time (its subscriber POSTed
    each product to /api/products as Medusa's event arrived)."""
    started = time.monotonic()
    for data in payloads:
        client.create("products", data)
    return len(payloads) / (time.monotonic() - started)


def full_sync(mappings, source, client, requests: Requests, paths: WritePaths, *, changes: bool = False) -> dict:
    before = requests.count
    started = time.monotonic()
    results = sync_all(mappings, source, client, write_paths=paths, changes=changes)
    seconds = time.monotonic() - started
    failed = [f for r in results for f in r.failures]
    if failed:
        raise SystemExit(f"the sync failed rows, e.g. {failed[:3]}")
    return {"rows": sum(r.read for r in results), "writes": sum(r.writes for r in results), "seconds": seconds,
            "requests": requests.count - before, "paths": Counter(r.write_path for r in results)}


def empty_synced_types(mappings, client: StrapiClient) -> None:
    """Delete every entry of the mapped types (and the sync's state), dependents first, in bulk."""
    types = [("sync-states", "key"), ("quarantined-rows", "key"), *((s.plural, "medusa_id") for s in reversed(mappings.specs))]
    for plural, key in types:
        bulk = BulkClient(client, key=key)
        docs = [e["documentId"] for e in bulk.keys(plural)]
        for start in range(0, len(docs), 2000):
            bulk.write(plural, [], docs[start:start + 2000])


def extract_transform(mappings, source) -> tuple[int, float]:
    """(f) rows/s of reading and transforming every mapped table as the bulk sync does (chunks of BULK_CHUNK_SIZE
    read and transformed in stages ahead, DEFAULT_TYPES_AT_ONCE types at a time in dependency order), nothing sent."""
    def read(spec, _options) -> int:
        return sum(len(records) for records in extracted_records(source, spec, FULL, BULK_CHUNK_SIZE))

    started = time.monotonic()
    with fewer_collections():  # as every run does
        counts = run_in_dependency_order(list(mappings), related_types, read,
                                         at_once=DEFAULT_TYPES_AT_ONCE, key=lambda spec: spec.content_type)
    return sum(counts), time.monotonic() - started


def media_upload(mappings, source: MedusaSource, client: StrapiClient, images: int, size: int) -> tuple[dict, dict, int]:
    """(g) the media pass over `images` image rows whose URLs point at distinct PNGs on a local server:
    (counts, seconds) of the first pass, of a second one, and the bytes per image."""
    with source.engine.begin() as conn:
        ids = [r[0] for r in conn.execute(sa.text("select id from image where deleted_at is null order by id limit :n"), {"n": images})]
    salt = random.randrange(256)  # new content each benchmark run: none of it in the library yet
    with ImageServer() as server:
        body_sizes = []
        with source.engine.begin() as conn:
            for i, image_id in enumerate(ids):
                body = png(size, size, (i % 256, (i // 256) % 256, salt))
                body_sizes.append(len(body))
                url = server.image(f"/bench/{i}.png", body)
                conn.execute(sa.text("update image set url = :url, updated_at = now() where id = :id"), {"url": url, "id": image_id})
        sync_all(mappings, source, client, only=["image"], write_paths=BULK)  # the entries carry the new URLs
        settings = MediaSettings(allowed_hosts=frozenset({"127.0.0.1"}), allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),),
                                 concurrency=MediaSettings.from_env().concurrency)
        passes = []
        for _ in range(2):
            failures: list = []
            started = time.monotonic()
            counts = MediaPass(mappings.get("image"), client, settings, fail=failures.append).run(ids)
            if failures:
                raise SystemExit(f"the media pass failed files, e.g. {failures[:3]}")
            passes.append({"counts": dict(counts), "seconds": time.monotonic() - started, "concurrency": settings.concurrency})
    return passes[0], passes[1], sum(body_sizes) // max(len(body_sizes), 1)


def line(label: str, figures: dict) -> str:
    rate = figures["writes"] / figures["seconds"] if figures["seconds"] else 0
    per = lambda n: n / figures["writes"] if figures["writes"] else 0  # noqa: E731
    return (f"{label:44} {figures['rows']:>8} rows {figures['writes']:>8} writes {figures['seconds']:>8.1f} s "
            f"{rate:>8.0f} entities/s {per(figures['requests']):>6.3f} requests/entity")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10000, help="generated products in the bulk catalog (d, e, f)")
    parser.add_argument("--rest-products", type=int, default=1000, help="generated products in the REST catalog (c)")
    parser.add_argument("--raw", type=int, default=2000, help="entities created for the raw REST ceiling (a)")
    parser.add_argument("--serial", type=int, default=300, help="entities upserted one at a time (b)")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--images", type=int, default=1000, help="image files uploaded to the media library (g); 0 skips it")
    parser.add_argument("--image-size", type=int, default=1000, help="width and height of each PNG (g), in pixels")
    args = parser.parse_args(argv)
    tune_malloc()  # as the CLI does, before any thread

    mappings = load_mappings(mappings_dir())
    with ExitStack() as stack:
        small_url = stack.enter_context(database_copy(os.environ["MEDUSA_DATABASE_URL"], "bench_rest"))
        big_url = stack.enter_context(database_copy(os.environ["MEDUSA_DATABASE_URL"], "bench_bulk"))
        print(f"generating catalogs: {args.rest_products} and {args.products} products ...", flush=True)
        generate(small_url, args.rest_products)
        generate(big_url, args.products)
        small, big = MedusaSource(small_url), MedusaSource(big_url)
        stack.callback(small.dispose)
        stack.callback(big.dispose)
        client = StrapiClient(os.environ["STRAPI_URL"], os.environ["STRAPI_API_TOKEN"], pool_size=args.threads * 2)
        stack.callback(client.close)
        requests = Requests(client)
        if not BulkClient(client).capability("products").writable:
            raise SystemExit("the bulk-upsert plugin is not installed in this Strapi (strapi/config/plugins.js)")

        def ceiling(prefix: str) -> float:
            rate = raw_ceiling(client, product_payloads(big, mappings, prefix, args.raw), args.threads)
            delete_by_prefix(client, "products", prefix)
            return rate

        raw_before = ceiling("bench_raw")
        print(f"(a) raw REST creates, {args.threads} threads, {args.raw} prebuilt payloads: {raw_before:.0f} entities/s", flush=True)
        serial = serial_upsert(client, product_payloads(big, mappings, "bench_serial", args.serial))
        delete_by_prefix(client, "products", "bench_serial")
        print(f"(b) one request per entity, serial, {args.serial} entities: {serial:.0f} entities/s", flush=True)

        empty_synced_types(mappings, client)
        rest = full_sync(mappings, small, client, requests, REST)
        print(line(f"(c) full sync over REST ({args.rest_products} products)", rest), flush=True)
        raw_after = ceiling("bench_raw_after")
        raw = (raw_before + raw_after) / 2
        print(f"(a) again, right after (c): {raw_after:.0f} entities/s; mean of the two {raw:.0f} entities/s", flush=True)
        empty_synced_types(mappings, client)
        bulk = full_sync(mappings, big, client, requests, BULK)
        print(line(f"(d) full sync via the plugin ({args.products} products)", bulk), flush=True)
        incremental = full_sync(mappings, big, client, requests, BULK, changes=True)
        print(line("(e) unchanged re-sync, incremental", incremental), flush=True)
        compare = full_sync(mappings, big, client, requests, BULK)
        print(line("(e') unchanged re-sync, full compare", compare), flush=True)
        rows, seconds = extract_transform(mappings, big)
        print(f"(f) extract + transform: {rows} rows in {seconds:.1f} s: {rows / seconds:.0f} rows/s", flush=True)
        if args.images:
            first, second, size = media_upload(mappings, big, client, args.images, args.image_size)
            uploaded = first["counts"].get("uploaded", 0)
            print(f"(g) media: {uploaded} files ({args.image_size}x{args.image_size} PNG, {size / 1024:.0f} KB each) fetched and "
                  f"uploaded in {first['seconds']:.1f} s: {uploaded / first['seconds']:.1f} images/s ({first['concurrency']} at once); "
                  f"again: {second['counts'].get('uploaded', 0)} uploads in {second['seconds']:.1f} s", flush=True)

        rate = lambda f: f["writes"] / f["seconds"]  # noqa: E731
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\nratios: (c)/(a) {rate(rest) / raw:.2f} (before {rate(rest) / raw_before:.2f}, after {rate(rest) / raw_after:.2f})   "
              f"(d)/(a) {rate(bulk) / raw:.1f}   (d)/(b) {rate(bulk) / serial:.0f}")
        print(f"(e) writes {incremental['writes']} in {incremental['seconds']:.1f} s = {incremental['seconds'] / bulk['seconds']:.1%} of (d); "
              f"full compare: writes {compare['writes']} in {compare['seconds']:.1f} s = {compare['seconds'] / bulk['seconds']:.1%} of (d)")
        print(f"peak RSS of this process: {peak:.0f} MB")
        return 0 if incremental["writes"] == compare["writes"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
