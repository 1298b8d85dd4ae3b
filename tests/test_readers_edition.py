"""The reader's edition: each chapter as a plain notebook, numbers and references written in.

The first tests convert small pieces of MyST and need no build. The others read the
edition the build wrote (``_build/readers/``) and hold it to the site: every glued value
the page shows is in the edition's text, in order; no MyST markup is left; every link
into the site reaches a page and an anchor that exist; exercises are headed sections with
their solutions collapsed; the install cell installs the revision that was built.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import glued_on_page

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
sys.path.insert(0, str(ROOT / "tools"))
import lab_notebooks  # noqa: E402 - tools/ is not a package
import notebooks  # noqa: E402
import readers_edition as edition  # noqa: E402 - _ext/ is not a package

BASE = "https://descent-book.github.io/descent/"
RAW_MARKUP = ("{glue", "{prf:", "{cite", "{doc}", "```{", ":::{")
CHAPTERS = sorted(p.stem for p in (ROOT / "book").glob("*.ipynb"))


# ------------------------------------------------------------------ the converter alone
def small_chapter(**overrides) -> edition.Chapter:
    site = edition.Site(base_url=BASE)
    site.anchors = {
        "thm-decouple": ("book/gd.html", "Theorem 3.1 (Gradient descent decouples)"),
        "ex-optimal": ("book/gd.html", "Exercise 3.1"),
        "sec-later": ("book/other.html", ""),
    }
    site.link_text = {"thm-decouple": "Theorem 3.1", "sec-later": "Later"}
    citations = [
        'Goh [<a class="reference internal" href="bibliography.html#id11" title="Gabriel Goh. '
        'Why momentum really works. Distill, 2017.">2017</a>]',
        '[<a class="reference internal" href="bibliography.html#id21" title="Han Xiao. Fashion-MNIST '
        '$x$.">Xiao <em>et al.</em>, 2017</a>]',
    ]
    values = dict(docname="book/gd", glue={"rate": {"text/plain": "0.123456"}, "word": {"text/plain": "'fast'"}},
                  site=site, titles={"book/gd": "Gradient descent", "book/other": "Other chapter",
                                     "book/bibliography": "Bibliography"},
                  citations=citations)
    values.update(overrides)
    return edition.Chapter(**values)


def test_roles_become_text_and_links_to_the_site():
    chapter = small_chapter()
    text = edition.convert_markdown(
        "The rate is {glue:text}`rate:.3f`, {glue:text}`word`; see {prf:ref}`thm-decouple`, "
        "{doc}`other`, {prf:ref}`that section <sec-later>`, {cite:t}`goh2017` and "
        "{cite:p}`xiao2017`; [the bibliography](bibliography.md).", chapter)
    assert text == (
        f"The rate is 0.123, fast; see [Theorem 3.1]({BASE}book/gd.html#thm-decouple), "
        f"[Other chapter]({BASE}book/other.html), [that section]({BASE}book/other.html#sec-later), "
        f'Goh ([2017]({BASE}book/bibliography.html#id11 "Gabriel Goh. Why momentum really works. '
        f'Distill, 2017.")) and ([Xiao *et al.*, 2017]({BASE}book/bibliography.html#id21 '
        f'"Han Xiao. Fashion-MNIST x.")); [the bibliography]({BASE}book/bibliography.html).')
    assert chapter.cited == 2


def test_code_keeps_its_markup():
    text = edition.convert_markdown(
        "Write `{glue:text}` in the source:\n\n```python\nx = '{prf:ref}`a`'\n```\n", small_chapter())
    assert text == "Write `{glue:text}` in the source:\n\n```python\nx = '{prf:ref}`a`'\n```"


def test_theorems_proofs_exercises_and_solutions():
    source = (
        "(sec-ex)=\n## Exercises\n\n"
        "```{prf:theorem} Gradient descent decouples\n:label: thm-decouple\n\nEach eigencomponent "
        "shrinks.\n```\n\n```{prf:proof}\nDiagonalize $Q$.\n```\n\n"
        "````{exercise}\n:label: ex-optimal\n\nFind $\\alpha^\\star$ to {glue:text}`rate:.2f`.\n````\n\n"
        "````{solution} ex-optimal\n:class: dropdown\n\nIt is $2/15$:\n\n```python\nprint(2 / 15)\n```\n````\n"
    )
    text = edition.convert_markdown(source, small_chapter())
    assert "(sec-ex)=" not in text
    assert "**Theorem 3.1 (Gradient descent decouples).** Each eigencomponent shrinks." in text
    assert "*Proof.* Diagonalize $Q$. ∎" in text
    assert "### Exercise 3.1\n\nFind $\\alpha^\\star$ to 0.12." in text
    assert ("<details>\n<summary>Solution to Exercise 3.1</summary>\n\nIt is $2/15$:\n\n"
            "```python\nprint(2 / 15)\n```\n\n</details>") in text
    assert not any(raw in text for raw in RAW_MARKUP)


@pytest.mark.parametrize("source, message", [
    ("{eq}`energy`", "the role {eq}"),
    ("```{figure} a.png\n```", "the directive {figure}"),
    ("````{exercise}\nnever closed", "never closed"),
    ("{glue:text}`missing`", "nothing was glued as 'missing'"),
    ("{prf:ref}`thm-nowhere`", "no element with id 'thm-nowhere'"),
    ("{cite:t}`a` {cite:t}`b` {cite:t}`c`", "fewer citations"),
])
def test_unknown_markup_stops_the_build(source, message):
    with pytest.raises(edition.EditionError, match=re.escape(message)):
        edition.convert_markdown(source, small_chapter())


def test_lab_copy_keeps_a_readers_changes(tmp_path):
    built, lab = tmp_path / "built", tmp_path / "lab"
    built.mkdir()
    (built / "a.ipynb").write_text("first edition a")
    (built / "b.ipynb").write_text("first edition b")
    assert lab_notebooks.sync(built, lab) == (["a.ipynb", "b.ipynb"], [])
    (lab / "a.ipynb").write_text("the reader's work")
    (built / "a.ipynb").write_text("second edition a")
    (built / "b.ipynb").write_text("second edition b")
    assert lab_notebooks.sync(built, lab) == (["b.ipynb"], ["a.ipynb"])
    assert (lab / "a.ipynb").read_text() == "the reader's work"
    assert (lab / "b.ipynb").read_text() == "second edition b"
    (lab / "a.ipynb").unlink()  # Deleting it brings the edition back.
    assert lab_notebooks.sync(built, lab) == (["a.ipynb", "b.ipynb"], [])
    assert (lab / "a.ipynb").read_text() == "second edition a"


# ------------------------------------------------------------- the edition the build wrote
@pytest.fixture(scope="module")
def readers(built_book: Path) -> Path:
    return built_book.parent / "readers"


def read_edition(readers: Path, chapter: str) -> nbformat.NotebookNode:
    path = readers / "book" / f"{chapter}.ipynb"
    assert path.exists(), f"the build wrote no reader's edition of {chapter}"
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    return nb


def markdown_of(nb) -> str:
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


@pytest.mark.book
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_edition_has_the_sites_numbers_and_no_markup(readers, built_book, chapter):
    nb = read_edition(readers, chapter)
    text = markdown_of(nb)
    for raw in RAW_MARKUP:
        assert raw not in text, f"{chapter}: raw {raw!r} in the reader's edition"
    assert not re.search(r"^\([\w\-:.]+\)=\s*$", text, re.M)
    # Every value the page shows, in the page's order, is in the edition's text.
    shown = glued_on_page(built_book, chapter)
    assert shown, f"{chapter} shows no glued value"
    position = 0
    for value in shown:
        found = text.find(value, position)
        assert found >= 0, f"{chapter}: the site's glued {value!r} is not in the edition after {text[position - 80:position]!r}"
        position = found + len(value)


@pytest.mark.book
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_edition_cells_match_the_source(readers, chapter):
    source = nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)
    nb = read_edition(readers, chapter)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.source for c in code[1:]] == [c.source for c in source.cells if c.cell_type == "code"][1:]
    assert all(not c.outputs and c.execution_count is None for c in code)
    for cell in code:
        hidden = bool({"remove-cell", "remove-input", "hide-input"} & set(cell.metadata.get("tags", [])))
        assert cell.metadata.get("jupyter", {}).get("source_hidden", False) == hidden
    exercises = sum(len(re.findall(r"^`{3,}\{exercise\}", c.source, re.M)) for c in source.cells)
    solutions = sum(len(re.findall(r"^`{3,}\{solution\}", c.source, re.M)) for c in source.cells)
    text = markdown_of(nb)
    assert len(re.findall(r"^### Exercise \d+\.\d+", text, re.M)) == exercises
    assert text.count("<details>") == text.count("</details>") == solutions
    assert len(re.findall(r"<summary>Solution to Exercise \d+\.\d+</summary>", text)) == solutions
    # The works cited, in full, end the notebook: one entry for each work the text links.
    cited = set(re.findall(rf"\]\(({re.escape(BASE)}book/bibliography\.html#[\w-]+) ", text))
    works = nb.cells[-1]
    assert works.source.startswith("**Works cited in this chapter**")
    listed = re.findall(r"\[↗\]\(([^)]+)\)", works.source)
    assert cited and set(listed) == cited and len(listed) == len(cited)
    bibliography = (readers.parent / "html" / "book" / "bibliography.html").read_text()
    places = [bibliography.index(f'id="{url.partition("#")[2]}"') for url in listed]
    assert places == sorted(places), "the works are not in the bibliography's order"
    assert nb.metadata["kernelspec"] == notebooks.KERNELSPEC
    assert nb.metadata["descent"]["source"] == f"book/{chapter}.ipynb"


@pytest.mark.book
def test_install_cell_installs_the_built_revision(readers):
    revision = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    for chapter in CHAPTERS:
        install = read_edition(readers, chapter).cells[0]
        assert "descent-install" in install.metadata["tags"]
        assert f'@{revision}"' in install.source, install.source
    requirements = readers / "binder" / "requirements.txt"
    if requirements.exists():
        assert f"descent-book @ git+https://github.com/descent-book/descent@{revision}" in requirements.read_text()


@pytest.mark.book
def test_edition_holds_the_data_the_chapters_read(readers):
    """book/data (the race's grid) goes with the chapters: Binder and `make lab` read it there."""
    source = ROOT / "book" / "data"
    files = sorted(p.relative_to(source) for p in source.rglob("*") if p.is_file())
    assert files, "book/data holds no file"
    for name in files:
        copy = readers / "book" / "data" / name
        assert copy.exists(), f"the reader's edition has no {copy.relative_to(readers)}"
        assert copy.read_bytes() == (source / name).read_bytes()


@pytest.mark.book
def test_every_link_into_the_site_exists(readers, built_book):
    ids: dict[str, set[str]] = {}
    links = 0
    for chapter in CHAPTERS:
        text = markdown_of(read_edition(readers, chapter))
        for url in re.findall(rf"\]\(({re.escape(BASE)}[^)\s]*)", text):
            links += 1
            page, _, anchor = url[len(BASE):].partition("#")
            target = built_book / (page or "index.html")
            assert target.is_file(), f"{chapter}: {url} is not a page of the site"
            if anchor:
                if page not in ids:
                    ids[page] = set(re.findall(r'\bid="([^"]+)"', target.read_text()))
                assert anchor in ids[page], f"{chapter}: {url} has no such anchor"
    assert links > 50


@pytest.mark.book
def test_download_button_gives_the_edition(readers, built_book):
    for chapter in CHAPTERS:
        download = built_book / "_sources" / "book" / f"{chapter}.ipynb"
        assert download.read_bytes() == (readers / "book" / f"{chapter}.ipynb").read_bytes()
    assert 'href="../_sources/book/gd-quadratic.ipynb"' in (built_book / "book" / "gd-quadratic.html").read_text()


@pytest.mark.book
def test_launch_buttons_open_the_readers_edition(built_book):
    page = (built_book / "book" / "gd-quadratic.html").read_text()
    assert "https://mybinder.org/v2/gh/descent-book/descent/readers?urlpath=lab/tree/book/gd-quadratic.ipynb" in page
    assert "https://colab.research.google.com/github/descent-book/descent/blob/readers/book/gd-quadratic.ipynb" in page
    assert "/descent/main?urlpath" not in page and "/blob/main/book/" not in page


def test_ci_publishes_the_edition_to_the_branch_the_buttons_open():
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    branch = config["sphinx"]["config"]["descent_readers_branch"]
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
    jobs = workflow["jobs"]
    uploads = [s for s in jobs["test"]["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    assert [s["with"]["path"] for s in uploads] == ["_build/readers"]
    job = jobs["readers"]
    assert job["needs"] == "test" and "refs/heads/main" in job["if"] and "push" in job["if"]
    assert job["permissions"] == {"contents": "write"}
    script = "\n".join(s.get("run", "") for s in job["steps"])
    assert f"git init -q -b {branch}" in script and script.rstrip().endswith(f" {branch}")
    assert "chmod +x binder/postBuild" in script


@pytest.mark.book
def test_binder_postbuild_records_the_images_kernel(readers, tmp_path):
    """On Binder the Python may differ from the build's: postBuild writes the image's kernel
    report into the chapters, so opening one does not mark it modified (a JupyterLab test
    shows that a differing version does)."""
    from ipykernel.ipkernel import IPythonKernel

    copy = tmp_path / "readers"
    shutil.copytree(readers, copy)
    path = copy / "book" / f"{CHAPTERS[0]}.ipynb"
    nb = json.loads(path.read_text())
    nb["metadata"]["language_info"]["version"] = "3.0.0"
    path.write_text(json.dumps(nb))
    prefix = tmp_path / "prefix"
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "NB_PYTHON_PREFIX": str(prefix)}
    subprocess.run(["bash", str(copy / "binder" / "postBuild")], check=True, env=env, cwd=tmp_path)
    for chapter in CHAPTERS:
        info = json.loads((copy / "book" / f"{chapter}.ipynb").read_text())["metadata"]["language_info"]
        assert info == json.loads(json.dumps(IPythonKernel.language_info))
    assert (prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.json").exists()
    assert (prefix / "etc" / "jupyter" / "jupyter_server_config.py").exists()
