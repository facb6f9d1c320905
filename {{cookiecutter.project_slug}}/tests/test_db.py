"""The database: its URL, its migrations, and the init-db and create-user commands."""

import os
import stat

import pytest
import sqlalchemy as sa

import helpers
from {{ cookiecutter.package_name }} import create_app, users
from {{ cookiecutter.package_name }}.db import db


@pytest.fixture
def database_url(each_database_url):
    """These tests run on SQLite and on PostgreSQL."""
    return each_database_url


def tables(app):
    with app.app_context():
        return set(sa.inspect(db.engine).get_table_names())


def test_init_db_keeps_existing_users(runner, app):
    result = runner.invoke(args=["init-db"])

    assert result.exit_code == 0, result.output
    assert "is up to date" in result.output
    with app.app_context():
        assert users.get_user_by_name("test") is not None


def test_every_migration_downgrades_and_upgrades_again(runner, app):
    down = runner.invoke(args=["db", "downgrade", "base"])
    emptied = tables(app)
    up = runner.invoke(args=["db", "upgrade"])

    assert down.exit_code == 0, down.output
    assert up.exit_code == 0, up.output
    assert emptied <= {"alembic_version"}
    assert {"users", "login_attempts"} <= tables(app)


def test_the_models_and_the_migrations_agree(runner):
    result = runner.invoke(args=["db", "check"])

    assert result.exit_code == 0, result.output


def test_a_change_to_the_models_is_caught_by_db_check(runner, app):
    with app.app_context():
        db.session.execute(sa.text("ALTER TABLE users ADD COLUMN nickname TEXT"))
        db.session.commit()

    result = runner.invoke(args=["db", "check"])

    assert result.exit_code != 0


def test_create_user_with_password_option(runner, app):
    result = runner.invoke(args=["create-user", "alice", "--password", "long enough"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        assert users.get_user_by_name("alice") is not None


def test_create_user_prompts_for_the_password_twice(runner, app):
    result = runner.invoke(args=["create-user", "bob"], input="long enough\n" * 2)

    assert result.exit_code == 0, result.output
    assert "Repeat for confirmation" in result.output
    with app.app_context():
        assert users.get_user_by_name("bob") is not None


def test_create_user_refuses_a_taken_name(runner):
    result = runner.invoke(args=["create-user", "test", "--password", "long enough"])

    assert result.exit_code == 1
    assert "already taken" in result.output


def test_create_user_refuses_a_short_password(runner, app):
    result = runner.invoke(args=["create-user", "carol", "--password", "short"])

    assert result.exit_code == 2
    assert "at least 8 characters" in result.output
    with app.app_context():
        assert users.get_user_by_name("carol") is None


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("a b", "letters, digits"),
        ("alice\n", "letters, digits"),
        ("x" * 65, "at most 64 characters"),
        ("al\u200bice", "Invisible characters"),
    ],
)
def test_create_user_refuses_a_name_the_form_would_refuse(
    runner, app, username, message
):
    result = runner.invoke(args=["create-user", username, "--password", "long enough"])

    assert result.exit_code == 2
    assert message in result.output
    with app.app_context():
        assert users.get_user_by_name(username) is None


def test_create_user_refuses_a_look_alike_of_a_taken_name(runner):
    result = runner.invoke(
        args=["create-user", "ＴＥＳＴ", "--password", "long enough"]
    )

    assert result.exit_code == 1
    assert "already taken" in result.output


@pytest.mark.parametrize("username", ["\u0430lice", "\u03b1dmin", "\u4e2d\u0438"])
def test_create_user_refuses_a_name_that_mixes_scripts(runner, app, username):
    result = runner.invoke(args=["create-user", username, "--password", "long enough"])

    assert result.exit_code == 2
    assert "letters of one script" in result.output
    with app.app_context():
        assert users.get_user_by_name(username) is None


