"""Connection settings, read from the environment once (secrets never leave it, and are never echoed)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from .secrets import SecretError, clean_secret
from .strapi.bulk import WriteMode

REPO_MAPPINGS_DIR = Path(__file__).resolve().parent.parent / "mappings"
REPO_STRAPI_APP = Path(__file__).resolve().parent.parent / "strapi"


class SettingsError(Exception):
    """A required environment variable is missing or unusable."""


WRITE_MODES = tuple(mode.value for mode in WriteMode)


@dataclass(frozen=True)
class WritePaths:
    """How each kind of run writes to Strapi: through the bulk-upsert plugin or over REST.

    `full` covers full syncs, reconciles and backfills (default `auto`: the plugin where it is installed);
    `changes` covers incremental runs, the sensors' (default `rest`: Strapi's per-entry lifecycle hooks
    and `entry.*` webhooks fire for day-to-day edits).
    """

    full: str = "auto"
    changes: str = "rest"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "WritePaths":
        """Read WRITE_PATH_FULL and WRITE_PATH_CHANGES (auto, rest or bulk; both optional)."""
        env = os.environ if environ is None else environ
        return cls(full=_write_mode(env, "WRITE_PATH_FULL", cls.full), changes=_write_mode(env, "WRITE_PATH_CHANGES", cls.changes))


def _write_mode(env, name: str, default: str) -> str:
    return _choice(env, name, default, WRITE_MODES)


@dataclass(frozen=True)
class Settings:
    """Where Medusa and Strapi are, and where the mappings live."""

    medusa_database_url: str = field(repr=False)
    strapi_url: str
    strapi_api_token: str = field(repr=False)
    mappings_dir: Path = REPO_MAPPINGS_DIR
    strapi_ca_bundle: str | None = None  # CA bundle for a Strapi behind a private CA (TLS is always verified)
    write_paths: WritePaths = WritePaths()

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        """Read MEDUSA_DATABASE_URL, STRAPI_URL, STRAPI_API_TOKEN and MAPPINGS_DIR (optional).

        Surrounding whitespace (a pasted trailing newline) is stripped; a token with whitespace inside
        is refused without showing it.
        """
        env = os.environ if environ is None else environ
        required = ("MEDUSA_DATABASE_URL", "STRAPI_URL", "STRAPI_API_TOKEN")
        missing = [name for name in required if not env.get(name, "").strip()]
        if missing:
            raise SettingsError(
                f"missing environment variable(s): {', '.join(missing)} "
                "(for the local stack: eval \"$(scripts/stack env)\")"
            )
        try:
            return cls(
                medusa_database_url=clean_secret("MEDUSA_DATABASE_URL", env["MEDUSA_DATABASE_URL"]),
                strapi_url=env["STRAPI_URL"].strip(),
                strapi_api_token=clean_secret("STRAPI_API_TOKEN", env["STRAPI_API_TOKEN"]),
                mappings_dir=mappings_dir(env),
                strapi_ca_bundle=env.get("STRAPI_CA_BUNDLE", "").strip() or None,
                write_paths=WritePaths.from_env(env),
            )
        except SecretError as exc:
            raise SettingsError(str(exc)) from None


@dataclass(frozen=True)
class Orchestration:
    """How the sync runs unattended (Dagster): which mappings, how often sensors look, how far back they
    re-read, when the reconcile runs. Every knob has a safe default; none is a secret."""

    mappings_dir: Path = REPO_MAPPINGS_DIR
    sensor_interval_seconds: int = 5
    overlap: timedelta = timedelta(minutes=5)
    reconcile_cron: str = "0 3 * * *"
    strapi_ca_bundle: str | None = None
    write_paths: WritePaths = WritePaths()
    executor: str = "in_process"  # or "multiprocess": a process per step (assets.definitions.EXECUTORS)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Orchestration":
        """Read MAPPINGS_DIR, SENSOR_INTERVAL_SECONDS, SYNC_OVERLAP_SECONDS, RECONCILE_CRON, STRAPI_CA_BUNDLE,
        WRITE_PATH_FULL, WRITE_PATH_CHANGES and DAGSTER_EXECUTOR (all optional)."""
        env = os.environ if environ is None else environ
        return cls(
            mappings_dir=mappings_dir(env),
            sensor_interval_seconds=_seconds(env, "SENSOR_INTERVAL_SECONDS", cls.sensor_interval_seconds, minimum=1),
            overlap=timedelta(seconds=_seconds(env, "SYNC_OVERLAP_SECONDS", int(cls.overlap.total_seconds()), minimum=0)),
            reconcile_cron=env.get("RECONCILE_CRON", "").strip() or cls.reconcile_cron,
            strapi_ca_bundle=env.get("STRAPI_CA_BUNDLE", "").strip() or None,
            write_paths=WritePaths.from_env(env),
            executor=_choice(env, "DAGSTER_EXECUTOR", cls.executor, ("in_process", "multiprocess")),
        )


def _choice(env, name: str, default: str, allowed: tuple[str, ...]) -> str:
    text = env.get(name, "").strip().lower() or default
    if text not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}, not {text!r}")
    return text


def _seconds(env, name: str, default: int, minimum: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < minimum:
        raise SettingsError(f"{name} must be a whole number of seconds >= {minimum}, not {text!r}")
    return int(text)


def mappings_dir(environ: dict[str, str] | None = None) -> Path:
    """MAPPINGS_DIR, or the repository's mappings/ folder."""
    env = os.environ if environ is None else environ
    return Path(env["MAPPINGS_DIR"]) if env.get("MAPPINGS_DIR", "").strip() else REPO_MAPPINGS_DIR
