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
  return spawnSync(process.execPath, [VERIFIER, ...args], { encoding: "utf8" });
}

const plain = vectors.find((vector) => vector.name === "plain");
const wrongKey = vectors.find((vector) => vector.name === "wrong key");
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
    assert.match(result.stderr, /usage: node tools\/verify-session\.mjs --secret KEY/);
  });
}
