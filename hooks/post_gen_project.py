"""Give the new project a secret key of its own, outside version control."""

import pathlib
import secrets

env_file = pathlib.Path(".env")
env_file.write_text(
    "# Local secrets for this checkout only; .gitignore keeps this file out of git.\n"
    f"FLASK_SECRET_KEY={secrets.token_hex(32)}\n"
)
env_file.chmod(0o600)
