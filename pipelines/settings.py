"""Connection settings, read from the environment once (secrets never leave it, and are never echoed)."""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from .mapping.shipped import SHIPPED_MAPPINGS_DIR, mapping_set_folder
from .medusa.admin import AdminAccount
from .medusa.changes import DEFAULT_OVERLAP
from .medusa.database_url import ambiguity, ambiguity_message
from .secrets import SecretError, clean_secret, remember_url
from .strapi.auth import API_TOKEN, SERVICE_ACCOUNT, ServiceAccount
from .strapi.bulk import WriteMode

Network = ipaddress.IPv4Network | ipaddress.IPv6Network  # a CIDR the media fetch may reach (MEDIA_ALLOW_NETWORKS)

_CHECKOUT_STRAPI_APP = Path(__file__).resolve().parent.parent / "strapi"
# The Strapi app the commands that read one default to: the repository's, when the package runs from a checkout of
# it, else `strapi/` of the current folder (an installed wheel carries no Strapi app).
DEFAULT_STRAPI_APP = _CHECKOUT_STRAPI_APP if _CHECKOUT_STRAPI_APP.is_dir() else Path("strapi")


class SettingsError(Exception):
    """A required environment variable is missing or unusable."""


class MissingSetting(SettingsError):
    """A variable that is needed (or that goes with another one that is set) is missing."""

    def __init__(self, name: str, reason: str = ""):
        self.name, self.reason = name, reason
        super().__init__(f"{name} is missing" + (f" ({reason})" if reason else ""))

    @property
    def entry(self) -> str:
        """How a list of missing variables names this one: `NAME` or `NAME (reason)`."""
        return f"{self.name} ({self.reason})" if self.reason else self.name


LOCAL_STACK = 'for the local stack: eval "$(scripts/stack env)"'
DATABASE_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")  # what MedusaSource's engine_url accepts


WRITE_MODES = tuple(mode.value for mode in WriteMode)
DEFAULT_MAX_WRITERS = 2  # runs writing to one Strapi at once (STRAPI_MAX_WRITERS; dagster.yaml's `strapi` pool has the same)
DEFAULT_CONCURRENCY = 4  # REST writes in flight: Strapi's write rate stops growing past 4 clients on a 2-core machine


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
class MediaSettings:
    """Where the sync may fetch image files from, and how much (pipelines.media.fetch has the rules).

    Off unless MEDIA_ALLOWED_HOSTS names hosts: the sync never trusts a host for appearing in the catalog.
    """

    allowed_hosts: frozenset[str] = frozenset()
    allowed_networks: tuple[Network, ...] = ()
    max_bytes: int = 20 * 1024 * 1024
    concurrency: int = 2  # uploads at once, apart from the entry writers (each one makes Strapi resize an image)
    fetch_deadline: int = 60  # seconds one file's fetch may take in all, redirects and retries included
    max_pixels: int = 40_000_000  # width x height an image may declare (a decompression bomb is refused)

    @property
    def enabled(self) -> bool:
        """True when at least one host is allowed."""
        return bool(self.allowed_hosts)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "MediaSettings":
        """Read MEDIA_ALLOWED_HOSTS (comma-separated names, `*.example.com` for subdomains), MEDIA_ALLOW_NETWORKS
        (comma-separated CIDRs of non-public addresses to allow, e.g. 127.0.0.1/32), MEDIA_MAX_BYTES,
        MEDIA_CONCURRENCY, MEDIA_FETCH_DEADLINE (seconds per file) and MEDIA_MAX_PIXELS (all optional)."""
        env = os.environ if environ is None else environ
        hosts = frozenset(h.strip().lower().rstrip(".") for h in env.get("MEDIA_ALLOWED_HOSTS", "").split(",") if h.strip())
        networks = []
        for text in (n.strip() for n in env.get("MEDIA_ALLOW_NETWORKS", "").split(",")):
            if text:
                try:
                    networks.append(ipaddress.ip_network(text, strict=False))
                except ValueError:
                    raise SettingsError(f"MEDIA_ALLOW_NETWORKS: {text!r} is not a network (e.g. 127.0.0.1/32)") from None
        return cls(allowed_hosts=hosts, allowed_networks=tuple(networks),
                   max_bytes=_whole(env, "MEDIA_MAX_BYTES", cls.max_bytes, minimum=1024),
                   concurrency=_whole(env, "MEDIA_CONCURRENCY", cls.concurrency, minimum=1),
                   fetch_deadline=_seconds(env, "MEDIA_FETCH_DEADLINE", cls.fetch_deadline, minimum=1),
                   max_pixels=_whole(env, "MEDIA_MAX_PIXELS", cls.max_pixels, minimum=1))


