"""Asset checks per content type: Strapi holds exactly Medusa's live rows, by medusa_id."""

from dagster import AssetCheckResult, AssetCheckSpec, AssetChecksDefinition, multi_asset_check

from pipelines.sync.compare import compare_keys
from pipelines.mapping import MappingSet, MappingSpec

from .factory import strapi_key
from .resources import MedusaDatabase, StrapiResource


def build_key_checks(spec: MappingSpec) -> AssetChecksDefinition:
    """`count_matches_medusa` and `no_missing_or_orphaned_ids`, from one comparison of both sides."""
    key = strapi_key(spec.content_type)

    @multi_asset_check(
        name=f"{key.path[-1]}_key_checks",
        specs=[
            AssetCheckSpec("count_matches_medusa", asset=key,
                           description="Strapi entries with a medusa_id == Medusa rows not soft-deleted"),
            AssetCheckSpec("no_missing_or_orphaned_ids", asset=key,
                           description="every live Medusa row is in Strapi, and no Strapi medusa_id is gone from Medusa"),
        ],
    )
    def _checks(medusa: MedusaDatabase, strapi: StrapiResource):
        with medusa.source() as source, strapi.client() as client:
            result = compare_keys(spec, source, client)
        yield AssetCheckResult(
            check_name="count_matches_medusa", asset_key=key, passed=result.counts_match,
            metadata={"medusa": result.medusa_count, "strapi": result.strapi_count,
                      "entries without medusa_id (not synced)": result.without_medusa_id},
        )
        yield AssetCheckResult(
            check_name="no_missing_or_orphaned_ids", asset_key=key, passed=result.keys_match,
            metadata={"missing": result.missing_count, "orphaned": result.orphaned_count,
                      "first missing": ", ".join(result.missing) or "-", "first orphaned": ", ".join(result.orphaned) or "-"},
        )

    return _checks


def build_checks(mappings: MappingSet) -> list[AssetChecksDefinition]:
    """Key checks for every mapped content type."""
    return [build_key_checks(spec) for spec in mappings]
