#!/usr/bin/env python3
"""What keeping the merge bases costs an unchanged re-sync (issue 24): requests and seconds of a full compare of
product against a Strapi that already holds the catalog, with one version of the code or another.

    eval "$(scripts/stack env)"
    .venv/bin/python scripts/benchmark_merge_base.py prepare --products 10000    # prints the copy's URL
    git worktree add /tmp/before <commit before the merge>
    farm-bench --vs ".venv/bin/python scripts/benchmark_merge_base.py resync --url URL --repo /tmp/before" \\
                    ".venv/bin/python scripts/benchmark_merge_base.py resync --url URL"
    .venv/bin/python scripts/benchmark_merge_base.py drop --url URL

`prepare` copies the stack's Medusa database (`bench_merge`), adds generated products (scripts/generate_catalog.py)
and syncs every type into the stack's Strapi (bulk where installed), then once more so every entry has its base.
`resync` imports the sync from `--repo` (default: this checkout), runs `sync` of product over the full window
(the bulk plugin where installed: a full run's path), checks it wrote nothing, and prints the Strapi requests it
sent and its seconds.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _import_sync(repo: Path):
    sys.path.insert(0, str(repo))
    from pipelines.mapping import load_mappings
    from pipelines.medusa.source import MedusaSource
    from pipelines.strapi.client import StrapiClient
    from pipelines.sync.run import sync_all

    return load_mappings, MedusaSource, StrapiClient, sync_all


def _counted(client) -> list[int]:
    """Count the requests `client` sends (one session: every request goes through it)."""
    count = [0]
    send = client.session.request

    def request(method, url, **kw):
        count[0] += 1
        return send(method, url, **kw)

    client.session.request = request
    return count


def prepare(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    from throwaway_db import engine_url, kept_copy

    template = engine_url(os.environ["MEDUSA_DATABASE_URL"])
    url = kept_copy(os.environ["MEDUSA_DATABASE_URL"], f"{template.database}_bench_merge")
    subprocess.run([sys.executable, str(REPO / "scripts" / "generate_catalog.py"), "--database-url", url,
                    "--products", str(args.products)], check=True, stdout=subprocess.DEVNULL)
    load_mappings, MedusaSource, StrapiClient, sync_all = _import_sync(REPO)
    mappings = load_mappings(REPO / "mappings")
    source, client = MedusaSource(url), StrapiClient(os.environ["STRAPI_URL"], os.environ["STRAPI_API_TOKEN"])
    for label in ("sync", "re-sync (bases of entries that agree)"):
        started = time.monotonic()
        results = sync_all(mappings, source, client)
        failed = [f for r in results for f in r.failures]
        if failed:
            raise SystemExit(f"the {label} failed rows, e.g. {failed[:3]}")
        print(f"{label}: {sum(r.read for r in results)} rows, {sum(r.writes for r in results)} writes, "
              f"{time.monotonic() - started:.1f}s", file=sys.stderr)
    print(engine_url(url).render_as_string(hide_password=True))


def resync(args: argparse.Namespace) -> None:
    load_mappings, MedusaSource, StrapiClient, sync_all = _import_sync(args.repo)
    mappings = load_mappings(args.repo / "mappings")
    source, client = MedusaSource(args.url), StrapiClient(os.environ["STRAPI_URL"], os.environ["STRAPI_API_TOKEN"])
    requests = _counted(client)
    started = time.monotonic()
    (result,) = sync_all(mappings, source, client, only=["product"])
    seconds = time.monotonic() - started
    if result.writes or result.failures:
        raise SystemExit(f"not an unchanged catalog: {result.summary()}")
    import pipelines

    print(f"{Path(pipelines.__file__).parent.parent}: product read={result.read} writes=0 requests={requests[0]} seconds={seconds:.2f} "
          f"path={result.write_path}")


def drop(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    from throwaway_db import drop_database

    drop_database(args.url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    ready = sub.add_parser("prepare")
    ready.add_argument("--products", type=int, default=10000)
    again = sub.add_parser("resync")
    again.add_argument("--url", required=True, help="the prepared copy's MEDUSA_DATABASE_URL")
    again.add_argument("--repo", type=Path, default=REPO, help="the checkout whose sync runs (default: this one)")
    gone = sub.add_parser("drop")
    gone.add_argument("--url", required=True)
    args = parser.parse_args()
    {"prepare": prepare, "resync": resync, "drop": drop}[args.command](args)


if __name__ == "__main__":
    main()
