"""Refuse names that would bake a project that cannot be installed or imported.

The answers arrive through ``tojson``, so this file holds them as string
literals: whatever a user typed is data here, never code.
"""

import keyword
import re
import sys

PROJECT_SLUG = {{cookiecutter.project_slug | tojson}}
PACKAGE_NAME = {{cookiecutter.package_name | tojson}}
AUTHOR_EMAIL = {{cookiecutter.author_email | tojson}}

# The baked code stays formatted with names up to this long; a test bakes one.
MAX_PACKAGE_NAME_LENGTH = 40

# Importing one of these by the package's name would find ours instead.
TAKEN_NAMES = {
    "alembic",
    "click",
    "dotenv",
    "flask",
    "flask_migrate",
    "flask_sqlalchemy",
    "flask_wtf",
    "itsdangerous",
    "jinja2",
    "markupsafe",
    "psycopg",
    "pytest",
    "sqlalchemy",
    "werkzeug",
    "wtforms",
    "tests",
}


def problem_with_package(name):
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        return "must be lowercase ASCII letters, digits and underscores, not starting with a digit"
    if len(name) > MAX_PACKAGE_NAME_LENGTH:
        return (
            f"is longer than {MAX_PACKAGE_NAME_LENGTH} characters; pick a shorter one"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return "is a Python keyword"
    if name in sys.stdlib_module_names:
        return "would shadow the standard library module of that name"
    if name in TAKEN_NAMES:
        return "would shadow a package the project depends on"
    return None


def problem_with_slug(slug):
    if not re.fullmatch(r"[a-z0-9]([a-z0-9._-]*[a-z0-9])?", slug):
        return "must be lowercase ASCII letters, digits, '.', '_' and '-', starting and ending with a letter or digit"
    if re.sub(r"[-_.]+", "_", slug) in TAKEN_NAMES:
        return "is the name of a package the project depends on"
    return None


def main():
    problems = []
    if problem := problem_with_slug(PROJECT_SLUG):
        problems.append(f"project_slug {PROJECT_SLUG!r} {problem}")
    if problem := problem_with_package(PACKAGE_NAME):
        problems.append(f"package_name {PACKAGE_NAME!r} {problem}")
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", AUTHOR_EMAIL):
        problems.append(f"author_email {AUTHOR_EMAIL!r} is not an email address")
    if problems:
        print("ERROR: " + "; ".join(problems) + ".", file=sys.stderr)
        sys.exit(1)


main()
