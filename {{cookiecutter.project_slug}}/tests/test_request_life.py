"""The diagram of a request's life parses and names functions that exist."""

import importlib
import re
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
DIAGRAM_PAGE = PROJECT / "docs" / "request-life.md"
MERMAID_BLOCK = re.compile(r"^```mermaid\n(.*?)^```$", re.M | re.S)
# A function as the diagram writes it: a dotted path, then "()".
FUNCTION = re.compile(r"\b([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)\(\)")
# Named by their own module; every other first part is a module of this package.
LIBRARIES = {"flask", "flask_wtf"}
PACKAGE = "{{ cookiecutter.package_name }}"


def diagram():
    blocks = MERMAID_BLOCK.findall(DIAGRAM_PAGE.read_text())
    assert len(blocks) == 1, "one Mermaid block"
    return blocks[0]


def resolve(path):
    """The object a dotted path in the diagram names."""
    first, *rest = path.split(".")
    module = first if first in LIBRARIES else f"{PACKAGE}.{first}"
    target = importlib.import_module(module)
    for name in rest:
        target = getattr(target, name)
    return target


def test_the_diagram_has_no_semicolon():
    # Mermaid ends a statement at a semicolon, so one in a message's text
    # leaves the rest of that line to be parsed as a broken statement.
    assert ";" not in diagram()


@pytest.mark.parametrize("path", sorted(set(FUNCTION.findall(diagram()))))
def test_every_function_the_diagram_names_exists(path):
    assert callable(resolve(path))
