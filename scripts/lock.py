"""Compile the baked project's requirements.lock anew, from its pyproject.toml.

Run it after changing the baked project's dependencies:

    .venv/bin/python scripts/lock.py

It bakes the defaults into a temporary folder, runs pip-tools there as the
baked project's docs/production.md says, and writes the result back into the
template, with the project's name made a template variable again.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parent.parent
LOCK = TEMPLATE / "{{cookiecutter.project_slug}}" / "requirements.lock"
# pip's own settings from the environment would add local mirrors to the
# lock; like PIP_CONFIG_FILE=/dev/null, dropping them leaves only PyPI.
LOCAL_PIP_SETTINGS = {"PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL"}


def main():
    with tempfile.TemporaryDirectory() as folder:
        project = Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=folder))
        env = {k: v for k, v in os.environ.items() if k not in LOCAL_PIP_SETTINGS}
        subprocess.run(
            [
                Path(sys.executable).parent / "pip-compile",
                "--quiet",
                "--generate-hashes",
                "--strip-extras",
                "--extra",
                "postgres",
                "--extra",
                "production",
                "--output-file",
                "requirements.lock",
                "pyproject.toml",
            ],
            cwd=project,
            env={**env, "PIP_CONFIG_FILE": os.devnull},
            check=True,
        )
        lock = (project / "requirements.lock").read_text()
    slug = project.name
    LOCK.write_text(
        lock.replace(
            f"{slug} (pyproject.toml)",
            "{{ cookiecutter.project_slug }} (pyproject.toml)",
        )
    )
    print(f"wrote {LOCK.relative_to(TEMPLATE)}")


if __name__ == "__main__":
    main()
