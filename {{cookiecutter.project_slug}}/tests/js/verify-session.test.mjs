// The Node verifier against every shared test vector, and its command line.
// Run with: node --test tests/js/

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

import {
  MAX_DEPTH,
  MAX_PAYLOAD_SIZE,
  encodeBase64url,
} from "../../src/{{ cookiecutter.package_name }}/sessions/session-cookie.mjs";
import {
  DEFAULT_MAX_AGE,
  MIN_KEY_LENGTH,
  SessionCookieError,
  deriveKey,
  verifySession,
} from "../../tools/verify-session.mjs";

const VERIFIER = fileURLToPath(new URL("../../tools/verify-session.mjs", import.meta.url));
const { vectors, limits } = JSON.parse(
  readFileSync(new URL("../vectors/sessions.json", import.meta.url), "utf8"),
);

function optionsOf(vector) {
  return {
    secrets: vector.secrets,
    salt: vector.salt,
    maxAge: vector.max_age,
    now: vector.now,
  };
}

for (const vector of vectors) {
  test(`vector "${vector.name}"`, async () => {
    const verifying = verifySession(vector.cookie, optionsOf(vector));
    if (vector.expected.error) {
      await assert.rejects(verifying, (error) => {
        assert.ok(error instanceof SessionCookieError, error);
        assert.equal(error.code, vector.expected.error);
        return true;
      });
      return;
    }
    assert.deepEqual(await verifying, {
      payload: vector.expected.payload,
      signedAt: vector.expected.signed_at,
      compressed: vector.expected.compressed,
      keyIndex: vector.expected.key_index,
    });
  });
}

function verifyCommand(...args) {
  return verifyCommandWith({}, ...args);
}

// The command sees only the variables in `env`, so that no FLASK_ setting
// of the shell that runs the tests can change what it does.
function verifyCommandWith(env, ...args) {
  return spawnSync(process.execPath, [VERIFIER, ...args], { encoding: "utf8", env });
}

const plain = vectors.find((vector) => vector.name === "plain");
const wrongKey = vectors.find((vector) => vector.name === "wrong key");
const olderFallback = vectors.find((vector) => vector.name === "older fallback key");
// The vectors are dated; a lifetime of a century keeps them valid today.
const CENTURY = String(100 * 365 * 24 * 60 * 60);

test("the command prints the payload as JSON and exits 0", () => {
  const result = verifyCommand("--secret", plain.secrets[0], "--max-age", CENTURY, plain.cookie);

  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), plain.expected.payload);
  assert.equal(result.stderr, "");
});

test("the command tries every --secret", () => {
  const result = verifyCommand(
    "--secret", "a key that is not it, though long enough",
    "--secret", plain.secrets[0],
    "--max-age", CENTURY,
    plain.cookie,
  );

  assert.equal(result.status, 0, result.stderr);
});

test("the command prints the reason on stderr and exits 1", () => {
  const result = verifyCommand("--secret", wrongKey.secrets[0], wrongKey.cookie);

  assert.equal(result.status, 1);
  assert.equal(result.stdout, "");
  assert.match(result.stderr, /^bad signature/);
});

test("the command enforces --max-age", () => {
  const result = verifyCommand("--secret", plain.secrets[0], "--max-age", "60", plain.cookie);

  assert.equal(result.status, 1);
  assert.match(result.stderr, /^expired: signed \d+ s ago, the limit is 60 s/);
});

test("the command refuses a wrong salt", () => {
  const result = verifyCommand(
    "--secret", plain.secrets[0], "--salt", "another", "--max-age", CENTURY, plain.cookie,
  );

  assert.equal(result.status, 1);
  assert.match(result.stderr, /^bad signature/);
});

test("without --secret the command takes FLASK_SECRET_KEY", () => {
  const env = { FLASK_SECRET_KEY: plain.secrets[0] };

  const result = verifyCommandWith(env, "--max-age", CENTURY, plain.cookie);

  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), plain.expected.payload);
});

test("FLASK_SECRET_KEY is read as JSON when it parses, as Flask reads it", () => {
  const env = { FLASK_SECRET_KEY: JSON.stringify(plain.secrets[0]) };

  const result = verifyCommandWith(env, "--max-age", CENTURY, plain.cookie);

  assert.equal(result.status, 0, result.stderr);
});

test("without --secret the command tries FLASK_SECRET_KEY_FALLBACKS", () => {
  const [current, ...newestFirst] = olderFallback.secrets;
  const env = {
    FLASK_SECRET_KEY: current,
    // Oldest first, as the app's setting lists them.
    FLASK_SECRET_KEY_FALLBACKS: JSON.stringify(newestFirst.reverse()),
  };

  const result = verifyCommandWith(env, "--max-age", CENTURY, olderFallback.cookie);

  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), olderFallback.expected.payload);
});

test("--secret takes the place of the keys in the environment", () => {
  const env = { FLASK_SECRET_KEY: plain.secrets[0] };

  const result = verifyCommandWith(
    env, "--secret", "a key that is not it, though long enough", "--max-age", CENTURY, plain.cookie,
  );

  assert.equal(result.status, 1);
  assert.match(result.stderr, /^bad signature/);
});

const NOT_A_LIST = "FLASK_SECRET_KEY_FALLBACKS must be a JSON list of keys";

