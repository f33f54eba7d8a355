/**
 * /admin/*: operator endpoints behind ADMIN_TOKEN. Thin: validation lives
 * with each API module, the page in ../admin/.
 */
import { Hono, type Context } from "hono";
import { adminAuth } from "../admin/auth";
import { QR_PAGE_POLICY, renderQrPage } from "../admin/qrcode-page";
import { apiFor } from "../api/client";
import { InvalidInputError, WeChatApiError } from "../api/errors";
import type { QrRequest } from "../api/qrcode";
import type { Env } from "../env";
import { htmlPage } from "../web/html";
import { jsonError } from "./errors";

type AdminEnv = { Bindings: Env };

export function adminRoutes() {
  const admin = new Hono<AdminEnv>();

  admin.use("*", adminAuth());

  admin.get("/qrcode", async (c) => {
    const qr = await apiFor(c.env).qrcode.create(parseQrQuery(new URL(c.req.url).searchParams));
    if (wantsJson(c.req.header("accept"))) {
      return c.json({
        ticket: qr.ticket,
        url: qr.url,
        ...(qr.expireSeconds === undefined ? {} : { expire_seconds: qr.expireSeconds }),
        image: qr.image,
      });
    }
    return htmlPage(c, renderQrPage(qr, Date.now()), QR_PAGE_POLICY);
  });

  admin.get("/menu", async (c) => c.json(await apiFor(c.env).menu.get()));
  admin.put("/menu", async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw new InvalidInputError("the body must be the menu as JSON (WeChat's menu/create format)");
    }
    await apiFor(c.env).menu.create(body);
    return c.json({ ok: true });
  });
  admin.delete("/menu", async (c) => {
    await apiFor(c.env).menu.delete();
    return c.json({ ok: true });
  });

  admin.post("/messages/template", async (c) => {
    const body = await jsonBody(c.req.raw);
    return c.json(await apiFor(c.env).message.sendTemplate(body as never));
  });
  admin.post("/messages/custom", async (c) => {
    const body = (await jsonBody(c.req.raw)) as Record<string, unknown> | null;
    if (typeof body !== "object" || body === null) throw new InvalidInputError("the body must be a JSON object");
    const { touser, kf_account, ...message } = body;
    if (kf_account !== undefined && typeof kf_account !== "string")
      throw new InvalidInputError("kf_account must be a string");
    await apiFor(c.env).message.sendCustom(touser as string, message as never, kf_account);
    return c.json({ ok: true });
  });

  admin.onError((err, c) => adminError(err, c));
  return admin;
}

async function jsonBody(request: Request): Promise<unknown> {
  try {
    return await request.json();
  } catch {
    throw new InvalidInputError("the body must be JSON");
  }
}

/** The query of /admin/qrcode as a QrRequest; InvalidInputError for anything malformed. */
export function parseQrQuery(q: URLSearchParams): QrRequest {
  const scene = q.get("scene");
  if (scene === null || scene === "") throw new InvalidInputError("scene is required (?scene=…)");
  const permanentRaw = q.get("permanent");
  if (permanentRaw !== null && !["1", "0", "true", "false"].includes(permanentRaw)) {
    throw new InvalidInputError("permanent must be 1 or 0");
  }
  const permanent = permanentRaw === "1" || permanentRaw === "true";
  const expireRaw = q.get("expire");
  if (expireRaw !== null && !/^\d{1,10}$/.test(expireRaw))
    throw new InvalidInputError("expire must be a whole number of seconds");
  return { scene, permanent, ...(expireRaw === null ? {} : { expireSeconds: Number(expireRaw) }) };
}

function wantsJson(accept: string | undefined): boolean {
  return /application\/json/i.test(accept ?? "") && !/text\/html/i.test(accept ?? "");
}

/** Errors as JSON (routes/errors.ts); "no menu" (46003) is a 404 here, not an upstream failure. */
function adminError(err: unknown, c: Context<AdminEnv>): Response {
  if (err instanceof WeChatApiError && err.errcode === 46003) {
    return c.json({ error: "no_menu", errcode: err.errcode, errmsg: err.errmsg }, 404);
  }
  return jsonError(err, c, "admin");
}