@dataclass(frozen=True)
class SyncOptions:
    """How every run of a content type goes, whoever starts it (the CLI, Dagster's assets, sensors, schedules
    and backfills): read from the environment once per entry point, adjusted there (`dataclasses.replace`),
    and passed down to the sync."""

    write_paths: WritePaths = WritePaths()  # WRITE_PATH_FULL / WRITE_PATH_CHANGES
    media: MediaSettings = MediaSettings()  # MEDIA_*: where `media` attributes' files may be fetched from
    max_writers: int = DEFAULT_MAX_WRITERS  # STRAPI_MAX_WRITERS: runs writing to this Strapi at once, across processes
    overlap: timedelta = DEFAULT_OVERLAP  # SYNC_OVERLAP_SECONDS: how far before its watermark a run re-reads
    concurrency: int = DEFAULT_CONCURRENCY  # REST writes in flight (shared by the types a sync_all runs at once)
    chunk_size: int | None = None  # rows per chunk; None: the write path's own
    dry_run: bool = False  # plan and count, write nothing
    allow_mass_delete: bool = False  # a reconcile may delete most of a type's entries
    recorded_by: str = "medusa-strapi"  # who the recorded watermarks say ran

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "SyncOptions":
        """Read WRITE_PATH_FULL, WRITE_PATH_CHANGES, MEDIA_*, STRAPI_MAX_WRITERS and SYNC_OVERLAP_SECONDS (all
        optional); one SettingsError names every unusable value."""
        env = os.environ if environ is None else environ
        problems = _Problems()
        values = {
            "write_paths": problems.read(WritePaths.from_env, env),
            "media": problems.read(MediaSettings.from_env, env),
            "max_writers": problems.read(max_writers, env),
            "overlap": problems.read(_overlap, env),
        }
        problems.raise_any()
        return cls(**values)


def _overlap(env) -> timedelta:
    return timedelta(seconds=_seconds(env, "SYNC_OVERLAP_SECONDS", int(DEFAULT_OVERLAP.total_seconds()), minimum=0))


