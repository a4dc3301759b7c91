"""`medusa-strapi init`: a mapping set scaffolded from what exists, Medusa's tables and a Strapi app's content types.

`tables` reflects Medusa once, `guess` decides (pure), `render` writes YAML with a comment on every guess, and
`write_set` puts the files in place without ever overwriting one somebody edited.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .guess import TypeGuess, guess_types
from .render import render
from .tables import TableInfo, medusa_version, read_tables

__all__ = ["TableInfo", "TypeGuess", "WrittenSet", "guess_types", "medusa_version", "read_tables", "render", "write_set"]


@dataclass(frozen=True)
class WrittenSet:
    """What `write_set` did: files written, left as they were (unchanged), and written beside an edited one."""

    written: list[Path]
    unchanged: list[Path]
    beside: list[Path]


def write_set(guesses: list[TypeGuess], folder: Path, *, force: bool = False, schema_ref: str | None = None) -> WrittenSet:
    """Write one mapping file per guess into `folder`. A file that exists with other content (somebody edited it,
    or the guess changed) is kept, and the new guess is written beside it as `<type>.yaml.new`, unless `force`."""
    folder.mkdir(parents=True, exist_ok=True)
    schema = Path(__file__).resolve().parents[1] / "mapping" / "schema.json"
    written, unchanged, beside = [], [], []
    for guess in guesses:
        text = render(guess, schema_ref or str(schema))
        path = folder / f"{guess.content_type}.yaml"
        if path.exists() and path.read_text() == text:
            unchanged.append(path)
        elif path.exists() and not force:
            new = path.with_name(path.name + ".new")
            new.write_text(text)
            beside.append(new)
        else:
            path.write_text(text)
            written.append(path)
    return WrittenSet(written, unchanged, beside)
