#!/usr/bin/env python3
"""Fill a migrated Medusa v1 database with a synthetic, schema-valid catalog (for load and edge-case tests).

    python scripts/generate_catalog.py --database-url URL [--products 1000] [--seed 42] [--batch 1000] [--salt S]

Everything is written in one transaction, and the same --seed into the same database state gives the same rows.
What it writes, how awkward the data is and how it stays deterministic: the `catalog` package beside this file
(scripts/catalog/, split by what it generates). This file is its command line.

Exit codes: 0 done, 1 database unreachable or not migrated (or insert failed).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import sqlalchemy as sa

if str(Path(__file__).resolve().parent) not in sys.path:  # the catalog package beside this file
    sys.path.insert(0, str(Path(__file__).resolve().parent))

# The pure generators are re-exported: tests/unit/test_generate_catalog.py loads this file and calls them.
from catalog.database import NotMigrated, engine_url  # noqa: E402
from catalog.ids import CROCKFORD, crockford, make_id  # noqa: E402
from catalog.moments import ANCHOR, START, stamps  # noqa: E402
from catalog.model import Catalog, Taken  # noqa: E402
from catalog.products import ProductGenerator  # noqa: E402
from catalog.regions import CURRENCIES, assign_countries, build_regions, build_shipping_options  # noqa: E402
from catalog.summary import format_summary  # noqa: E402
from catalog.taxonomy import build_category_tree, build_collections, build_tags  # noqa: E402
from catalog.values import description, make_handle, metadata, product_title, slugify  # noqa: E402
from catalog.writer import fill  # noqa: E402

__all__ = [
    "ANCHOR", "CROCKFORD", "CURRENCIES", "START", "Catalog", "ProductGenerator", "Taken", "assign_countries",
    "build_category_tree", "build_collections", "build_regions", "build_shipping_options", "build_tags",
    "crockford", "description", "main", "make_handle", "make_id", "metadata", "parse_args", "product_title",
    "slugify", "stamps",
]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command line options."""
    parser = argparse.ArgumentParser(prog="generate_catalog.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="Postgres URL of an already migrated Medusa v1 database")
    parser.add_argument("--products", type=int, default=1000, help="products to generate (default %(default)s)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default %(default)s)")
    parser.add_argument("--batch", type=int, default=1000,
                        help="products generated and inserted per round (default %(default)s)")
    parser.add_argument("--salt", default=None, help="mixed into the seed (default: the row count of `product`)")
    args = parser.parse_args(argv)
    if args.products < 0 or args.batch < 1:
        parser.error("--products must be >= 0 and --batch >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Entry point: generate the catalog in one transaction, print progress, counts and the elapsed time."""
    args = parse_args(argv)
    began = time.monotonic()
    progress = lambda message: print(f"[generate_catalog] {message}", file=sys.stderr, flush=True)  # noqa: E731
    engine = sa.create_engine(engine_url(args.database_url), connect_args={"connect_timeout": 10})
    try:
        with engine.begin() as conn:
            report, totals = fill(
                conn, products=args.products, seed=args.seed, salt=args.salt, batch=args.batch, progress=progress,
            )
    except NotMigrated as exc:
        print(f"error: {engine.url.render_as_string(hide_password=True)} is not a migrated Medusa v1 database "
              f"(missing tables: {exc}); run Medusa's migrations first", file=sys.stderr)
        return 1
    except sa.exc.OperationalError as exc:
        print(f"error: cannot use the database: {exc.orig or exc}".rstrip(), file=sys.stderr)
        return 1
    except sa.exc.DBAPIError as exc:
        print(f"error: insert failed, nothing was written: {exc.orig or exc}".rstrip(), file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(format_summary(report, totals, time.monotonic() - began))
    return 0


if __name__ == "__main__":
    sys.exit(main())
