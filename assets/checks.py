"""Asset checks per content type: Strapi holds exactly Medusa's live rows, nothing is quarantined, the
mapping matches Medusa and Strapi, both sides are healthy (`medusa-strapi health`), the type was synced
recently (freshness, `assets.freshness`: evaluated by its own sensor without a run), and, for two-way types, no
conflict is recorded on a write_back field (`medusa-strapi conflicts`)."""

from datetime import timedelta

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetChecksDefinition,
    Definitions,
    MetadataValue,
    asset_check,
    multi_asset_check,
)

from pipelines import health
from pipelines.mapping import MappingSet, MappingSpec
from pipelines.sync.bases import MergeBases, conflict_rows
from pipelines.sync.compare import compare_keys
from pipelines.sync.state import Quarantine, QuarantinedRow
from pipelines.validate import problems_by_type
from pipelines.writeback.run import state_name

from .freshness import build_freshness_check, build_freshness_sensor
from .naming import (
    CHECK_CONFLICTS,
    CHECK_COUNT,
    CHECK_HEALTH,
    CHECK_KEYS,
    CHECK_MAPPING,
    CHECK_QUARANTINE,
    DEFAULT_NAMES,
    DagsterNames,
)
from .resources import StrapiResource, both

MAX_LISTED = 20


def build_key_checks(spec: MappingSpec, names: DagsterNames = DEFAULT_NAMES) -> AssetChecksDefinition:
    """`count_matches_medusa` and `no_missing_or_orphaned_ids`, from one comparison of both sides."""
    key = names.strapi_key(spec.content_type)

    @multi_asset_check(
        name=names.key_checks_name(spec.content_type),
        required_resource_keys={names.medusa_resource, names.strapi_resource},
        specs=[
            AssetCheckSpec(CHECK_COUNT, asset=key, description=f"Strapi entries with a {spec.key} == Medusa rows not soft-deleted"),
            AssetCheckSpec(CHECK_KEYS, asset=key,
                           description=f"every live Medusa row is in Strapi once, and no Strapi {spec.key} is gone from Medusa"),
        ],
    )
    def _checks(context: AssetCheckExecutionContext):
        medusa, strapi = both(context, names)
        with medusa.source() as source, strapi.client() as client:
            result = compare_keys(spec, source, client)
        yield AssetCheckResult(
            check_name=CHECK_COUNT, asset_key=key, passed=result.counts_match,
            metadata={"medusa": result.medusa_count, "strapi": result.strapi_count,
                      f"entries without {spec.key} (not synced)": result.without_medusa_id},
        )
        yield AssetCheckResult(
            check_name=CHECK_KEYS, asset_key=key, passed=result.keys_match,
            metadata={"missing": result.missing_count, "orphaned": result.orphaned_count, "duplicated": len(result.duplicated),
                      "first missing": ", ".join(result.missing) or "-", "first orphaned": ", ".join(result.orphaned) or "-",
                      f"duplicated {spec.key}s": ", ".join(result.duplicated) or "-"},
        )

    return _checks


def quarantine_metadata(rows: list[QuarantinedRow]) -> dict[str, object]:
    """The quarantine of a content type, as check metadata (the first rows with their reasons)."""
    lines = [f"- `{r.medusa_id}` ({r.action}, {r.attempts} attempt(s) since {r.first_seen}): {r.reason}" for r in rows[:MAX_LISTED]]
    more = [f"- ... and {len(rows) - MAX_LISTED} more (`medusa-strapi quarantine`)"] if len(rows) > MAX_LISTED else []
    return {"quarantined": len(rows), "rows": MetadataValue.md("\n".join(lines + more) or "none")}


def build_quarantine_check(spec: MappingSpec, names: DagsterNames = DEFAULT_NAMES) -> AssetChecksDefinition:
    """Fails while rows of the content type sit in the quarantine, and lists them."""

    @asset_check(asset=names.strapi_key(spec.content_type), name=CHECK_QUARANTINE,
                 description="No Medusa row of this type is quarantined (rows that cannot load, and values Medusa refused to take back, with the reason)",
                 required_resource_keys={names.medusa_resource, names.strapi_resource})
    def _check(context: AssetCheckExecutionContext) -> AssetCheckResult:
        medusa, strapi = both(context, names)
        with medusa.source() as source, strapi.client() as client:
            quarantine = Quarantine(client, source.identity)
            rows = quarantine.rows(spec.content_type)
            if spec.write_back:  # values Medusa refused to take back (action `write-back`)
                rows += quarantine.rows(state_name(spec.content_type))
        return AssetCheckResult(passed=not rows, metadata=quarantine_metadata(rows),
                                severity=AssetCheckSeverity.WARN)

    return _check


