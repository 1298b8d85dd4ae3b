"""The reader's edition: every chapter as a plain Jupyter notebook, written by the build.

The chapters are written in MyST: ``{glue:text}`` roles put computed numbers into the
prose, ``{prf:ref}``, ``{cite:t}`` and ``{doc}`` make references, and exercises and
theorems are directives. Only Jupyter Book renders these. Opened as they are in
JupyterLab, Binder or Colab, a chapter shows raw markup where its numbers should be.

So at the end of every HTML build this extension writes ``_build/readers/``, a copy of
each chapter that renders everywhere, made from the executed notebook and the built site:

- every glued value written into the text, formatted as the site formats it;
- cross-references, document links and citations as readable text ("Theorem 3.1",
  "Goh (2017)") that links to the page on the site (``html_baseurl``);
- theorems and proofs as bold-headed paragraphs; exercises as headed sections, each
  solution collapsed in a ``<details>`` block;
- code cells as in the source, without outputs; cells hidden on the site are collapsed;
  the install cell installs ``descent`` at the revision the edition was built from;
- the kernel's metadata as ipykernel reports it in the environment that builds, so that
  opening a chapter in that environment does not mark it modified (Binder's ``postBuild``
  writes its own image's report).

The page's download button gives the edition too.

A MyST construct this converter does not know stops the build with an error naming the
chapter: the edition never shows raw markup silently. Beside the chapters it writes what
Binder needs (``binder/``, its requirements pinned to the same revision) and a README:
CI publishes the folder as the ``readers`` branch, which the site's Binder and Colab
buttons open, and ``make lab`` opens a copy of it (``tools/lab_notebooks.py``).
"""

from __future__ import annotations

import html
import json
import os
import posixpath
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)

EDITION_DIR = "readers"
INSTALL_TAG = "descent-install"
HIDDEN_TAGS = {"remove-cell", "remove-input", "hide-input", "hide-cell"}

