"""DAGSTER_EXECUTOR=celery: Dagster's Celery executor (dagster-celery's `celery_executor`), each step of a run sent to
Celery workers (scripts/celery-workers) through the broker of the settings (`pipelines.settings.CelerySettings`),
plus a watch on the workers that dagster-celery lacks. Dagster's and dagster-celery's public API only.

What dagster-celery does for a lost task: nothing. Its run loop polls each step's Celery result until it is
ready, with no timeout; a worker killed mid-step never stores one, so the run would wait forever. Here each
step's result is watched (`WatchedResult`, the result class of the runs' Celery app, through its task class): once
the backend says which worker started the task (`task_track_started`), that worker is pinged every few seconds,
and a step whose worker has not answered for DAGSTER_CELERY_LOST_SECONDS fails with `CeleryWorkerLost`. The run
then fails, and the daemon's run retries (`run_retries` in the instance's dagster.yaml: scripts/deploy's
DAGSTER_RUN_RETRIES) re-execute it from that step, on a worker that is alive.

The lost task is revoked, and tasks are acknowledged late (when they end; with one task prefetched, a worker holds
only the one it runs): the broker redelivers a lost task's message after `visibility_timeout`, and the live
workers, told of the revoke, drop it.

No `from __future__ import annotations` here: Dagster inspects the executor function's annotations.
"""

import time

from celery import Celery, Task
from celery.result import AsyncResult
from dagster import Field, InitExecutorContext, Noneable, StringSource, executor, multiple_process_executor_requirements
from dagster_celery import celery_executor as dagster_celery_executor
from dagster_celery.executor import CELERY_CONFIG, CeleryExecutor
from dagster_celery.make_app import make_app
from dagster_celery.tasks import create_task

from pipelines.settings import CelerySettings

PING_EVERY_SECONDS = 2.0  # how often a running step's worker is pinged
PING_TIMEOUT_SECONDS = 1.0
LOST_AFTER = "medusa_strapi_lost_after"  # the Celery app's setting WatchedResult reads (DAGSTER_CELERY_LOST_SECONDS)


class CeleryWorkerLost(Exception):
    """The Celery worker running a step stopped answering before the step ended."""


def app_config(settings: CelerySettings) -> dict:
    """The Celery settings the runs and the workers share (Celery's lowercase names, and the watch's own)."""
    return {
        "task_acks_late": True,  # acknowledged when the step ends: with prefetch 1 a worker holds only the task it runs
        "task_track_started": True,  # the backend says which worker started a task: how a lost one is found
        "worker_prefetch_multiplier": 1,
        "broker_transport_options": {"max_retries": 3, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5,
                                     "visibility_timeout": settings.visibility_timeout},  # dagster-celery's, and ours
        "broker_connection_retry_on_startup": True,
        "result_expires": 86_400,
        LOST_AFTER: settings.lost_after,
    }


def worker_app(settings: CelerySettings) -> Celery:
    """The Celery app a worker runs: dagster-celery's step task, on the settings' broker and backend."""
    app = make_app(CeleryExecutor.for_cli(broker=settings.broker, backend=settings.backend,
                                          config_source=app_config(settings)).app_args())
    create_task(app)  # `execute_plan`: runs one step of a run, recording its events in the run's instance
    return app


class WatchedResult(AsyncResult):
    """A step's Celery result that is also ready, as failed, once the worker running the step stops answering."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lost: str | None = None  # the worker found lost
        self._checked = time.monotonic()
        self._silent_since: float | None = None

    def ready(self) -> bool:
        """The task ended, or its worker was found lost."""
        if self.lost or super().ready():
            return True
        now = time.monotonic()
        if now - self._checked < PING_EVERY_SECONDS:
            return False
        self._checked = now
        worker = self.worker()
        if worker is None or self.app.control.ping(destination=[worker], timeout=PING_TIMEOUT_SECONDS):
            self._silent_since = None
            return False
        self._silent_since = self._silent_since or now
        if now - self._silent_since < self.app.conf.get(LOST_AFTER, 10):
            return False
        self.lost = worker
        self.revoke()  # a redelivery of its message is dropped by the live workers
        return True

    def worker(self) -> str | None:
        """The worker that started the task (None while it waits in the queue)."""
        if self.state != "STARTED":
            return None
        info = self.info
        return info.get("hostname") if isinstance(info, dict) else None

    def get(self, *args, **kwargs):
        """The step's serialized events; CeleryWorkerLost when its worker was lost."""
        if self.lost:
            raise CeleryWorkerLost(
                f"Celery worker {self.lost} stopped answering while it ran this step (killed, or its host went down) "
                f"for {self.app.conf.get(LOST_AFTER, 10)}s: the step did not end. The run fails; with run retries "
                "(dagster.yaml run_retries) the daemon runs it again from this step.")
        return super().get(*args, **kwargs)


class WatchedTask(Task):
    """The task class of the runs' Celery app: the results of the steps it sends are `WatchedResult`s."""

    def AsyncResult(self, task_id, **kwargs):  # noqa: N802 - Celery's name
        return WatchedResult(task_id, backend=self.backend, task_name=self.name, app=self._get_app(), **kwargs)


class WatchedCeleryExecutor(CeleryExecutor):
    """dagster-celery's executor, its Celery app's task class `WatchedTask`."""

    def app_args(self) -> dict:
        return {**super().app_args(), "task_cls": WatchedTask}


CONFIG = {
    **CELERY_CONFIG,
    "broker": Field(Noneable(StringSource), is_required=False, description="default: DAGSTER_CELERY_BROKER"),
    "backend": Field(Noneable(StringSource), is_required=False, description="default: DAGSTER_CELERY_BACKEND"),
}


@executor(name="celery", config_schema=CONFIG, requirements=multiple_process_executor_requirements())
def celery_executor(init_context: InitExecutorContext):
    """Each step on a Celery worker (scripts/celery-workers), through the broker of DAGSTER_CELERY_BROKER; a step
    whose worker is lost fails (see the module's docstring). The settings are read when a run starts, in its run
    worker; the run's own executor config, if any, comes first."""
    settings = CelerySettings.from_env()
    config = init_context.executor_config
    given = {**config, "broker": config.get("broker") or settings.broker, "backend": config.get("backend") or settings.backend,
             "config_source": {**app_config(settings), **(config.get("config_source") or {})}}
    base = dagster_celery_executor.executor_creation_fn(InitExecutorContext(
        job=init_context.job, executor_def=init_context.executor_def, executor_config=given, instance=init_context.instance))
    return WatchedCeleryExecutor(retries=base.retries, broker=base.broker, backend=base.backend, include=base.include,
                                 config_source=vars(base.config_source))
