"""The tamper lab: any cookie value, judged as the server judges a request's,
and any link's token, judged as the link's page judges it."""

import re
from collections.abc import Callable
from datetime import timedelta
from typing import NamedTuple

import pytest

import helpers
import mailboxes
from {{ cookiecutter.package_name }} import tokens
from {{ cookiecutter.package_name }}.errors import LINK_REFUSALS
from {{ cookiecutter.package_name }}.users import create_user

OLD_KEY = "the key before the last rotation, long enough"


def judge(client, value):
    page = client.post("/session/lab", data={"cookie": value}).get_data(as_text=True)
    verdict = re.search(r'data-verdict="([\w-]+)"', page)
    return (verdict.group(1) if verdict else None), page


def judge_token(client, value):
    """What the lab makes of ``value`` as a link's token: its kind and salt."""
    _, page = judge(client, value)
    found = re.search(r'data-token="([\w-]+)" data-salt="([\w-]*)"', page)
    return found.groups(), page


def made_token(app, purpose, **claims):
    with app.app_context():
        return tokens.make(purpose, **claims)


def changed_in_the_middle(value):
    """``value`` with one character of its payload changed."""
    middle = len(value.partition(".")[0]) // 2
    changed = "B" if value[middle] == "A" else "A"
    return value[:middle] + changed + value[middle + 1 :]


def test_lab_starts_from_the_visitors_own_cookie(client, auth, app):
    auth.login()
    sent = helpers.session_cookie(client, app)

    page = client.get("/session/lab").get_data(as_text=True)

    assert sent in page
    assert "<textarea" in page


def test_lab_judges_a_valid_cookie_and_names_the_current_key(client, app):
    verdict, page = judge(client, helpers.mint({"user_id": 7}))

    assert verdict == "valid"
    assert "the current key, <code>SECRET_KEY</code>" in page
    assert "&#34;user_id&#34;: 7" in page


def test_lab_says_how_old_a_valid_cookie_is_and_that_it_was_compressed(
    client, time_machine
):
    time_machine.move_to(1_767_225_600, tick=False)
    cookie = helpers.mint({"notes": ["a"] * 99}, signed_at=1_767_225_600 - 30)

    verdict, page = judge(client, cookie)

    assert verdict == "valid"
    assert cookie.startswith(".")
    assert "30 seconds ago, and its payload was compressed" in " ".join(page.split())


def test_lab_names_the_fallback_key_that_verified(client, app):
    app.config["SECRET_KEY_FALLBACKS"] = [OLD_KEY, "the newest old key, long enough"]

    verdict, page = judge(client, helpers.mint({"user_id": 7}, secret=OLD_KEY))

    assert verdict == "valid"
    assert "fallback key 2,\n" in page
    assert "<code>SECRET_KEY_FALLBACKS[-2]</code>" in page


# One cookie for each reason the lab can give: what the server makes of
# every kind of cookie is the shared vectors' to say.
class Verdict(NamedTuple):
    name: str
    # Called inside the test, so that the cookie's age is counted from then.
    make_cookie: Callable[[], str]
    verdict: str
    says: str


VERDICTS = [
    Verdict(
        "expired",
        lambda: helpers.mint({"a": 1}, signed_at=helpers.now() - 32 * 86400),
        "expired",
        "expired: signed 27",
    ),
    Verdict(
        "future",
        lambda: helpers.mint({"a": 1}, signed_at=helpers.now() + 3 * 86400),
        "future",
        "future-dated: signed 25",
    ),
    Verdict(
        "another key",
        lambda: helpers.mint({"user_id": 1}, secret="someone else's key"),
        "bad-signature",
        "bad signature",
    ),
    Verdict("not a cookie", lambda: "hello", "malformed", "not three base64url fields"),
]


@pytest.mark.parametrize("case", VERDICTS, ids=lambda case: case.name)
def test_lab_says_why_a_cookie_is_refused(client, case):
    verdict, page = judge(client, case.make_cookie())

    assert verdict == case.verdict
    assert case.says in page


@pytest.mark.parametrize("value", [2**53, "\ud800"], ids=["2**53", "lone surrogate"])
def test_lab_judges_a_signed_cookie_holding_an_unreadable_value_malformed(
    client, value
):
    verdict, _ = judge(client, helpers.sign_json({"name": value}))

    assert verdict == "malformed"


def test_lab_never_signs_or_changes_the_session(client, app):
    value = helpers.mint({"user_id": 1})

    response = client.post("/session/lab", data={"cookie": value})

    assert "Set-Cookie" not in response.headers
    assert helpers.session_cookie(client, app) is None


