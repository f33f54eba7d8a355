/**
 * Recognises a callback's URL (POST /wechat) and reads its query, on the hot
 * path, without the runtime's URL and URLSearchParams objects: in workerd
 * each is a C++ object behind a JS wrapper, and building them measured ~4 µs
 * of a callback's CPU. The plain shape WeChat sends — an absolute URL whose
 * path is exactly `/wechat`, a query of `name=value` pairs of printable ASCII
 * with nothing percent-encoded, no `+` and no fragment — is read here; any
 * other URL gets the standard parsers, so both always agree
 * (test/callback-url.test.ts holds them to it).
 */

import type { QueryParams } from "../callback";

const CALLBACK_PATH = "/wechat";

/** Printable ASCII but `%`, `+` and `#`: nothing URLSearchParams would decode. */
const PLAIN = /^[!"$&-*,-~]*$/;

/**
 * A plain query, looked up on demand (the pipeline asks for six names): the
 * first `name=value` pair of that name wins, a bare `name` is "", as in URLSearchParams.
 */
class PlainQuery implements QueryParams {
  constructor(readonly query: string) {}
  get(name: string): string | null {
    const q = this.query;
    for (let i = 0; i <= q.length;) {
      let end = q.indexOf("&", i);
      if (end === -1) end = q.length;
      if (end > i && q.startsWith(name, i)) {
        const after = i + name.length;
        if (after === end) return "";
        if (q.charCodeAt(after) === 61 /* = */) return q.slice(after + 1, end);
      }
      i = end + 1;
    }
    return null;
  }
}

/**
 * The query of a callback (POST to path `/wechat`), or null for any other
 * request. `url` is the request's absolute URL.
 */
export function callbackQuery(method: string, url: string): QueryParams | null {
  if (method !== "POST") return null;
  const authority = url.indexOf("//");
  const path = authority === -1 ? -1 : url.indexOf("/", authority + 2);
  if (path !== -1 && url.startsWith(CALLBACK_PATH, path)) {
    const end = path + CALLBACK_PATH.length;
    if (end === url.length) return new PlainQuery("");
    if (url.charCodeAt(end) === 63 /* ? */) {
      const query = readPlainQuery(url, end + 1);
      if (query !== null) return query;
    }
  }
  // Anything else (a fragment, escapes, a path that only normalises to /wechat): the standard way.
  const parsed = new URL(url);
  return parsed.pathname === CALLBACK_PATH ? parsed.searchParams : null;
}

/** The query of `url` from `from` on, or null when a character asks for decoding or is not printable ASCII. */
export function readPlainQuery(url: string, from: number): QueryParams | null {
  const query = url.slice(from);
  return PLAIN.test(query) ? new PlainQuery(query) : null;
}
