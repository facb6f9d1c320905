// Read a session cookie without the secret key: split it, decode the
// base64url fields, inflate a compressed payload and parse the JSON.
//
// Nothing here checks the signature, so what it returns is what the cookie
// *says*, not what the server accepted. It runs in the browser as it is;
// tools/verify-session.mjs adds the signature check on top in Node.
// It uses only what browsers and Node 18+ both provide: atob, TextDecoder
// and DecompressionStream.

// Three fields of the base64url alphabet, the first after a dot when it is
// compressed: the same shape COOKIE_SHAPE in cookie.py accepts.
const COOKIE_SHAPE = /^\.?[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

// The server stops inflating a payload here (CookieFormat.max_payload_size in cookie.py),
// so that a few signed kilobytes of zeros cannot become megabytes.
export const MAX_PAYLOAD_SIZE = 64 * 1024;

// How deep arrays and objects may nest, the session itself being the first
// level (the server's StrictJSON.max_depth). JSON.parse goes much deeper
// than Python's reader, so the format sets a limit every reader keeps.
export const MAX_DEPTH = 64;

// Why a cookie was refused, as a stable code and a sentence. The codes are
// those of the test vectors: "malformed", "bad-signature", "expired", "future".
export class SessionCookieError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "SessionCookieError";
    this.code = code;
  }
}

function malformed(message) {
  return new SessionCookieError("malformed", `malformed: ${message}`);
}

// Split a cookie into the part the signature covers and the three fields.
export function splitCookie(cookie) {
  if (typeof cookie !== "string" || !COOKIE_SHAPE.test(cookie)) {
    throw malformed("not three base64url fields");
  }
  const signatureAt = cookie.lastIndexOf(".");
  const signature = cookie.slice(signatureAt + 1);
  // The last base64 character has spare bits that decoding ignores; only
  // the one canonical spelling of a signature is accepted, as on the server.
  if (encodeBase64url(decodeBase64url(signature)) !== signature) {
    throw malformed("the signature is not canonical");
  }
  const signed = cookie.slice(0, signatureAt);
  const timestampAt = signed.lastIndexOf(".");
  const payload = signed.slice(0, timestampAt);
  return {
    signed,
    payload,
    timestamp: signed.slice(timestampAt + 1),
    signature,
    compressed: payload.startsWith("."),
  };
}

// base64url without padding, decoded as strictly as Python's decoder: a
// length that leaves one character over cannot be base64 and is refused.
export function decodeBase64url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw malformed("not base64url");
  }
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

export function encodeBase64url(bytes) {
  const binary = String.fromCharCode(...bytes);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

// The signing time: a big-endian unsigned integer of at most eight bytes
// with its leading zero bytes stripped, as itsdangerous writes it. Returns
// null when the field is not one, which itsdangerous counts as a bad signature.
export function decodeTimestamp(field) {
  let bytes;
  try {
    bytes = decodeBase64url(field);
  } catch {
    return null;
  }
  if (bytes.length > 8) {
    return null;
  }
  let value = 0n;
  for (const byte of bytes) {
    value = (value << 8n) | BigInt(byte);
  }
  return Number(value);
}

async function inflate(bytes, limit) {
  // A reader loop rather than for-await: not every browser can iterate a stream.
  const reader = new Blob([bytes])
    .stream()
    .pipeThrough(new DecompressionStream("deflate"))
    .getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch {
      throw malformed("the compressed payload is corrupt or cut short");
    }
    if (chunk.done) break;
    size += chunk.value.length;
    if (size > limit) {
      await reader.cancel();
      throw malformed(`the compressed payload inflates past ${limit} bytes`);
    }
    chunks.push(chunk.value);
  }
  const inflated = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    inflated.set(chunk, offset);
    offset += chunk.length;
  }
  return inflated;
}

// A lone surrogate: half of a UTF-16 pair. With the u flag a whole pair
// is one code point, so only a half left alone matches.
const LONE_SURROGATE = /\p{Surrogate}/u;

// What the server refuses to read because readers would disagree on it:
// 1e400, which parses as Infinity, and strings or keys holding a lone
// surrogate, which have no UTF-8 form.
function refuseUnreadable(key, value) {
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw new RangeError(`${key} is out of range`);
  }
  if (LONE_SURROGATE.test(key) || (typeof value === "string" && LONE_SURROGATE.test(value))) {
    throw new RangeError("a string holds a lone surrogate");
  }
  return value;
}

// Whether arrays and objects nest more than `levels` levels deep, `value`
// itself being the first; called with MAX_DEPTH for the session. It stops
// looking at that depth, so a deep value cannot exhaust the stack.
function nestsDeeperThan(value, levels) {
  if (value === null || typeof value !== "object") return false;
  if (levels === 0) return true;
  return Object.values(value).some((item) => nestsDeeperThan(item, levels - 1));
}

// The two kinds of JSON token that can hold digits. A string is matched
// whole, so that the digits inside it are never taken for a number.
const STRING_OR_NUMBER = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
const MAX_SAFE_INTEGER = BigInt(Number.MAX_SAFE_INTEGER);

// The first integer in valid JSON text that a double cannot hold exactly,
// as it is written, or null. JSON.parse would already have rounded it,
// and Python reads it exactly, so it is found in the text: a number
// written without a fraction or exponent is an integer in Python.
function findUnsafeInteger(text) {
  for (const [token] of text.matchAll(STRING_OR_NUMBER)) {
    if (/^-?\d+$/.test(token)) {
      const integer = BigInt(token);
      if (integer > MAX_SAFE_INTEGER || integer < -MAX_SAFE_INTEGER) return token;
    }
  }
  return null;
}

// The session data in a payload field: base64url JSON, or base64url zlib
// JSON behind a leading ".". It must be a JSON object, as on the server.
export async function decodePayload(field, { maxPayloadSize = MAX_PAYLOAD_SIZE } = {}) {
  const compressed = field.startsWith(".");
  let bytes = decodeBase64url(compressed ? field.slice(1) : field);
  if (compressed) {
    bytes = await inflate(bytes, maxPayloadSize);
  }
  let text;
  let data;
  try {
    // fatal: invalid UTF-8 is an error, as in Python; ignoreBOM: a byte
    // order mark is kept, so that JSON.parse refuses it as Python does.
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    data = JSON.parse(text, refuseUnreadable);
  } catch (error) {
    const reason = error instanceof RangeError ? error.message : "not UTF-8 JSON";
    throw malformed(`undecodable payload: ${reason}`);
  }
  if (nestsDeeperThan(data, MAX_DEPTH)) {
    throw malformed(`undecodable payload: it nests deeper than ${MAX_DEPTH} levels`);
  }
  const integer = findUnsafeInteger(text);
  if (integer !== null) {
    throw malformed(`undecodable payload: ${integer} is beyond ±(2**53 - 1)`);
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    const type = data === null ? "null" : Array.isArray(data) ? "array" : typeof data;
    throw malformed(`the payload is a JSON ${type}, not an object`);
  }
  return data;
}

// What a cookie says, read without checking its signature: anyone can do
// this, which is why a session must never hold a secret.
export async function readSessionCookie(cookie, options = {}) {
  const fields = splitCookie(cookie);
  const signedAt = decodeTimestamp(fields.timestamp);
  if (signedAt === null) {
    throw malformed("the timestamp is not a base64url integer");
  }
  return {
    payload: await decodePayload(fields.payload, options),
    signedAt,
    compressed: fields.compressed,
  };
}
