"""The errors a run expects: the world outside the code is not as the settings and mappings say (a system
down, credentials refused, a mapping or a setting that does not match). Each is reported as its message
alone; any other exception is a bug, reported with its traceback.

One list for every entry point, so the CLI and Dagster agree on what is a bug.
"""

from .mapping import MappingErrors, UnknownContentType
from .medusa.admin import MedusaAdminError
from .medusa.locks import LockTimeout
from .medusa.source import SourceError
from .secrets import SecretError, redact
from .settings import SettingsError, strapi_credential_variables
from .strapi.auth import API_TOKEN, LOGIN_PATH
from .strapi.bulk import BulkUnavailable
from .strapi.client import StrapiAuthError, StrapiError, StrapiUnavailable
from .strapi.attributes import SchemaError

USAGE_ERRORS = (SettingsError, SecretError, UnknownContentType)  # a setting or an argument to fix
RUN_ERRORS = (SourceError, StrapiUnavailable, StrapiError, SchemaError, LockTimeout, BulkUnavailable, MedusaAdminError)
EXPECTED_ERRORS = (MappingErrors, *USAGE_ERRORS, *RUN_ERRORS)


def is_expected(exc: BaseException) -> bool:
    """True for the errors a run expects (EXPECTED_ERRORS); False for a bug."""
    return isinstance(exc, EXPECTED_ERRORS)


def refused_setting(exc: BaseException) -> str | None:
    """For credentials Strapi refused, which settings hold them and where, e.g. `STRAPI_API_TOKEN was refused by
    Strapi at http://…` (the login of STRAPI_IDENTIFIER/STRAPI_PASSWORD, for a service account); None otherwise."""
    if not (isinstance(exc, StrapiAuthError) and exc.refused and exc.credentials and exc.base_url):
        return None
    variables = strapi_credential_variables(exc.credentials)
    whose = (variables if exc.credentials == API_TOKEN
             else f"the login of {variables}" if exc.path == LOGIN_PATH else f"the service account of {variables}")
    return f"{whose} was refused by Strapi at {exc.base_url}"


def error_text(exc: BaseException) -> str:
    """An expected error's message for a person, redacted; refused credentials are named by their settings first."""
    refused = refused_setting(exc)
    return redact(f"{refused}: {exc}" if refused else str(exc))