ROLE = re.compile(r"\{(?P<name>[A-Za-z][\w:+\-]*)\}`(?P<content>[^`]*)`")
DIRECTIVE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:+\-]+)\}[ \t]*(?P<arg>.*?)\s*$")
PLAIN_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?!.*`)")
OPTION = re.compile(r"^:(?P<key>[\w\-]+):\s*(?P<value>.*)$")
TARGET = re.compile(r"^\([\w\-:.]+\)=\s*$")
RELATIVE_LINK = re.compile(r"\]\((?!https?:|mailto:|#)(?P<path>[^)\s]+?)\.(?:md|ipynb)(?P<anchor>#[^)\s]*)?\)")
ADMONITIONS = {"note": "Note", "warning": "Warning", "tip": "Tip", "important": "Important",
               "caution": "Caution", "attention": "Attention", "hint": "Hint", "seealso": "See also"}


class EditionError(ExtensionError):
    """A chapter uses markup the reader's edition cannot render."""


# --------------------------------------------------------------------------- the site
@dataclass
class Site:
    """What the built HTML says about labels and citations, and where pages live."""

    base_url: str
    # label -> (page path relative to the site root, text of the element's title)
    anchors: dict[str, tuple[str, str]] = field(default_factory=dict)
    # label -> the text of a link to it somewhere on the site ("Theorem 3.1")
    link_text: dict[str, str] = field(default_factory=dict)
    # page -> the HTML of each of its citations, in document order
    citations: dict[str, list[str]] = field(default_factory=dict)
    # (page, id) -> the element's place on its page, to list works in the bibliography's order
    order: dict[tuple[str, str], int] = field(default_factory=dict)

    def position(self, url: str) -> tuple[str, int, str]:
        page, _, anchor = url[len(self.base_url):].partition("#")
        return page, self.order.get((page, anchor), 0), url

    def url(self, page: str, anchor: str = "") -> str:
        return f"{self.base_url}{page}" + (f"#{anchor}" if anchor else "")


_ELEMENT_ID = re.compile(r'<(?:div|section|span|p)\b[^>]*\bid="(?P<id>[^"]+)"[^>]*>')
_TITLE = re.compile(r'\s*<p class="admonition-title">(?P<title>.*?)</p>', re.S)
_LINK = re.compile(r'<a class="reference internal" href="(?P<page>[^"#]*)#(?P<anchor>[^"]+)"[^>]*>(?P<text>.*?)</a>', re.S)
_CITATION = re.compile(r'<span class="bibtex-citation" id="[^"]*">(?P<body>.*?)</span>', re.S)
_CITATION_LINK = re.compile(r'<a class="reference internal" href="(?P<href>[^"]*)" title="(?P<title>[^"]*)">(?P<text>.*?)</a>', re.S)


def _plain(fragment: str) -> str:
    """HTML fragment -> text, with <em> as Markdown emphasis."""
    fragment = re.sub(r"</?em>", "*", fragment)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def read_site(html_dir: Path, base_url: str) -> Site:
    site = Site(base_url=base_url)
    for path in sorted(html_dir.rglob("*.html")):
        page = path.relative_to(html_dir).as_posix()
        if page.startswith(("_static/", "_sources/", "_images/")):
            continue
        text = path.read_text(encoding="utf-8")
        for number, match in enumerate(_ELEMENT_ID.finditer(text)):
            site.order[(page, match["id"])] = number
            title = _TITLE.match(text, match.end())
            site.anchors.setdefault(match["id"], (page, _plain(title["title"]) if title else ""))
        for match in _LINK.finditer(text):
            if "bibliography" in match["page"] and match["anchor"].startswith("id"):
                continue
            site.link_text.setdefault(match["anchor"], _plain(match["text"]))
        site.citations[page] = [match["body"] for match in _CITATION.finditer(text)]
    return site


def citation_markdown(body: str, page: str, site: Site, works: dict[str, str] | None = None) -> str:
    """One rendered citation ("Goh [2017]", "[Xiao et al., 2017]") as Markdown links.

    Each work it cites is added to ``works`` (link -> full entry), when given.
    """
    links: list[str] = []

    def keep(match: re.Match) -> str:
        """The link as Markdown, kept aside (its text holds brackets) behind a placeholder."""
        href = match["href"]
        target = href if href.startswith("http") else site.url(_beside(page, href))
        # No "$" in a tooltip: Jupyter would take it for the start of math in the text.
        tooltip = html.unescape(match["title"]).replace('"', "'").replace("$", "")
        if works is not None:
            works.setdefault(target, html.unescape(match["title"]))
        links.append(f'[{_plain(match["text"])}]({target} "{tooltip}")')
        return f"\x00{len(links) - 1}\x00"

    text = _CITATION_LINK.sub(keep, body)
    text = html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"</?em>", "*", text)))
    # The site brackets years and citations ("Goh [2017]", "[Xiao et al., 2017]"); only its
    # brackets are left outside the links, and round ones read better around links.
    text = text.replace("[", "(").replace("]", ")")
    return re.sub("\x00(\\d+)\x00", lambda m: links[int(m[1])], text)


def _beside(path: str, target: str) -> str:
    """``target``, relative to ``path``'s folder, as a path from the site's root."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(path), target))


# ---------------------------------------------------------------------- the converter
@dataclass
class Chapter:
    """What converting one chapter needs."""

    docname: str                      # "book/gd-quadratic"
    glue: dict[str, dict]             # name -> mime bundle
    site: Site
    titles: dict[str, str]            # docname -> title
    citations: list[str] = field(default_factory=list)
    cited: int = 0
    works: dict[str, str] = field(default_factory=dict)  # link -> full entry, as cited

    @property
    def page(self) -> str:
        return self.docname + ".html"

    def error(self, message: str) -> EditionError:
        return EditionError(f"reader's edition of {self.docname}: {message}")


def convert_markdown(source: str, chapter: Chapter) -> str:
    """A MyST Markdown cell as plain Jupyter Markdown."""
    text = "\n".join(_convert_lines(source.split("\n"), chapter)).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", text)


def _convert_lines(lines: list[str], chapter: Chapter) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        directive = DIRECTIVE.match(line)
        if directive:
            end = _closing(lines, i + 1, directive["fence"])
            if end is None:
                raise chapter.error(f"the directive {{{directive['name']}}} is never closed")
            body = lines[i + 1:end]
            options: dict[str, str] = {}
            while body and OPTION.match(body[0]):
                option = OPTION.match(body[0])
                options[option["key"]] = option["value"]
                body = body[1:]
            out.extend(_directive(directive["name"], directive["arg"], options, body, chapter))
            i = end + 1
            continue
        plain = PLAIN_FENCE.match(line)
        if plain:  # A code block: copied as it is, roles and all.
            end = _closing(lines, i + 1, plain["fence"])
            end = len(lines) - 1 if end is None else end
            out.extend(lines[i:end + 1])
            i = end + 1
            continue
        if TARGET.match(line):  # "(label)=" before a heading: the site's anchor, not text.
            i += 1
            continue
        out.append(_convert_inline(line, chapter))
        i += 1
    return out


def _closing(lines: list[str], start: int, fence: str) -> int | None:
    char, width = fence[0], len(fence)
    closer = re.compile(rf"^ {{0,3}}{re.escape(char)}{{{width},}}\s*$")
    for j in range(start, len(lines)):
        if closer.match(lines[j]):
            return j
    return None


def _convert_inline(line: str, chapter: Chapter) -> str:
    # Inline code spans keep their text; everything else has its roles rendered.
    pieces = re.split(r"(`[^`]*`)", line)
    out = []
    for piece in pieces:
        if piece.startswith("`") and piece.endswith("`") and len(piece) >= 2:
            # A role's content is a code span right after "{name}".
            role = re.search(r"\{([A-Za-z][\w:+\-]*)\}$", out[-1]) if out else None
            if role:
                out[-1] = out[-1][: role.start()]
                out.append(_role(role.group(1), piece[1:-1], chapter))
                continue
            out.append(piece)
            continue
        out.append(piece)
    text = "".join(out)
    return RELATIVE_LINK.sub(lambda m: _relative_link(m, chapter), text)


