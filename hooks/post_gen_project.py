"""Finish the new project: a secret key of its own, only the pages and licence asked for."""

import pathlib
import runpy
import shutil

TEACHING_PAGES = {{"True" if cookiecutter.teaching_pages else "False"}}
PACKAGE_NAME = {{cookiecutter.package_name | tojson}}
# The folders the teaching pages own, and that nothing else refers to.
TEACHING_PAGES_PATHS = {{cookiecutter._teaching_pages_paths | tojson}}
LICENCE = {{cookiecutter.open_source_license | tojson}}


def write_secret_key():
    # The same script a fresh clone runs for its own .env.
    runpy.run_path("tools/write_env.py")["write_env"]()


def remove_teaching_pages():
    for path in TEACHING_PAGES_PATHS:
        shutil.rmtree(pathlib.Path(path.format(package_name=PACKAGE_NAME)))


def remove_licence():
    # LICENSE renders empty without a licence; no file says so more plainly.
    pathlib.Path("LICENSE").unlink()


write_secret_key()
if not TEACHING_PAGES:
    remove_teaching_pages()
if LICENCE == "Not open source":
    remove_licence()
