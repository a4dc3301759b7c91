"""One Dagster asset per mapping ("Strapi's copy of one content type"), all from the same factory, and the
jobs that run them. Materializing runs the engine's one upsert path: everything with deletes (`reconcile`,
the default: the Materialize button and the nightly schedule) or what changed since the recorded
watermark (`changes`: the sensor).

No `from __future__ import annotations` here: Dagster inspects the real annotation of `context`.
"""

from dataclasses import replace
from typing import Literal

from dagster import (
    AssetExecutionContext,
    AssetSelection,
    AssetSpec,
    AssetsDefinition,
    Config,
    Definitions,
    MaterializeResult,
    MetadataValue,
    asset,
    define_asset_job,
)
from pydantic import Field

from pipelines.mapping import MappingErrors, MappingSet, MappingSpec
from pipelines.medusa.source import FULL, Window
from pipelines.secrets import redact
from pipelines.settings import Orchestration
from pipelines.sync.result import SyncResult
from pipelines.sync.run import ContentTypeSync
from pipelines.validate import preflight
from pipelines.writeback.run import settle_write_backs

from .failures import ExpectedFailure, failure_for
from .naming import DEFAULT_NAMES, TAG_MODE, DagsterNames
from .partitions import record_history
from .resources import MedusaDatabase, StrapiResource, both


class SyncConfig(Config):
    """How much of the content type a run covers."""

    mode: Literal["reconcile", "changes"] = Field(
        default="reconcile",
        description="reconcile: all of Medusa vs all of Strapi, with deletes; "
        "changes: what changed since the watermark the last successful run recorded",
    )


def source_specs(mappings: MappingSet, names: DagsterNames = DEFAULT_NAMES) -> list[AssetSpec]:
    """External assets for the Medusa tables the mappings read, so the graph shows the lineage."""
    tables = dict.fromkeys(spec.table for spec in mappings)
    return [AssetSpec(names.source_key(t), group_name=names.source_group, kinds={"postgres"}, description=f"Medusa table {t}")
            for t in tables]


def result_metadata(result: SyncResult, window: str, mode: str) -> dict[str, object]:
    """The figures a run records in Dagster (no secrets, no row values)."""
    metadata: dict[str, object] = {**result.counts(), "seconds": round(result.seconds, 2), "mode": mode, "window": window,
                                   "write path": result.write_path}
    metadata.update({f"media {name}": count for name, count in sorted(result.media.items())})  # files uploaded, reused...
    if result.failures:
        metadata["first failures"] = MetadataValue.md(
            "\n".join(f"- `{f.medusa_id}` ({f.action}{', quarantined' if f.permanent else ''}): {f.message}"
                      for f in result.failures[:20])
        )
    return metadata


def run_sync(context, spec: MappingSpec, mappings: MappingSet, medusa: MedusaDatabase, strapi: StrapiResource,
             settings: Orchestration, window: Window | None, *, mode: str, delete_missing: bool = False) -> dict[str, object]:
    """Check the mapping, then run the engine over `window` (None: what changed since the recorded
    watermark); the run's metadata, or an ExpectedFailure (with the same metadata) if rows failed transiently.

    A mismatched mapping, a system down or credentials refused fail the step with one redacted line and no
    stack trace; any other exception is a bug and keeps its stack (`failures.failure_for`). Either is
    raised outside the `except` block, so that no library's original text (which may quote a secret) is
    chained into Dagster's storage.
    """
    described = window.describe() if window else "changes since the recorded watermark"
    context.log.info(f"{spec.content_type}: {mode} over {described}")
    try:
        with medusa.source() as source, strapi.client() as client:
            preflight(mappings, source, client, only=[spec.content_type])
            options = replace(settings.sync, concurrency=strapi.concurrency, recorded_by=f"dagster run {context.run.run_id}")
            sync = ContentTypeSync(spec, mappings, source, client, options, log=context.log)
            result = sync.run_changes() if window is None else sync.run(window, delete_missing=delete_missing)
            if result.ok:
                settle_write_backs(mappings, [result], source, client, overlap=options.overlap, recorded_by=options.recorded_by)
        failure = None
    except MappingErrors as exc:
        failure = ExpectedFailure(f"{spec.content_type}: the mapping does not match Medusa or Strapi; nothing was written:\n"
                                  + redact("\n".join(map(str, exc.errors))))
    except Exception as exc:  # noqa: BLE001 - reported as one redacted line; nothing is retried silently
        failure = failure_for(exc, spec.content_type)
    if failure is not None:
        raise failure
    context.log.info(f"{result.summary()}; {result.window}")
    metadata = result_metadata(result, result.window or described, mode)
    if not result.ok:
        raise ExpectedFailure(f"{result.failed} row(s) of {spec.content_type} failed: {result.summary()}", metadata=metadata)
    return metadata


