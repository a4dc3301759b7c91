"""`medusa-strapi` command line: validate mappings, sync Medusa into Strapi."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path


from .medusa.source import DEFAULT_CHUNK_SIZE, MedusaSource, SourceError
from .mapping import MappingErrors, MappingSet, load_mappings
from .settings import REPO_STRAPI_APP, Settings, SettingsError, mappings_dir
from .strapi.client import StrapiClient, StrapiError, StrapiUnavailable
from .strapi.content_types import SchemaError, generate_app, read_app_schemas
from .sync.result import SyncResult
from .sync.run import DEFAULT_CONCURRENCY, sync_all
from .medusa.locks import LockTimeout
from .secrets import RedactingFilter, SecretError, describe_error, redact
from .validate import check_database, check_strapi, field_types

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="medusa-strapi", description=__doc__)
    parser.add_argument("-q", "--quiet", action="store_true", help="only print the final counts and errors")
    sub = parser.add_subparsers(dest="command", required=True)

    validate = sub.add_parser(
        "validate",
        help="check the mappings (files; Medusa's tables and columns; Strapi's content types); exit 1 with file:line: key: message",
    )
    validate.add_argument("--mappings", type=Path, help="mappings folder (default: $MAPPINGS_DIR or the repo's mappings/)")
    validate.add_argument("--strapi-app", type=Path, default=REPO_STRAPI_APP,
                          help="Strapi app folder to check against when Strapi is not reachable (default: %(default)s)")

    schema = sub.add_parser("strapi-schema", help="generate the Strapi content types from the mappings and Medusa's column types")
    schema.add_argument("--mappings", type=Path, help="mappings folder (default: $MAPPINGS_DIR or the repo's mappings/)")
    schema.add_argument("--app", type=Path, default=REPO_STRAPI_APP, help="Strapi app folder (default: %(default)s)")
    schema.add_argument("--check", action="store_true", help="write nothing; exit 1 if the generated files are out of date")

    sync = sub.add_parser("sync", help="upsert every mapped content type (dependency order) into Strapi")
    sync.add_argument("--mappings", type=Path, help="mappings folder (default: $MAPPINGS_DIR or the repo's mappings/)")
    sync.add_argument("--only", action="append", metavar="TYPE", help="sync only this content type (repeatable)")
    sync.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE, help="rows read per chunk (default %(default)s)")
    sync.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="concurrent Strapi writes (default %(default)s)")

    for name, text in (
        ("reconcile", "compare all of Medusa with all of Strapi per type; create, update and delete to make them equal"),
        ("plan", "print what a reconcile would do (counts per type, first ids per action); write nothing"),
    ):
        command = sub.add_parser(name, help=text)
        command.add_argument("--mappings", type=Path, help="mappings folder (default: $MAPPINGS_DIR or the repo's mappings/)")
        command.add_argument("--only", action="append", metavar="TYPE", help="only this content type (repeatable)")
        command.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE, help="rows read per chunk (default %(default)s)")
        command.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="concurrent Strapi writes (default %(default)s)")
        command.add_argument("--allow-mass-delete", "--allow-empty-source", dest="allow_mass_delete", action="store_true",
                             help="let a reconcile delete more than half of a type's synced entries, or all of them when its "
                                  "Medusa table has no live row (refused by default: a wrong database, or another Medusa)")
    return parser


def cmd_validate(args: argparse.Namespace) -> int:
    """Check every mapping as far as the reachable systems allow; print each problem as file:line: key: message.

    The checks are those every run makes before writing (`preflight`); here a system that cannot be
    reached is skipped with a note instead of stopping the check.
    """
    mappings = load_mappings(args.mappings or mappings_dir())
    print(f"files: ok, {len(mappings)} mappings ({', '.join(mappings.content_types)})")
    url = os.environ.get("MEDUSA_DATABASE_URL", "").strip()
    source = MedusaSource(url) if url else None
    try:
        errors, types = _database_errors(mappings, source)
        errors += _strapi_errors(mappings, args.strapi_app, types)
    finally:
        if source:
            source.dispose()
    if errors:
        raise MappingErrors(errors)
    print("ok")
    return EXIT_OK


def _database_errors(mappings: MappingSet, source: MedusaSource | None) -> tuple[list, dict | None]:
    if source is None:
        print("medusa: skipped (MEDUSA_DATABASE_URL not set); attribute types not compared")
        return [], None
    try:
        errors = check_database(mappings, source)
        types = None if errors else field_types(mappings, source)
    except SourceError as exc:
        print(f"medusa: skipped ({exc}); attribute types not compared")
        return [], None
    print(f"medusa: {'ok' if not errors else f'{len(errors)} error(s)'}, tables and columns checked")
    return errors, types


def _strapi_errors(mappings: MappingSet, app_dir: Path, types: dict | None) -> list:
    url, token = os.environ.get("STRAPI_URL", "").strip(), os.environ.get("STRAPI_API_TOKEN", "").strip()
    if url and token:
        client = StrapiClient(url, token, retries=1)
        try:
            errors = check_strapi(mappings, client.content_types(), f"Strapi at {url}", types=types)
            print(f"strapi: {'ok' if not errors else f'{len(errors)} error(s)'}, content types of {url} checked")
            return errors
        except (StrapiUnavailable, StrapiError) as exc:
            print(f"strapi: {url} not usable ({exc}); checking the app folder instead")
        finally:
            client.close()
    if (app_dir / "src" / "api").is_dir():
        errors = check_strapi(mappings, read_app_schemas(app_dir), f"the Strapi app in {app_dir}", types=types)
        print(f"strapi: {'ok' if not errors else f'{len(errors)} error(s)'}, content types of {app_dir} checked")
        return errors
    print("strapi: skipped (no STRAPI_URL and no app folder)")
    return []


def cmd_strapi_schema(args: argparse.Namespace) -> int:
    """Write (or --check) the Strapi content types generated from the mappings."""
    url = os.environ.get("MEDUSA_DATABASE_URL")
    if not url:
        raise SettingsError("MEDUSA_DATABASE_URL is needed: column types are read from Medusa's database")
    mappings = load_mappings(args.mappings or mappings_dir())
    source = MedusaSource(url)
    try:
        errors = check_database(mappings, source)
        if errors:
            raise MappingErrors(errors)
        app = generate_app(mappings, source)
    finally:
        source.dispose()
    if args.check:
        stale = app.diff(args.app)
        for path in stale:
            print(f"out of date: {args.app / path}", file=sys.stderr)
        if stale:
            print("run `medusa-strapi strapi-schema` and commit the result", file=sys.stderr)
            return EXIT_FAILED
        print(f"up to date: {len(mappings)} content types in {args.app}")
        return EXIT_OK
    changed = app.write(args.app)
    for path in changed:
        print(f"wrote {args.app / path}")
    print(f"{len(changed)} file(s) changed; restart Strapi to load them" if changed else "already up to date")
    return EXIT_OK


def cmd_sync(args: argparse.Namespace, *, delete_missing: bool = False, dry_run: bool = False) -> int:
    """Sync Medusa into Strapi (upserts; with delete_missing, a reconcile) and print counts per content type."""
    settings = Settings.from_env()
    mappings = load_mappings(args.mappings or settings.mappings_dir)
    source = MedusaSource(settings.medusa_database_url)
    client = StrapiClient(settings.strapi_url, settings.strapi_api_token, pool_size=max(args.concurrency, 1) * 2)
    try:
        results = sync_all(
            mappings, source, client,
            only=args.only, chunk_size=args.chunk_size, concurrency=args.concurrency,
            delete_missing=delete_missing, dry_run=dry_run,
            allow_mass_delete=getattr(args, "allow_mass_delete", False),
            on_result=_print_plan if dry_run else _print_result,
        )
    finally:
        client.close()
        source.dispose()
    failed = sum(r.failed for r in results)
    total = sum(r.read for r in results)
    if dry_run:
        writes = sum(r.writes for r in results)
        print(f"plan: {writes} write(s) across {len(results)} content types ({total} rows read); nothing was written")
        return EXIT_OK
    print(f"done: {len(results)} content types, {total} rows read, {failed} failed")
    return EXIT_FAILED if failed else EXIT_OK


def cmd_reconcile(args: argparse.Namespace) -> int:
    """Make Strapi equal to Medusa: creates, updates and deletes."""
    return cmd_sync(args, delete_missing=True)


def cmd_plan(args: argparse.Namespace) -> int:
    """Print what a reconcile would do, without writing."""
    return cmd_sync(args, delete_missing=True, dry_run=True)


def _print_plan(result: SyncResult) -> None:
    print(f"{result.content_type}: create={result.created} update={result.updated} delete={result.deleted} "
          f"unchanged={result.unchanged}", flush=True)
    for action in ("create", "update", "delete"):
        if result.samples.get(action):
            print(f"  {action}: {', '.join(result.samples[action])}")


def _print_result(result: SyncResult) -> None:
    print(result.summary(), flush=True)
    for failure in result.failures:
        print(f"  failed {failure.action} {failure.medusa_id}: {failure.message}", file=sys.stderr)
    if result.failed > len(result.failures):
        print(f"  ... and {result.failed - len(result.failures)} more failures", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `medusa-strapi` console script."""
    args = _parser().parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        handlers=[handler],
        force=True,
    )
    commands = {
        "validate": cmd_validate, "sync": cmd_sync, "reconcile": cmd_reconcile, "plan": cmd_plan,
        "strapi-schema": cmd_strapi_schema,
    }
    try:
        return commands[args.command](args)
    except MappingErrors as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        print(f"{len(exc.errors)} mapping error(s); nothing was written", file=sys.stderr)
        return EXIT_FAILED
    except (SettingsError, SecretError, KeyError) as exc:
        print(f"error: {redact(str(exc.args[0] if exc.args else exc))}", file=sys.stderr)
        return EXIT_USAGE
    except (SourceError, StrapiUnavailable, StrapiError, SchemaError, LockTimeout) as exc:
        print(f"error: {redact(str(exc))}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # noqa: BLE001 - a library's message may quote a secret: never show it raw
        print(f"error: unexpected {describe_error(exc)}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