@dataclass(frozen=True)
class Settings:
    """Where Medusa and Strapi are, and where the mappings live."""

    medusa_database_url: str = field(repr=False)
    strapi_url: str
    strapi_api_token: str = field(repr=False)  # empty when a service account logs in instead
    mappings_dir: Path = SHIPPED_MAPPINGS_DIR
    strapi_ca_bundle: str | None = None  # CA bundle for a Strapi behind a private CA (TLS is always verified)
    strapi_account: ServiceAccount | None = None  # STRAPI_IDENTIFIER / STRAPI_PASSWORD, instead of the token
    medusa_admin: AdminAccount | None = None  # MEDUSA_ADMIN_URL / _EMAIL / _PASSWORD: the write-back's Admin API
    sync: SyncOptions = SyncOptions()  # how the runs go: write paths, media, writers, overlap
    dagster_home: Path | None = None  # DAGSTER_HOME: the Dagster instance the command's runs are recorded in

    @property
    def strapi_credentials(self) -> str | ServiceAccount:
        """What the Strapi client authenticates with: the service account, else the API token."""
        return self.strapi_account or self.strapi_api_token

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, *, medusa_admin: bool = False) -> "Settings":
        """Read MEDUSA_DATABASE_URL, STRAPI_URL, the Strapi credentials, and MAPPINGS_DIR, DAGSTER_HOME and the
        other optional settings.

        The credentials are STRAPI_API_TOKEN, or STRAPI_IDENTIFIER + STRAPI_PASSWORD (a Users & Permissions
        service account), not both. Surrounding whitespace (a pasted trailing newline) is stripped; a secret
        with whitespace inside is refused without showing it. With `medusa_admin` (a command that writes to
        Medusa's Admin API), MEDUSA_ADMIN_URL, _EMAIL and _PASSWORD are needed too.

        One SettingsError names every variable that is missing and every value that is unusable.
        """
        env = os.environ if environ is None else environ
        problems = _Problems()
        database_url = problems.read(_needed, env, "MEDUSA_DATABASE_URL", medusa_database_url)
        url = problems.read(_needed, env, "STRAPI_URL", strapi_url)
        credentials = problems.read(_needed_credentials, env)
        admin = problems.read(medusa_admin_account, env)  # notes those missing when some are set
        if medusa_admin and not any(env.get(name, "").strip() for name in ADMIN_VARIABLES):
            problems.missing += ADMIN_VARIABLES
        values = {
            "mappings_dir": mappings_dir(env),
            "strapi_ca_bundle": env.get("STRAPI_CA_BUNDLE", "").strip() or None,
            "sync": problems.read(SyncOptions.from_env, env),
            "dagster_home": Path(env["DAGSTER_HOME"].strip()) if env.get("DAGSTER_HOME", "").strip() else None,
        }
        problems.raise_any()
        return cls(
            medusa_database_url=database_url, strapi_url=url,
            strapi_api_token=credentials if isinstance(credentials, str) else "",
            strapi_account=credentials if isinstance(credentials, ServiceAccount) else None,
            medusa_admin=admin, **values,
        )


class _Problems:
    """The missing variables and unusable values met while reading the settings, to report them all at once."""

    def __init__(self) -> None:
        self.missing: list[str] = []
        self.unusable: list[str] = []

    def read(self, reader: Callable[..., Any], *args: Any) -> Any:
        """`reader(*args)`, or None after noting what it found missing or unusable."""
        try:
            return reader(*args)
        except MissingSetting as exc:
            self.missing.append(exc.entry)
        except (SettingsError, SecretError) as exc:
            self.unusable.append(str(exc))
        return None

    def raise_any(self) -> None:
        """SettingsError naming everything noted, if anything was."""
        parts = [f"missing environment variable(s): {', '.join(self.missing)} ({LOCAL_STACK})"] if self.missing else []
        parts += self.unusable
        if parts:
            raise SettingsError("; ".join(parts))


def _needed(env, name: str, reader: Callable[[Any], str | None]) -> str:
    value = reader(env)
    if value is None:
        raise MissingSetting(name)
    return value


def _needed_credentials(env) -> str | ServiceAccount:
    credentials = strapi_credentials(env)
    if credentials is None:
        raise MissingSetting("STRAPI_API_TOKEN", "or STRAPI_IDENTIFIER + STRAPI_PASSWORD")
    return credentials


EXECUTOR_CHOICES = ("in_process", "multiprocess", "celery")  # DAGSTER_EXECUTOR (assets.location.EXECUTORS)
BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps", "pyamqp")
DEFAULT_CELERY_BROKER = "redis://127.0.0.1:6379/11"  # a Redis database of the sync's own, not Redis' default 0


