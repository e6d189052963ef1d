"""The README and docs/*.md link only to files that exist and to #anchors that their headings make, slugged as
GitHub slugs them; the README stays a front door (at most 200 lines)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.S)
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_LINK = re.compile(r"<(?:a|img)\b[^>]*?\b(?:href|src)=\"([^\"]+)\"", re.I)
HTML_ANCHOR = re.compile(r"<a\b[^>]*?\b(?:id|name)=\"([^\"]+)\"", re.I)
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.M)


def prose(markdown: str) -> str:
    """The text without fenced code blocks (headings and links in them are not ones)."""
    return FENCE.sub("", markdown)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text (code marks, emphasis and link targets gone), lower case, every
    character but letters, digits, '_', '-' and spaces dropped, each space a '-'."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").replace("*", "")
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = prose(page.read_text())
    found, seen = set(), {}
    for heading in HEADING.findall(text):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found | set(HTML_ANCHOR.findall(text))


def links(page: Path) -> list[str]:
    text = CODE_SPAN.sub("", prose(page.read_text()))
    return LINK.findall(text) + HTML_LINK.findall(text)


def broken_links(page: Path) -> list[str]:
    """Each link of `page` to a missing file, or to a missing #anchor of a Markdown page, with why."""
    broken = []
    for target in links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I):  # https:, mailto:: not ours to check
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no file {file.relative_to(ROOT) if file.is_relative_to(ROOT) else file}")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target}: no heading or anchor #{anchor} in {file.name}")
    return broken


@pytest.mark.parametrize("page", PAGES, ids=[page.relative_to(ROOT).as_posix() for page in PAGES])
def test_every_link_points_at_a_file_and_anchor_that_exist(page):
    assert broken_links(page) == []


def test_the_docs_pages_are_linked_from_the_readme():
    linked = {(ROOT / target.partition("#")[0]).resolve() for target in links(ROOT / "README.md")}
    assert [page.name for page in PAGES[1:] if page not in linked] == []


def test_the_readme_is_a_front_door():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 200


def test_the_checker_catches_missing_files_and_anchors(tmp_path):
    (tmp_path / "other.md").write_text(
        "# Deploying: settings, HTTPS\n\n## `POST /api/emotion`\n\n## Step\n\n## Step\n"
        '\n```\n# not a heading\n```\n<a id="kept"></a>\n'
    )
    page = tmp_path / "page.md"
    page.write_text(
        "# Top\n\n[a](other.md#deploying-settings-https) [b](other.md#post-apiemotion) "
        "[c](other.md#step-1) [d](#top) [e](other.md#kept) ![f](https://example.com/x.png)\n"
        '[gone](missing.md) [g](other.md#not-a-heading) <img src="gone.png"> [h](#nowhere)\n'
        "`[in code](nowhere.md)`\n"
    )
    assert broken_links(page) == [
        f"missing.md: no file {tmp_path / 'missing.md'}",
        "other.md#not-a-heading: no heading or anchor #not-a-heading in other.md",
        "#nowhere: no heading or anchor #nowhere in page.md",
        f"gone.png: no file {tmp_path / 'gone.png'}",
    ]
