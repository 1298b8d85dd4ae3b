"""Serve the book's scripts from the site itself, so pages work with no network.

Sphinx loads MathJax 3 from a CDN by default. A reader offline, or behind a firewall
that blocks the CDN, then sees raw LaTeX. This extension copies MathJax's ``es5`` folder
from the ``django-static-mathjax`` wheel (MathJax 3.2.2 as plain static files) into
``_static/mathjax/`` and points ``mathjax_path`` at it.

Jupyter Book also always loads sphinx-thebe, whose page scripts point at a CDN and, as
loaded by Jupyter Book 1, are declared twice on every page (a console error). Thebe is
off in this book (it is broken with ipywidgets 8; readers launch Binder or Colab
instead), so those scripts are dropped from the pages.

Finally, nbclient records the state of every widget a notebook displayed, and myst-nb
inlines it in the page as a ``application/vnd.jupyter.widget-state+json`` script. No
widget manager reads it here (the book loads none from a CDN; each explorer shows its
kernel-free scrubber instead), so it is only weight: every frame the widgets ever showed.
It is dropped too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

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


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", _use_local_mathjax)
    app.connect("html-page-context", _drop_unused_scripts)
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
