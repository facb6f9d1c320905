"""The cookie format on its own: encode and decode, with no Flask app at all.

What every cookie decodes to, valid or not, is in the shared vectors
(test_vectors.py); these tests are about the functions themselves.
"""

import base64
import hashlib
import json
import tracemalloc
import zlib
from datetime import UTC, datetime
from typing import NamedTuple

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

import helpers
from {{ cookiecutter.package_name }}.sessions import (
    CookieTooLarge,
    InvalidSessionCookie,
    decode,
    encode,
)
from {{ cookiecutter.package_name }}.sessions.cookie import (
    CookieFormat,
    SessionSigner,
    load_payload,
)

KEY = "the current secret key, 32 bytes or more"
OLD_KEY = "the previous secret key, also long enough"
OLDEST_KEY = "the key before that one, long enough too"
HOUR = 3600
# 2026-01-01 00:00:00 UTC.
NOW = 1_767_225_600


def test_a_cookie_decodes_to_what_was_encoded(time_machine):
    time_machine.move_to(NOW, tick=False)
    cookie = encode({"user_id": 7, "name": "Zoë", "cart": [1, 2]}, KEY)

    decoded = decode(cookie, [KEY], max_age=HOUR)

    assert decoded.data == {"user_id": 7, "name": "Zoë", "cart": [1, 2]}
    assert decoded.signed_at == datetime.fromtimestamp(NOW, UTC)
    assert decoded.key_index == 0
    assert not decoded.compressed


def test_encode_writes_what_itsdangerous_writes(time_machine):
    time_machine.move_to(NOW, tick=False)
    data = {"user_id": 7, "_fresh": True}

    seed = URLSafeTimedSerializer(KEY, salt="cookie-session").dumps(data)

    assert encode(data, KEY) == seed


def test_decode_reads_what_itsdangerous_writes():
    data = {"user_id": 3, "notes": ["from the seed"] * 20}
    seed = URLSafeTimedSerializer(KEY, salt="cookie-session").dumps(data)

    assert decode(seed, [KEY], max_age=HOUR).data == data


def test_itsdangerous_reads_a_compressed_cookie():
    data = {"notes": ["the same words again"] * 50}
    cookie = encode(data, KEY)

    assert cookie.startswith(".")
    assert URLSafeTimedSerializer(KEY, salt="cookie-session").loads(cookie) == data


def test_the_payload_is_plain_json_anyone_can_read():
    payload = encode({"user_id": 7}, KEY).split(".")[0]

    assert json.loads(base64.urlsafe_b64decode(payload + "==")) == {"user_id": 7}


@pytest.mark.parametrize(
    ("signed_with", "key_index"), [(KEY, 0), (OLD_KEY, 1), (OLDEST_KEY, 2)]
)
def test_key_index_says_which_key_verified(signed_with, key_index):
    cookie = encode({"user_id": 7}, signed_with)

    decoded = decode(cookie, [KEY, OLD_KEY, OLDEST_KEY], max_age=HOUR)

    assert decoded.key_index == key_index


def test_compressed_says_whether_the_payload_was_compressed():
    small = encode({"user_id": 7}, KEY)
    repetitive = encode({"notes": ["the same words again"] * 50}, KEY)

    assert not decode(small, [KEY], max_age=HOUR).compressed
    assert decode(repetitive, [KEY], max_age=HOUR).compressed


def test_a_payload_below_the_threshold_is_not_compressed():
    size = CookieFormat.compress_min_size

    cookie = encode({"a": "x" * (size - len('{"a":""}') - 1)}, KEY)

    assert not cookie.startswith(".")
    assert cookie.count(".") == 2


def test_a_payload_of_the_threshold_size_is_compressed():
    size = CookieFormat.compress_min_size
    data = {"a": "x" * (size - len('{"a":""}'))}

    cookie = encode(data, KEY)

    assert cookie.startswith(".")
    assert decode(cookie, [KEY], max_age=HOUR).data == data


def test_max_age_is_the_oldest_signature_accepted(time_machine):
    time_machine.move_to(NOW - HOUR, tick=False)
    cookie = encode({"user_id": 7}, KEY)

    time_machine.move_to(NOW, tick=False)
    assert decode(cookie, [KEY], max_age=HOUR).data == {"user_id": 7}
    with pytest.raises(InvalidSessionCookie) as caught:
        decode(cookie, [KEY], max_age=HOUR - 1)

    assert caught.value.kind == "expired"
    assert str(caught.value) == f"expired: signed {HOUR} s ago, the limit is 3599 s"


