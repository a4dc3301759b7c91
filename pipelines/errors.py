"""The errors a run expects: the world outside the code is not as the settings and mappings say (a system
down, credentials refused, a mapping or a setting that does not match). Each is reported as its message
alone; any other exception is a bug, reported with its traceback.

One list for every entry point, so the CLI and Dagster agree on what is a bug.
"""

from .mapping import MappingErrors, UnknownContentType
from .medusa.admin import MedusaAdminError
from .medusa.locks import LockTimeout
from .medusa.source import SourceError
from .secrets import SecretError
from .settings import SettingsError
from .strapi.bulk import BulkUnavailable
from .strapi.client import StrapiError, StrapiUnavailable
from .strapi.content_types import SchemaError

USAGE_ERRORS = (SettingsError, SecretError, UnknownContentType)  # a setting or an argument to fix
RUN_ERRORS = (SourceError, StrapiUnavailable, StrapiError, SchemaError, LockTimeout, BulkUnavailable, MedusaAdminError)
EXPECTED_ERRORS = (MappingErrors, *USAGE_ERRORS, *RUN_ERRORS)


def is_expected(exc: BaseException) -> bool:
    """True for the errors a run expects (EXPECTED_ERRORS); False for a bug."""
    return isinstance(exc, EXPECTED_ERRORS)