def _relative_link(match: re.Match, chapter: Chapter) -> str:
    page = _beside(chapter.docname, match["path"]) + ".html"
    anchor = (match["anchor"] or "")[1:]
    return f"]({chapter.site.url(page, anchor)})"


def _explicit(content: str) -> tuple[str | None, str]:
    """``text <target>`` -> (text, target); ``target`` -> (None, target)."""
    match = re.fullmatch(r"(?P<text>.*?)\s*<(?P<target>[^<>]+)>", content.strip(), re.S)
    if match:
        return match["text"], match["target"]
    return None, content.strip()


def _role(name: str, content: str, chapter: Chapter) -> str:
    site = chapter.site
    if name in ("glue", "glue:text", "glue:md"):
        return _glue_text(name, content, chapter)
    if name in ("prf:ref", "ref", "numref", "std:ref"):
        text, label = _explicit(content)
        if label not in site.anchors:
            raise chapter.error(f"{{{name}}}`{content}`: no element with id {label!r} on the site")
        page, _ = site.anchors[label]
        shown = text or site.link_text.get(label)
        if not shown:
            raise chapter.error(f"{{{name}}}`{content}`: the site has no link text for {label!r}")
        return f"[{shown}]({site.url(page, label)})"
    if name == "doc":
        text, target = _explicit(content)
        docname = target[1:] if target.startswith("/") else _beside(chapter.docname, target)
        docname = re.sub(r"\.(md|ipynb)$", "", docname)
        if docname not in chapter.titles:
            raise chapter.error(f"{{doc}}`{content}`: no document {docname!r}")
        return f"[{text or chapter.titles[docname]}]({site.url(docname + '.html')})"
    if name.startswith("cite"):
        if chapter.cited >= len(chapter.citations):
            raise chapter.error(f"{{{name}}}`{content}`: the site's page has fewer citations than the source")
        body = chapter.citations[chapter.cited]
        chapter.cited += 1
        return citation_markdown(body, chapter.page, site, chapter.works)
    if name == "math":
        return f"${content}$"
    if name in ("sub", "sup", "kbd"):
        return f"<{name}>{html.escape(content)}</{name}>"
    raise chapter.error(f"the role {{{name}}} has no plain-Markdown form here; add one to _ext/readers_edition.py")


