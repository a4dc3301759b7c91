"""`medusa-strapi` command line: validate mappings, sync Medusa into Strapi."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .extract import DEFAULT_CHUNK_SIZE, MedusaSource, SourceError
from .mapping import MappingErrors, load_mappings
from .settings import Settings, SettingsError, mappings_dir
from .strapi import StrapiClient, StrapiError, StrapiUnavailable
from .sync import DEFAULT_CONCURRENCY, SyncResult, sync_all

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="medusa-strapi", description=__doc__)
    parser.add_argument("-q", "--quiet", action="store_true", help="only print the final counts and errors")
    sub = parser.add_subparsers(dest="command", required=True)

    validate = sub.add_parser("validate", help="check the mapping files; exit 1 with file:line: key: message")
    validate.add_argument("--mappings", type=Path, help="mappings folder (default: $MAPPINGS_DIR or the repo's mappings/)")

    sync = sub.add_parser("sync", help="upsert every mapped content type (dependency order) into Strapi")
    sync.add_argument("--mappings", type=Path, help="mappings folder (default: $MAPPINGS_DIR or the repo's mappings/)")
    sync.add_argument("--only", action="append", metavar="TYPE", help="sync only this content type (repeatable)")
    sync.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE, help="rows read per chunk (default %(default)s)")
    sync.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="concurrent Strapi writes (default %(default)s)")
    return parser


def cmd_validate(args: argparse.Namespace) -> int:
    """Load and check every mapping; print each problem as file:line: key: message."""
    mappings = load_mappings(args.mappings or mappings_dir())
    print(f"ok: {len(mappings)} mappings ({', '.join(mappings.content_types)})")
    return EXIT_OK


def cmd_sync(args: argparse.Namespace) -> int:
    """Sync Medusa into Strapi and print one line of counts per content type."""
    settings = Settings.from_env()
    mappings = load_mappings(args.mappings or settings.mappings_dir)
    source = MedusaSource(settings.medusa_database_url)
    client = StrapiClient(settings.strapi_url, settings.strapi_api_token, pool_size=max(args.concurrency, 1) * 2)
    try:
        results = sync_all(
            mappings, source, client,
            only=args.only, chunk_size=args.chunk_size, concurrency=args.concurrency,
            on_result=_print_result,
        )
    finally:
        client.close()
        source.dispose()
    failed = sum(r.failed for r in results)
    total = sum(r.read for r in results)
    print(f"done: {len(results)} content types, {total} rows read, {failed} failed")
    return EXIT_FAILED if failed else EXIT_OK


def _print_result(result: SyncResult) -> None:
    print(result.summary(), flush=True)
    for failure in result.failures:
        print(f"  failed {failure.action} {failure.medusa_id}: {failure.message}", file=sys.stderr)
    if result.failed > len(result.failures):
        print(f"  ... and {result.failed - len(result.failures)} more failures", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `medusa-strapi` console script."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    commands = {"validate": cmd_validate, "sync": cmd_sync}
    try:
        return commands[args.command](args)
    except MappingErrors as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        print(f"{len(exc.errors)} mapping error(s); nothing was written", file=sys.stderr)
        return EXIT_FAILED
    except (SettingsError, KeyError) as exc:
        print(f"error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return EXIT_USAGE
    except (SourceError, StrapiUnavailable, StrapiError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