@dataclass(frozen=True)
class CelerySettings:
    """Where Dagster's Celery executor (DAGSTER_EXECUTOR=celery) sends the steps and reads their results: the
    runs and the workers (scripts/celery-workers) must agree on both. The URLs may hold a password: never shown."""

    broker: str = field(default=DEFAULT_CELERY_BROKER, repr=False)  # DAGSTER_CELERY_BROKER
    backend: str = field(default=DEFAULT_CELERY_BROKER, repr=False)  # DAGSTER_CELERY_BACKEND, else the broker's
    lost_after: int = 10  # DAGSTER_CELERY_LOST_SECONDS: a running step's worker silent this long is lost (the step fails)
    visibility_timeout: int = 3600  # DAGSTER_CELERY_VISIBILITY_TIMEOUT: Redis redelivers an unacknowledged task after it

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "CelerySettings":
        """Read DAGSTER_CELERY_BROKER (redis://, rediss://, amqp:// or pyamqp://; default a Redis database of its
        own on 127.0.0.1), DAGSTER_CELERY_BACKEND (the result backend: default the broker's URL when it is Redis,
        else rpc://), DAGSTER_CELERY_LOST_SECONDS and DAGSTER_CELERY_VISIBILITY_TIMEOUT (all optional)."""
        env = os.environ if environ is None else environ
        broker = _broker_url(env, "DAGSTER_CELERY_BROKER", DEFAULT_CELERY_BROKER)
        default_backend = broker if broker.split(":", 1)[0] in ("redis", "rediss") else "rpc://"
        backend = _broker_url(env, "DAGSTER_CELERY_BACKEND", default_backend, schemes=(*BROKER_SCHEMES, "rpc"))
        return cls(broker=broker, backend=backend,
                   lost_after=_seconds(env, "DAGSTER_CELERY_LOST_SECONDS", cls.lost_after, minimum=2),
                   visibility_timeout=_seconds(env, "DAGSTER_CELERY_VISIBILITY_TIMEOUT", cls.visibility_timeout, minimum=60))


def _broker_url(env, name: str, default: str, schemes: tuple[str, ...] = BROKER_SCHEMES) -> str:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        url = clean_secret(name, text)
    except SecretError as exc:
        raise SettingsError(str(exc)) from None
    remember_url(url)  # user:password@host: redacted wherever the URL is quoted
    if url.split("://", 1)[0].lower() not in schemes or "://" not in url:
        raise SettingsError(f"{name} must be a URL starting with {', '.join(s + '://' for s in schemes)} "
                            f"such as {DEFAULT_CELERY_BROKER} (its value is not shown)")
    return url


@dataclass(frozen=True)
class Orchestration:
    """How the sync runs unattended (Dagster): which mappings, how often sensors look, how far back they
    re-read, when the reconcile runs. Every knob has a safe default; none is a secret."""

    mappings_dir: Path = SHIPPED_MAPPINGS_DIR
    sensor_interval_seconds: int = 5
    reconcile_cron: str = "0 3 * * *"
    strapi_ca_bundle: str | None = None
    executor: str = "in_process"  # or "multiprocess": a process per step, "celery": steps on Celery workers (assets.location.EXECUTORS)
    # DAGSTER_CELERY_*: the broker and result backend of DAGSTER_EXECUTOR=celery, checked when the code location loads;
    # the executor reads them again in each run, since a URL in the executor's config would be stored with the run
    celery: CelerySettings = CelerySettings()
    strapi_login: bool = False  # STRAPI_IDENTIFIER is set: the runs log in as a service account
    freshness: timedelta = timedelta(hours=26)  # a type not synced for this long fails its freshness check
    medusa_admin_configured: bool = False  # MEDUSA_ADMIN_URL is set: the write-back sensors can write to Medusa
    sync: SyncOptions = SyncOptions()  # how the runs go: write paths, media, writers, overlap (as the CLI's)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Orchestration":
        """Read MAPPINGS_DIR, SENSOR_INTERVAL_SECONDS, SYNC_OVERLAP_SECONDS, RECONCILE_CRON, STRAPI_CA_BUNDLE,
        WRITE_PATH_FULL, WRITE_PATH_CHANGES, DAGSTER_EXECUTOR (with DAGSTER_CELERY_* for celery), FRESHNESS_SECONDS, MEDIA_*, STRAPI_MAX_WRITERS and
        whether STRAPI_IDENTIFIER is set (all optional). The freshness default, 26 hours, is the nightly reconcile's day plus two hours of slack."""
        env = os.environ if environ is None else environ
        executor = _choice(env, "DAGSTER_EXECUTOR", cls.executor, EXECUTOR_CHOICES)
        return cls(
            mappings_dir=mappings_dir(env),
            sensor_interval_seconds=_seconds(env, "SENSOR_INTERVAL_SECONDS", cls.sensor_interval_seconds, minimum=1),
            reconcile_cron=env.get("RECONCILE_CRON", "").strip() or cls.reconcile_cron,
            strapi_ca_bundle=env.get("STRAPI_CA_BUNDLE", "").strip() or None,
            executor=executor,
            celery=CelerySettings.from_env(env) if executor == "celery" else CelerySettings(),
            strapi_login=bool(env.get("STRAPI_IDENTIFIER", "").strip()),
            freshness=timedelta(seconds=_seconds(env, "FRESHNESS_SECONDS", int(cls.freshness.total_seconds()), minimum=60)),
            medusa_admin_configured=bool(env.get("MEDUSA_ADMIN_URL", "").strip()),
            sync=SyncOptions.from_env(env),
        )


