// The cookie decoder written for browsers and Node alike, tested in Node:
// the same module, using only what both provide.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
  SessionCookieError,
  decodeBase64url,
  decodeTimestamp,
  readSessionCookie,
  splitCookie,
} from "../../src/{{ cookiecutter.package_name }}/sessions/session-cookie.mjs";

const { vectors } = JSON.parse(
  readFileSync(new URL("../vectors/sessions.json", import.meta.url), "utf8"),
);
const valid = vectors.filter((vector) => !vector.expected.error);

for (const vector of valid) {
  test(`reads vector "${vector.name}" without the key`, async () => {
    assert.deepEqual(await readSessionCookie(vector.cookie), {
      payload: vector.expected.payload,
      signedAt: vector.expected.signed_at,
      compressed: vector.expected.compressed,
    });
  });
}

test("reads a forged cookie just the same: reading is not verifying", async () => {
  const forged = vectors.find((vector) => vector.name === "tampered payload");

  const { payload } = await readSessionCookie(forged.cookie);

  assert.equal(payload.user_id, 1);
});

for (const name of [
  "not a cookie",
  "payload not JSON",
  "payload an array",
  "payload not UTF-8",
  "corrupt compressed payload",
  "compressed payload cut short",
  "compression bomb",
]) {
  test(`refuses vector "${name}" as malformed`, async () => {
    const vector = vectors.find((candidate) => candidate.name === name);

    await assert.rejects(readSessionCookie(vector.cookie), (error) => {
      assert.ok(error instanceof SessionCookieError);
      assert.equal(error.code, "malformed");
      return true;
    });
  });
}

test("splits the fields, keeping the dot of a compressed payload", () => {
  assert.deepEqual(splitCookie(".eJw.aVW5AA.c2ln"), {
    signed: ".eJw.aVW5AA",
    payload: ".eJw",
    timestamp: "aVW5AA",
    signature: "c2ln",
    compressed: true,
  });
});

for (const value of ["", "a.b", "a..b.c", "a.b.c.d", "a b.c.d", "a=.b.c", ".a.b.c.", null]) {
  test(`splitCookie refuses ${JSON.stringify(value)}`, () => {
    assert.throws(() => splitCookie(value), { code: "malformed" });
  });
}

test("decodes base64url without padding, and refuses what cannot be base64", () => {
  assert.deepEqual([...decodeBase64url("-_8")], [0xfb, 0xff]);
  assert.throws(() => decodeBase64url("abcde"), { code: "malformed" });
  assert.throws(() => decodeBase64url("ab+/"), { code: "malformed" });
});

test("decodes timestamps as itsdangerous writes them", () => {
  assert.equal(decodeTimestamp("aVW5AA"), 1767225600);
  assert.equal(decodeTimestamp("AQ"), 1);
  assert.equal(decodeTimestamp(""), 0);
  assert.equal(decodeTimestamp("AQEBAQEBAQEB"), null);
  assert.equal(decodeTimestamp("abcde"), null);
});
