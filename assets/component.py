"""`MedusaStrapiSync`: the sync as a Dagster Component, for a data team's own project (a `defs.yaml`, `dg`).

One instance builds what `assets/definitions.py` builds for this repository's code location (which is itself one
instance): the assets, checks, sensors, the schedule, backfill and write-back jobs, and the resources. It sets no
executor; the project's own applies. Its names come from `get_names()` (a key prefix and the pool by default;
override it in a subclass to name things otherwise), so two shops (two Medusas into two Strapis) live in one code
location. Connection settings are `{{ env.X }}` templates, kept as the variables' names (Dagster's `EnvVar`):
their values never reach the definitions, the UI or Dagster's storage.

    type: assets.component.MedusaStrapiSync
    attributes:
      mappings: medusa-v2                      # a shipped set (medusa-v1, medusa-v2, medusa-v2-guide) or a folder
      medusa_database_url: "{{ env.SHOP_A_MEDUSA_DATABASE_URL }}"
      strapi_url: "{{ env.SHOP_A_STRAPI_URL }}"
      strapi_api_token: "{{ env.SHOP_A_STRAPI_API_TOKEN }}"
      key_prefix: shop_a
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal, Optional

import dagster as dg
from dagster import Definitions
from pydantic import Field

from pipelines.mapping.shipped import mapping_set_folder
from pipelines.settings import Orchestration, SyncOptions, WritePaths

from .location import build_definitions
from .naming import STRAPI_POOL, DagsterNames
from .resources import Variables

TEMPLATE = re.compile(r"""^\s*\{\{\s*env(?:\.([A-Za-z_][A-Za-z0-9_]*)|\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\))\s*\}\}\s*$""")


def variable_of(context: dg.ResolutionContext, value: str | None) -> str | None:
    """The environment variable a `{{ env.X }}` template names; a value written out is refused (a secret in a
    file, and in Dagster's storage)."""
    if value is None:
        return None
    found = TEMPLATE.match(str(value))
    if not found:
        raise dg.ResolutionException(f"write connection settings as {{{{ env.NAME }}}} templates, never values: got {value!r}"
                                     if "{{" in str(value) else
                                     "write connection settings as {{ env.NAME }} templates, never values (a value written "
                                     "out would be stored in Dagster)")
    return found.group(1) or found.group(2)


EnvTemplate = Annotated[str, dg.Resolver(variable_of, inject_before_resolve=False, model_field_type=str)]
OptionalEnvTemplate = Annotated[Optional[str], dg.Resolver(variable_of, inject_before_resolve=False, model_field_type=Optional[str])]


class Sensors(dg.Model):
    """Which sensors are on (each still shows in the UI when off: it is not built)."""

    changes: bool = Field(True, description="the change sensor: incremental syncs of what changed in Medusa")
    write_back: bool = Field(True, description="the write-back sensors of two-way types")
    freshness: bool = Field(True, description="the sensor that evaluates the freshness checks")


class Schedules(dg.Model):
    """Which schedules are on."""

    reconcile: bool = Field(True, description="the nightly reconcile")


class MedusaStrapiSyncScaffolder(dg.Scaffolder):
    """`dg scaffold defs assets.component.MedusaStrapiSync shop_a`: a defs.yaml with every connection setting as a
    template, and the folder's name as the key prefix (so a second shop never clashes with the first)."""

    def scaffold(self, request: dg.ScaffoldRequest) -> None:
        prefix = re.sub(r"[^a-z0-9_]", "_", request.target_path.name.lower()).strip("_")
        prefix = prefix if re.match(r"^[a-z]", prefix) else f"shop_{prefix}"
        dg.scaffold_component(request, {
            "mappings": "medusa-v1",
            "medusa_database_url": "{{ env.MEDUSA_DATABASE_URL }}",
            "strapi_url": "{{ env.STRAPI_URL }}",
            "strapi_api_token": "{{ env.STRAPI_API_TOKEN }}",
            "key_prefix": prefix,
        })


@dg.scaffold_with(MedusaStrapiSyncScaffolder)
class MedusaStrapiSync(dg.Component, dg.Resolvable, dg.Model):
    """Keeps a Strapi 5 CMS in step with a Medusa database, as YAML mappings say (see the module docstring)."""

    mappings: str = Field("medusa-v1", description="a shipped mapping set (medusa-v1, medusa-v2, medusa-v2-guide), or "
                                                   "a folder of mappings relative to this component's folder")
    # Each connection setting is written `{{ env.X }}` and held as the variable's name X (a default: its name).
    medusa_database_url: EnvTemplate = Field("MEDUSA_DATABASE_URL", description="{{ env.X }}: Medusa's Postgres URL")
    strapi_url: EnvTemplate = Field("STRAPI_URL", description="{{ env.X }}: Strapi's base URL")
    strapi_api_token: OptionalEnvTemplate = Field("STRAPI_API_TOKEN", description="{{ env.X }}: a Strapi API token")
    strapi_identifier: OptionalEnvTemplate = Field(None, description="{{ env.X }}: a service account, instead of the token")
    strapi_password: OptionalEnvTemplate = Field(None, description="{{ env.X }}: the service account's password")
    medusa_admin_url: OptionalEnvTemplate = Field(None, description="{{ env.X }}: Medusa's server, for the write-back")
    medusa_admin_email: OptionalEnvTemplate = Field(None, description="{{ env.X }}: a Medusa admin's email")
    medusa_admin_password: OptionalEnvTemplate = Field(None, description="{{ env.X }}: that admin's password")
    key_prefix: str = Field("", pattern=r"^([a-z][a-z0-9_]*)?$",
                            description="asset keys start with it; groups, jobs, sensors, schedules and resources are named with it")
    pool: str = Field(STRAPI_POOL, description="the Dagster concurrency pool every step writing to this Strapi takes a slot of")
    max_writers: int = Field(2, ge=1, description="runs writing to this Strapi at once, across processes and hosts")
    write_path_full: Literal["auto", "bulk", "rest"] = Field("auto", description="how reconciles and backfills write")
    write_path_changes: Literal["auto", "bulk", "rest"] = Field("rest", description="how the sensors' incremental runs write")
    sensor_interval_seconds: int = Field(5, ge=1, description="how often the sensors look")
    reconcile_cron: str = Field("0 3 * * *", description="when the reconcile runs (UTC)")
    freshness_seconds: int = Field(93_600, ge=60, description="a type not synced for this long fails its freshness check")
    sensors: Sensors = Field(default_factory=Sensors)
    schedules: Schedules = Field(default_factory=Schedules)

    @classmethod
    def from_settings(cls, settings: Orchestration) -> "MedusaStrapiSync":
        """The instance the environment's settings describe: this repository's code location (assets/definitions.py)."""
        login = settings.strapi_login
        admin = settings.medusa_admin_configured
        return cls(
            mappings=str(settings.mappings_dir),
            medusa_database_url="MEDUSA_DATABASE_URL", strapi_url="STRAPI_URL",
            strapi_api_token=None if login else "STRAPI_API_TOKEN",
            strapi_identifier="STRAPI_IDENTIFIER" if login else None, strapi_password="STRAPI_PASSWORD" if login else None,
            medusa_admin_url="MEDUSA_ADMIN_URL" if admin else None, medusa_admin_email="MEDUSA_ADMIN_EMAIL" if admin else None,
            medusa_admin_password="MEDUSA_ADMIN_PASSWORD" if admin else None,
            max_writers=settings.sync.max_writers, write_path_full=settings.sync.write_paths.full,
            write_path_changes=settings.sync.write_paths.changes, sensor_interval_seconds=settings.sensor_interval_seconds,
            reconcile_cron=settings.reconcile_cron, freshness_seconds=int(settings.freshness.total_seconds()),
        )

    def get_names(self) -> DagsterNames:
        """Every name the definitions take: the translation hook (override it in a subclass)."""
        return DagsterNames(self.key_prefix, self.pool)

    def mappings_dir(self, base: Path) -> Path:
        """The mapping set's folder: a shipped set by name, else a folder relative to `base`."""
        return mapping_set_folder(self.mappings, base)

    def variables(self) -> Variables:
        """The environment variables the resources read, as the templates name them."""
        return Variables(self.medusa_database_url, self.strapi_url, self.strapi_api_token, self.strapi_identifier,
                         self.strapi_password, self.medusa_admin_url, self.medusa_admin_email, self.medusa_admin_password)

    def settings(self, base: Path) -> Orchestration:
        """The orchestration settings the attributes give (media and the run's other knobs: the environment's)."""
        defaults = Orchestration.from_env()
        sync = replace(SyncOptions.from_env(), write_paths=WritePaths(full=self.write_path_full, changes=self.write_path_changes),
                       max_writers=self.max_writers)
        return replace(defaults, mappings_dir=self.mappings_dir(base), sensor_interval_seconds=self.sensor_interval_seconds,
                       reconcile_cron=self.reconcile_cron, freshness=timedelta(seconds=self.freshness_seconds),
                       strapi_login=self.strapi_identifier is not None, medusa_admin_configured=self.medusa_admin_url is not None,
                       sync=sync)

    def definitions(self, base: Path) -> Definitions:
        """The definitions of this instance (mappings relative to `base`), without an executor."""
        names = self.get_names()
        built = build_definitions(self.settings(base), names, variables=self.variables(), executor=None)
        off = set()
        if not self.sensors.changes:
            off.add(names.changes_sensor)
        if not self.sensors.freshness:
            off.add(names.freshness_sensor)
        if not self.schedules.reconcile:
            off.add(names.reconcile_schedule)
        write_back_off = not self.sensors.write_back
        return Definitions(
            assets=built.assets, asset_checks=built.asset_checks, jobs=built.jobs, resources=built.resources,
            sensors=[s for s in built.sensors or () if s.name not in off
                     and not (write_back_off and s.name.startswith(names.name("strapi_edits_")))],
            schedules=[s for s in built.schedules or () if s.name not in off],
        )

    def build_defs(self, context: dg.ComponentLoadContext) -> Definitions:
        return self.definitions(context.path)
