#!/usr/bin/env node
// Verify a session cookie of this app outside Python, on Node's standard
// library alone: the proof that a proxy or another service can read it.
//
//   node tools/verify-session.mjs --secret KEY [--secret KEY ...] \
//       [--salt SALT] [--max-age SECONDS] COOKIE
//
// Give the current key first, then the fallback keys, newest first. The
// payload is printed as JSON and the exit status is 0; a cookie that does
// not verify prints the reason on stderr and exits with 1.
//
// The scheme is itsdangerous's URLSafeTimedSerializer with its defaults:
//   signing key = SHA1(salt + "signer" + secret)          ("django-concat")
//   signature   = HMAC-SHA1(signing key, payload "." timestamp), base64url
{%- if cookiecutter.teaching_pages %}
// The decoding of the fields is shared with the session viewer's page.
{%- endif %}

import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

import {
  MAX_PAYLOAD_SIZE,
  SessionCookieError,
  decodeBase64url,
  decodePayload,
  decodeTimestamp,
  splitCookie,
} from "../src/{{ cookiecutter.package_name }}/static/session-cookie.mjs";

export { SessionCookieError };

// SignedCookieSessionInterface.salt
export const DEFAULT_SALT = "cookie-session";
// This app's PERMANENT_SESSION_LIFETIME (create_app): 7 days.
export const DEFAULT_MAX_AGE = 7 * 24 * 60 * 60;

export function deriveKey(secret, salt = DEFAULT_SALT) {
  return createHash("sha1").update(salt).update("signer").update(secret).digest();
}

function signatureMatches(key, signed, signature) {
  const expected = createHmac("sha1", key).update(signed).digest();
  // The length of a SHA-1 MAC is no secret; timingSafeEqual needs it equal.
  return signature.length === expected.length && timingSafeEqual(signature, expected);
}

function decodeSignature(field) {
  try {
    return decodeBase64url(field);
  } catch {
    return null;
  }
}

// Check a cookie's signature and age, then decode it. Resolves to
// { payload, signedAt, compressed, keyIndex }, keyIndex being the position
// in `secrets` of the key that verified it; rejects with a SessionCookieError.
export async function verifySession(
  cookie,
  {
    secrets,
    salt = DEFAULT_SALT,
    maxAge = DEFAULT_MAX_AGE,
    now = Date.now() / 1000,
    maxPayloadSize = MAX_PAYLOAD_SIZE,
  },
) {
  if (!Array.isArray(secrets) || secrets.length === 0) {
    throw new TypeError("verifySession needs at least one secret key");
  }
  const fields = splitCookie(cookie);
  const signature = decodeSignature(fields.signature);
  const signedAt = decodeTimestamp(fields.timestamp);
  // itsdangerous counts an unreadable signature or timestamp as a bad
  // signature, whichever key is tried.
  const keyIndex =
    signature && signedAt !== null
      ? secrets.findIndex((secret) =>
          signatureMatches(deriveKey(secret, salt), fields.signed, signature),
        )
      : -1;
  if (keyIndex === -1) {
    throw new SessionCookieError(
      "bad-signature",
      "bad signature: no current or fallback key made it",
    );
  }
  // Only now, with the signature checked, do the time and payload count.
  const age = Math.floor(now) - signedAt;
  if (age > maxAge) {
    throw new SessionCookieError(
      "expired",
      `expired: signed ${age} s ago, the limit is ${maxAge} s`,
    );
  }
  if (age < 0) {
    throw new SessionCookieError("future", `future-dated: signed ${-age} s from now`);
  }
  const payload = await decodePayload(fields.payload, { maxPayloadSize });
  return { payload, signedAt, compressed: fields.compressed, keyIndex };
}

const USAGE =
  "usage: node tools/verify-session.mjs --secret KEY [--secret KEY ...]" +
  " [--salt SALT] [--max-age SECONDS] COOKIE";

function parseCommandLine(args) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      secret: { type: "string", multiple: true },
      salt: { type: "string", default: DEFAULT_SALT },
      "max-age": { type: "string", default: String(DEFAULT_MAX_AGE) },
    },
  });
  const maxAge = Number(values["max-age"]);
  if (!values.secret) throw new Error("give at least one --secret");
  if (positionals.length !== 1) throw new Error("give exactly one cookie value");
  if (!Number.isSafeInteger(maxAge) || maxAge < 0) {
    throw new Error("--max-age must be a whole number of seconds");
  }
  return { cookie: positionals[0], secrets: values.secret, salt: values.salt, maxAge };
}

export async function main(args) {
  let command;
  try {
    command = parseCommandLine(args);
  } catch (error) {
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    return 2;
  }
  const { cookie, ...options } = command;
  try {
    const { payload } = await verifySession(cookie, options);
    process.stdout.write(`${JSON.stringify(payload)}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof SessionCookieError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