def max_writers(environ: dict[str, str] | None = None) -> int:
    """STRAPI_MAX_WRITERS: how many runs may write to one Strapi at once, across processes and hosts."""
    env = os.environ if environ is None else environ
    return _whole(env, "STRAPI_MAX_WRITERS", DEFAULT_MAX_WRITERS, minimum=1)


STRAPI_CREDENTIAL_VARIABLES = {API_TOKEN: ("STRAPI_API_TOKEN",), SERVICE_ACCOUNT: ("STRAPI_IDENTIFIER", "STRAPI_PASSWORD")}


def strapi_credential_variables(kind: str) -> str:
    """The variable(s) that hold Strapi credentials of `kind` (StrapiClient.credentials): `STRAPI_API_TOKEN`, or
    `STRAPI_IDENTIFIER/STRAPI_PASSWORD` for a service account."""
    return "/".join(STRAPI_CREDENTIAL_VARIABLES[kind])


def strapi_credentials(environ: dict[str, str] | None = None) -> str | ServiceAccount | None:
    """STRAPI_API_TOKEN, or the service account of STRAPI_IDENTIFIER + STRAPI_PASSWORD; None when neither is set.

    SettingsError when both kinds are set or a secret has whitespace inside; MissingSetting when only half
    of the account is.
    """
    env = os.environ if environ is None else environ
    has = {name: bool(env.get(name, "").strip()) for name in ("STRAPI_API_TOKEN", "STRAPI_IDENTIFIER", "STRAPI_PASSWORD")}
    account = has["STRAPI_IDENTIFIER"] or has["STRAPI_PASSWORD"]
    if account and has["STRAPI_API_TOKEN"]:
        raise SettingsError("set either STRAPI_API_TOKEN or STRAPI_IDENTIFIER + STRAPI_PASSWORD, not both")
    try:
        if account:
            half = [name for name in ("STRAPI_IDENTIFIER", "STRAPI_PASSWORD") if not has[name]]
            if half:
                raise MissingSetting(half[0], "STRAPI_IDENTIFIER and STRAPI_PASSWORD go together")
            return ServiceAccount(env["STRAPI_IDENTIFIER"].strip(), clean_secret("STRAPI_PASSWORD", env["STRAPI_PASSWORD"]))
        return clean_secret("STRAPI_API_TOKEN", env["STRAPI_API_TOKEN"]) if has["STRAPI_API_TOKEN"] else None
    except SecretError as exc:
        raise SettingsError(str(exc)) from None


ADMIN_VARIABLES = ("MEDUSA_ADMIN_URL", "MEDUSA_ADMIN_EMAIL", "MEDUSA_ADMIN_PASSWORD")


