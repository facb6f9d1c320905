// Read a session cookie without the secret key: split it, decode the
// base64url fields, inflate a compressed payload and parse the JSON.
//
// Nothing here checks the signature, so what it returns is what the cookie
// *says*, not what the server accepted. It runs in the browser as it is;
// tools/verify-session.mjs adds the signature check on top in Node.
// It uses only what browsers and Node 18+ both provide: atob, TextDecoder
// and DecompressionStream.

// Three or four dot-separated fields of the base64url alphabet: the same
// shape the server's COOKIE_SHAPE accepts.
const COOKIE_SHAPE = /^\.?[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

// The server stops inflating a payload here (SessionSerializer.max_payload_size),
// so that a few signed kilobytes of zeros cannot become megabytes.
export const MAX_PAYLOAD_SIZE = 64 * 1024;

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

// The session data in a payload field: base64url JSON, or base64url zlib
// JSON behind a leading ".". It must be a JSON object, as on the server.
export async function decodePayload(field, { maxPayloadSize = MAX_PAYLOAD_SIZE } = {}) {
  const compressed = field.startsWith(".");
  let bytes = decodeBase64url(compressed ? field.slice(1) : field);
  if (compressed) {
    bytes = await inflate(bytes, maxPayloadSize);
  }
  let data;
  try {
    // fatal: invalid UTF-8 is an error, as in Python; ignoreBOM: a byte
    // order mark is kept, so that JSON.parse refuses it as Python does.
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    // 1e400 parses as Infinity: refused, as on the server.
    data = JSON.parse(text, (key, value) => {
      if (typeof value === "number" && !Number.isFinite(value)) {
        throw new RangeError(`${key} is out of range`);
      }
      return value;
    });
  } catch {
    throw malformed("undecodable payload: not UTF-8 JSON");
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