def _glue_text(name: str, content: str, chapter: Chapter) -> str:
    from myst_nb.core.variables import format_plain_text

    key, _, fmt = content.partition(":")
    key = key.split("::")[-1]
    if key not in chapter.glue:
        raise chapter.error(f"{{{name}}}`{content}`: nothing was glued as {key!r}")
    data = chapter.glue[key]
    if name == "glue:md":
        return data["text/markdown"]
    return format_plain_text(data["text/plain"], fmt)


def _directive(name: str, arg: str, options: dict, body: list[str], chapter: Chapter) -> list[str]:
    inner = _convert_lines(body, chapter)
    while inner and not inner[0].strip():
        inner.pop(0)
    while inner and not inner[-1].strip():
        inner.pop()
    label = options.get("label")
    if name == "prf:proof":
        lines = _lead("*Proof.*", inner)
        if lines[-1].strip() and not lines[-1].lstrip().startswith(("$$", "```", "~~~", "<", "|")):
            return ["", *lines[:-1], f"{lines[-1]} ∎", ""]
        return ["", *lines, "", "∎", ""]
    if name.startswith("prf:"):
        kind = name.split(":", 1)[1].capitalize()
        head = _heading_text(label, chapter) or (f"{kind} ({arg})" if arg else kind)
        return ["", *_lead(f"**{head}.**", inner), ""]
    if name == "exercise":
        head = _heading_text(label, chapter) or "Exercise"
        return ["", f"### {head}", "", *inner, ""]
    if name == "solution":
        target = arg.strip()
        exercise = _heading_text(target, chapter) if target else None
        summary = f"Solution to {exercise}" if exercise else "Solution"
        return ["", "<details>", f"<summary>{html.escape(summary)}</summary>", "", *inner, "", "</details>", ""]
    if name == "admonition" or name in ADMONITIONS:
        title = _convert_inline(arg, chapter) if name == "admonition" else ADMONITIONS[name]
        return ["", *_lead(f"**{title}.**", inner), ""]
    if name == "math":
        return ["", "$$", *body, "$$", ""]
    raise chapter.error(f"the directive {{{name}}} has no plain-Markdown form here; add one to _ext/readers_edition.py")


def _heading_text(label: str | None, chapter: Chapter) -> str | None:
    if not label:
        return None
    if label not in chapter.site.anchors:
        raise chapter.error(f"no element with id {label!r} on the site")
    title = chapter.site.anchors[label][1]
    title = re.sub(r"\s+\(", " (", title).strip()
    return title or None


def _lead(lead: str, inner: list[str]) -> list[str]:
    """Put ``lead`` at the start of the first paragraph (or alone if that is display math)."""
    if inner and inner[0].strip() and not inner[0].lstrip().startswith(("$$", "#", "<", "|", "-", "*", "1.")):
        return [f"{lead} {inner[0]}", *inner[1:]]
    return [lead, "", *inner]


# ------------------------------------------------------------------------- notebooks
def kernel_language_info() -> dict:
    """What ipykernel, in the environment that builds the edition, reports of its language.

    JupyterLab writes the kernel's report into a notebook it opens; when the notebook
    already says the same, opening it changes nothing. ``make lab`` opens the edition in
    the environment that built it.
    """
    from ipykernel.ipkernel import IPythonKernel

    return json.loads(json.dumps(IPythonKernel.language_info))


def glued_values(executed_dir: Path, docname: str) -> dict[str, dict]:
    """What the chapter's kernel glued: name -> mime bundle (myst-nb's ``<chapter>.glue.json``)."""
    path = executed_dir / f"{docname}.glue.json"
    if not path.exists():
        return {}
    return {name: output["data"] for name, output in json.loads(path.read_text()).items()}


