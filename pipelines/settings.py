"""Connection settings, read from the environment once (secrets never leave it, and are never echoed)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .secrets import SecretError, clean_secret

REPO_MAPPINGS_DIR = Path(__file__).resolve().parent.parent / "mappings"
REPO_STRAPI_APP = Path(__file__).resolve().parent.parent / "strapi"


class SettingsError(Exception):
    """A required environment variable is missing or unusable."""


@dataclass(frozen=True)
class Settings:
    """Where Medusa and Strapi are, and where the mappings live."""

    medusa_database_url: str = field(repr=False)
    strapi_url: str
    strapi_api_token: str = field(repr=False)
    mappings_dir: Path = REPO_MAPPINGS_DIR

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
            )
        except SecretError as exc:
            raise SettingsError(str(exc)) from None


def mappings_dir(environ: dict[str, str] | None = None) -> Path:
    """MAPPINGS_DIR, or the repository's mappings/ folder."""
    env = os.environ if environ is None else environ
    return Path(env["MAPPINGS_DIR"]) if env.get("MAPPINGS_DIR", "").strip() else REPO_MAPPINGS_DIR