def build_conflicts_check(spec: MappingSpec, names: DagsterNames = DEFAULT_NAMES) -> AssetChecksDefinition:
    """Warns while a conflict is recorded on one of the type's two-way fields (both sides changed it to different
    values; the mapping's `on_conflict` chose), and lists them; each is kept until its field next changes."""

    @asset_check(asset=names.strapi_key(spec.content_type), name=CHECK_CONFLICTS, blocking=False,
                 description="No conflict is recorded on a write_back field: both sides changed one to different values "
                             "and on_conflict chose (medusa-strapi conflicts)",
                 required_resource_keys={names.strapi_resource})
    def _check(context: AssetCheckExecutionContext) -> AssetCheckResult:
        strapi: StrapiResource = getattr(context.resources, names.strapi_resource)
        with strapi.client() as client:
            rows = list(conflict_rows(MergeBases(client, spec.content_type).with_conflicts()))
        lines = [f"- `{r['medusa_id']}` {r['field']}: base {r.get('base')!r}, Medusa {r.get('medusa')!r}, Strapi "
                 f"{r.get('strapi')!r}; {r.get('winner')} won ({r.get('rule')}) at {r.get('at')}" for r in rows[:MAX_LISTED]]
        more = [f"- ... and {len(rows) - MAX_LISTED} more (`medusa-strapi conflicts`)"] if len(rows) > MAX_LISTED else []
        return AssetCheckResult(passed=not rows, severity=AssetCheckSeverity.WARN,
                                metadata={"conflicts": len(rows), "fields": MetadataValue.md("\n".join(lines + more) or "none")})

    return _check


def build_mapping_check(spec: MappingSpec, mappings: MappingSet, names: DagsterNames = DEFAULT_NAMES) -> AssetChecksDefinition:
    """The mapping matches Medusa's schema and Strapi's content types (the checks of `validate`).

    The change sensor reports it too, every few minutes, so a broken mapping shows without a run.
    """

    @asset_check(asset=names.strapi_key(spec.content_type), name=CHECK_MAPPING, blocking=False,
                 description="The mapping file matches Medusa's tables and Strapi's content types (medusa-strapi validate)",
                 required_resource_keys={names.medusa_resource, names.strapi_resource})
    def _check(context: AssetCheckExecutionContext) -> AssetCheckResult:
        medusa, strapi = both(context, names)
        with medusa.source() as source, strapi.client() as client:
            problems = problems_by_type(mappings, source, client).get(spec.content_type)
        return AssetCheckResult(passed=not problems, metadata={"problems": MetadataValue.md(problems or "none")})

    return _check


def build_health_check(spec: MappingSpec, names: DagsterNames = DEFAULT_NAMES) -> AssetChecksDefinition:
    """`medusa-strapi health` for one type: Strapi answers and the credentials may find, create, update and
    delete its entries; Medusa answers and its tables are readable."""

    @asset_check(asset=names.strapi_key(spec.content_type), name=CHECK_HEALTH, blocking=False,
                 description="Strapi and Medusa answer; the credentials may find/create/update/delete this type; "
                             "its Medusa tables are readable (medusa-strapi health)",
                 required_resource_keys={names.medusa_resource, names.strapi_resource})
    def _check(context: AssetCheckExecutionContext) -> AssetCheckResult:
        medusa, strapi = both(context, names)
        with medusa.source() as source, strapi.client() as client:
            checks = [health.strapi_reachable(client)]
            if checks[0].ok:
                checks.append(health.strapi_permissions(client, spec))
            checks.append(health.medusa_reachable(source))
            if checks[-1].ok:
                checks.append(health.medusa_readable(source, spec))
        return AssetCheckResult(passed=all(c.ok for c in checks),
                                metadata={"checks": MetadataValue.md("\n".join(f"- {c.line()}" for c in checks))})

    return _check


def check_definitions(mappings: MappingSet, max_age: timedelta, names: DagsterNames = DEFAULT_NAMES) -> Definitions:
    """Key, quarantine, mapping, health and freshness checks for every mapped content type, and the conflicts
    check for each two-way one."""
    checks = []
    for spec in mappings:
        checks += [build_key_checks(spec, names), build_quarantine_check(spec, names), build_mapping_check(spec, mappings, names),
                   build_health_check(spec, names), build_freshness_check(spec.content_type, max_age, names)]
        if spec.write_back:
            checks.append(build_conflicts_check(spec, names))
    sensors = [build_freshness_sensor(mappings.content_types, max_age, names)] if mappings.specs else []
    return Definitions(asset_checks=checks, sensors=sensors)
