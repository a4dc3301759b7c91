"""Every name the Dagster layer gives (asset keys, ops, jobs, the sensor, the schedule, checks, tags), in
one place, the way a Dagster translator keeps them."""

from dataclasses import dataclass

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


@dataclass(frozen=True)
class DagsterNames:
    """Every name the sync's definitions take, as a translator does it (dagster-sling's, dagster-dbt's): one
    instance per code-location part. `prefix` keeps two shops (two Medusas into two Strapis) apart in one code
    location: their asset keys start with it, and their groups, jobs, sensors and schedules are named with it. A
    subclass overrides any method to name things otherwise (the `MedusaStrapiSync` component's translation hook)."""

    prefix: str = ""
    pool: str = STRAPI_POOL  # the concurrency pool every op that writes to Strapi takes a slot of

    def name(self, base: str) -> str:
        """A job's, sensor's, schedule's or group's name: `base`, after the prefix."""
        return f"{self.prefix}_{base}" if self.prefix else base

    def key(self, *path: str) -> AssetKey:
        """An asset key: `path`, under the prefix."""
        return AssetKey([self.prefix, *path] if self.prefix else list(path))

    @property
    def medusa_resource(self) -> str:
        """The key of the Medusa database resource."""
        return self.name("medusa")

    @property
    def strapi_resource(self) -> str:
        """The key of the Strapi resource."""
        return self.name("strapi")

    @property
    def admin_resource(self) -> str:
        """The key of Medusa's Admin API resource (the write-back)."""
        return self.name("medusa_admin")

    @property
    def source_group(self) -> str:
        """The group of the Medusa tables the sync reads (external assets)."""
        return self.name(SOURCE_GROUP)

    @property
    def target_group(self) -> str:
        """The group of the Strapi content types kept in sync."""
        return self.name(TARGET_GROUP)

    @property
    def history_group(self) -> str:
        """The group of the partitioned types' history."""
        return self.name(HISTORY_GROUP)

    @property
    def reconcile_job(self) -> str:
        return self.name(RECONCILE_JOB)

    @property
    def changes_job(self) -> str:
        return self.name(CHANGES_JOB)

    @property
    def changes_sensor(self) -> str:
        return self.name(CHANGES_SENSOR)

    @property
    def reconcile_schedule(self) -> str:
        return self.name(RECONCILE_SCHEDULE)

    @property
    def freshness_sensor(self) -> str:
        return self.name(FRESHNESS_SENSOR)

    def source_key(self, table: str) -> AssetKey:
        """Asset key of a Medusa table (an external asset the sync reads)."""
        return self.key(SOURCE_GROUP, table)

    def strapi_key(self, content_type: str) -> AssetKey:
        """Asset key of a Strapi content type kept in sync."""
        return self.key(TARGET_GROUP, content_type.replace("-", "_"))

    def history_key(self, content_type: str) -> AssetKey:
        """Asset key of a partitioned content type's history: its entries by window of the partition column (the
        same entries as its `strapi_key` asset, which backfills materialize partition by partition)."""
        return self.key(HISTORY_GROUP, content_type.replace("-", "_"))

    def op_name(self, content_type: str) -> str:
        """The op behind a content type's asset (where its run config goes)."""
        return "__".join(self.strapi_key(content_type).path)

    def backfill_job(self, content_type: str) -> str:
        """The partitioned backfill job of a content type."""
        return self.name(f"backfill_{content_type.replace('-', '_')}")

    def key_checks_name(self, content_type: str) -> str:
        """The multi-check that compares a content type's keys on both sides."""
        return self.name(f"{content_type.replace('-', '_')}_key_checks")

    def write_back_job(self, content_type: str) -> str:
        """The job that merges a content type's two-way fields edited in Strapi (to Medusa, and Medusa's changes to
        Strapi)."""
        return self.name(f"write_back_{content_type.replace('-', '_')}")

    def write_back_op(self, content_type: str) -> str:
        """The op of a content type's write-back job (op names must differ from job names)."""
        return self.name(f"write_back__{content_type.replace('-', '_')}")

    def write_back_sensor(self, content_type: str) -> str:
        """The sensor that launches a content type's write-back when entries are edited in Strapi."""
        return self.name(f"strapi_edits_{content_type.replace('-', '_')}")


DEFAULT_NAMES = DagsterNames()  # the repository's own code location (workspace.yaml): no prefix

# The default names as functions, for the command line's recorder, scripts and tests.
source_key = DEFAULT_NAMES.source_key
strapi_key = DEFAULT_NAMES.strapi_key
history_key = DEFAULT_NAMES.history_key
op_name = DEFAULT_NAMES.op_name
backfill_job = DEFAULT_NAMES.backfill_job
key_checks_name = DEFAULT_NAMES.key_checks_name
write_back_job = DEFAULT_NAMES.write_back_job
write_back_op = DEFAULT_NAMES.write_back_op
write_back_sensor = DEFAULT_NAMES.write_back_sensor
