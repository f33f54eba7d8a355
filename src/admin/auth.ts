/**
 * Bearer-token check for /admin/* (RFC 6750), on Hono's bearer-auth: refused
 * while ADMIN_TOKEN is unset, compared in constant time, and every refusal a
 * 401 with a JSON reason (never a 400, so that a client needs one rule).
 */
import type { Context, MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { timingSafeEqual } from "hono/utils/buffer";
import type { Env } from "../env";

type AdminContext = Context<{ Bindings: Env }>;

/** RFC 6750's token characters: what a Bearer header can carry. */
const BEARER_TOKEN = /^[A-Za-z0-9._~+/-]+=*$/;

function refusal(c: AdminContext): Response {
  const token = c.env.ADMIN_TOKEN;
  const message = !token
    ? "admin is disabled until ADMIN_TOKEN is set"
    : BEARER_TOKEN.test(token)
      ? "missing or wrong bearer token"
      : "ADMIN_TOKEN can never match: use only letters, digits and -._~+/ (RFC 6750)";
  return c.json({ error: "unauthorized", message }, 401, { "www-authenticate": 'Bearer realm="admin"' });
}

export function adminAuth(): MiddlewareHandler<{ Bindings: Env }> {
  return bearerAuth({
    verifyToken: async (given, c: AdminContext) => {
      const token = c.env.ADMIN_TOKEN;
      return typeof token === "string" && token !== "" && (await timingSafeEqual(given, token));
    },
    noAuthenticationHeader: { message: refusal },
    invalidAuthenticationHeader: { message: refusal },
    invalidToken: { message: refusal },
  });
}
