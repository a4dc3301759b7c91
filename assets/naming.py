"""Every name the Dagster layer gives (asset keys, ops, jobs, the sensor, the schedule, checks, tags), in
one place, the way a Dagster translator keeps them."""

from dagster import AssetKey

SOURCE_GROUP = "medusa"  # external assets: the Medusa tables the sync reads
TARGET_GROUP = "strapi"  # the Strapi content types kept in sync
HISTORY_GROUP = "strapi_history"  # the partitioned types' history, window by window: what backfills materialize

RECONCILE_JOB = "reconcile"
CHANGES_JOB = "sync_changes"
CHANGES_SENSOR = "medusa_changes"
RECONCILE_SCHEDULE = "nightly_reconcile"

CHECK_COUNT = "count_matches_medusa"
CHECK_KEYS = "no_missing_or_orphaned_ids"
CHECK_QUARANTINE = "no_quarantined_rows"
CHECK_MAPPING = "mapping_is_valid"
CHECK_HEALTH = "both_sides_healthy"
CHECK_CONFLICTS = "no_open_conflicts"  # two-way types only: no conflict recorded on a write_back field
CHECK_FRESHNESS = "freshness_check"  # synced within FRESHNESS_SECONDS (assets/freshness.py)
FRESHNESS_SENSOR = "freshness_checks"  # evaluates the freshness checks without a run

# Every op that writes to Strapi takes a slot of this Dagster concurrency pool, so parallel runs (backfill
# partitions, several types at once, other code locations on the same instance) share Strapi's capacity.
# Its limit: dagster.yaml `concurrency.pools.default_limit`, or `dagster instance concurrency set strapi N`.
STRAPI_POOL = "strapi"

TAG_WRITE_BACK_UNTIL = "medusa-strapi/write-back-until"  # the latest Strapi updatedAt a write-back run was launched for
TAG_CONTENT_TYPES = "medusa-strapi/content-types"  # shown in the runs list: tags.content_types_tag
TAG_LAUNCH = "medusa-strapi/launch"  # the sensor's own id of a run it launched: tags.new_launch_id
TAG_MODE = "medusa-strapi/mode"


def source_key(table: str) -> AssetKey:
    """Asset key of a Medusa table (an external asset the sync reads)."""
    return AssetKey([SOURCE_GROUP, table])


def strapi_key(content_type: str) -> AssetKey:
    """Asset key of a Strapi content type kept in sync."""
    return AssetKey([TARGET_GROUP, content_type.replace("-", "_")])


def history_key(content_type: str) -> AssetKey:
    """Asset key of a partitioned content type's history: its entries by window of the partition column (the
    same entries as its `strapi_key` asset, which backfills materialize partition by partition)."""
    return AssetKey([HISTORY_GROUP, content_type.replace("-", "_")])


def op_name(content_type: str) -> str:
    """The op behind a content type's asset (where its run config goes)."""
    return "__".join(strapi_key(content_type).path)


def backfill_job(content_type: str) -> str:
    """The partitioned backfill job of a content type."""
    return f"backfill_{content_type.replace('-', '_')}"


def key_checks_name(content_type: str) -> str:
    """The multi-check that compares a content type's keys on both sides."""
    return f"{content_type.replace('-', '_')}_key_checks"


def write_back_job(content_type: str) -> str:
    """The job that merges a content type's two-way fields edited in Strapi (to Medusa, and Medusa's changes to Strapi)."""
    return f"write_back_{content_type.replace('-', '_')}"


def write_back_op(content_type: str) -> str:
    """The op of a content type's write-back job (op names must differ from job names)."""
    return f"write_back__{content_type.replace('-', '_')}"


def write_back_sensor(content_type: str) -> str:
    """The sensor that launches a content type's write-back when entries are edited in Strapi."""
    return f"strapi_edits_{content_type.replace('-', '_')}"
