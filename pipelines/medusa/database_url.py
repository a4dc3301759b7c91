"""MEDUSA_DATABASE_URL taken one way only: a URL whose parts could be read two ways is refused, never guessed.

A password with an unencoded `@` (postgresql://u:p@ss@host/db) is split by SQLAlchemy at the first `@` (password
`p`, host `ss@host`) and by urllib at the last: the connection then goes to a host named after the rest of the
password, which every "cannot connect to ss@host" message, health line and log shows. The same goes for an
unencoded `/`, `?` or `#` in the password, which urllib takes for the end of the host. Such a URL is refused
where the settings are read (and again where the database is connected to), with a message that shows no part
of it and says to percent-encode the password.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from ..secrets import remember

PERCENT_ENCODE = ("percent-encode the user name and password (@ as %40, : as %3A, / as %2F, ? as %3F, # as %23, "
                  "% as %25; e.g. python3 -c 'import getpass, urllib.parse; "
                  "print(urllib.parse.quote(getpass.getpass(), safe=\"\"))')")


def ambiguity(url: str) -> str | None:
    """Why the database URL `url` may be read more than one way, in words that quote none of it; None when it
    may not (more than one unencoded `@` in its authority, or urllib and SQLAlchemy splitting it differently).

    Every reading of its password is remembered for redaction, whatever the verdict."""
    _, _, rest = url.partition("://")
    ends = [index for index in (rest.find(c) for c in "/?#") if index >= 0]
    authority = rest[:min(ends)] if ends else rest
    password = authority.rpartition("@")[0].partition(":")[2]  # urllib's reading, before decoding
    remember(password, *password.split("@"), unquote(password))
    ours = theirs = None
    try:
        split = urlsplit(url)
        ours = (unquote(split.username or ""), unquote(split.password or ""), split.hostname or "", split.port,
                split.path[1:] if split.path.startswith("/") else split.path)
    except ValueError:
        pass
    try:
        parsed = make_url(url)
        remember(parsed.password)
        theirs = (parsed.username or "", parsed.password or "", (parsed.host or "").lower(), parsed.port, parsed.database or "")
    except (sa.exc.ArgumentError, ValueError):
        pass
    if authority.count("@") > 1:
        return "its user name or password holds an unencoded '@' (there is more than one before the host)"
    if ours != theirs:
        return ("its user name or password holds a character that ends it or the host early for one reader and not "
                "for another (an unencoded '@', '/', '?' or '#', or ':' in the user name)")
    return None


def ambiguity_message(why: str) -> str:
    """The error text of an ambiguous MEDUSA_DATABASE_URL: what, why, and how to write it (no part of the value)."""
    return f"MEDUSA_DATABASE_URL is ambiguous: {why}; {PERCENT_ENCODE} (its value is not shown)"
