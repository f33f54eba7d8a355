/**
 * The pages this Worker renders (QR page, demo, sign-in errors): HTML escaping,
 * and the one way to answer a page — with a Content-Security-Policy that
 * allows only what that page uses, and nosniff.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { bytesToBase64, randomBytes } from "../wechat/bytes";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** What a page may load beyond nothing, directive by directive: `{ "img-src": "https://mp.weixin.qq.com" }`. */
export type PagePolicy = Partial<Record<"script-src" | "style-src" | "img-src" | "connect-src", string>>;

/**
 * Every page starts from nothing: no source of any kind, no `<base>` to
 * re-point its relative links, no form posts, and no framing (clickjacking).
 */
const BASE_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The Content-Security-Policy header of a page with this policy. */
export function contentSecurityPolicy(policy: PagePolicy): string {
  return [BASE_POLICY, ...Object.entries(policy).map(([directive, sources]) => `${directive} ${sources}`)].join("; ");
}

/** A fresh nonce for a page's inline script (`'nonce-…'`): 128 random bits, new for every response. */
export function scriptNonce(): string {
  return bytesToBase64(randomBytes(16));
}

/** Answers `html` as a page under `policy`; the browser may not sniff it as anything but HTML. */
export function htmlPage(c: Context, html: string, policy: PagePolicy, status: ContentfulStatusCode = 200): Response {
  return c.html(html, status, {
    "Content-Security-Policy": contentSecurityPolicy(policy),
    "X-Content-Type-Options": "nosniff",
  });
}
