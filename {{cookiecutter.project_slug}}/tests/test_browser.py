"""A visitor's journey through the app in a real Chromium, served by gunicorn.

Screenshots of each step land in the test's folder under pytest's base
temp directory; ``pytest -m browser -rP`` prints it.
"""

import pytest
from itsdangerous import URLSafeTimedSerializer

import browsers
import helpers
import links

pytestmark = pytest.mark.browser

SECRET_KEY = "the browser test's key, long enough to be realistic"
# How long Flask-WTF's form tokens last by default.
FORM_LIFETIME = 3600


@pytest.fixture(scope="module")
def site(tmp_path_factory, smtp_server):
    """The app as in production, on a database of its own, mailing the
    tests' SMTP server."""
    with browsers.serve(
        tmp_path_factory.mktemp("site"), SECRET_KEY=SECRET_KEY, **smtp_server.settings
    ) as url:
        yield url


def test_a_visit_from_registration_to_logout(page, site, tmp_path):
    camera = browsers.Camera(page, tmp_path)
    print(f"Screenshots: {tmp_path}")
    flashes = page.locator(".flash")
    signed_in_user = page.locator("nav .who")

    page.goto(f"{site}/auth/register")
    page.fill("#username", "ada")
    page.fill("#email", "ada@example.com")
    page.fill("#password", "correct horse battery")
    page.fill("#confirm", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_url(f"{site}/auth/login")
    browsers.expect(flashes).to_have_text(
        [
            "Your account is ready, and a link to confirm ada@example.com is on its"
            " way there. Please log in."
        ]
    )
    camera.shoot("registered")

    page.reload()
    browsers.expect(flashes).to_have_count(0)
    camera.shoot("flash-shown-once")

    page.goto(f"{site}/auth/password")
    assert page.url == f"{site}/auth/login?next=/auth/password"
    browsers.expect(flashes).to_have_text(["Please log in to see that page."])
    browsers.log_in(page, "ada", "correct horse battery")
    page.wait_for_url(f"{site}/auth/password")
    browsers.expect(flashes).to_have_text(["Welcome, ada."])
    browsers.expect(signed_in_user).to_have_text("ada")
    camera.shoot("logged-in-to-next")

    forged = tampered(browsers.session_cookie(page))
    page.context.add_cookies([forged])
    page.goto(site)
    browsers.expect(signed_in_user).to_have_count(0)
    browsers.expect(
        page.locator("nav").get_by_role("link", name="Log in")
    ).to_be_visible()
    camera.shoot("cookie-tampered")
    # Ignored but left in place, as Flask leaves it: only a write replaces it.
    assert browsers.session_cookie(page)["value"] == forged["value"]

    page.goto(f"{site}/auth/login")
    page.locator("#csrf_token").evaluate(
        "(field, token) => { field.value = token; }", expired_form_token(page)
    )
    with page.expect_response(
        lambda response: response.request.method == "POST"
    ) as sent:
        browsers.log_in(page, "ada", "correct horse battery")
    browsers.expect(page.locator("main")).to_contain_text("This form has expired")
    camera.shoot("form-expired")
    assert sent.value.status == 400
    browsers.expect(signed_in_user).to_have_count(0)

    page.goto(f"{site}/auth/login")
    browsers.log_in(page, "ada", "correct horse battery")
    browsers.expect(signed_in_user).to_have_text("ada")
    page.get_by_role("button", name="Log out").click()
    browsers.expect(flashes).to_have_text(["You have been logged out."])
    browsers.expect(signed_in_user).to_have_count(0)
    camera.shoot("logged-out")


def test_a_forgotten_password_set_again_from_the_mailed_link(
    page, site, mailbox, tmp_path
):
    camera = browsers.Camera(page, tmp_path)
    print(f"Screenshots: {tmp_path}")
    flashes = page.locator(".flash")
    signed_in_user = page.locator("nav .who")
    address = "grace@example.com"

    page.goto(f"{site}/auth/register")
    page.fill("#username", "grace")
    page.fill("#email", address)
    page.fill("#password", "the password she forgot")
    page.fill("#confirm", "the password she forgot")
    page.click("button[type=submit]")
    page.wait_for_url(f"{site}/auth/login")
    page.goto(links.only_link(mailbox.wait_for(address, "Confirm your address")))
    page.get_by_role("button", name="Confirm").click()
    browsers.expect(flashes).to_have_text([f"Thank you: {address} is confirmed."])

    page.goto(f"{site}/auth/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.fill("#email", address)
    page.get_by_role("button", name="Send the link").click()
    page.wait_for_url(f"{site}/auth/login")
    browsers.expect(flashes).to_contain_text(
        [f"If an account has the address {address}"]
    )
    camera.shoot("reset-link-asked-for")

    link = links.only_link(mailbox.wait_for(address, "Reset your password"))
    page.goto(link)
    browsers.expect(page.locator("main")).to_contain_text(
        "Choose a new password for grace."
    )
    camera.shoot("reset-link-opened")
    page.fill("#password", "a password to remember")
    page.fill("#confirm", "a password to remember")
    page.get_by_role("button", name="Set the password").click()
    page.wait_for_url(f"{site}/")
    browsers.expect(flashes).to_have_text(
        [
            "Your password has been set, and every other session of your account"
            " has ended."
        ]
    )
    browsers.expect(signed_in_user).to_have_text("grace")
    camera.shoot("password-set-and-signed-in")

    page.get_by_role("button", name="Log out").click()
    browsers.expect(signed_in_user).to_have_count(0)
    page.goto(f"{site}/auth/login")
    browsers.log_in(page, "grace", "a password to remember")
    browsers.expect(flashes).to_have_text(["Welcome, grace."])
    browsers.expect(signed_in_user).to_have_text("grace")
    camera.shoot("logged-in-with-the-new-password")


def tampered(cookie):
    """The cookie with one character of its payload changed.

    Not the last character of the signature: its low bits are base64
    padding, so some changes there would decode to the same signature.
    """
    value = cookie["value"]
    middle = len(helpers.cookie_fields(value).payload) // 2
    changed = "B" if value[middle] == "A" else "A"
    return {**cookie, "value": value[:middle] + changed + value[middle + 1 :]}


def expired_form_token(page):
    """A form token for the browser's session, signed before the form's lifetime.

    Flask-WTF keeps the token's secret in the session, which is readable
    JSON, and signs it with a timestamp as the session cookie is signed.
    """
    session = URLSafeTimedSerializer(SECRET_KEY, salt="cookie-session")
    secret = session.loads(browsers.session_cookie(page)["value"])["csrf_token"]
    signed_at = helpers.now() - FORM_LIFETIME - 60
    return helpers.mint(secret, SECRET_KEY, salt="wtf-csrf-token", signed_at=signed_at)