def test_a_signature_from_the_future_is_refused(time_machine):
    time_machine.move_to(NOW + 60, tick=False)
    cookie = encode({"user_id": 7}, KEY)
    time_machine.move_to(NOW, tick=False)

    with pytest.raises(InvalidSessionCookie) as caught:
        decode(cookie, [KEY], max_age=HOUR)

    assert caught.value.kind == "future"
    assert str(caught.value) == "future-dated: signed 60 s from now"


def test_a_signature_dated_past_the_year_9999_is_malformed():
    cookie = helpers.mint({"a": 1}, secret=KEY, signed_at=2**62)

    with pytest.raises(InvalidSessionCookie, match="out of range") as caught:
        decode(cookie, [KEY], max_age=HOUR)

    assert caught.value.kind == "malformed"


def test_the_salt_must_match():
    cookie = encode({"user_id": 7}, KEY, salt="my-app-session")

    assert decode(cookie, [KEY], max_age=HOUR, salt="my-app-session").data
    with pytest.raises(InvalidSessionCookie) as caught:
        decode(cookie, [KEY], max_age=HOUR)

    assert caught.value.kind == "bad-signature"


def test_keys_given_as_one_string_are_refused():
    # Each character would otherwise be a key of its own.
    with pytest.raises(TypeError, match="list of secret keys"):
        decode(encode({}, KEY), KEY, max_age=HOUR)


def test_no_keys_at_all_are_refused():
    with pytest.raises(ValueError, match="at least one secret key"):
        decode(encode({}, KEY), [], max_age=HOUR)


def test_a_compression_bomb_is_refused_without_inflating_it():
    inflated = b"[" + b"0," * 500_000 + b"0]"
    bomb = TimestampSigner(KEY, salt="cookie-session").sign(
        b"." + base64.urlsafe_b64encode(zlib.compress(inflated)).rstrip(b"=")
    )
    tracemalloc.start()
    with pytest.raises(InvalidSessionCookie, match="inflates past"):
        decode(bomb.decode(), [KEY], max_age=HOUR)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    assert peak < 512 * 1024


def test_a_session_past_the_payload_limit_names_its_largest_keys():
    data = {"big": "x" * CookieFormat.max_payload_size, "small": 1}

    with pytest.raises(CookieTooLarge, match=r"limit.*Largest keys: 'big' \(\d+"):
        encode(data, KEY)


def test_load_payload_reads_a_payload_it_cannot_verify():
    forged = helpers.mint({"user_id": 1}, secret="someone else's key")

    assert load_payload(forged.rsplit(".", 2)[0]) == {"user_id": 1}


def test_load_payload_says_why_it_cannot_read_a_payload():
    with pytest.raises(InvalidSessionCookie, match="undecodable payload") as caught:
        load_payload("bm90IGpzb24")

    assert caught.value.kind == "malformed"


def test_load_payload_refuses_json_that_is_not_an_object():
    payload = base64.urlsafe_b64encode(b"[1,2]").decode().rstrip("=")

    with pytest.raises(InvalidSessionCookie, match="a JSON list, not an object"):
        load_payload(payload)


class Derivation(NamedTuple):
    key_derivation: str
    digest_method: str


# Empty, a plain JSON payload and a compressed one, as the format makes them.
PAYLOADS = (
    b"",
    b"eyJ1c2VyX2lkIjo3fQ",
    b".eJyrVkrOz0nNy1eyUkpKLMpMLAlJTSxOSS0uVqoFAGxrCPI",
)


@pytest.mark.parametrize(
    "case",
    [
        Derivation("django-concat", "sha1"),
        Derivation("hmac", "sha1"),
        Derivation("concat", "sha256"),
    ],
    ids=lambda case: f"{case.key_derivation}-{case.digest_method}",
)
def test_the_signer_signs_byte_for_byte_as_itsdangerous_does(case, time_machine):
    time_machine.move_to(NOW, tick=False)
    options = {
        "salt": "cookie-session",
        "key_derivation": case.key_derivation,
        "digest_method": getattr(hashlib, case.digest_method),
    }
    ours = SessionSigner(KEY, **options)
    theirs = TimestampSigner(KEY, **options)

    for value in PAYLOADS:
        assert ours.sign(value) == theirs.sign(value)
        assert ours.unsign(theirs.sign(value)) == value


def test_the_signer_takes_one_key_only():
    # One signer per key is how the format tells which key verified.
    with pytest.raises(TypeError, match="one key"):
        SessionSigner([OLD_KEY, KEY], salt="cookie-session")
