"""One Dagster asset per mapping file, all built by the same factory.

An asset is "Strapi's copy of one content type". Materializing it runs the engine's one upsert path
over a window chosen by the run config: everything with deletes (`reconcile`, the default: the UI's
Materialize button and the nightly schedule) or the rows changed since a watermark (`changes`: the
sensors).

No `from __future__ import annotations` here: Dagster inspects the real annotation of `context`.
"""

from datetime import datetime
from typing import Literal, Optional

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    AssetsDefinition,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from pipelines.medusa.source import FULL, Buckets, Window
from pipelines.mapping import MappingErrors, MappingSet, MappingSpec
from pipelines.validate import preflight
from pipelines.secrets import describe_error, redact
from pipelines.sync.result import SyncResult
from pipelines.sync.run import ContentTypeSync

from .resources import MedusaDatabase, StrapiResource

SOURCE_GROUP = "medusa"
TARGET_GROUP = "strapi"


class SyncConfig(Config):
    """How much of the content type a run covers."""

    mode: Literal["reconcile", "changes"] = Field(
        default="reconcile",
        description="reconcile: all of Medusa vs all of Strapi, with deletes; changes: rows changed since `since`",
    )
    since: Optional[str] = Field(
        default=None, description="changes mode: ISO timestamp; rows whose cursor is at or after it (all rows when empty)"
    )
    buckets: list[dict] = Field(
        default_factory=list,
        description="changes mode: changed buckets of untimed link tables, [{table, column, ids}] (set by the sensors)",
    )


def source_key(table: str) -> AssetKey:
    """Asset key of a Medusa table (an external asset the sync reads)."""
    return AssetKey([SOURCE_GROUP, table])


def strapi_key(content_type: str) -> AssetKey:
    """Asset key of a Strapi content type kept in sync."""
    return AssetKey([TARGET_GROUP, content_type.replace("-", "_")])


def source_specs(mappings: MappingSet) -> list[AssetSpec]:
    """External assets for the Medusa tables the mappings read, so the graph shows the lineage."""
    tables = dict.fromkeys(spec.table for spec in mappings)
    return [
        AssetSpec(source_key(t), group_name=SOURCE_GROUP, kinds={"postgres"}, description=f"Medusa table {t}")
        for t in tables
    ]


def result_metadata(result: SyncResult, window: Window, mode: str) -> dict[str, object]:
    """The figures a run records in Dagster (no secrets, no row values)."""
    metadata: dict[str, object] = {**result.counts(), "seconds": round(result.seconds, 2), "mode": mode,
                                   "window": window.describe()}
    if result.failures:
        metadata["first failures"] = MetadataValue.md(
            "\n".join(f"- `{f.medusa_id}` ({f.action}): {f.message}" for f in result.failures[:20])
        )
    return metadata


def run_sync(
    context, spec: MappingSpec, mappings: MappingSet, medusa: MedusaDatabase, strapi: StrapiResource,
    window: Window, *, mode: str, delete_missing: bool = False,
) -> dict[str, object]:
    """Check the mapping, then run the engine over `window`; the run's metadata, or Failure (with the
    same metadata) if rows failed.

    Errors become a Failure with a redacted one-line message, raised outside the `except` block so that
    no library's original text (which may quote a secret) is chained into Dagster's storage.
    """
    context.log.info(f"{spec.content_type}: {mode} over {window.describe()}")
    try:
        with medusa.source() as source, strapi.client() as client:
            preflight(mappings, source, client, only=[spec.content_type])
            sync = ContentTypeSync(spec, mappings, source, client, concurrency=strapi.concurrency, log=context.log)
            result = sync.run(window, delete_missing=delete_missing)
        error = None
    except MappingErrors as exc:
        error = "the mapping does not match Medusa or Strapi; nothing was written:\n" + "\n".join(map(str, exc.errors))
    except Exception as exc:  # noqa: BLE001 - reported as one redacted line; nothing is retried silently
        error = describe_error(exc)
    if error is not None:
        raise Failure(description=f"{spec.content_type}: {redact(error)}")
    metadata = result_metadata(result, window, mode)
    if not result.ok:
        raise Failure(description=f"{result.failed} row(s) of {spec.content_type} failed: {result.summary()}", metadata=metadata)
    return metadata


def build_sync_asset(spec: MappingSpec, mappings: MappingSet) -> AssetsDefinition:
    """The asset that syncs `spec`'s content type, after the content types its relations point at."""
    deps = [source_key(spec.table), *(strapi_key(t) for t in mappings.dependencies(spec.content_type))]
    mapping_file = spec.path.name if spec.path else f"{spec.content_type}.yaml"

    @asset(
        key=strapi_key(spec.content_type),
        deps=deps,
        group_name=TARGET_GROUP,
        kinds={"strapi"},
        description=f"Strapi `{spec.content_type}` entries, upserted from Medusa `{spec.table}` by medusa_id "
        f"(mapping: {mapping_file})",
        metadata={"mapping": mapping_file, "source table": spec.table, "rest path": f"/api/{spec.plural}"},
    )
    def _sync(context: AssetExecutionContext, config: SyncConfig, medusa: MedusaDatabase, strapi: StrapiResource) -> MaterializeResult:
        if config.mode == "changes":
            since = datetime.fromisoformat(config.since) if config.since else None
            buckets = tuple(Buckets(b["table"], b["column"], tuple(b["ids"])) for b in config.buckets)
            window = Window.changes_since(since, buckets)
            metadata = run_sync(context, spec, mappings, medusa, strapi, window, mode="changes")
        else:
            metadata = run_sync(context, spec, mappings, medusa, strapi, FULL, mode="reconcile", delete_missing=True)
        return MaterializeResult(metadata=metadata)

    return _sync


def build_sync_assets(mappings: MappingSet) -> list[AssetsDefinition]:
    """One sync asset per mapping, in dependency order."""
    return [build_sync_asset(spec, mappings) for spec in mappings]
