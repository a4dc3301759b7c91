"""One Dagster asset per mapping file, all built by the same factory.

No `from __future__ import annotations` here: Dagster inspects the real annotation of `context`.
"""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)

from pipelines.mapping import MappingSet, MappingSpec
from pipelines.sync import ContentTypeSync, SyncResult

from .resources import MedusaDatabase, StrapiResource

SOURCE_GROUP = "medusa"
TARGET_GROUP = "strapi"


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


def result_metadata(result: SyncResult) -> dict[str, object]:
    """The figures a run records in Dagster (no secrets, no row values)."""
    metadata: dict[str, object] = {**result.counts(), "seconds": round(result.seconds, 2)}
    if result.failures:
        metadata["first failures"] = MetadataValue.md(
            "\n".join(f"- `{f.medusa_id}` ({f.action}): {f.message}" for f in result.failures[:20])
        )
    return metadata


def build_sync_asset(spec: MappingSpec, mappings: MappingSet) -> AssetsDefinition:
    """The asset that upserts `spec`'s content type, after the content types its relations point at."""
    deps = [source_key(spec.table), *(strapi_key(t) for t in mappings.dependencies(spec.content_type))]

    @asset(
        key=strapi_key(spec.content_type),
        deps=deps,
        group_name=TARGET_GROUP,
        kinds={"strapi"},
        description=f"Strapi `{spec.content_type}` entries, upserted from Medusa `{spec.table}` by medusa_id "
        f"(mapping: {spec.path.name if spec.path else spec.content_type})",
        metadata={"mapping": str(spec.path.name if spec.path else ""), "source table": spec.table},
    )
    def _sync(context: AssetExecutionContext, medusa: MedusaDatabase, strapi: StrapiResource) -> MaterializeResult:
        with medusa.source() as source, strapi.client() as client:
            result = ContentTypeSync(spec, mappings, source, client, concurrency=strapi.concurrency, log=context.log).run()
        metadata = result_metadata(result)
        if not result.ok:
            raise Failure(description=f"{result.failed} row(s) of {spec.content_type} failed: {result.summary()}", metadata=metadata)
        return MaterializeResult(metadata=metadata)

    return _sync


def build_sync_assets(mappings: MappingSet) -> list[AssetsDefinition]:
    """One sync asset per mapping, in dependency order."""
    return [build_sync_asset(spec, mappings) for spec in mappings]
