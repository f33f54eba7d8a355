/**
 * Uint8Array's base64 and hex built-ins (`Uint8Array.fromBase64`, `fromHex`,
 * `toBase64`, `toHex`), which the Worker's code uses and workerd has, for the
 * pipeline run in Node (run.mjs, inprocess.mjs): Node 20 lacks them. Installed
 * only where missing, on import; with the default options only (any option is
 * refused, never silently ignored).
 */
const ASCII_WHITESPACE = /[\t\n\f\r ]/g;
const BASE64_CHARACTERS = /^[A-Za-z0-9+/]*={0,2}$/;
const HEX = /^(?:[0-9A-Fa-f]{2})*$/;

function noOptions(options) {
  if (options !== undefined) throw new TypeError("this polyfill (bench/uint8array-encoding.mjs) takes no options");
}
function bufferOf(bytes) {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("not a Uint8Array");
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
function text(value) {
  if (typeof value !== "string") throw new TypeError("not a string");
  return value;
}
/**
 * Base64 as fromBase64 takes it by default ("loose"): groups of four, the last
 * of two or three characters either padded to four with "=" or not padded.
 * Two tests rather than one regex of groups, which costs the benchmark a µs a message.
 */
function isBase64(string) {
  if (!BASE64_CHARACTERS.test(string)) return false;
  return string.endsWith("=") ? string.length % 4 === 0 : string.length % 4 !== 1;
}

const statics = {
  fromBase64(string, options) {
    noOptions(options);
    let compact = text(string);
    if (!isBase64(compact)) {
      compact = compact.replace(ASCII_WHITESPACE, ""); // whitespace is allowed anywhere, and rare
      if (!isBase64(compact)) throw new SyntaxError("not base64");
    }
    // A copy, not a view of Buffer's shared pool: a fresh ArrayBuffer of its own, as the built-in returns.
    return new Uint8Array(Buffer.from(compact, "base64"));
  },
  fromHex(string) {
    if (!HEX.test(text(string))) throw new SyntaxError("not hex: an even number of hex digits");
    return new Uint8Array(Buffer.from(string, "hex")); // a copy, as above
  },
};
const methods = {
  toBase64(options) {
    noOptions(options);
    return bufferOf(this).toString("base64");
  },
  toHex() {
    return bufferOf(this).toString("hex");
  },
};

for (const [target, functions] of [
  [Uint8Array, statics],
  [Uint8Array.prototype, methods],
]) {
  for (const [name, value] of Object.entries(functions)) {
    if (!(name in target)) Object.defineProperty(target, name, { value, writable: true, configurable: true });
  }
}
