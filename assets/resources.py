"""Typed Dagster resources for Medusa's Postgres and Strapi, configured from the environment."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Optional

from dagster import ConfigurableResource, EnvVar
from pydantic import Field

from pipelines.medusa.source import MedusaSource
from pipelines.settings import Orchestration
from pipelines.strapi.client import TIMEOUT, StrapiClient
from pipelines.sync.run import DEFAULT_CONCURRENCY


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
    """Strapi 5's REST API, reached with a full-access API token."""

    url: str = Field(description="Base URL of Strapi, e.g. http://127.0.0.1:1337")
    api_token: str = Field(description="Strapi API token (full access)")
    concurrency: int = Field(default=DEFAULT_CONCURRENCY, description="concurrent write requests")
    timeout_seconds: float = Field(default=TIMEOUT[1], description="read timeout of one request (seconds)")
    ca_bundle: Optional[str] = Field(default=None, description="CA bundle that signs Strapi's TLS certificate (a private CA)")

    @contextmanager
    def client(self) -> Iterator[StrapiClient]:
        """A StrapiClient (one session, retries) for the duration of one run."""
        client = StrapiClient(self.url, self.api_token, timeout=(TIMEOUT[0], self.timeout_seconds),
                              pool_size=self.concurrency * 2, ca_bundle=self.ca_bundle)
        try:
            yield client
        finally:
            client.close()


def resources_from_env(settings: Orchestration) -> dict[str, ConfigurableResource]:
    """The resources, fed by MEDUSA_DATABASE_URL, STRAPI_URL and STRAPI_API_TOKEN at run time (never stored)."""
    return {
        "medusa": MedusaDatabase(url=EnvVar("MEDUSA_DATABASE_URL")),
        "strapi": StrapiResource(url=EnvVar("STRAPI_URL"), api_token=EnvVar("STRAPI_API_TOKEN"), ca_bundle=settings.strapi_ca_bundle),
    }