for (const [name, env, reason] of [
  ["fallbacks that are not JSON", { FLASK_SECRET_KEY_FALLBACKS: "old key" }, NOT_A_LIST],
  ["fallbacks that are a JSON string", { FLASK_SECRET_KEY_FALLBACKS: '"old key"' }, NOT_A_LIST],
  ["fallbacks in an object", { FLASK_SECRET_KEY_FALLBACKS: '{"old": "key"}' }, NOT_A_LIST],
  ["a fallback that is a number", { FLASK_SECRET_KEY_FALLBACKS: "[1]" }, NOT_A_LIST],
  ["a fallback that is null", { FLASK_SECRET_KEY_FALLBACKS: "[null]" }, NOT_A_LIST],
  [
    "a key that is a JSON number",
    { FLASK_SECRET_KEY: "123" },
    "FLASK_SECRET_KEY parses as JSON that is not a string",
  ],
]) {
  test(`the command refuses ${name} in the environment`, () => {
    const result = verifyCommandWith(
      { FLASK_SECRET_KEY: plain.secrets[0], ...env },
      "--max-age", CENTURY, plain.cookie,
    );

    assert.equal(result.status, 2);
    assert.equal(result.stdout, "");
    assert.ok(result.stderr.startsWith(reason), result.stderr);
    assert.match(result.stderr, /usage: node tools\/verify-session\.mjs/);
  });
}

for (const [name, args] of [
  ["no secret", [plain.cookie]],
  ["no cookie", ["--secret", "k"]],
  ["two cookies", ["--secret", "k", plain.cookie, plain.cookie]],
  ["a negative max age", ["--secret", "k", "--max-age", "-1", plain.cookie]],
  ["an unknown option", ["--secret", "k", "--key", "k", plain.cookie]],
]) {
  test(`the command explains its usage when given ${name}`, () => {
    const result = verifyCommand(...args);

    assert.equal(result.status, 2);
    assert.match(result.stderr, /usage: node tools\/verify-session\.mjs \[--secret KEY \.\.\.\]/);
  });
}

test("the JavaScript limits are the format's, as the Python package sets them", () => {
  assert.deepEqual(
    {
      max_depth: MAX_DEPTH,
      max_payload_size: MAX_PAYLOAD_SIZE,
      max_safe_integer: Number.MAX_SAFE_INTEGER,
      min_key_length: MIN_KEY_LENGTH,
      max_age: DEFAULT_MAX_AGE,
    },
    {
      max_depth: limits.max_depth,
      max_payload_size: limits.max_payload_size,
      max_safe_integer: limits.max_safe_integer,
      min_key_length: limits.min_key_length,
      max_age: limits.max_age,
    },
  );
});

test("the command reads the cookie from standard input given -", () => {
  const result = spawnSync(
    process.execPath,
    [VERIFIER, "--secret", plain.secrets[0], "--max-age", CENTURY, "-"],
    { encoding: "utf8", env: {}, input: `\n  ${plain.cookie}\n` },
  );

  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), plain.expected.payload);
});

test("the command refuses a forged cookie on standard input", () => {
  const result = spawnSync(
    process.execPath,
    [VERIFIER, "--secret", wrongKey.secrets[0], "-"],
    { encoding: "utf8", env: {}, input: wrongKey.cookie },
  );

  assert.equal(result.status, 1);
  assert.match(result.stderr, /^bad signature/);
});

for (const input of ["", "\n", "  \n\t"]) {
  test(`the command explains an empty standard input ${JSON.stringify(input)}`, () => {
    const result = spawnSync(process.execPath, [VERIFIER, "--secret", plain.secrets[0], "-"], {
      encoding: "utf8",
      env: {},
      input,
    });

    assert.equal(result.status, 2);
    assert.ok(result.stderr.startsWith("no cookie on standard input"), result.stderr);
  });
}

// A cookie signed with `secret` now, as itsdangerous signs one.
function signedWith(secret, payload = { user_id: 1 }) {
  const field = encodeBase64url(Buffer.from(JSON.stringify(payload)));
  const now = Math.floor(Date.now() / 1000);
  const timestamp = encodeBase64url(Buffer.from(now.toString(16).padStart(8, "0"), "hex"));
  const signed = `${field}.${timestamp}`;
  return `${signed}.${encodeBase64url(createHmac("sha1", deriveKey(secret)).update(signed).digest())}`;
}

const SHORT_KEYS = [
  ["an empty key", ""],
  ["a one-byte key", "k"],
  ["a key one byte short", "k".repeat(MIN_KEY_LENGTH - 1)],
  ["a key of 16 characters in 32 bytes less one", "é".repeat(15) + "k"],
];

for (const [name, key] of SHORT_KEYS) {
  test(`the command refuses ${name} given with --secret`, () => {
    const result = verifyCommand("--secret", key, signedWith(key));

    assert.equal(result.status, 2);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /^a key of \d+ bytes is refused: the app requires at least 32/);
  });

  test(`the command refuses ${name} as a fallback in the environment`, () => {
    const env = {
      FLASK_SECRET_KEY: plain.secrets[0],
      FLASK_SECRET_KEY_FALLBACKS: JSON.stringify([key]),
    };

    const result = verifyCommandWith(env, signedWith(key));

    assert.equal(result.status, 2);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /^a key of \d+ bytes is refused/);
  });

  test(`verifySession refuses ${name}`, async () => {
    await assert.rejects(
      verifySession(signedWith(key), { secrets: [plain.secrets[0], key] }),
      TypeError,
    );
  });
}

test("the command takes a key of exactly the minimum length", () => {
  const key = "é".repeat(MIN_KEY_LENGTH / 2);

  const result = verifyCommand("--secret", key, signedWith(key, { user_id: 9 }));

  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), { user_id: 9 });
});
