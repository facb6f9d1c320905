"""Mail: what the app sends, where to, and what happens when it cannot.

The mails go to a real SMTP server (``mailboxes.py``) and are read back
as a mail program would; in debug without a server they go to the
terminal instead.
"""

import logging
import re
import subprocess
from collections.abc import Callable
from typing import NamedTuple

import pytest
from werkzeug.test import TestResponse

import helpers
import links
import mailboxes
import servers
from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.config import ConfigError

ADDRESS = "test@example.com"
NEW_ADDRESS = "alice@example.com"
# What nginx sends for a visitor of https://example.org.
THROUGH_THE_PROXY = {
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "example.org",
}
NO_MAIL_SERVER = "MAIL_SERVER is not set, so the app could not send"


@pytest.fixture
def address(app):
    """The test user's confirmed address, where its reset links go."""
    links.give_address(app, "test", ADDRESS)
    return ADDRESS


@pytest.fixture
def closed_port():
    """A port on which no mail server listens: a server that is down."""
    return servers.free_port()


def register(client, **kwargs):
    return links.register(client, "alice", NEW_ADDRESS, **kwargs)


def ask_for_reset(client, **kwargs):
    return links.ask_for_reset(client, ADDRESS, **kwargs)


class Sent(NamedTuple):
    send: Callable[..., TestResponse]  # (client) -> the response of the form
    to: str
    subject: str


SENT = [
    pytest.param(
        Sent(register, NEW_ADDRESS, "Confirm your address"), id="confirmation"
    ),
    pytest.param(Sent(ask_for_reset, ADDRESS, "Reset your password"), id="reset"),
]


@pytest.mark.parametrize("sent", SENT)
def test_in_debug_without_a_mail_server_mails_go_to_the_terminal(
    build_app, mailbox, address, capsys, sent
):
    app = build_app(DEBUG=True, TESTING=False, MAIL_SERVER=None)
    client = app.test_client()

    sent.send(client)

    printed = capsys.readouterr().err
    assert f"Mail to {sent.to} " in printed
    assert f"Subject: {app.config['PROJECT_NAME']}: {sent.subject}" in printed
    (link,) = mailboxes.LINK.findall(printed)
    assert client.get(links.path_of(link)).status_code == 200
    assert mailbox.messages == []


def test_an_app_built_to_serve_without_a_mail_server_is_refused(caplog):
    settings = {"SECRET_KEY": helpers.TEST_SECRET_KEY, "TRUSTED_HOSTS": ["localhost"]}

    with pytest.raises(ConfigError, match=NO_MAIL_SERVER) as refusal:
        create_app(settings)

    assert "\n" not in refusal.value.message
    assert "FLASK_MAIL_SERVER" in refusal.value.message
    (record,) = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert record.getMessage() == f"Refused to start: {refusal.value.message}"


# In a process of its own: were it not refused, it would serve until stopped.
@pytest.mark.slow
def test_flask_run_refuses_to_serve_without_a_mail_server(tmp_path, database_url):
    settings = {"SECRET_KEY": helpers.TEST_SECRET_KEY, "MAIL_SERVER": None}
    server = servers.flask_run(servers.free_port(), settings, tmp_path / "log")
    server.env["DATABASE_URL"] = database_url

    finished = subprocess.run(
        server.command, env=server.env, capture_output=True, text=True, timeout=60
    )

    assert finished.returncode != 0
    (line,) = (finished.stdout + finished.stderr).splitlines()
    assert line.startswith(f"Error: {NO_MAIL_SERVER}")
    assert "FLASK_MAIL_SERVER" in line


@pytest.mark.parametrize("mode", ["DEBUG", "TESTING"])
def test_debug_and_testing_need_no_mail_server(mode):
    app = create_app({"SECRET_KEY": helpers.TEST_SECRET_KEY, mode: True})

    assert app.config["MAIL_SERVER"] is None


SETUP_COMMANDS = [
    pytest.param(["init-db"], None, id="init-db"),
    pytest.param(["db", "upgrade"], None, id="db upgrade"),
    pytest.param(["create-user", "demo"], "a password\na password\n", id="create-user"),
]


@pytest.mark.parametrize(("command", "answers"), SETUP_COMMANDS)
def test_setup_commands_need_no_mail_server(tmp_path, monkeypatch, command, answers):
    environment = {"DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite'}"}
    assert (
        helpers.flask_command(["init-db"], environment, tmp_path, monkeypatch).exit_code
        == 0
    )

    result = helpers.flask_command(command, environment, tmp_path, monkeypatch, answers)

    assert result.exit_code == 0, result.output
    assert "MAIL_SERVER" not in result.output


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ({"MAIL_SERVER": ""}, "MAIL_SERVER"),
        ({"MAIL_SERVER": ["mail.example.com"]}, "MAIL_SERVER"),
        ({"MAIL_PORT": "587"}, "MAIL_PORT"),
        ({"MAIL_PORT": 0}, "MAIL_PORT"),
        ({"MAIL_PORT": 65536}, "MAIL_PORT"),
        ({"MAIL_PORT": True}, "MAIL_PORT"),
        ({"MAIL_USE_TLS": "yes"}, "MAIL_USE_TLS"),
        ({"MAIL_USE_SSL": 1}, "MAIL_USE_SSL"),
        ({"MAIL_USE_TLS": True, "MAIL_USE_SSL": True}, "MAIL_USE_TLS and MAIL_USE_SSL"),
        ({"MAIL_DEFAULT_SENDER": None}, "MAIL_DEFAULT_SENDER"),
        ({"MAIL_DEFAULT_SENDER": ""}, "MAIL_DEFAULT_SENDER"),
    ],
    ids=repr,
)
def test_a_mail_setting_the_app_cannot_send_with_is_refused_by_name(setting, named):
    settings = {"SECRET_KEY": helpers.TEST_SECRET_KEY, **helpers.SERVING_SETTINGS}

    with pytest.raises(ConfigError, match=f"^{named} "):
        create_app({**settings, **setting})


