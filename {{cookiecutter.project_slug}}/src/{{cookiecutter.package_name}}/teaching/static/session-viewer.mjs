// The session viewer's second opinion: decode the cookie again, here in the
// browser, from the value the server put in the page. (The cookie itself is
// HttpOnly, so page scripts cannot read document.cookie.)

// The reader of the cookie format, which Node's verifier uses too. It is
// not a file of this folder: the blueprint serves it one level up, at
// /session/session-cookie.mjs.
import { readSessionCookie } from "../session-cookie.mjs";

// Sorted keys and two-space indents, as the server shows its decode, so
// that the two can be compared line by line.
function sortedKeys(value) {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortedKeys(value[key])]),
  );
}

async function showBrowserDecode(section) {
  const output = section.querySelector(".browser-json");
  const status = section.querySelector(".browser-status");
  try {
    const { payload, signedAt, compressed } = await readSessionCookie(section.dataset.cookie);
    output.textContent = JSON.stringify(sortedKeys(payload), null, 2);
    output.hidden = false;
    const signed = new Date(signedAt * 1000).toISOString().replace("T", " ").slice(0, 19);
    status.textContent =
      `Decoded by this page's script${compressed ? ", after inflating the payload" : ""}.` +
      ` The timestamp says it was signed at ${signed} UTC.`;
  } catch (error) {
    status.textContent = `This page's script could not decode it either: ${error.message}.`;
  }
}

const section = document.querySelector("[data-cookie]");
if (section) {
  showBrowserDecode(section);
}
