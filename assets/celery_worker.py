"""The Celery app a worker runs (scripts/celery-workers starts `celery -A assets.celery_worker worker`): dagster-celery's
step task, on the broker and result backend of DAGSTER_CELERY_BROKER / DAGSTER_CELERY_BACKEND, read once when the
worker starts. Workers need the environment of the deployment's processes (scripts/deploy): DAGSTER_HOME,
DAGSTER_POSTGRES_URL and the sync's settings, since each step runs the code location's code against that instance."""

from pipelines.settings import CelerySettings

from .celery_executor import worker_app

app = worker_app(CelerySettings.from_env())
