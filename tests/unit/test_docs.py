"""The docs hold together: every relative link and image of README.md and docs/*.md points at a file that exists,
every `#anchor` at a heading of its page (GitHub's slugs), the README stays short, and docs/README.md lists every
page. No services; CI runs it with the unit tests."""
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
README_MAX_LINES = 120

FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(`+)((?:(?!\n[ \t]*\n).)+?)\1", re.S)  # within a paragraph, across its lines
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks (a fenced line is kept as an empty line, so line numbers hold)."""
    out, fence = [], None
    for line in text.split("\n"):
        m = FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)
            out.append("")
        elif fence is not None:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not line.strip()[len(m.group(1)):]:
                fence = None
            out.append("")
        else:
            out.append(line)
    return out


def without_code_spans(text: str) -> str:
    return CODE_SPAN.sub(lambda m: "code" + "\n" * m.group(0).count("\n"), text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: markup dropped, lowercase, punctuation but '-' and '_' dropped, spaces to '-'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").replace("*", "")
    text = "".join(ch for ch in text.lower() if ch.isalnum() or ch in " -_")
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """The anchors of a page's headings; a repeated heading's get -1, -2, ... as on GitHub."""
    found = set()
    counts: dict[str, int] = {}
    for line in prose_lines(path.read_text(encoding="utf-8")):
        m = HEADING.match(line)
        if m:
            base = slug(m.group(2))
            n = counts.get(base, 0)
            counts[base] = n + 1
            found.add(base if n == 0 else f"{base}-{n}")
    return found


def links(path: Path) -> list[tuple[int, str]]:
    """(line, target) of every markdown link and image outside code, in order."""
    lines = prose_lines(path.read_text(encoding="utf-8"))
    text = without_code_spans("\n".join(lines))
    out = []
    for m in LINK.finditer(text):
        out.append((text.count("\n", 0, m.start()) + 1, m.group(1)))
    return out


def relative_links(path: Path) -> list[tuple[int, str]]:
    return [(n, t) for n, t in links(path) if t and not SCHEME.match(t) and not t.startswith("//")]


def test_the_pages_exist():
    assert (DOCS / "README.md").is_file()
    assert len(PAGES) > 2


def broken_links(page: Path, root: Path = ROOT) -> list[str]:
    """`file:line: target: why` for every relative link of `page` that does not resolve."""
    broken = []
    for line, target in relative_links(page):
        raw_path, _, anchor = target.partition("#")
        file = (page.parent / unquote(raw_path)).resolve() if raw_path else page
        where = f"{page.relative_to(root)}:{line}: {target}"
        if not file.exists():
            broken.append(f"{where}: no such file")
        elif anchor and file.suffix != ".md":
            broken.append(f"{where}: an anchor into a file that is not markdown")
        elif anchor and unquote(anchor).lower() not in anchors(file):
            broken.append(f"{where}: no heading '#{anchor}' in {file.name}")
    return broken


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(page: Path):
    broken = broken_links(page)
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_the_readme_fits_on_a_few_screens():
    count = len((ROOT / "README.md").read_text(encoding="utf-8").splitlines())
    assert count <= README_MAX_LINES, f"README.md has {count} lines; move detail into docs/ (at most {README_MAX_LINES})"


def test_the_docs_index_links_every_page():
    index = DOCS / "README.md"
    linked = {(index.parent / unquote(t.partition("#")[0])).resolve() for _, t in relative_links(index)}
    missing = [p.name for p in sorted(DOCS.glob("*.md")) if p != index and p.resolve() not in linked]
    assert not missing, f"docs/README.md does not link: {', '.join(missing)}"


def test_the_readme_links_every_page():
    readme = ROOT / "README.md"
    linked = {(ROOT / unquote(t.partition("#")[0])).resolve() for _, t in relative_links(readme)}
    missing = [p.name for p in sorted(DOCS.glob("*.md")) if p.resolve() not in linked]
    assert not missing, f"README.md's 'Where to go next' does not link: {', '.join(missing)}"


# The checker itself, on small texts: what it must ignore and what it must catch.

def test_links_in_fences_and_code_spans_are_ignored(tmp_path: Path):
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n```bash\n[x](missing.md)\n```\n\n   ~~~\n[y](gone.md)\n   ~~~\n"
                    "Inline `[z](nowhere.md)` code. [ok](#title) [web](https://example.com/x#y) [m](mailto:a@b.c)\n")
    assert relative_links(page) == [(10, "#title")]


def test_broken_files_and_anchors_are_caught(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "other.md").write_text("# Other\n\n## Its section: here\n")
    (tmp_path / "docs" / "x.png").write_bytes(b"")
    page = tmp_path / "docs" / "page.md"
    page.write_text("# Page\n[a](other.md#its-section-here) [b](other.md#nope) ![c](x.png) ![d](y.png)\n"
                    "[e](#page) [f](#missing) [g](../docs/other.md) [h](x.png#frag) a `multi\nline` span [i](gone.md)\n")
    assert broken_links(page, tmp_path) == [
        "docs/page.md:2: other.md#nope: no heading '#nope' in other.md",
        "docs/page.md:2: y.png: no such file",
        "docs/page.md:3: #missing: no heading '#missing' in page.md",
        "docs/page.md:3: x.png#frag: an anchor into a file that is not markdown",
        "docs/page.md:4: gone.md: no such file",
    ]


def test_slugs_follow_github():
    assert slug("Two-way fields: edits on either side reach the other, merged") == (
        "two-way-fields-edits-on-either-side-reach-the-other-merged")
    assert slug("Product images: files in Strapi's media library") == "product-images-files-in-strapis-media-library"
    assert slug("Backfills (partitions)") == "backfills-partitions"
    assert slug("The `sync` command, *again*") == "the-sync-command-again"


def test_duplicate_headings_get_numbered_anchors(tmp_path: Path):
    page = tmp_path / "page.md"
    page.write_text("# A\n## Notes\n### Notes\n```\n# Notes\n```\n")
    assert anchors(page) == {"a", "notes", "notes-1"}
