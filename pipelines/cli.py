"""`medusa-strapi`: validate mappings, sync Medusa into Strapi, reconcile, plan, backfill, and see the quarantine."""

from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Iterator

from . import health
from .console import Display, configure_logging
from .errors import RUN_ERRORS, USAGE_ERRORS, error_text
from .mapping import MappingErrors, MappingSet, load_mapping_set, load_mappings
from .mapping.shipped import mapping_set_folder
from .mapping.spec import DEFAULT_PARTITION_COLUMN
from .medusa.admin import MedusaAdmin
from .medusa.source import DEFAULT_CHUNK_SIZE, FULL, MedusaSource, SourceError, Window
from .recorders import Recording, recorders
from .secrets import describe_error, redact
from .settings import (DEFAULT_CONCURRENCY, DEFAULT_STRAPI_APP, WRITE_MODES, Settings, SettingsError, WritePaths, mappings_dir, medusa_database_url,
                       strapi_credentials, strapi_url)
from .strapi.bulk import BulkClient
from .strapi.key_index import migration, missing_key_indexes
from .strapi.client import StrapiAuthError, StrapiClient, StrapiError, StrapiUnavailable
from .strapi.content_types import GeneratedApp, generate_app, read_app_schema_files, read_app_schemas
from .scaffold import guess_types, medusa_version, read_tables, write_set
from .system_types import SYSTEM_TYPES, uid_of
from .sync.bases import MergeBases, conflict_rows
from .sync.collector import tune_malloc
from .sync.run import DEFAULT_TYPES_AT_ONCE, ContentTypeSync, sync_all
from .sync.write_path import BULK_CHUNK_SIZE
from .sync.state import Quarantine, QuarantinedRow
from .writeback.run import settle_write_backs, state_name, write_back
from .validate import check_database, check_strapi, check_write_back, field_types

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

ENVIRONMENT = """environment:
  MEDUSA_DATABASE_URL  Medusa's Postgres (read-only access is enough)
  STRAPI_URL           Strapi's base URL, e.g. http://127.0.0.1:1337
  STRAPI_API_TOKEN     a full-access Strapi API token, or instead:
  STRAPI_IDENTIFIER    a Users & Permissions service account (username or email) and its
  STRAPI_PASSWORD      password: the sync logs in once and reuses the JWT (scripts/stack creates one)
  MAPPINGS_DIR         the mapping set (optional; default: the repo's mappings/, Medusa v1)
  STRAPI_CA_BUNDLE     CA certificates for a Strapi behind a private CA (optional; TLS is always verified)
  WRITE_PATH_FULL      how sync, reconcile and backfill write: auto (the bulk-upsert plugin where installed,
                       the default), rest or bulk
  WRITE_PATH_CHANGES   how `sync --changes` (and the sensors) write: rest (the default), auto or bulk
  MEDUSA_ADMIN_URL     Medusa's server, its Admin API for `write-back` (with MEDUSA_ADMIN_EMAIL and
                       MEDUSA_ADMIN_PASSWORD, an admin user); only needed where a mapping declares write_back
  MEDIA_ALLOWED_HOSTS  the hosts `media` attributes' files may be fetched from (optional; off when empty), and
  MEDIA_ALLOW_NETWORKS the private networks among them (CIDRs, e.g. 127.0.0.1/32)
  DAGSTER_HOME         record sync, reconcile and backfill runs as materializations in this Dagster instance
  local stack:         eval "$(scripts/stack env)" sets MEDUSA_DATABASE_URL, STRAPI_URL, STRAPI_API_TOKEN (with
                       --login: STRAPI_IDENTIFIER and STRAPI_PASSWORD instead), MAPPINGS_DIR, MEDUSA_ADMIN_URL,
                       MEDUSA_ADMIN_EMAIL, MEDUSA_ADMIN_PASSWORD, MEDIA_ALLOWED_HOSTS and MEDIA_ALLOW_NETWORKS (for
                       the demo's images), DAGSTER_HOME once scripts/demo made its instance (this command's runs
                       then show in the demo's Dagster UI), and for the tests STRAPI_DATABASE_URL (and
                       MEDUSA_SERVER_DATABASE_URL where the Medusa server has a database of its own); with
                       --admin only the Strapi admin's STRAPI_ADMIN_EMAIL and STRAPI_ADMIN_PASSWORD (never the sync's)"""

