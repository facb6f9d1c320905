// The Node verifier against every shared test vector, and its command line.
// Run with: node --test tests/js/

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

import { SessionCookieError, verifySession } from "../../tools/verify-session.mjs";

const VERIFIER = fileURLToPath(new URL("../../tools/verify-session.mjs", import.meta.url));
const { vectors } = JSON.parse(
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
    "--secret", "a key that is not it",
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
    env, "--secret", "a key that is not it", "--max-age", CENTURY, plain.cookie,
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
