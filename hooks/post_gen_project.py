"""Finish the new project: a secret key of its own, only the pages and licence asked for."""

import pathlib
import re
import runpy

TEACHING_PAGES = {{"True" if cookiecutter.teaching_pages else "False"}}
LICENCE = {{cookiecutter.open_source_license | tojson}}
PACKAGE = pathlib.Path("src", {{cookiecutter.package_name | tojson}})

# Files that only the teaching pages use: the session viewer, the tamper
# lab, the key rotation demo and the diagram of a request.
TEACHING_FILES = [
    PACKAGE / "lab.py",
    PACKAGE / "rotation.py",
    PACKAGE / "templates" / "session.html",
    PACKAGE / "templates" / "lab.html",
    PACKAGE / "static" / "session-viewer.mjs",
    pathlib.Path("tests", "test_lab.py"),
    pathlib.Path("tests", "test_rotation.py"),
    pathlib.Path("tests", "test_request_life.py"),
    pathlib.Path("docs", "request-life.md"),
]

# The app's Jinja templates and static files are copied without rendering,
# so the lines that only the teaching pages need sit between these markers
# there, and are cut here.
TEACHING_LINES = re.compile(
    r"^[ \t]*(?:<!--|/\*) teaching pages (?:-->|\*/)\n"
    r"(.*?)"
    r"^[ \t]*(?:<!--|/\*) end of teaching pages (?:-->|\*/)\n",
    re.M | re.S,
)
MARKED_FILES = [
    PACKAGE / "templates" / "base.html",
    PACKAGE / "templates" / "index.html",
    PACKAGE / "static" / "style.css",
]


def write_secret_key():
    # The same script a fresh clone runs for its own .env.
    runpy.run_path("tools/write_env.py")["write_env"]()


def keep_or_cut_teaching_pages():
    kept = r"\1" if TEACHING_PAGES else ""
    for path in MARKED_FILES:
        text = TEACHING_LINES.sub(kept, path.read_text())
        # A cut at the end of a file would leave the blank line before it.
        path.write_text(text.rstrip("\n") + "\n")
    if not TEACHING_PAGES:
        for path in TEACHING_FILES:
            path.unlink()


def keep_or_cut_licence():
    # LICENSE renders empty without a licence; no file says so more plainly.
    if LICENCE == "Not open source":
        pathlib.Path("LICENSE").unlink()


write_secret_key()
keep_or_cut_teaching_pages()
keep_or_cut_licence()