def medusa_admin_account(environ: dict[str, str] | None = None) -> AdminAccount | None:
    """Medusa's Admin API and an admin user, for the write-back; None when none of the three is set.

    SettingsError when only some are set, MEDUSA_ADMIN_URL is not an http(s) URL, or the password has
    whitespace inside.
    """
    env = os.environ if environ is None else environ
    given = [name for name in ADMIN_VARIABLES if env.get(name, "").strip()]
    if not given:
        return None
    if len(given) < len(ADMIN_VARIABLES):
        missing = " and ".join(name for name in ADMIN_VARIABLES if name not in given)
        raise MissingSetting(missing, f"the write-back's Admin API needs all of {', '.join(ADMIN_VARIABLES)}")
    try:
        return AdminAccount(http_url("MEDUSA_ADMIN_URL", env["MEDUSA_ADMIN_URL"], "http://127.0.0.1:9000"),
                            env["MEDUSA_ADMIN_EMAIL"].strip(), clean_secret("MEDUSA_ADMIN_PASSWORD", env["MEDUSA_ADMIN_PASSWORD"]))
    except SecretError as exc:
        raise SettingsError(str(exc)) from None


def strapi_url(environ: dict[str, str] | None = None) -> str | None:
    """STRAPI_URL, an http:// or https:// URL (SettingsError otherwise); None when it is not set."""
    env = os.environ if environ is None else environ
    text = env.get("STRAPI_URL", "").strip()
    return http_url("STRAPI_URL", text, "http://127.0.0.1:1337") if text else None


def medusa_database_url(environ: dict[str, str] | None = None) -> str | None:
    """MEDUSA_DATABASE_URL, a Postgres URL, kept secret (SettingsError otherwise, which never shows the value:
    it may hold a password); None when it is not set. A URL that reads two ways (an unencoded `@` in the password:
    pipelines.medusa.database_url) is refused, saying to percent-encode the password."""
    env = os.environ if environ is None else environ
    text = env.get("MEDUSA_DATABASE_URL", "").strip()
    if not text:
        return None
    try:
        url = clean_secret("MEDUSA_DATABASE_URL", text)
    except SecretError as exc:
        raise SettingsError(str(exc)) from None
    scheme, separator, _ = url.partition("://")
    if not separator or scheme.lower() not in DATABASE_SCHEMES:
        what = (f"it starts with {scheme + '://'!r}" if separator and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme)
                else "it has no scheme")
        raise SettingsError(f"MEDUSA_DATABASE_URL must be a Postgres URL, postgresql://user:password@host:5432/database "
                            f"(or postgres://, postgresql+psycopg://): {what} (its value is not shown)")
    why = ambiguity(url)
    if why:
        raise SettingsError(ambiguity_message(why))
    return url


def http_url(name: str, value: str, example: str) -> str:
    """`value` stripped, when it is an http:// or https:// URL with a host; SettingsError naming `name` otherwise."""
    text = value.strip()
    try:
        parts = urlsplit(text)
        usable = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an unclosed [IPv6 address
        usable = False
    remember_url(text)  # user:password@host: redacted wherever the URL is quoted
    if not usable:
        shown = "its value is not shown" if "@" in text else f"not {text!r}"  # user:password@host: not shown
        raise SettingsError(f"{name} must be an http:// or https:// URL such as {example} ({shown})")
    return text


def _choice(env, name: str, default: str, allowed: tuple[str, ...]) -> str:
    text = env.get(name, "").strip().lower() or default
    if text not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}, not {text!r}")
    return text


def _seconds(env, name: str, default: int, minimum: int) -> int:
    return _whole(env, name, default, minimum, unit=" of seconds")


def _whole(env, name: str, default: int, minimum: int, unit: str = "") -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < minimum:
        raise SettingsError(f"{name} must be a whole number{unit} >= {minimum}, not {text!r}")
    return int(text)


def mappings_dir(environ: dict[str, str] | None = None) -> Path:
    """MAPPINGS_DIR (a folder, or a shipped set's name: medusa-v1, medusa-v2, medusa-v2-guide), else the shipped
    Medusa v1 set (the repository's mappings/)."""
    env = os.environ if environ is None else environ
    value = env.get("MAPPINGS_DIR", "").strip()
    return mapping_set_folder(value, Path.cwd()) if value else SHIPPED_MAPPINGS_DIR
