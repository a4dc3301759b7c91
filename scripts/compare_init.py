"""What `medusa-strapi init` guessed right: a scaffolded mapping set against a hand-written one, type by type
(its table and key, each field's column and converter, each relation's target and path, each media attribute's
source), as a Markdown table.

    .venv/bin/medusa-strapi init --out /tmp/guessed [--strapi-app DIR]
    .venv/bin/python scripts/compare_init.py /tmp/guessed mappings
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.mapping import load_mapping_set  # noqa: E402


def _hops(path) -> tuple:
    return tuple((h.table, h.source, h.target) for h in path or ())


def _field(f) -> tuple:
    return (f.column, f.convert, f.lookup and (_hops(f.lookup.path), f.lookup.column)) if f else None


def _relation(r) -> tuple:
    return (r.target, r.column, _hops(r.through)) if r else None


def _media(m) -> tuple:
    return (m.source, m.column, m.multiple, m.lookup and (_hops(m.lookup.path), m.lookup.column)) if m else None


def compare(guessed: Path, written: Path) -> list[tuple[str, str, str, str, str]]:
    """Per content type of `written`: (type, source, fields, relations, media), each "right / of".
    A file `init` could not finish (a table left TODO) counts as guessing nothing."""
    ours = load_mapping_set(guessed)
    theirs = load_mapping_set(written).mappings
    rows = []
    for spec in theirs:
        try:
            guess = ours.mappings.get(spec.content_type)
        except LookupError:
            guess = None
        fields = sum(1 for name, f in spec.fields.items() if guess and _field(guess.fields.get(name)) == _field(f))
        relations = sum(1 for r in spec.relations
                        if guess and _relation(next((g for g in guess.relations if g.attribute == r.attribute), None)) == _relation(r))
        media = sum(1 for name, m in spec.media.items() if guess and _media(guess.media.get(name)) == _media(m))
        source = guess is not None and (guess.table, guess.key, guess.primary_key) == (spec.table, spec.key, spec.primary_key)
        rows.append((spec.content_type, "yes" if source else "no", f"{fields}/{len(spec.fields)}",
                     f"{relations}/{len(spec.relations)}", f"{media}/{len(spec.media)}"))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("guessed", type=Path, help="the set `medusa-strapi init` wrote")
    parser.add_argument("written", type=Path, help="the hand-written set to hold it against")
    args = parser.parse_args()
    rows = compare(args.guessed, args.written)
    print("| type | table, key | fields | relations | media |\n|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    totals = [sum(int(r[i].split("/")[0]) for r in rows) for i in (2, 3, 4)], [sum(int(r[i].split("/")[1]) for r in rows) for i in (2, 3, 4)]
    sources = sum(r[1] == "yes" for r in rows)
    print(f"| **all {len(rows)}** | {sources}/{len(rows)} | " + " | ".join(f"{a}/{b}" for a, b in zip(*totals)) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
