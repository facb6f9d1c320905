"""Write ``.env`` with a new random secret key, unless the checkout has one.

``flask`` reads ``FLASK_SECRET_KEY`` from ``.env``. The file is kept out of
git, so a fresh clone has none: this makes one, readable by its owner alone.
"""

import secrets
from pathlib import Path

ENV_FILE = Path(__file__).resolve().parent.parent / ".env"


def write_env(path=ENV_FILE):
    """Write a new ``.env`` at ``path`` and return True, or leave one there alone."""
    if path.exists():
        return False
    path.touch(mode=0o600)
    path.write_text(
        "# Local secrets for this checkout only; .gitignore keeps this file out of git.\n"
        f"FLASK_SECRET_KEY={secrets.token_hex(32)}\n"
    )
    return True


if __name__ == "__main__":
    if write_env():
        print(f"Wrote {ENV_FILE.name} with a new secret key.")
    else:
        print(f"Kept the existing {ENV_FILE.name}.")
