"""The built site: every chapter is there, executed, with launch buttons and no CDN."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from conftest import glued_on_page

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
pytestmark = pytest.mark.book


def toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [chapter["file"] for chapter in part["chapters"]]
    return pages


def chapter_notebooks() -> list[str]:
    return [page for page in toc_pages() if (ROOT / f"{page}.ipynb").exists()]


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.sources = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if tag == "link" and attrs.get("rel") == "canonical":
            return  # The page's published address (html_baseurl): nothing is loaded from it.
        for key in ("src",) if tag in ("script", "img", "iframe") else ("href",) if tag == "link" else ():
            if attrs.get(key):
                self.sources.append(attrs[key])


def parse(path: Path) -> Links:
    links = Links()
    links.feed(path.read_text())
    return links


@pytest.mark.parametrize("page", toc_pages())
def test_every_toc_page_is_built(built_book, page):
    assert (built_book / f"{page}.html").is_file()


@pytest.mark.parametrize("page", chapter_notebooks())
def test_launch_buttons_point_at_this_chapter(built_book, page):
    """Binder and Colab open the chapter's reader's edition, on the branch CI publishes it to."""
    org_repo = urlparse(CONFIG["repository"]["url"]).path.strip("/")
    branch = CONFIG["sphinx"]["config"]["descent_readers_branch"]
    hrefs = parse(built_book / f"{page}.html").hrefs
    binder = f"https://mybinder.org/v2/gh/{org_repo}/{branch}?urlpath=lab/tree/{page}.ipynb"
    colab = f"https://colab.research.google.com/github/{org_repo}/blob/{branch}/{page}.ipynb"
    assert binder in hrefs, [h for h in hrefs if "binder" in h]
    assert colab in hrefs, [h for h in hrefs if "colab" in h]


@pytest.mark.parametrize("page", chapter_notebooks())
def test_chapters_were_executed_and_the_install_cell_is_hidden(built_book, page):
    html = (built_book / f"{page}.html").read_text()
    assert "cell_output" in html, "no cell output on the page: was the notebook executed?"
    assert "find_spec" not in html, "the Colab install cell shows on the static page"
    assert "Traceback" not in html


def test_no_page_loads_anything_from_another_host(built_book):
    offenders = {}
    for path in built_book.rglob("*.html"):
        external = [s for s in parse(path).sources if urlparse(s).scheme in ("http", "https") or s.startswith("//")]
        if external:
            offenders[str(path.relative_to(built_book))] = external
    assert offenders == {}


def test_mathjax_is_served_by_the_site(built_book):
    html = (built_book / "book" / "first-descent.html").read_text()
    match = re.search(r'<script[^>]+src="([^"]*mathjax[^"]*)"', html)
    assert match, "no MathJax script on a page with equations"
    assert not match.group(1).startswith("http"), match.group(1)
    assert (built_book / "book" / match.group(1).split("?")[0]).resolve().is_file()
    assert (built_book / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()


def test_glued_numbers_reach_the_prose(built_book):
    text = re.sub(r"<[^>]+>", "", (built_book / "book" / "first-descent.html").read_text())
    assert "60,000" in text and "10,000" in text  # glued from len(train.labels), len(test.labels)
    assert glued_on_page(built_book, "first-descent")[:2] == ["4", "0.5"]  # λ and 2/λ


def test_bibliography_lists_the_classics(built_book):
    text = (built_book / "book" / "bibliography.html").read_text()
    for author in ("Kingma", "Reddi", "Dozat", "Zeiler", "Duchi", "Tieleman", "Nesterov",
                   "Polyak", "Goodfellow", "Goh", "Dauphin", "Choromanska"):
        assert author in text, author
