"""The change sensor: one tick probes every content type and launches one run for those that changed.

What changed is judged against the watermark each type's last successful run recorded in Strapi (so a
CLI sync, a reconcile or a restart leaves nothing for the sensor to redo); the tick's own bookkeeping
(runs in flight, back-off after failures, broken mappings) is `pipelines.sync.tick.TickState`, kept in
the sensor's cursor. The tick also checks the mapping files against Medusa and Strapi, on the next tick after
any file changes and every few minutes besides, and reports the `mapping_is_valid` checks: a broken mapping
shows without a run and stops only its types, and its fix shows as soon.
"""

from collections import Counter
from datetime import datetime, timezone
from typing import Iterable

from dagster import (
    AssetCheckEvaluation,
    AssetCheckKey,
    DagsterRunStatus,
    DefaultSensorStatus,
    Definitions,
    MetadataValue,
    RunConfig,
    RunRequest,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from pipelines.mapping import LoadedMappings, MappingSet, mappings_digest
from pipelines.medusa.changes import changes_since
from pipelines.secrets import describe_error
from pipelines.settings import Orchestration
from pipelines.sync.state import Quarantine, SyncState
from pipelines.sync.tick import TickState
from pipelines.sync.quarantine_book import ready_to_retry
from pipelines.validate import problems_on_disk

from .naming import CHECK_MAPPING, CHECK_QUARANTINE, DEFAULT_NAMES, TAG_CONTENT_TYPES, TAG_LAUNCH, TAG_MODE, DagsterNames
from .resources import both
from .sync import SyncConfig
from .tags import content_types_tag, new_launch_id

FINISHED = {DagsterRunStatus.SUCCESS: True, DagsterRunStatus.FAILURE: False, DagsterRunStatus.CANCELED: False}


def now() -> datetime:
    """The tick's clock (a function, so tests can move it forward past a back-off)."""
    return datetime.now(timezone.utc)


def _outcomes(context: SensorEvaluationContext, state: TickState) -> dict[str, bool | None]:
    """How the launches in flight ended (True / False), for those that did; runs not found yet are left out."""
    outcomes = {}
    for launch_id in state.in_flight:
        runs = context.instance.get_runs(filters=RunsFilter(tags={TAG_LAUNCH: launch_id}), limit=1)
        if runs and runs[0].status in FINISHED:
            outcomes[launch_id] = FINISHED[runs[0].status]
    return outcomes


RELOAD = "fixed on disk: reload the code location (Deployment > Reload) to sync it"


def _mapping_evaluations(loaded: Iterable[str], placeholders: Iterable[str], problems: dict[str, str],
                         names: DagsterNames = DEFAULT_NAMES) -> list[AssetCheckEvaluation]:
    """`mapping_is_valid` of every content type of the code location, from the files as they are now: the
    loaded types, and the placeholders of those whose file was broken when it loaded."""
    whole_folder = problems.get("*")
    evaluations = []
    for name in [*loaded, *placeholders]:
        problem = whole_folder or problems.get(name)
        note = RELOAD if name in placeholders and not problem else "none"
        evaluations.append(AssetCheckEvaluation(
            asset_key=names.strapi_key(name), check_name=CHECK_MAPPING, passed=not problem,
            metadata={"problems": MetadataValue.md(problem or note)},
        ))
    return evaluations


def build_change_sensor(mappings: MappingSet, settings: Orchestration, placeholders: Iterable[str] = (),
                        names: DagsterNames = DEFAULT_NAMES) -> SensorDefinition:
    """The sensor that keeps every mapped content type current (`placeholders`: the types whose file was broken
    when the code location loaded, whose `mapping_is_valid` it reports too)."""
    placeholders = tuple(placeholders)
    # The folder the set was loaded from (its files say), so the sensor re-reads the files the code location has.
    folders = {spec.path.parent for spec in mappings if spec.path}
    folder = folders.pop() if len(folders) == 1 else settings.mappings_dir

    @sensor(
        name=names.changes_sensor,
        job_name=names.changes_job,
        required_resource_keys={names.medusa_resource, names.strapi_resource},
        minimum_interval_seconds=settings.sensor_interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
        description="Probes every content type's Medusa tables (one query each) against the watermark its last "
        "successful run recorded, and launches one run for the types that changed.",
    )
    def _sensor(context: SensorEvaluationContext, **_given: object):  # a direct call also passes the resources by key
        medusa, strapi = both(context, names)
        moment = now()
        stored = TickState.from_json(context.cursor)
        state = stored.settle(_outcomes(context, stored), moment)
        events = []
        digest = mappings_digest(folder)
        try:
            with medusa.source() as source, strapi.client() as client:
                if state.validation_due(moment, digest):
                    problems = problems_on_disk(folder, source, client)
                    why_not = {name: (problems.get(name) or problems.get("*") or "").split("\n")[0]
                               for name in mappings.content_types}
                    state = state.validated({name: why for name, why in why_not.items() if why}, moment, digest)
                    events = _mapping_evaluations(mappings.content_types, placeholders, problems, names)
                candidates = state.launchable(mappings.content_types, moment)
                recorded = SyncState(client, source.identity).get_all(candidates)
                changed = {}
                for name in candidates:
                    changes = changes_since(source, mappings.get(name), recorded.get(name))
                    if changes.any:
                        changed[name] = changes.describe()
                waiting = Counter(row.content_type for row in ready_to_retry(Quarantine(client, source.identity).rows(), transitive=True))
                for name in candidates:
                    if waiting.get(name) and name not in changed:
                        changed[name] = f"{waiting[name]} quarantined row(s) whose targets left the quarantine"
        except Exception as exc:  # noqa: BLE001 - a system that is down skips the tick; nothing moves
            return SensorResult(skip_reason=f"cannot look for changes: {describe_error(exc)}", cursor=state.to_json(),
                                asset_events=events)
        if not changed:
            waiting = state.describe(moment)
            return SensorResult(skip_reason=f"no change in {len(candidates)} content type(s)" + (f"; {waiting}" if waiting else ""),
                                cursor=state.to_json(), asset_events=events)
        launch_id = new_launch_id(moment)
        state = state.launch(launch_id, changed, moment)
        context.log.info("; ".join(f"{name}: {what}" for name, what in changed.items()))
        request = RunRequest(
            run_key=launch_id,
            asset_selection=[names.strapi_key(name) for name in changed],
            asset_check_keys=[AssetCheckKey(names.strapi_key(name), CHECK_QUARANTINE) for name in changed],
            run_config=RunConfig(ops={names.op_name(name): SyncConfig(mode="changes") for name in changed}),
            tags={TAG_LAUNCH: launch_id, TAG_CONTENT_TYPES: content_types_tag(changed), TAG_MODE: "changes"},
        )
        return SensorResult(run_requests=[request], cursor=state.to_json(), asset_events=events)

    return _sensor


def sensor_definitions(loaded: LoadedMappings, settings: Orchestration, names: DagsterNames = DEFAULT_NAMES) -> Definitions:
    """The change sensor (on by default, every SENSOR_INTERVAL_SECONDS)."""
    return Definitions(sensors=[build_change_sensor(loaded.mappings, settings, placeholders=loaded.broken, names=names)])
