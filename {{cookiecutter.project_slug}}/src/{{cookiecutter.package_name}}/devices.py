"""Device cookies: a browser's signed word that it logged in to an account before.

OWASP's answer to a lockout that attackers can trigger. When guesses
from many addresses reach an account's ceiling, the login throttle
refuses everyone but the browsers that hold a device cookie for that
account: each is counted on its own (see ``throttle.py``).

The cookie is signed, not encrypted, and names the account by its id
and epoch: signing out everywhere or changing the password raises the
epoch, and every device cookie of the account ends with it. It is
signed with ``SECRET_KEY`` alone, so a key rotation ends them all too;
browsers get new ones at their next login.
"""

import secrets

from flask import after_this_request, current_app, request
from itsdangerous import BadData, URLSafeTimedSerializer

from .users import get_user_by_name

COOKIE_NAME = "login_device"

#: Its own salt: no session, nor any other signed value of the app, can
#: pass for a device cookie, nor one for them.
SALT = "login-device"


def serializer():
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def lifetime_seconds():
    return int(current_app.config["DEVICE_COOKIE_LIFETIME"].total_seconds())


def remember(user):
    """Give this browser a device cookie for ``user``, with the response.

    A new one at every login, so that a browser in use keeps its cookie
    for ``DEVICE_COOKIE_LIFETIME`` after its last login. The nonce makes
    each browser's cookie, and so its allowance, its own.
    """
    value = serializer().dumps(
        {"user_id": user.id, "epoch": user.epoch, "nonce": secrets.token_urlsafe(16)}
    )
    interface = current_app.session_interface

    @after_this_request
    def set_cookie(response):
        response.set_cookie(
            COOKIE_NAME,
            value,
            max_age=lifetime_seconds(),
            path=interface.get_cookie_path(current_app),
            domain=interface.get_cookie_domain(current_app),
            # Secure as the session cookie is: the two travel together.
            secure=interface.get_cookie_secure(current_app),
            httponly=True,
            samesite="Lax",
        )
        return response


def recognised(username):
    """This browser's device cookie, if it is a valid one for ``username``'s
    account; else None.

    The account is looked up only for a cookie whose signature holds,
    so a guess without one costs no query here.
    """
    value = request.cookies.get(COOKIE_NAME)
    if not value:
        return None
    try:
        data = serializer().loads(value, max_age=lifetime_seconds())
    except BadData:
        return None
    user = get_user_by_name(username)
    if user is None or not isinstance(data, dict):
        return None
    if (data.get("user_id"), data.get("epoch")) != (user.id, user.epoch):
        return None
    return value