def edition_notebook(source: nbformat.NotebookNode, chapter: Chapter, *, revision: str,
                     pin: Callable[[str], str], banner: str) -> nbformat.NotebookNode:
    """The reader's edition of the chapter ``source``, its values in ``chapter.glue``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        # The source's, which tools/notebooks.py keeps as ipykernel reports it.
        "kernelspec": dict(source.metadata["kernelspec"]),
        "language_info": kernel_language_info(),
        "descent": {"edition": "reader", "source": chapter.docname + ".ipynb", "revision": revision},
    }
    for index, cell in enumerate(source.cells):
        if cell.cell_type == "markdown":
            new = nbformat.v4.new_markdown_cell(convert_markdown(cell.source, chapter))
        elif cell.cell_type == "code":
            tags = list(cell.metadata.get("tags", []))
            text = pin(cell.source) if INSTALL_TAG in tags else cell.source
            new = nbformat.v4.new_code_cell(text)
            if tags:
                new.metadata["tags"] = tags
            if HIDDEN_TAGS & set(tags):
                new.metadata["jupyter"] = {"source_hidden": True}
        else:
            new = nbformat.v4.new_raw_cell(cell.source)
        new["id"] = cell.get("id") or f"cell-{index}"
        nb.cells.append(new)
        if index == _title_cell(source):
            nb.cells.append(nbformat.v4.new_markdown_cell(banner))
            nb.cells[-1]["id"] = "readers-edition"
    if chapter.works:
        # The works the chapter cites, in full, so that the notebook stands on its own.
        entries = sorted(chapter.works.items(), key=lambda item: chapter.site.position(item[0]))
        cell = nbformat.v4.new_markdown_cell(
            "**Works cited in this chapter**\n\n" + "\n".join(
                f"- {entry} [↗]({link})" for link, entry in entries))
        cell["id"] = "works-cited"
        nb.cells.append(cell)
    if chapter.cited != len(chapter.citations):
        raise chapter.error(f"the source cites {chapter.cited} times, the site's page {len(chapter.citations)}")
    nbformat.validate(nb)
    return nb


def _title_cell(nb: nbformat.NotebookNode) -> int:
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and re.search(r"^# ", cell.source, re.M):
            return index
    return 0


def revision_of(root: Path) -> str:
    """The commit the edition is built from: CI's GITHUB_SHA, else git's HEAD."""
    if os.environ.get("GITHUB_SHA"):
        return os.environ["GITHUB_SHA"]
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


# ------------------------------------------------------------------------ the build
def write_edition(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    root = Path(app.srcdir)
    html_dir = Path(app.outdir)
    build_dir = html_dir.parent
    executed_dir = build_dir / "jupyter_execute"
    out = build_dir / EDITION_DIR
    base_url = app.config.html_baseurl.rstrip("/") + "/"
    repository = app.config.html_theme_options.get("repository_url", "").rstrip("/")
    branch = app.config.html_theme_options.get("repository_branch", "main")
    revision = revision_of(root) or branch
    site = read_site(html_dir, base_url)
    titles = {doc: app.env.titles[doc].astext() for doc in app.env.found_docs if doc in app.env.titles}

    def pin(source: str) -> str:
        pinned, count = re.subn(rf"(git\+{re.escape(repository)})@{re.escape(branch)}\"", rf'\1@{revision}"', source)
        if count != 1:
            raise EditionError(f"the install cell does not install from {repository}@{branch}:\n{source}")
        return pinned

    if out.exists():
        shutil.rmtree(out)
    (out / "book").mkdir(parents=True)
    chapters = []
    for docname in sorted(app.env.found_docs):
        if not app.env.doc2path(docname).endswith(".ipynb"):
            continue
        source = nbformat.read(app.env.doc2path(docname), as_version=4)
        if not (executed_dir / f"{docname}.ipynb").exists():
            raise EditionError(f"no executed notebook for {docname} in {executed_dir}")
        page = docname + ".html"
        chapter = Chapter(docname=docname, glue=glued_values(executed_dir, docname), site=site, titles=titles,
                          citations=site.citations.get(page, []))
        number = ".".join(map(str, app.env.toc_secnumbers.get(docname, {}).get("", ())))
        short = revision[:7]
        banner = (
            f"*This is the reader's edition of {'chapter ' + number + ' of ' if number else ''}"
            f"[Descent]({base_url}), written by the book's build from revision "
            f"[`{short}`]({repository}/tree/{revision}). The numbers in the text are the ones that "
            f"build computed; running the cells computes them again. The chapter on the web: "
            f"[{titles.get(docname, docname)}]({site.url(page)}).*"
        )
        nb = edition_notebook(source, chapter, revision=revision, pin=pin, banner=banner)
        nbformat.write(nb, out / f"{docname}.ipynb")
        # The page's download button gives the notebook in _sources/: the edition, which
        # renders anywhere, rather than the MyST source.
        download = html_dir / "_sources" / f"{docname}.ipynb"
        if download.exists():
            shutil.copyfile(out / f"{docname}.ipynb", download)
        chapters.append(docname)
    # The files chapters read beside them (book/data: the race's grid), where they look.
    data = root / "book" / "data"
    if data.is_dir():
        shutil.copytree(data, out / "book" / "data")
    _write_binder(root, out, repository, revision)
    (out / "README.md").write_text(_readme(base_url, repository, revision, chapters))
    LOGGER.info(f"reader's edition: {len(chapters)} chapters in {out}")


def _write_binder(root: Path, out: Path, repository: str, revision: str) -> None:
    """Binder's folder, its requirements pinned to ``descent`` at ``revision``."""
    binder = root / "binder"
    if not binder.is_dir():
        return
    shutil.copytree(binder, out / "binder")
    requirements = out / "binder" / "requirements.txt"
    if requirements.exists():
        text = requirements.read_text().rstrip("\n")
        requirements.write_text(f"{text}\n# The book's package, at the revision this edition was built from.\n"
                                f"descent-book @ git+{repository}@{revision}\n")
    tools = out / "tools"
    tools.mkdir(exist_ok=True)
    for name in ("jupyterlab-overrides.json", "jupyter_server_config.py"):
        if (root / "tools" / name).exists():
            shutil.copy(root / "tools" / name, tools / name)