def test_create_user_accepts_a_name_in_one_writing_system(runner, app):
    name = "\u5c71\u7530\u305f\u308d\u3046"

    result = runner.invoke(args=["create-user", name, "--password", "long enough"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        assert users.get_user_by_name(name) is not None


@pytest.mark.parametrize(
    "look_alike",
    ["\u0422\u0415\u0405\u0422", "0THER"],
    ids=["Cyrillic capitals for test", "a zero for other"],
)
def test_create_user_refuses_a_name_that_looks_like_a_taken_one(
    runner, app, look_alike
):
    result = runner.invoke(
        args=["create-user", look_alike, "--password", "long enough"]
    )

    assert result.exit_code == 1
    assert "looks too much like one that is taken" in result.output
    with app.app_context():
        assert users.get_user_by_name(look_alike) is None


def add_users_at(app, revision, rows):
    """Go back to the schema of ``revision``, and add ``rows`` there: dicts
    of the columns it has, by name."""
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "downgrade", revision]).exit_code == 0
    with app.app_context():
        users_table = sa.table("users", *map(sa.column, rows[0]))
        db.session.execute(users_table.insert(), rows)
        db.session.commit()
    return runner


def password1(app):
    with app.app_context():
        return users.hash_password("password1")


def add_users_at_revision_0001(app, names):
    """Go back to the schema before username keys, and add ``names`` there."""
    rows = [{"username": name, "password": "x"} for name in names]
    return add_users_at(app, "0001", rows)


