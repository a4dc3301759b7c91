"""Typed Dagster resources for Medusa's Postgres and Strapi, configured from the environment."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, Optional

from dagster import ConfigurableResource, EnvVar
from pydantic import Field

from pipelines.medusa.source import MedusaSource
from pipelines.settings import DEFAULT_CONCURRENCY, Orchestration
from pipelines.medusa.admin import AdminAccount, MedusaAdmin
from pipelines.strapi.auth import ServiceAccount
from pipelines.http_retry import TIMEOUT
from pipelines.strapi.client import StrapiClient

from .naming import DEFAULT_NAMES, DagsterNames


class MedusaDatabase(ConfigurableResource):
    """Medusa's Postgres (read-only). `url` is a SQLAlchemy/libpq URL."""

    url: str = Field(description="Postgres URL of Medusa's database")

    @contextmanager
    def source(self) -> Iterator[MedusaSource]:
        """A MedusaSource for the duration of one run."""
        source = MedusaSource(self.url)
        try:
            yield source
        finally:
            source.dispose()


class StrapiResource(ConfigurableResource):
    """Strapi 5's REST API, reached with an API token or as a Users & Permissions service account."""

    url: str = Field(description="Base URL of Strapi, e.g. http://127.0.0.1:1337")
    api_token: Optional[str] = Field(default=None, description="Strapi API token (full access)")
    identifier: Optional[str] = Field(default=None, description="service account's username or email (instead of the token)")
    password: Optional[str] = Field(default=None, description="service account's password")
    concurrency: int = Field(default=DEFAULT_CONCURRENCY, description="concurrent write requests")
    timeout_seconds: float = Field(default=TIMEOUT[1], description="read timeout of one request (seconds)")
    ca_bundle: Optional[str] = Field(default=None, description="CA bundle that signs Strapi's TLS certificate (a private CA)")

    @contextmanager
    def client(self) -> Iterator[StrapiClient]:
        """A StrapiClient (one session, retries) for the duration of one run."""
        credentials = ServiceAccount(self.identifier, self.password or "") if self.identifier else self.api_token or ""
        client = StrapiClient(self.url, credentials, timeout=(TIMEOUT[0], self.timeout_seconds),
                              pool_size=self.concurrency * 2, ca_bundle=self.ca_bundle)
        try:
            yield client
        finally:
            client.close()


class MedusaAdminResource(ConfigurableResource):
    """Medusa's Admin API and an admin user, for the write-back of CMS-owned fields (optional)."""

    url: Optional[str] = Field(default=None, description="Medusa's server, e.g. http://127.0.0.1:9000")
    email: Optional[str] = Field(default=None, description="admin user's email")
    password: Optional[str] = Field(default=None, description="admin user's password")

    @property
    def configured(self) -> bool:
        """True when the URL, email and password are all set."""
        return bool(self.url and self.email and self.password)

    @contextmanager
    def admin(self) -> Iterator[MedusaAdmin]:
        """A MedusaAdmin (one session, one login) for the duration of one run."""
        client = MedusaAdmin(AdminAccount(self.url or "", self.email or "", self.password or ""))
        try:
            yield client
        finally:
            client.close()


def both(context: Any, names: DagsterNames) -> tuple[MedusaDatabase, StrapiResource]:
    """The Medusa database and Strapi resources of a step or sensor, under the keys `names` gives them."""
    return getattr(context.resources, names.medusa_resource), getattr(context.resources, names.strapi_resource)


@dataclass(frozen=True)
class Variables:
    """The environment variables the resources read (their names: Dagster stores those, never the values)."""

    medusa_database_url: str = "MEDUSA_DATABASE_URL"
    strapi_url: str = "STRAPI_URL"
    strapi_api_token: str | None = "STRAPI_API_TOKEN"
    strapi_identifier: str | None = "STRAPI_IDENTIFIER"
    strapi_password: str | None = "STRAPI_PASSWORD"
    medusa_admin_url: str | None = "MEDUSA_ADMIN_URL"
    medusa_admin_email: str | None = "MEDUSA_ADMIN_EMAIL"
    medusa_admin_password: str | None = "MEDUSA_ADMIN_PASSWORD"


DEFAULT_VARIABLES = Variables()


def resources_for(settings: Orchestration, names: DagsterNames = DEFAULT_NAMES,
                  variables: Variables = DEFAULT_VARIABLES) -> dict[str, ConfigurableResource]:
    """The resources under the keys `names` gives them, fed at run time by the variables `variables` names: Medusa's
    URL, Strapi's and its API token (or the service account, when `settings.strapi_login`), and Medusa's Admin API
    when `settings.medusa_admin_configured`."""
    v = variables
    credentials = ({"identifier": EnvVar(v.strapi_identifier), "password": EnvVar(v.strapi_password)}
                   if settings.strapi_login and v.strapi_identifier and v.strapi_password
                   else {"api_token": EnvVar(v.strapi_api_token)} if v.strapi_api_token else {})
    admin = (MedusaAdminResource(url=EnvVar(v.medusa_admin_url), email=EnvVar(v.medusa_admin_email),
                                 password=EnvVar(v.medusa_admin_password))
             if settings.medusa_admin_configured and v.medusa_admin_url and v.medusa_admin_email and v.medusa_admin_password
             else MedusaAdminResource())
    return {
        names.medusa_resource: MedusaDatabase(url=EnvVar(v.medusa_database_url)),
        names.strapi_resource: StrapiResource(url=EnvVar(v.strapi_url), ca_bundle=settings.strapi_ca_bundle, **credentials),
        names.admin_resource: admin,
    }


def resources_from_env(settings: Orchestration, names: DagsterNames = DEFAULT_NAMES) -> dict[str, ConfigurableResource]:
    """The resources fed by MEDUSA_DATABASE_URL, STRAPI_URL, STRAPI_API_TOKEN (or STRAPI_IDENTIFIER + STRAPI_PASSWORD)
    and MEDUSA_ADMIN_*: `resources_for` with the default variables."""
    return resources_for(settings, names)
