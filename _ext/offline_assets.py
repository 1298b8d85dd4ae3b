"""Serve the book's scripts from the site itself, so pages work with no network.

Sphinx loads MathJax 3 from a CDN by default. A reader offline, or behind a firewall
that blocks the CDN, then sees raw LaTeX. This extension copies MathJax's ``es5`` folder
from the ``django-static-mathjax`` wheel (MathJax 3.2.2 as plain static files) into
``_static/mathjax/`` and points ``mathjax_path`` at it.

Jupyter Book also always loads sphinx-thebe, whose page scripts point at a CDN and, as
loaded by Jupyter Book 1, are declared twice on every page (a console error). Thebe is
off in this book (it is broken with ipywidgets 8; readers launch Binder or Colab
instead), so those scripts are dropped from the pages.

The explorers (:mod:`descent.explorers`) are drawn on the page by the package's own ES
module, :func:`descent.explorers.module_source`: it is written to
``_static/descent-explorer.js``, and every page holding an explorer (a
``div.descent-explorer``, the ``text/html`` of its display) loads it as
``<script type="module">``; the module mounts each explorer and computes its runs in the
browser. No CDN, no widget manager.

Finally, nbclient records the state of every widget a notebook displayed, and myst-nb
inlines it in the page as a ``application/vnd.jupyter.widget-state+json`` script. No
widget manager reads it here (the book loads none; each explorer's static div carries
what it needs), so it is only weight: an explorer's state holds the whole JS module and
its last result. It is dropped too.

It also serves what the book adds to the theme, and fixes what a reader meets on the page:

- ``static/descent.css`` and ``descent.js``: images keep their aspect ratio at every
  width; long equations scroll sideways on a phone instead of being clipped; long inline
  code wraps.
- Figures shown by :func:`descent.figures.show` arrive as HTML with their PNGs inline
  (so that they work in Jupyter too); on the site each PNG is written to ``_images/`` and
  linked, so pages stay light and images are cached.
- Any other image of a cell's output loses the fixed height its metadata gives it.
- The bibliography's entries show author–year labels, as the text cites them, and ``$…$``
  in an entry (a title with math) is typeset, with MathJax loaded on that page.
"""

from __future__ import annotations

import base64
import hashlib
import posixpath
import re
import shutil
from collections import Counter
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

STATIC = Path(__file__).with_name("static")

MATHJAX_ENTRY = "tex-mml-chtml.js"
# The other single-file bundles in es5/ are alternatives to the entry point; the pages
# never load them, so the site does not carry them (about 15 MB).
_UNUSED_BUNDLES = ("*-full*.js", "tex-svg.js", "tex-mml-svg.js", "mml-*.js", "tex-chtml.js",
                   "node-main.js", "latest.js")


def mathjax_source() -> Path:
    """The ``es5`` folder of the installed MathJax package."""
    try:
        import mathjax  # provided by django-static-mathjax
    except ImportError as error:
        raise ExtensionError(
            "offline MathJax: the package 'django-static-mathjax' is not installed; "
            "run `make book` (or `pip install -r requirements.txt`) to install it"
        ) from error
    es5 = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    if not (es5 / MATHJAX_ENTRY).is_file():
        raise ExtensionError(f"offline MathJax: {es5 / MATHJAX_ENTRY} is missing; reinstall django-static-mathjax")
    return es5