def resend_confirmation(client, app):
    links.await_address(app, "test", NEW_ADDRESS)
    helpers.AuthActions(client).login()
    return client.post("/account/confirmation", follow_redirects=True)


def register_for_words(client, app):
    return register(client, follow_redirects=True)


def ask_for_reset_for_words(client, app):
    return ask_for_reset(client, follow_redirects=True)


class Failure(NamedTuple):
    send: Callable[..., TestResponse]  # (client, app) -> the page after the form
    words: str


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(
            Failure(register_for_words, "could not be sent"), id="registration"
        ),
        pytest.param(Failure(resend_confirmation, "could not be sent"), id="resend"),
        # Sent once the page has gone, which says the same for every address.
        pytest.param(Failure(ask_for_reset_for_words, "If an account has"), id="reset"),
    ],
)
def test_a_mail_server_that_is_down_gives_a_friendly_page_and_one_log_line(
    build_app, address, closed_port, caplog, failure
):
    app = build_app(MAIL_PORT=closed_port)

    response = failure.send(app.test_client(), app)

    assert response.status_code == 200
    assert failure.words in response.text
    (error,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert error.getMessage().startswith("Could not send the mail ")
    assert "\n" not in error.getMessage()


def test_a_notice_that_cannot_be_sent_leaves_the_change_standing(
    build_app, client, mailbox, address, closed_port, caplog
):
    path = links.reset_link(client, mailbox, ADDRESS)
    down = build_app(MAIL_PORT=closed_port)

    response = links.reset(down.test_client(), path)

    assert response.status_code == 302
    assert links.password_works(down, "test", links.NEW_PASSWORD)
    (error,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "Your password was changed" in error.getMessage()


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Host": "evil.example"}, id="Host"),
        pytest.param(
            {**THROUGH_THE_PROXY, "X-Forwarded-Host": "evil.example"},
            id="X-Forwarded-Host",
        ),
    ],
)
def test_no_reset_link_is_mailed_for_a_host_the_site_does_not_answer_to(
    build_app, mailbox, address, headers
):
    # Else the link would lead there, with its token: reset poisoning.
    app = build_app(TRUSTED_PROXIES=1, TRUSTED_HOSTS=["localhost", "example.org"])

    response = ask_for_reset(app.test_client(), headers=headers)

    assert response.status_code == 400
    assert mailbox.messages == []


@pytest.mark.parametrize("sent", SENT)
def test_a_mail_is_plain_text_and_html_with_the_same_absolute_links(
    client, mailbox, address, sent
):
    sent.send(client)

    message = mailbox.last_to(sent.to)
    # Flask-Mail puts the alternatives inside a multipart/mixed of one part.
    parts = [part.get_content_type() for part in message.walk()]
    assert parts[-3:] == ["multipart/alternative", "text/plain", "text/html"]
    (link,) = mailboxes.links_in(message)
    assert link.startswith("http://localhost/")
    assert re.findall(r'href="([^"]+)"', mailboxes.html_of(message)) == [link]


@pytest.mark.parametrize("sent", SENT)
def test_behind_the_proxy_links_use_the_visitor_scheme_and_host(
    build_app, mailbox, address, sent
):
    app = build_app(TRUSTED_PROXIES=1, TRUSTED_HOSTS=["localhost", "example.org"])

    sent.send(app.test_client(), headers=THROUGH_THE_PROXY)

    (link,) = mailboxes.links_in(mailbox.last_to(sent.to))
    assert link.startswith("https://example.org/")


def send_test_mail(tmp_path, monkeypatch, settings, to="someone@example.com"):
    """``flask send-test-mail`` in an app set up as production, with ``settings``."""
    environment = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite'}",
        **helpers.environment_of(settings),
    }
    return helpers.flask_command(
        ["send-test-mail", to], environment, tmp_path, monkeypatch
    )


def test_send_test_mail_sends_a_mail(tmp_path, monkeypatch, smtp_server, mailbox):
    result = send_test_mail(tmp_path, monkeypatch, smtp_server.settings)

    assert result.exit_code == 0, result.output
    assert result.output == "Sent a test mail to someone@example.com.\n"
    assert mailbox.last_to("someone@example.com")["Subject"].endswith("A test mail")


def test_send_test_mail_says_when_the_server_is_down(
    tmp_path, monkeypatch, smtp_server, closed_port
):
    settings = {**smtp_server.settings, "MAIL_PORT": closed_port}

    result = send_test_mail(tmp_path, monkeypatch, settings)

    assert result.exit_code == 1
    (error,) = [line for line in result.output.splitlines() if "Error" in line]
    assert error.startswith("Error: The mail could not be sent")
    assert "MAIL_ settings" in error


def test_send_test_mail_needs_a_mail_server(tmp_path, monkeypatch, mailbox):
    result = send_test_mail(tmp_path, monkeypatch, {})

    assert result.exit_code == 1
    (line,) = result.output.splitlines()
    assert line.startswith("Error: MAIL_SERVER is not set")
    assert "FLASK_MAIL_SERVER" in line
    assert mailbox.messages == []
