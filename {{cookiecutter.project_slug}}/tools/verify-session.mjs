#!/usr/bin/env node
// Verify a session cookie of this app outside Python, on Node's standard
// library alone: the proof that a proxy or another service can read it.
//
//   node tools/verify-session.mjs [--secret KEY ...] [--salt SALT] \
//       [--max-age SECONDS] COOKIE
//
// Give - as COOKIE to read it from standard input, as `flask session
// decode -` does: a cookie logs its holder in, and standard input keeps it
// out of the shell's history and of the process list.
//
// Give the current key first, then the fallback keys, newest first. With
// no --secret, the keys are the app's own settings in the environment:
// FLASK_SECRET_KEY and FLASK_SECRET_KEY_FALLBACKS. A key shorter than the
// app's minimum is refused, as the app refuses it in production: a short key
// can be guessed, and an empty one verifies what anyone signs with it.
// The payload is printed
// as JSON and the exit status is 0; a cookie that does not verify prints
// the reason on stderr and exits with 1.
//
// The scheme is itsdangerous's URLSafeTimedSerializer with its defaults:
//   signing key = SHA1(salt + "signer" + secret)          ("django-concat")
//   signature   = HMAC-SHA1(signing key, payload "." timestamp), base64url
// The fields are decoded by src/{{ cookiecutter.package_name }}/sessions/session-cookie.mjs,
// the reader that runs in browsers too.

import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

import {
  MAX_PAYLOAD_SIZE,
  SessionCookieError,
  decodeBase64url,
  decodePayload,
  decodeTimestamp,
  splitCookie,
} from "../src/{{ cookiecutter.package_name }}/sessions/session-cookie.mjs";

export { SessionCookieError };

// SignedCookieSessionInterface.salt
export const DEFAULT_SALT = "cookie-session";
// The default of this app's PERMANENT_SESSION_LIFETIME (config.py): 7 days.
export const DEFAULT_MAX_AGE = 7 * 24 * 60 * 60;
// The fewest bytes a key may have (MIN_KEY_LENGTH in sessions/checks.py).
export const MIN_KEY_LENGTH = 32;

// Refuse keys shorter than MIN_KEY_LENGTH bytes of UTF-8, naming the first.
export function checkKeyLengths(secrets) {
  for (const secret of secrets) {
    const length = Buffer.byteLength(secret, "utf8");
    if (length < MIN_KEY_LENGTH) {
      throw new TypeError(
        `a key of ${length} bytes is refused: the app requires at least ${MIN_KEY_LENGTH}`,
      );
    }
  }
}

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
// in `secrets` of the key that verified it; rejects with a SessionCookieError,
// or a TypeError for keys it will not use.
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
  checkKeyLengths(secrets);
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

const USAGE = `usage: node tools/verify-session.mjs [--secret KEY ...] [--salt SALT]
           [--max-age SECONDS] COOKIE

COOKIE: the session cookie's value, or - to read it from standard input.
Keys: each --secret, the current key first, then the fallback keys newest
first. Without --secret they come from the environment, as the app reads
them: FLASK_SECRET_KEY, the current key, and FLASK_SECRET_KEY_FALLBACKS, a
JSON list of fallback keys, oldest first. The environment keeps the keys out
of the shell's history and of the process list. Each key must have at least
${MIN_KEY_LENGTH} bytes, as the app requires.`;

// Flask's from_prefixed_env reads each FLASK_ variable as JSON if it
// parses, else as text; read the same way, the keys are the app's.
function flaskSetting(env, name) {
  const text = env[name];
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function keysFromEnvironment(env) {
  const key = flaskSetting(env, "FLASK_SECRET_KEY");
  if (key === undefined) throw new Error("give --secret, or set FLASK_SECRET_KEY");
  if (typeof key !== "string") {
    throw new Error(
      "FLASK_SECRET_KEY parses as JSON that is not a string, so the app cannot sign with it",
    );
  }
  const fallbacks = flaskSetting(env, "FLASK_SECRET_KEY_FALLBACKS") ?? [];
  // A string is refused, as the app refuses it: Flask would take each of
  // its characters as a key of its own.
  if (!Array.isArray(fallbacks) || !fallbacks.every((old) => typeof old === "string")) {
    throw new Error(
      'FLASK_SECRET_KEY_FALLBACKS must be a JSON list of keys, such as ["old key"]',
    );
  }
  // Listed oldest first, tried newest first, as the app tries them.
  return [key, ...[...fallbacks].reverse()];
}

function parseCommandLine(args, env) {
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
  const secrets = values.secret ?? keysFromEnvironment(env);
  if (positionals.length !== 1) throw new Error("give exactly one cookie value");
  if (!Number.isSafeInteger(maxAge) || maxAge < 0) {
    throw new Error("--max-age must be a whole number of seconds");
  }
  checkKeyLengths(secrets);
  const cookie = positionals[0] === "-" ? readCookie() : positionals[0];
  return { cookie, secrets, salt: values.salt, maxAge };
}

// The cookie on standard input, without the whitespace around it.
function readCookie() {
  const cookie = readFileSync(0, "utf8").trim();
  if (!cookie) throw new Error("no cookie on standard input");
  return cookie;
}

// What a terminal would act on rather than show: DEL, the C1 controls and
// the bidirectional marks, embeddings, overrides and isolates (JSON.stringify
// already escapes the C0 controls and lone surrogates). Inside a JSON string
// \uXXXX is the same character, so the output still means the same.
const UNSHOWABLE = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function jsonForTerminal(value) {
  return JSON.stringify(value).replace(
    UNSHOWABLE,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

export async function main(args) {
  let command;
  try {
    command = parseCommandLine(args, process.env);
  } catch (error) {
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    return 2;
  }
  const { cookie, ...options } = command;
  try {
    const { payload } = await verifySession(cookie, options);
    process.stdout.write(`${jsonForTerminal(payload)}\n`);
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
