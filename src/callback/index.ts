/**
 * `/wechat`, where WeChat's servers call: GET is the server check, POST a
 * follower's message or event. The pipeline, stage by stage, is in pipeline.ts.
 */
import { Hono, type Context } from "hono";
import type { Env } from "../env";
import type { Primitives } from "../wechat/primitives";
import type { Bot } from "../wechat/router";
import { CallbackCrypto, readBody, type QueryParams } from "./inbound";
import type { CallbackAnswer } from "./outcome";
import { processCallback, verifyServer } from "./pipeline";

export { processCallback, verifyServer, type CallbackServices } from "./pipeline";
export { CallbackCrypto, MAX_BODY_BYTES, type QueryParams } from "./inbound";
export type { CallbackAnswer } from "./outcome";

export interface CallbackOptions {
  /** SHA-1 and AES for the protocol; Web Crypto unless a benchmark brings its own. */
  primitives?: Primitives;
}

export function callbackRoutes<E extends Env>(bot: Bot<E>, options: CallbackOptions = {}) {
  const crypto = new CallbackCrypto(options.primitives);
  return new Hono<{ Bindings: E }>()
    .get("/", async (c) => respond(await verifyServer(queryOf(c), c.env, crypto)))
    .post("/", async (c) => {
      const services = { env: c.env, bot, waitUntil: waitUntilOf(c), crypto };
      return respond(await processCallback(queryOf(c), () => readBody(c.req.raw), services));
    })
    .all("/", (c) =>
      c.text("method not allowed: WeChat calls GET (server check) and POST (messages)", 405, { allow: "GET, POST" }),
    );
}

const TEXT = { "content-type": "text/plain; charset=utf-8" };
const XML = { "content-type": "application/xml; charset=utf-8" };

function respond(answer: CallbackAnswer): Response {
  return new Response(answer.body, { status: answer.status, headers: answer.xml ? XML : TEXT });
}

/** The query, read once: every read of the request's URL is a copy of it from the runtime. */
function queryOf(c: Context): QueryParams {
  const query = c.req.query();
  return { get: (name) => query[name] ?? null };
}

/** The request's waitUntil; outside a Worker (app.request() without a context) work is left to finish on its own. */
function waitUntilOf(c: Context): (promise: Promise<unknown>) => void {
  try {
    const ctx = c.executionCtx;
    return (promise) => ctx.waitUntil(promise);
  } catch {
    return (promise) => void promise.catch(() => {});
  }
}