def _use_local_mathjax(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    mathjax_source()  # fail early, before any page is written, if it is missing
    # A relative mathjax_path is relative to _static/ (Sphinx documents this).
    app.config.mathjax_path = f"mathjax/{MATHJAX_ENTRY}"


def _copy_mathjax(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(mathjax_source(), target, ignore=shutil.ignore_patterns(*_UNUSED_BUNDLES))


WIDGET_STATE_MIMETYPE = "application/vnd.jupyter.widget-state+json"


def _is_unused_script(script) -> bool:
    """A sphinx-thebe script, or the inlined state of widgets that no manager reads."""
    filename = getattr(script, "filename", None) or ""
    attributes = getattr(script, "attributes", {})
    body = attributes.get("body", "")
    return ("sphinx-thebe" in filename or "THEBE_JS_URL" in body
            or attributes.get("type") == WIDGET_STATE_MIMETYPE)


def _drop_unused_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if "script_files" in context:
        context["script_files"] = [s for s in context["script_files"] if not _is_unused_script(s)]


# ---------------------------------------------------------------------------------------
# Explorers: one ES module for the whole site, loaded by the pages that show one.

EXPLORER_MODULE = "descent-explorer.js"  # In _static/.
_EXPLORER_DIV = re.compile(r'<div\b[^>]*\bclass="(?:[^"]*\s)?descent-explorer(?:\s[^"]*)?"')


def _write_explorer_module(app: Sphinx, exception: Exception | None = None) -> None:
    """``_static/descent-explorer.js``: compute.js and render.js of descent.explorers, as one module.

    Written when the build starts, so that each page's ``?v=`` checksum is that of this
    build's module, and again when it ends, after Sphinx has copied the static files.
    """
    if exception is not None or app.builder.format != "html":
        return
    from descent.explorers import module_source

    target = Path(app.outdir) / "_static" / EXPLORER_MODULE
    target.parent.mkdir(parents=True, exist_ok=True)
    source = module_source()
    if not target.is_file() or target.read_text(encoding="utf-8") != source:
        target.write_text(source, encoding="utf-8")


def _load_explorer_module(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """A page showing an explorer loads the module (a relative URL, as every asset)."""
    if "script_files" not in context or not _EXPLORER_DIV.search(context.get("body", "")):
        return
    from sphinx.builders.html._assets import _JavaScript

    module = _JavaScript(posixpath.join("_static", EXPLORER_MODULE), type="module")
    if module not in context["script_files"]:
        context["script_files"] = [*context["script_files"], module]


# ---------------------------------------------------------------------------------------
# Figures: inline PNGs of descent.figures.show become files; no image has a fixed height.

_DATA_PNG = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def _images_to_files(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if app.builder.format != "html":
        return
    images = Path(app.outdir) / "_images"
    page_dir = posixpath.dirname(app.builder.get_target_uri(docname))

    def to_file(match: re.Match) -> str:
        png = base64.b64decode(match.group(1))
        name = hashlib.sha256(png).hexdigest()[:32] + ".png"
        images.mkdir(parents=True, exist_ok=True)
        if not (images / name).exists():
            (images / name).write_bytes(png)
        return f'src="{posixpath.relpath("_images/" + name, page_dir or ".")}"'

    for raw in list(doctree.findall(nodes.raw)):
        if "html" in raw.get("format", "").split() and "data:image/png;base64," in raw.astext():
            raw.replace_self(nodes.raw("", _DATA_PNG.sub(to_file, raw.astext()), format="html"))
    for image in doctree.findall(nodes.image):
        image.attributes.pop("height", None)


# ---------------------------------------------------------------------------------------
# The bibliography: author–year labels, and math in titles.


def _author_year_style():
    """A pybtex style like ``plain`` whose labels read "Kingma & Ba, 2015"."""
    from pybtex.style.formatting.plain import Style as Plain
    from pybtex.style.labels import BaseLabelStyle

    class AuthorYearLabels(BaseLabelStyle):
        def format_label(self, entry) -> str:
            people = entry.persons.get("author") or entry.persons.get("editor") or []
            names = ["".join(p.last_names).replace("{", "").replace("}", "") for p in people]
            if not names:
                who = entry.fields.get("key", entry.key)
            elif len(names) == 1:
                who = names[0]
            elif len(names) == 2:
                who = f"{names[0]} & {names[1]}"
            else:
                who = f"{names[0]} et al."
            return f"{who}, {entry.fields.get('year', 'n.d.')}"

        def format_labels(self, sorted_entries):
            labels = [self.format_label(entry) for entry in sorted_entries]
            count, seen = Counter(labels), Counter()
            for label in labels:  # Two works of one author and year: 2017a, 2017b.
                if count[label] == 1:
                    yield label
                else:
                    yield label + chr(ord("a") + seen[label])
                    seen[label] += 1

    class AuthorYear(Plain):
        default_label_style = AuthorYearLabels

    return AuthorYear


_INLINE_MATH = re.compile(r"\$([^$]+)\$")


def _typeset_citation_math(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """``$O(1/k^2)$`` in an entry becomes a math node: MathJax typesets it and is loaded."""
    typeset = False
    for citation in list(doctree.findall(nodes.citation)):
        for text in list(citation.findall(nodes.Text)):
            source = str(text)
            if "$" not in source:
                continue
            pieces: list[nodes.Node] = []
            last = 0
            for match in _INLINE_MATH.finditer(source):
                pieces.append(nodes.Text(source[last:match.start()]))
                pieces.append(nodes.math(match.group(1), match.group(1)))
                last = match.end()
            pieces.append(nodes.Text(source[last:]))
            text.parent.replace(text, pieces)
            typeset = True
    if typeset:  # Sphinx loads MathJax on the pages its math domain says have equations.
        app.env.get_domain("math").data["has_equations"][docname] = True


def _register_static(app: Sphinx) -> None:
    app.config.html_static_path.append(str(STATIC))


def setup(app: Sphinx) -> dict:
    from pybtex.plugin import register_plugin

    register_plugin("pybtex.style.formatting", "descent_author_year", _author_year_style())
    app.connect("builder-inited", _use_local_mathjax)
    app.connect("builder-inited", _register_static)
    app.add_css_file("descent.css")
    app.add_js_file("descent.js")
    app.connect("doctree-resolved", _images_to_files)
    app.connect("doctree-resolved", _typeset_citation_math)
    app.connect("html-page-context", _drop_unused_scripts)
    app.connect("html-page-context", _load_explorer_module)
    app.connect("builder-inited", _write_explorer_module)
    app.connect("build-finished", _write_explorer_module)
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