def test_the_username_key_migration_normalises_existing_names(app):
    runner = add_users_at_revision_0001(app, ["Ｂｏｂ", "ﬁona"])

    result = runner.invoke(args=["db", "upgrade"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        assert users.get_user_by_name("bob").username == "Bob"
        assert users.get_user_by_name("FIONA").username == "fiona"


def test_the_username_key_migration_refuses_names_that_clash(app, caplog):
    runner = add_users_at_revision_0001(app, ["Carol", "ｃａｒｏｌ"])

    result = runner.invoke(args=["db", "upgrade"])

    assert result.exit_code != 0
    assert "'Carol', 'ｃａｒｏｌ'. Rename all but one" in caplog.text
    with app.app_context():
        revision = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
        assert revision == "0001"
        # As the message says; PostgreSQL's database is shared by later tests.
        db.session.execute(sa.text("DELETE FROM users WHERE username = 'Carol'"))
        db.session.commit()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0


def add_users_at_revision_0002(app, names):
    """Go back to the schema before username skeletons, and add ``names`` there,
    each with the password "password1"."""
    password = password1(app)
    rows = [
        {"username": name, "username_key": name.casefold(), "password": password}
        for name in names
    ]
    return add_users_at(app, "0002", rows)


def skeleton_column(app, username):
    with app.app_context():
        return db.session.scalar(
            sa.select(users.User.username_skeleton).where(
                users.User.username == username
            )
        )


def test_the_skeleton_migration_gives_each_name_its_skeleton(app):
    runner = add_users_at_revision_0002(app, ["\u0441\u043e\u0440", "Alice"])

    result = runner.invoke(args=["db", "upgrade"])

    assert result.exit_code == 0, result.output
    assert skeleton_column(app, "\u0441\u043e\u0440") == "cop"
    assert skeleton_column(app, "Alice") == "alice"


LOOK_ALIKES = ["\u0422\u0415\u0405\u0422", "c0p", "\u0441\u043e\u0440", "cop"]


def test_the_skeleton_migration_keeps_accounts_that_look_alike(app):
    runner = add_users_at_revision_0002(app, LOOK_ALIKES)

    result = runner.invoke(args=["db", "upgrade"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        for name in LOOK_ALIKES:
            assert users.authenticate(name, "password1").username == name
    # The oldest of each group holds the skeleton.
    assert skeleton_column(app, "test") == "test"
    assert skeleton_column(app, "c0p") == "cop"
    assert skeleton_column(app, "\u0422\u0415\u0405\u0422") is None
    assert skeleton_column(app, "cop") is None


def test_the_skeleton_migration_names_the_look_alikes_in_a_warning(app, caplog):
    runner = add_users_at_revision_0002(app, LOOK_ALIKES)

    runner.invoke(args=["db", "upgrade"])

    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1
    assert (
        "'\u0422\u0415\u0405\u0422' looks like 'test'; '\u0441\u043e\u0440' looks like"
        " 'c0p'; 'cop' looks like 'c0p'. Check that they are not impersonations"
    ) in warnings[0]


def test_after_the_skeleton_migration_no_new_name_looks_like_an_old_pair(app):
    runner = add_users_at_revision_0002(app, ["c0p", "cop"])
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0

    result = runner.invoke(
        args=["create-user", "\u04410\u0440", "--password", "long enough"]
    )

    assert result.exit_code == 1
    assert "looks too much like one that is taken" in result.output


def test_the_address_migration_keeps_the_accounts_without_an_address(app):
    runner = add_users_at_revision_0003(app, ["dora"])

    result = runner.invoke(args=["db", "upgrade"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        for name, password in [("test", helpers.TEST_PASSWORD), ("dora", "password1")]:
            user = users.authenticate(name, password)
            assert (user.email, user.pending_email) == (None, None)


def add_users_at_revision_0003(app, names):
    """Go back to the schema before addresses, and add ``names`` there, each
    with the password "password1"."""
    password = password1(app)
    rows = [
        {
            "username": name,
            "username_key": name,
            "username_skeleton": name,
            "password": password,
        }
        for name in names
    ]
    return add_users_at(app, "0003", rows)


def test_undoing_the_address_migration_keeps_the_accounts(app):
    with app.app_context():
        users.create_user("dora", "password1", email="dora@example.com")
    runner = app.test_cli_runner()

    result = runner.invoke(args=["db", "downgrade", "0003"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        names = db.session.scalars(sa.text("SELECT username FROM users"))
        assert sorted(names) == ["dora", "other", "test"]
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("users")}
        assert not columns & {"email", "email_key", "email_confirmed_at"}


def test_after_the_address_migration_no_id_is_given_out_again(app):
    runner = add_users_at_revision_0003(app, ["dora"])
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0

    with app.app_context():
        dora = users.get_user_by_name("dora").id
        users.delete_user(dora)
        assert users.create_user("erin", "password1") > dora


@pytest.fixture
def usual_umask():
    """The umask most systems give, under which SQLite creates files 0644."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def file_mode(path):
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(
    "spelling", ["absolute URL", "relative URL", "instance folder"]
)
def test_a_new_sqlite_file_is_for_its_owner_alone(
    tmp_path, monkeypatch, usual_umask, spelling
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FLASK_INSTANCE_PATH", str(tmp_path))
    settings = {"SECRET_KEY": helpers.TEST_SECRET_KEY, "TESTING": True}
    if spelling == "absolute URL":
        settings["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path}/app.sqlite"
    elif spelling == "relative URL":
        settings["SQLALCHEMY_DATABASE_URI"] = "sqlite:///app.sqlite"
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app(settings)

    result = app.test_cli_runner().invoke(args=["init-db"])

    try:
        assert result.exit_code == 0, result.output
        # While a connection is open: the write-ahead log and its index too.
        database = tmp_path / "app.sqlite"
        for path in (database, *database.parent.glob("app.sqlite-*")):
            assert file_mode(path) == 0o600, path
        assert len(list(tmp_path.glob("app.sqlite-*"))) == 2
    finally:
        with app.app_context():
            db.engine.dispose()


def test_an_existing_sqlite_file_keeps_its_mode(sqlite_url, usual_umask):
    path = sa.engine.make_url(sqlite_url).database
    os.chmod(path, 0o640)
    app = create_app(
        {
            "SECRET_KEY": helpers.TEST_SECRET_KEY,
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": sqlite_url,
        }
    )

    result = app.test_cli_runner().invoke(args=["init-db"])

    with app.app_context():
        db.engine.dispose()
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