def test_lab_trims_whitespace_around_a_pasted_cookie(client, app):
    verdict, _ = judge(client, f"\n  {helpers.mint({'a': 1})}  \n")

    assert verdict == "valid"


@pytest.mark.parametrize(
    ("value", "message"),
    [("", "This field is required."), ("a" * 8193, "at most a few kilobytes")],
)
def test_lab_refuses_an_empty_or_oversized_value(client, value, message):
    verdict, page = judge(client, value)

    assert verdict is None
    assert message in page


def test_lab_refuses_a_three_megabyte_form_with_a_friendly_page(client):
    response = client.post("/session/lab", data={"cookie": "x" * 3 * 1024 * 1024})

    assert response.status_code == 413
    assert "too large: this site accepts at most 1024 KB" in response.text


def test_lab_needs_a_csrf_token(client, app):
    app.config["WTF_CSRF_ENABLED"] = True

    response = client.post("/session/lab", data={"cookie": helpers.mint({"a": 1})})

    assert response.status_code == 400
    assert "did not come from this site" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/", "/session"])
def test_lab_is_linked_from(client, auth, path):
    auth.login()

    assert 'href="/session/lab"' in client.get(path).get_data(as_text=True)


# The links the app mails, with the claims each of its tokens holds.
TOKENS = [
    pytest.param(
        tokens.RESET,
        {"user_id": 7, "epoch": 2, "email": "ada@example.com"},
        id="password reset",
    ),
    pytest.param(
        tokens.CONFIRM,
        {"user_id": 7, "email": "ada@example.com"},
        id="address confirmation",
    ),
]


@pytest.mark.parametrize(("purpose", "claims"), TOKENS)
def test_lab_names_the_salt_that_verified_a_token_and_its_claims(
    client, app, purpose, claims
):
    (kind, salt), page = judge_token(client, made_token(app, purpose, **claims))

    assert (kind, salt) == ("valid", purpose)
    assert f"The token of a {LINK_REFUSALS[purpose].name}" in " ".join(page.split())
    assert "&#34;email&#34;: &#34;ada@example.com&#34;" in page
    assert "&#34;user_id&#34;: 7" in page


def test_lab_reads_the_reset_link_mailed_after_forgot_password(client, app, mailbox):
    with app.app_context():
        create_user("ada", helpers.TEST_PASSWORD, email="ada@example.com")
    client.post(
        "/auth/forgot-password", data={"email": "ada@example.com"}, buffered=True
    )
    (link,) = mailboxes.links_in(mailbox.last_to("ada@example.com"))

    (kind, salt), page = judge_token(client, link)

    assert (kind, salt) == ("valid", tokens.RESET)
    assert "&#34;epoch&#34;: 0" in page


@pytest.mark.parametrize(("purpose", "claims"), TOKENS)
def test_lab_finds_a_tokens_bytes_a_bad_session_cookie(client, app, purpose, claims):
    verdict, _ = judge(client, made_token(app, purpose, **claims))

    assert verdict == "bad-signature"


@pytest.mark.parametrize(("purpose", "claims"), TOKENS)
def test_lab_refuses_a_tampered_token(client, app, purpose, claims):
    token = made_token(app, purpose, **claims)

    (kind, salt), _ = judge_token(client, changed_in_the_middle(token))

    assert (kind, salt) == ("none", "")


def test_lab_says_a_token_older_than_its_lifetime_expired(client, app, time_machine):
    time_machine.move_to(1_767_225_600, tick=False)
    token = made_token(app, tokens.RESET, user_id=7, epoch=0, email="ada@example.com")
    time_machine.shift(app.config["RESET_LINK_LIFETIME"] + timedelta(seconds=1))

    (kind, salt), page = judge_token(client, token)

    assert (kind, salt) == ("expired", tokens.RESET)
    assert "older than <code>RESET_LINK_LIFETIME</code>" in " ".join(page.split())


def test_lab_names_every_links_salt_that_a_token_failed_under(client, app):
    token = made_token(app, tokens.CONFIRM, user_id=7, email="ada@example.com")

    (kind, _), page = judge_token(client, changed_in_the_middle(token))

    assert kind == "none"
    for purpose in tokens.LIFETIMES:
        assert f"<code>{purpose}</code>" in page


def test_lab_does_not_take_a_session_cookie_for_a_token(client):
    (kind, salt), page = judge_token(client, helpers.mint({"user_id": 7}))

    assert (kind, salt) == ("none", "")
    assert "so a session opens no link" in " ".join(page.split())
