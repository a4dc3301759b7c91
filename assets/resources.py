"""Typed Dagster resources for Medusa's Postgres and Strapi, configured from the environment."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Optional

from dagster import ConfigurableResource, EnvVar
from pydantic import Field

from pipelines.medusa.source import MedusaSource
from pipelines.settings import DEFAULT_CONCURRENCY, Orchestration
from pipelines.medusa.admin import AdminAccount, MedusaAdmin
from pipelines.strapi.auth import ServiceAccount
from pipelines.http_retry import TIMEOUT
from pipelines.strapi.client import StrapiClient


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


def resources_from_env(settings: Orchestration) -> dict[str, ConfigurableResource]:
    """The resources, fed by MEDUSA_DATABASE_URL, STRAPI_URL and STRAPI_API_TOKEN (or STRAPI_IDENTIFIER +
    STRAPI_PASSWORD, when `settings.strapi_login`), and MEDUSA_ADMIN_* when set, at run time: Dagster stores
    the variables' names, never values."""
    credentials = ({"identifier": EnvVar("STRAPI_IDENTIFIER"), "password": EnvVar("STRAPI_PASSWORD")}
                   if settings.strapi_login else {"api_token": EnvVar("STRAPI_API_TOKEN")})
    admin = (MedusaAdminResource(url=EnvVar("MEDUSA_ADMIN_URL"), email=EnvVar("MEDUSA_ADMIN_EMAIL"),
                                 password=EnvVar("MEDUSA_ADMIN_PASSWORD"))
             if settings.medusa_admin_configured else MedusaAdminResource())
    return {
        "medusa": MedusaDatabase(url=EnvVar("MEDUSA_DATABASE_URL")),
        "strapi": StrapiResource(url=EnvVar("STRAPI_URL"), ca_bundle=settings.strapi_ca_bundle, **credentials),
        "medusa_admin": admin,
    }