def _readme(base_url: str, repository: str, revision: str, chapters: list[str]) -> str:
    lines = [
        "# Descent: the reader's edition",
        "",
        f"The chapters of [Descent]({base_url}) as plain Jupyter notebooks, for JupyterLab, Binder "
        f"and Colab. They are written by the book's build from revision "
        f"[`{revision[:7]}`]({repository}/tree/{revision}); do not edit them here, edit the sources "
        f"in [the repository]({repository}).",
        "",
    ]
    lines += [f"- [{Path(doc).name}]({doc}.ipynb)" for doc in chapters]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ launch buttons
def launch_reader_edition(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Point the page's Binder and Colab buttons at the reader's edition of the chapter.

    sphinx-book-theme builds them from the repository's branch and the source path; the
    edition lives at the same path on the ``readers`` branch (CI publishes it there).
    """
    branch = app.config.descent_readers_branch
    source = app.config.html_theme_options.get("repository_branch", "main")

    def visit(buttons: list) -> None:
        for button in buttons:
            if isinstance(button, dict):
                visit(button.get("buttons", []))
                url = button.get("url", "")
                if button.get("text") == "Binder":
                    button["url"] = re.sub(rf"/{re.escape(source)}\?urlpath=", f"/{branch}?urlpath=", url)
                elif button.get("text") == "Colab":
                    button["url"] = url.replace(f"/blob/{source}/", f"/blob/{branch}/")
                if button.get("text") in ("Binder", "Colab"):
                    button["tooltip"] = f"Run the reader's edition on {button['text']}"

    visit(context.get("header_buttons", []))


def setup(app: Sphinx) -> dict:
    app.add_config_value("descent_readers_branch", "readers", "html")
    app.connect("build-finished", write_edition)
    # After sphinx-book-theme (priority 500) has made the launch buttons.
    app.connect("html-page-context", launch_reader_edition, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
