"""tools/write_env.py: a fresh clone gets a secret key; an existing .env is kept."""

import runpy
import stat
from pathlib import Path

TOOL = Path(__file__).resolve().parent.parent / "tools" / "write_env.py"
write_env = runpy.run_path(str(TOOL))["write_env"]


def test_a_fresh_clone_gets_a_new_key_that_only_its_owner_reads(tmp_path):
    path = tmp_path / ".env"

    assert write_env(path)

    (setting,) = [line for line in path.read_text().splitlines() if line[:1] != "#"]
    name, key = setting.split("=")
    assert name == "FLASK_SECRET_KEY"
    assert len(bytes.fromhex(key)) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_existing_env_is_kept(tmp_path):
    path = tmp_path / ".env"
    path.write_text("FLASK_SECRET_KEY=the key this checkout already has\n")

    assert not write_env(path)
    assert path.read_text() == "FLASK_SECRET_KEY=the key this checkout already has\n"