CONNECTIONS = "MEDUSA_DATABASE_URL, STRAPI_URL, STRAPI_API_TOKEN"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="medusa-strapi", description=__doc__, epilog=ENVIRONMENT,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    _output_options(parser, default=False)
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, text: str, needs: str = CONNECTIONS, *, writes: bool = True) -> argparse.ArgumentParser:
        found = sub.add_parser(name, help=text, description=text,
                               epilog=f"needs: {needs}; optional: MAPPINGS_DIR" + ("" if writes else ". Writes nothing."))
        _output_options(found, default=argparse.SUPPRESS)
        found.add_argument("--mappings", type=lambda value: mapping_set_folder(value, Path.cwd()),
                           help="a mappings folder, or a shipped set by name: medusa-v1, medusa-v2, medusa-v2-guide "
                                "(default: $MAPPINGS_DIR, else medusa-v1)")
        return found

    def rows(found: argparse.ArgumentParser, *, writes: bool = True, required: bool = False) -> None:
        found.add_argument("--only", action="append", metavar="TYPE", required=required, help="only this content type (repeatable)")
        found.add_argument("--chunk-size", type=int, default=None,
                           help=f"rows read per chunk (default {BULK_CHUNK_SIZE} through the bulk plugin, {DEFAULT_CHUNK_SIZE} over REST)")
        found.add_argument("--types-at-once", type=int, default=DEFAULT_TYPES_AT_ONCE, metavar="N",
                           help="content types synced at once, each after the types it relates to (default %(default)s)")
        if writes:
            found.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY,
                               help="concurrent Strapi writes over REST (default %(default)s)")
            found.add_argument("--write-path", choices=WRITE_MODES,
                               help="bulk: through the bulk-upsert plugin; rest: entry by entry; auto: the plugin where "
                                    "installed (default: $WRITE_PATH_FULL, or $WRITE_PATH_CHANGES with --changes)")

    validate = command("validate", "check the mappings against the JSON Schema, Medusa's tables and Strapi's content types; "
                       "exit 1 with file:line: key: message", "nothing; checks what it can reach of " + CONNECTIONS, writes=False)
    validate.add_argument("--strapi-app", type=Path, default=DEFAULT_STRAPI_APP,
                          help="Strapi app folder to check against when Strapi is not reachable (default: %(default)s)")

    init = command("init", "scaffold a mapping set from Medusa's tables and a Strapi app's content types, a YAML per type "
                   "with a comment on every guess; then validate it and print what is left to decide", "MEDUSA_DATABASE_URL")
    init.add_argument("--strapi-app", type=Path, default=DEFAULT_STRAPI_APP,
                      help="the Strapi app whose content types to map (its src/api/*/content-types/*/schema.json; "
                           "default: the bundled app, %(default)s)")
    init.add_argument("--out", type=Path, required=True, help="the folder to write the mapping set into")
    init.add_argument("--force", action="store_true",
                      help="overwrite files that differ from the guess (by default the guess is written beside them as .yaml.new)")

    schema = command("strapi-schema", "generate the Strapi content types from the mappings and Medusa's column types",
                     "MEDUSA_DATABASE_URL")
    schema.add_argument("--app", type=Path, default=DEFAULT_STRAPI_APP, help="Strapi app folder (default: %(default)s)")
    schema.add_argument("--check", action="store_true", help="write nothing; exit 1 if the generated files are out of date")
    schema.add_argument("--index-only", action="store_true",
                        help="only a database migration giving the mapped types' keys a unique index where the app's "
                             "schemas declare them `unique: true` alone (Strapi runs it at its next boot); needs no Medusa")
    schema.add_argument("--system-only", action="store_true",
                        help="only the sync's own content types (state, quarantine, merge bases, media records), for an app "
                             "whose other content types someone else designed; needs no mappings nor Medusa")

    sync = command("sync", "create and update every mapped content type (dependency order) in Strapi; no deletes")
    rows(sync)
    sync.add_argument("--changes", action="store_true",
                      help="only what changed since each type's last recorded sync (what the Dagster sensor runs)")

    reconcile = command("reconcile", "compare all of Medusa with all of Strapi per type; create, update and delete to make "
                        "them equal, and retry quarantined rows")
    rows(reconcile)
    reconcile.add_argument("--allow-mass-delete", "--allow-empty-source", dest="allow_mass_delete", action="store_true",
                           help="let it delete more than half of a type's synced entries, or all of them when its Medusa "
                                "table has no live row (refused by default: a wrong database, or another Medusa)")

    plan = command("plan", "say what a reconcile would create, update and delete, and what the write-back would send to "
                   "Medusa (counts and first ids per type)", writes=False)
    rows(plan, writes=False)

    backfill = command("backfill", "sync the rows of content types whose partition column (the mapping's `partition`, else "
                       "created_at) falls in [--from, --to); rows soft-deleted meanwhile are deleted")
    rows(backfill, required=True)
    backfill.add_argument("--from", dest="start", type=_date, required=True, metavar="YYYY-MM-DD", help="first day (UTC), included")
    backfill.add_argument("--to", dest="end", type=_date, required=True, metavar="YYYY-MM-DD", help="last day (UTC), excluded")

    write_back_cmd = command(
        "write-back", "merge the two-way fields (a mapping's `write_back`) of the entries edited in Strapi since the last "
        "write-back: Strapi's changes to Medusa through its Admin API, Medusa's to Strapi, conflicts by `on_conflict`", CONNECTIONS + ", MEDUSA_ADMIN_URL, MEDUSA_ADMIN_EMAIL, MEDUSA_ADMIN_PASSWORD")
    write_back_cmd.add_argument("--only", action="append", metavar="TYPE", help="only this content type (repeatable)")
    write_back_cmd.add_argument("--dry-run", action="store_true", help="print what would be written; write nothing")

    conflicts = command("conflicts", "list the conflicts recorded on two-way fields (a mapping's `write_back`): both "
                        "sides changed one to different values; which won, by which rule, when", writes=False)
    conflicts.add_argument("--only", action="append", metavar="TYPE", help="only this content type (repeatable)")

    command("health", "check both sides, one line each: Strapi's /_health, the credentials, their find/create/"
            "update/delete permissions per mapped type, the bulk plugin, Medusa's database and each mapped table; "
            "exit 1 on any failure", writes=False)

    quarantine = command("quarantine", "list the rows that cannot load, with the reason; `retry` syncs them again "
                         "(those that load leave the quarantine)")
    quarantine.add_argument("action", nargs="?", choices=("list", "retry"), default="list")
    quarantine.add_argument("--only", action="append", metavar="TYPE", help="only this content type (repeatable)")
    return parser


