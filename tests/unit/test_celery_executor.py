"""DAGSTER_EXECUTOR=celery: its settings (DAGSTER_CELERY_*), the executor the code location then has, and the watch
that fails a step whose Celery worker was lost instead of waiting for it forever (assets/celery_executor.py)."""

from __future__ import annotations

import pytest

from pipelines.settings import DEFAULT_CELERY_BROKER, CelerySettings, Orchestration, SettingsError

celery_executor = pytest.importorskip("assets.celery_executor", reason="the `celery` extra")


def test_the_broker_defaults_to_a_redis_database_of_its_own_and_the_backend_to_the_broker():
    settings = CelerySettings.from_env({})
    assert settings.broker == settings.backend == DEFAULT_CELERY_BROKER == "redis://127.0.0.1:6379/11"
    rabbit = CelerySettings.from_env({"DAGSTER_CELERY_BROKER": "amqp://guest:guest@127.0.0.1:5672//"})
    assert rabbit.backend == "rpc://"
    chosen = CelerySettings.from_env({"DAGSTER_CELERY_BROKER": "redis://127.0.0.1:6379/5", "DAGSTER_CELERY_LOST_SECONDS": "30"})
    assert (chosen.broker, chosen.backend, chosen.lost_after) == ("redis://127.0.0.1:6379/5", "redis://127.0.0.1:6379/5", 30)


def test_an_unusable_broker_is_refused_without_showing_it():
    with pytest.raises(SettingsError) as refused:
        CelerySettings.from_env({"DAGSTER_CELERY_BROKER": "http://user:s3cret@broker:6379/0"})
    assert "DAGSTER_CELERY_BROKER" in str(refused.value) and "s3cret" not in str(refused.value)
    assert "s3cret" not in repr(CelerySettings.from_env({"DAGSTER_CELERY_BROKER": "redis://:s3cret@127.0.0.1:6379/2"}))


def test_dagster_executor_celery_reads_the_broker_settings_once_with_the_others():
    settings = Orchestration.from_env({"DAGSTER_EXECUTOR": "celery", "DAGSTER_CELERY_BROKER": "redis://127.0.0.1:6379/7"})
    assert settings.executor == "celery" and settings.celery.broker == "redis://127.0.0.1:6379/7"
    with pytest.raises(SettingsError, match="DAGSTER_EXECUTOR must be one of in_process, multiprocess, celery"):
        Orchestration.from_env({"DAGSTER_EXECUTOR": "threads"})


def test_the_code_location_runs_its_steps_on_celery_when_asked():
    from assets.location import EXECUTORS, build_definitions

    assert EXECUTORS["celery"].name == "celery"
    defs = build_definitions(Orchestration(executor="celery"))
    assert defs.executor is celery_executor.celery_executor


class FakeControl:
    def __init__(self):
        self.answers = True

    def ping(self, destination, timeout):
        return [{destination[0]: {"ok": "pong"}}] if self.answers else []


class StartedOnWorker(celery_executor.WatchedResult):
    """A result whose backend says worker `w1@host` started it, and never that it ended."""

    state = "STARTED"
    info = {"hostname": "w1@host", "pid": 1}
    revoked = False

    def revoke(self, *args, **kwargs):
        self.revoked = True


def test_a_step_whose_worker_stops_answering_fails_instead_of_waiting_forever(monkeypatch):
    from celery import Celery

    app = Celery("test", broker="memory://", backend="cache+memory://")
    app.conf[celery_executor.LOST_AFTER] = 4
    control = FakeControl()
    monkeypatch.setattr(type(app), "control", property(lambda self: control))
    clock = [1000.0]
    monkeypatch.setattr(celery_executor.time, "monotonic", lambda: clock[0])
    result = StartedOnWorker("task-1", app=app)

    def tick(seconds: float) -> bool:
        clock[0] += seconds
        return result.ready()

    assert not tick(3)  # the worker answers: still running
    control.answers = False
    assert not tick(3)  # silent, not for long enough
    assert not tick(1)  # checked less than PING_EVERY_SECONDS ago: not asked again
    assert tick(3)  # silent for 4 s and more: lost
    assert result.revoked
    with pytest.raises(celery_executor.CeleryWorkerLost, match="w1@host stopped answering"):
        result.get()


def test_the_runs_celery_app_hands_out_watched_results():
    from dagster_celery.executor import CeleryExecutor
    from dagster_celery.make_app import make_app
    from dagster_celery.tasks import create_task

    plain = CeleryExecutor.for_cli(broker="memory://", backend="cache+memory://")
    executor = celery_executor.WatchedCeleryExecutor(retries=plain.retries, broker="memory://", backend="cache+memory://")
    task = create_task(make_app(executor.app_args()))
    assert isinstance(task.AsyncResult("some-id"), celery_executor.WatchedResult)