def build_sync_asset(spec: MappingSpec, mappings: MappingSet, settings: Orchestration,
                     names: DagsterNames = DEFAULT_NAMES) -> AssetsDefinition:
    """The asset that syncs `spec`'s content type, after the content types its relations point at."""
    deps = [names.source_key(spec.table), *(names.strapi_key(t) for t in mappings.dependencies(spec.content_type))]
    mapping_file = spec.path.name if spec.path else f"{spec.content_type}.yaml"

    key = names.strapi_key(spec.content_type)

    @asset(
        key=key,
        deps=deps,
        group_name=names.target_group,
        kinds={"strapi"},
        description=f"Strapi `{spec.content_type}` entries, upserted from Medusa `{spec.table}` by {spec.key} "
        f"(mapping: {mapping_file})",
        metadata={"mapping": mapping_file, "source table": spec.table, "rest path": f"/api/{spec.plural}"},
        pool=names.pool,
        required_resource_keys={names.medusa_resource, names.strapi_resource},
    )
    def _sync(context: AssetExecutionContext, config: SyncConfig) -> MaterializeResult:
        medusa, strapi = both(context, names)
        if config.mode == "changes":
            return MaterializeResult(metadata=run_sync(context, spec, mappings, medusa, strapi, settings, None, mode="changes"))
        metadata = run_sync(context, spec, mappings, medusa, strapi, settings, FULL, mode="reconcile", delete_missing=True)
        record_history(context.instance, spec, FULL, f"dagster run {context.run.run_id} (reconcile)", names)
        return MaterializeResult(metadata=metadata)

    return _sync


def build_sync_assets(mappings: MappingSet, settings: Orchestration | None = None,
                      names: DagsterNames = DEFAULT_NAMES) -> list[AssetsDefinition]:
    """One sync asset per mapping, in dependency order."""
    settings = settings or Orchestration()
    return [build_sync_asset(spec, mappings, settings, names) for spec in mappings]


def sync_jobs(names: DagsterNames = DEFAULT_NAMES):
    """The reconcile job (every type in full, deletes included) and the change sensor's job."""
    reconcile = define_asset_job(
        names.reconcile_job,
        selection=AssetSelection.groups(names.target_group),
        description="Compare every content type in full and create, update and delete to make Strapi equal to Medusa "
        "(0 writes when nothing changed); runs the checks afterwards.",
        tags={TAG_MODE: "reconcile"},
    )
    changes = define_asset_job(
        names.changes_job,
        selection=AssetSelection.groups(names.target_group),
        description="Incremental runs launched by the change sensor (what changed since each type's recorded watermark).",
    )
    return reconcile, changes


def sync_definitions(mappings: MappingSet, settings: Orchestration, names: DagsterNames = DEFAULT_NAMES) -> Definitions:
    """The Medusa tables, one sync asset per mapping, and the jobs that run them."""
    return Definitions(
        assets=[*source_specs(mappings, names), *build_sync_assets(mappings, settings, names)],
        jobs=list(sync_jobs(names)),
    )