def _output_options(parser: argparse.ArgumentParser, *, default: object) -> None:
    """-q and -v, on the top-level parser (`medusa-strapi -q sync`) and on each command's (`medusa-strapi sync -q`).

    A command's parser leaves them out of the result unless given (SUPPRESS), so the top-level ones stay."""
    parser.add_argument("-q", "--quiet", action="store_true", default=default,
                        help="no progress bars: the result lines and errors only")
    parser.add_argument("-v", "--verbose", action="store_true", default=default, help="log what each step does")


def _version() -> str:
    try:
        return metadata.version("medusa-strapi-sync")
    except metadata.PackageNotFoundError:
        return "unknown"


def _date(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def cmd_validate(args: argparse.Namespace) -> int:
    """Check every mapping as far as the reachable systems allow; print each problem as file:line: key: message.

    The checks are those every run makes before writing (`preflight`); here a system that cannot be
    reached is skipped with a note instead of stopping the check.
    """
    mappings = load_mappings(args.mappings or mappings_dir())
    print(f"files: ok, {len(mappings)} mappings ({', '.join(mappings.content_types)})")
    try:
        url, unusable = medusa_database_url(), "MEDUSA_DATABASE_URL is not set"
    except SettingsError as exc:
        url, unusable = None, str(exc)
    source = MedusaSource(url) if url else None
    try:
        errors, types = _database_errors(mappings, source, unusable)
        errors += _strapi_errors(mappings, args.strapi_app, types)
        errors += check_write_back(mappings)
    finally:
        if source:
            source.dispose()
    if errors:
        raise MappingErrors(errors)
    print("ok")
    return EXIT_OK


def _database_errors(mappings: MappingSet, source: MedusaSource | None, unusable: str) -> tuple[list, dict | None]:
    if source is None:
        print(redact(f"medusa: SKIPPED the check of tables, columns and paths, and of attribute types ({unusable})"))
        return [], None
    try:
        errors = check_database(mappings, source)
        types = None if errors else field_types(mappings, source)
    except SourceError as exc:
        print(redact(f"medusa: SKIPPED the check of tables, columns and paths, and of attribute types ({exc})"))
        return [], None
    print(f"medusa: {'ok' if not errors else f'{len(errors)} error(s)'}, tables and columns checked")
    return errors, types


def _strapi_errors(mappings: MappingSet, app_dir: Path, types: dict | None) -> list:
    try:
        url = strapi_url()
        credentials = strapi_credentials()
    except SettingsError as exc:
        print(redact(f"strapi: {exc}; checking the app folder {app_dir} instead"))
        url = credentials = None
    if url and credentials:
        client = StrapiClient(url, credentials, retries=1)
        try:
            errors = check_strapi(mappings, client.content_types(), f"Strapi at {url}", types=types)
            print(redact(f"strapi: {'ok' if not errors else f'{len(errors)} error(s)'}, content types of {url} checked"))
            if not errors:
                for line in unindexed_keys(mappings, client):
                    print(f"warning: {line}")
            return errors
        except (StrapiUnavailable, StrapiError) as exc:
            print(redact(f"strapi: {url} not usable ({error_text(exc)}); checking the app folder {app_dir} instead"))
        finally:
            client.close()
    if (app_dir / "src" / "api").is_dir():
        errors = check_strapi(mappings, read_app_schemas(app_dir), f"the Strapi app in {app_dir}", types=types)
        print(f"strapi: {'ok' if not errors else f'{len(errors)} error(s)'}, content types of {app_dir} checked")
        return errors
    print("strapi: SKIPPED the check of content types, plurals and attributes (no STRAPI_URL + credentials, no app folder)")
    return []


def unindexed_keys(mappings: MappingSet, client: StrapiClient) -> list[str]:
    """The types whose key no unique index holds in Strapi's database (as the bulk-upsert plugin sees it), each with
    the two ways to add one; none when the plugin is not installed."""
    found = []
    for spec in mappings:
        capability = BulkClient(client, key=spec.key).capability(spec.plural)
        if not capability.installed:
            return []
        if capability.key_indexed is False:
            found.append(f"{spec.uid}.{spec.key} is unique for Strapi's REST checks only, with no database index: two "
                         "writers creating one entry at the same moment can both succeed. Add the index: `medusa-strapi "
                         "strapi-schema --app <your Strapi app> --index-only` writes a database migration, or the bulk-upsert "
                         f"plugin's config `uniqueKeys: {{'{spec.uid}': '{spec.key}'}}` makes it at every boot")
    return found


def cmd_init(args: argparse.Namespace) -> int:
    """Scaffold a mapping set (see `pipelines.scaffold`), validate it, and say what is left for a person to decide."""
    url = medusa_database_url()
    if not url:
        raise SettingsError("MEDUSA_DATABASE_URL is needed: init reads Medusa's tables")
    schemas = read_app_schema_files(args.strapi_app)
    if not schemas:
        raise SettingsError(f"--strapi-app {args.strapi_app}: no content types (src/api/*/content-types/*/schema.json)")
    source = MedusaSource(url)
    try:
        tables = read_tables(source)
        guesses = guess_types(schemas, tables)
        print(f"medusa: v{medusa_version(tables)}, {len(tables)} tables; strapi: {len(schemas)} content types in {args.strapi_app}")
        done = write_set(guesses, args.out, force=args.force)
        for path in done.written:
            print(f"wrote {path}")
        for path in done.beside:
            print(f"kept {path.with_suffix('')} (it differs from the guess: edited?); the guess is in {path}")
        if done.unchanged:
            print(f"{len(done.unchanged)} file(s) already as guessed")
        loaded = load_mapping_set(args.out)
        errors = loaded.errors
        if loaded.mappings.specs:
            errors += check_database(loaded.mappings, source)
            errors += check_strapi(loaded.mappings, read_app_schemas(args.strapi_app), f"the Strapi app in {args.strapi_app}",
                                   types=None if errors else field_types(loaded.mappings, source))
    finally:
        source.dispose()
    system = {uid_of(name) for name in SYSTEM_TYPES}
    undecided = [line for guess in guesses for line in guess.undecided]
    if any(e.key in system for e in errors):
        errors = [e for e in errors if e.key not in system]
        undecided.append(f"the app lacks the sync's own content types: add them with "
                         f"`medusa-strapi strapi-schema --app {args.strapi_app} --system-only`")
    print(f"left to decide ({len(undecided)}):" if undecided else "nothing left to decide")
    for line in undecided:
        print(f"  {line}")
    for error in errors:
        print(error, file=sys.stderr)
    print(f"validate: {'ok' if not errors else f'{len(errors)} problem(s)'} for {len(loaded.mappings)} mapping(s) in {args.out}")
    return EXIT_FAILED if errors else EXIT_OK


def cmd_strapi_schema(args: argparse.Namespace) -> int:
    """Write (or --check) the Strapi content types generated from the mappings (or only the sync's own)."""
    if args.system_only:
        return _write_app(args, generate_app(None, None), "the sync's own content types")
    if args.index_only:
        return _write_key_indexes(args)
    url = medusa_database_url()
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
    return _write_app(args, app, f"{len(mappings)} content types")


def _write_key_indexes(args: argparse.Namespace) -> int:
    """`--index-only`: the migration that gives unindexed keys a unique index, written into the app (or checked)."""
    mappings = load_mappings(args.mappings or mappings_dir())
    indexes = missing_key_indexes(mappings, read_app_schema_files(args.app))
    if not indexes:
        print(f"every mapped key in {args.app} has its unique index already (\"column\": {{\"unique\": true}} or the plugin's uniqueKey)")
        return EXIT_OK
    name, text = migration(indexes)
    path = args.app / name
    if args.check:
        print(f"{'up to date' if path.is_file() else 'missing'}: {path}")
        return EXIT_OK if path.is_file() else EXIT_FAILED
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for index in indexes:
        print(f"{index.uid} ({index.table}.{index.column}): unique index {index.name}")
    print(f"wrote {path}; Strapi creates the indexes at its next boot")
    return EXIT_OK


def _write_app(args: argparse.Namespace, app: GeneratedApp, what: str) -> int:
    """Write the generated `app` into `args.app`, or with --check say whether it is up to date there."""
    if args.check:
        stale = app.diff(args.app)
        for path in stale:
            print(f"out of date: {args.app / path}", file=sys.stderr)
        if stale:
            print("run `medusa-strapi strapi-schema` and commit the result", file=sys.stderr)
            return EXIT_FAILED
        print(f"up to date: {what} in {args.app}")
        return EXIT_OK
    changed = app.write(args.app)
    for path in changed:
        print(f"wrote {args.app / path}")
    print(f"{len(changed)} file(s) changed; restart Strapi to load them" if changed else "already up to date")
    return EXIT_OK


@contextmanager
def _connected(args: argparse.Namespace, concurrency: int = DEFAULT_CONCURRENCY,
               settings: Settings | None = None) -> Iterator[tuple[MappingSet, MedusaSource, StrapiClient]]:
    settings = settings or Settings.from_env()
    mappings = load_mappings(args.mappings or settings.mappings_dir, getattr(args, "only", None))
    source = MedusaSource(settings.medusa_database_url)
    client = StrapiClient(settings.strapi_url, settings.strapi_credentials, pool_size=max(concurrency, 1) * 2,
                          ca_bundle=settings.strapi_ca_bundle)
    try:
        yield mappings, source, client
    finally:
        client.close()
        source.dispose()


def cmd_sync(args: argparse.Namespace, *, delete_missing: bool = False, dry_run: bool = False, window: Window = FULL) -> int:
    """Sync Medusa into Strapi (upserts; with delete_missing, a reconcile) and print one line per content type."""
    concurrency = getattr(args, "concurrency", DEFAULT_CONCURRENCY)
    display = Display(quiet=args.quiet, dry_run=dry_run)
    settings = Settings.from_env()
    mode = getattr(args, "write_path", None)
    options = replace(settings.sync, chunk_size=args.chunk_size, concurrency=concurrency, dry_run=dry_run,
                      allow_mass_delete=getattr(args, "allow_mass_delete", False), recorded_by=f"medusa-strapi {args.command}",
                      write_paths=WritePaths(mode, mode) if mode else settings.sync.write_paths)
    with _connected(args, concurrency, settings) as (mappings, source, client), display.session():
        results = sync_all(
            mappings, source, client, options=options,
            only=args.only, window=window, types_at_once=args.types_at_once,
            changes=getattr(args, "changes", False), delete_missing=delete_missing,
            on_start=display.start, on_result=display.result,
        )
        if not dry_run:
            settle_write_backs(mappings, results, source, client, overlap=options.overlap, recorded_by=options.recorded_by)
    failed, quarantined = sum(r.failed for r in results), sum(r.quarantined for r in results)
    total = sum(r.read for r in results)
    if dry_run:
        writes = sum(r.writes for r in results)
        print(f"plan: {writes} write(s) across {len(results)} content types ({total} rows read); nothing was written")
        return EXIT_OK
    print(f"done: {len(results)} content types, {total} rows read, {failed} failed, {quarantined} quarantined")
    _record(results, settings, Recording(f"medusa-strapi {args.command}", _mode(args, delete_missing, window), window, mappings))
    if quarantined:
        print(f"{quarantined} row(s) quarantined: see `medusa-strapi quarantine`; they are retried when they change "
              "and at every reconcile", file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK


def _mode(args: argparse.Namespace, delete_missing: bool, window: Window) -> str:
    """The run's mode as Dagster's runs name theirs."""
    if getattr(args, "changes", False):
        return "changes"
    if delete_missing:
        return "reconcile"
    return "sync" if window.is_full else "backfill"


def _record(results: list, settings: Settings, recording: Recording) -> None:
    """Hand the results to the configured recorders (the Dagster instance of DAGSTER_HOME); a recorder that
    fails is reported and does not fail the command, whose writes are done."""
    if recording.mode == "changes":
        results = [r for r in results if r.read or r.deleted]  # a look that found nothing changed is no sync
    if not results:
        return
    for recorder in recorders(settings):
        try:
            print(recorder.record(results, recording), file=sys.stderr)
        except Exception as exc:  # noqa: BLE001 - the sync is done; only its record is missing
            print(f"warning: the run was not recorded: {describe_error(exc)}", file=sys.stderr)


def cmd_health(args: argparse.Namespace) -> int:
    """Print one line per health check (ok / FAIL); exit 1 when any fails."""
    settings = Settings.from_env()
    mappings = load_mappings(args.mappings or settings.mappings_dir)
    source = MedusaSource(settings.medusa_database_url)
    client = StrapiClient(settings.strapi_url, settings.strapi_credentials, ca_bundle=settings.strapi_ca_bundle, retries=1)
    admin = MedusaAdmin(settings.medusa_admin, retries=1) if settings.medusa_admin else None
    failed = 0
    try:
        checks = [*health.strapi_checks(client, mappings), *health.medusa_checks(source, mappings),
                  *health.medusa_admin_checks(admin, mappings), *health.media_checks(settings.sync.media, mappings)]
        for check in checks:
            if isinstance(check.error, StrapiAuthError) and check.error.refused:
                check = replace(check, detail=error_text(check.error))
            print(check.line(), flush=True)
            failed += not check.ok
    finally:
        client.close()
        source.dispose()
        if admin:
            admin.close()
    print(f"{'healthy' if not failed else f'{failed} check(s) failed'}")
    return EXIT_FAILED if failed else EXIT_OK


def cmd_reconcile(args: argparse.Namespace) -> int:
    """Make Strapi equal to Medusa: creates, updates and deletes."""
    return cmd_sync(args, delete_missing=True)


def cmd_plan(args: argparse.Namespace) -> int:
    """Print what a reconcile, and the write-back's merge of two-way fields, would do, without writing."""
    outcome = cmd_sync(args, delete_missing=True, dry_run=True)
    return max(outcome, _write_back(args, dry_run=True))


def cmd_write_back(args: argparse.Namespace) -> int:
    """Merge the two-way fields of the entries edited in Strapi (to Medusa's Admin API, and to Strapi); one line per type."""
    return _write_back(args, dry_run=args.dry_run)


def _write_back(args: argparse.Namespace, *, dry_run: bool) -> int:
    mappings = load_mappings(args.mappings or mappings_dir(), args.only)
    specs = [mappings.get(name) for name in args.only] if args.only else list(mappings)
    specs = [spec for spec in specs if spec.write_back]
    if not specs:
        if args.command == "write-back":
            print("write-back: no mapping declares write_back; nothing to do")
        return EXIT_OK
    settings = Settings.from_env(medusa_admin=not dry_run)  # Medusa's Admin API only where a mapping writes back
    failed = 0
    with _connected(args, settings=settings) as (_, source, client):
        admin = MedusaAdmin(settings.medusa_admin) if settings.medusa_admin and not dry_run else None
        try:
            if admin:
                admin.check_login()  # wrong credentials are an error even on a run with nothing to write
            for spec in specs:
                result = write_back(spec, source, client, admin, dry_run=dry_run, recorded_by=f"medusa-strapi {args.command}")
                if dry_run:
                    first = ", ".join(w.medusa_id for w in result.planned[:5])
                    back = ", ".join(w.medusa_id for w in result.planned_to_strapi[:5])
                    print(f"write-back {spec.content_type}: {len(result.planned)} update(s) to Medusa"
                          f"{f' ({first})' if first else ''}, {len(result.planned_to_strapi)} to Strapi"
                          f"{f' ({back})' if back else ''}, {len(result.conflicts)} conflict(s) to record, "
                          f"from {result.read} entries read")
                else:
                    print(f"write-back {result.summary()}")
                for medusa_id, reason in result.failures:
                    print(f"write-back {spec.content_type} {medusa_id}: {reason}", file=sys.stderr)
                for medusa_id, reason in result.quarantined:
                    print(f"write-back {spec.content_type} {medusa_id}: quarantined: {reason}", file=sys.stderr)
                failed += len(result.failures)
        finally:
            if admin:
                admin.close()
    return EXIT_FAILED if failed else EXIT_OK


def cmd_conflicts(args: argparse.Namespace) -> int:
    """List the conflicts recorded on two-way fields: both sides changed one to different values."""
    with _connected(args) as (mappings, _, client):
        specs = [mappings.get(name) for name in args.only] if args.only else list(mappings)
        found = 0
        for spec in (s for s in specs if s.write_back):
            for row in conflict_rows(MergeBases(client, spec.content_type).with_conflicts()):
                found += 1
                base = "(no base: synced before bases were kept)" if not row.get("had_base", True) else repr(row.get("base"))
                print(f"{spec.content_type} {row['medusa_id']} {row['field']}: base {base}, Medusa {row.get('medusa')!r}, "
                      f"Strapi {row.get('strapi')!r}; {row.get('winner')} won (on_conflict: {row.get('rule')}) at {row.get('at')}")
        print(f"{found} conflict(s)" + ("; each is kept until its field next changes" if found else ""))
    return EXIT_OK


def cmd_backfill(args: argparse.Namespace) -> int:
    """Sync the rows of the selected types whose partition column falls in [--from, --to)."""
    if args.end <= args.start:
        raise SettingsError("--to must be after --from")
    mappings = load_mappings(args.mappings or mappings_dir(), args.only)
    outcome = EXIT_OK
    for name in args.only:
        spec = mappings.get(name)
        column = spec.partition.column if spec.partition else DEFAULT_PARTITION_COLUMN
        one = argparse.Namespace(**{**vars(args), "only": [name]})
        outcome = max(outcome, cmd_sync(one, window=Window.between(column, args.start, args.end)))
    return outcome


def cmd_quarantine(args: argparse.Namespace) -> int:
    """List the quarantined rows, or retry them (those that load leave the quarantine)."""
    settings = Settings.from_env()
    with _connected(args, settings=settings) as (mappings, source, client):
        quarantine = Quarantine(client, source.identity)
        for name in args.only or []:
            mappings.get(name)  # UnknownContentType naming the known types
        rows = [r for r in quarantine.rows() if not args.only or _quarantined_type(r) in args.only]
        if args.action == "list":
            for row in rows:
                print(f"{row.content_type} {row.medusa_id}: {row.action}, {row.attempts} attempt(s), "
                      f"first {row.first_seen}, last {row.last_seen}: {row.reason}")
            print(f"{len(rows)} quarantined row(s)" + ("; retry them with `medusa-strapi quarantine retry`" if rows else ""))
            return EXIT_OK
        written_back = [r for r in rows if r.content_type != _quarantined_type(r)]
        if written_back:  # values Medusa refused: a write-back tries them again when an editor edits the entry
            print(f"{len(written_back)} write-back row(s) not retried here: the write-back tries each again when its "
                  "entry is edited in Strapi")
        rows = [r for r in rows if r not in written_back]
        display = Display(quiet=args.quiet)
        failed = 0
        for spec in mappings:
            keys = {spec.source_key(r.medusa_id) for r in rows if r.content_type == spec.content_type}
            if keys:
                options = replace(settings.sync, recorded_by="medusa-strapi quarantine retry")
                result = ContentTypeSync(spec, mappings, source, client, options).run(Window.of_keys(keys))
                display.result(result)
                failed += result.failed
        left = [r for r in quarantine.rows() if r.content_type == _quarantined_type(r)
                and (not args.only or r.content_type in args.only)]
        print(f"retried {len(rows)} row(s): {len(rows) - len(left)} loaded, {len(left)} still quarantined")
        return EXIT_FAILED if failed or left else EXIT_OK


def _quarantined_type(row: QuarantinedRow) -> str:
    """The content type a quarantined row belongs to: its own, or the one a write-back row (`write-back:<type>`) is of."""
    return row.content_type.removeprefix(state_name(""))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `medusa-strapi` console script."""
    tune_malloc()  # before any thread has an arena of its own
    args = _parser().parse_args(argv)
    configure_logging(args.verbose)
    commands = {
        "validate": cmd_validate, "sync": cmd_sync, "reconcile": cmd_reconcile, "plan": cmd_plan,
        "strapi-schema": cmd_strapi_schema, "init": cmd_init, "backfill": cmd_backfill, "quarantine": cmd_quarantine, "health": cmd_health,
        "write-back": cmd_write_back, "conflicts": cmd_conflicts,
    }
    try:
        return commands[args.command](args)
    except MappingErrors as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        print(f"{len(exc.errors)} mapping error(s); nothing was written", file=sys.stderr)
        return EXIT_FAILED
    except USAGE_ERRORS as exc:
        print(f"error: {redact(str(exc.args[0] if exc.args else exc))}", file=sys.stderr)
        return EXIT_USAGE
    except RUN_ERRORS as exc:
        print(f"error: {error_text(exc)}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # noqa: BLE001 - a library's message may quote a secret: never show it raw
        print(f"error: unexpected {describe_error(exc)}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
