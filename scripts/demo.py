"""Bake the template with its defaults and run the app on 127.0.0.1 with a demo user.

The baked project goes to build/demo/ and gets its own virtual environment,
exactly as its README says. The demo database starts empty on every run.
"""

import os
import secrets
import subprocess
import sys
import venv
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parent.parent
OUTPUT = TEMPLATE / "build" / "demo"
PORT = os.environ.get("PORT", "5000")
# The demo user's address: in debug, with no mail server, the app prints its
# mails, such as a password reset, to the terminal instead of sending them.
DEMO_EMAIL = "demo@example.com"


def main():
    project = Path(
        cookiecutter(
            str(TEMPLATE),
            no_input=True,
            output_dir=str(OUTPUT),
            overwrite_if_exists=True,
        )
    )
    bin_dir = project / ".venv" / "bin"
    if not bin_dir.exists():
        venv.create(project / ".venv", with_pip=True)
    subprocess.run(
        [bin_dir / "pip", "install", "-q", "-e", project], check=True, cwd=project
    )

    database = OUTPUT / "demo.sqlite"
    database.unlink(missing_ok=True)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    flask = [str(bin_dir / "flask")]
    password = secrets.token_urlsafe(12)
    subprocess.run([*flask, "init-db"], check=True, cwd=project, env=env)
    subprocess.run(
        [*flask, "create-user", "demo", "--password", password, "--email", DEMO_EMAIL],
        check=True,
        cwd=project,
        env=env,
    )
    print(
        f"\nOpen http://127.0.0.1:{PORT}/ and log in as demo / {password}"
        f"\nMails, such as a password reset for {DEMO_EMAIL}, are printed"
        " here.\nPress Ctrl+C to stop.\n",
        flush=True,
    )
    os.chdir(project)
    os.execve(
        flask[0],
        [*flask, "run", "--debug", "--host", "127.0.0.1", "--port", PORT],
        env,
    )


if __name__ == "__main__":
    sys.exit(main())
