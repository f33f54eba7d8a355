/**
 * The callback pipeline, from WeChat's request to the reply that leaves:
 *   verify signature → read body → (decrypt) → parse → dispatch to the bot →
 *   render the reply → (encrypt).
 * Runtime-agnostic (a Request in, a Response out) so the routes stay thin and
 * the same code can be driven in-process by benchmarks.
 */
import { apiFor, type WeChatApi } from "./api/client";
import { ConfigError, callbackConfig, type CallbackConfig } from "./config";
import type { Env } from "./env";
import { deliverDeferred } from "./delivery/deferred";
import { dedupKey, isFirstDelivery, shardOf } from "./delivery/policy";
import { recentDelivery, rememberDelivery, rememberFirst } from "./delivery/recent";
import { deadline, enqueueRecord, ledgerStub } from "./delivery/recorder";
import { describeError, log, logCallback, routineLine } from "./log";
import { randomBytes, utf8Decoder } from "./wechat/bytes";
import { CryptoError } from "./wechat/crypto";
import { messageKind, toMessage } from "./wechat/messages";
import { renderEncrypted, renderReplyBody, replyForRetry, wrapReply, type Reply } from "./wechat/replies";
import type { Message } from "./wechat/messages";
import type { Bot, Context, Mode } from "./wechat/router";
import { sign, verifySignature } from "./wechat/signature";
import { XmlError, parseXml, textOf } from "./wechat/xml";

const DEADLINE: unique symbol = Symbol("deadline");
/** Microtask turns a handler gets to settle before a deadline timer is started (no wall time passes). */
const QUICK_TURNS = 64;
const SUCCESS: Reply = { type: "success" };

/** WeChat's messages are a few hundred bytes; anything past this is not WeChat. */
export const MAX_BODY_BYTES = 64 * 1024;

const TEXT = { "content-type": "text/plain; charset=utf-8" };
const XML = { "content-type": "application/xml; charset=utf-8" };

/** A refusal: status and a short reason that quotes nothing from the request. */
class Refusal extends Error {
  constructor(
    readonly status: 400 | 403 | 413,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** What the pipeline reads from the query (URLSearchParams satisfies it; see routes/callback-url.ts). */
export interface QueryParams {
  get(name: string): string | null;
}

export interface CallbackContext<E extends Env> {
  env: E;
  bot: Bot<E>;
  waitUntil(promise: Promise<unknown>): void;
}

/** `GET /wechat`: WeChat's server check (验证服务器地址的有效性). */
export async function verifyServer(url: URL, env: Env): Promise<Response> {
  const started = Date.now();
  try {
    const config = callbackConfig(env);
    const q = url.searchParams;
    const echostr = q.get("echostr");
    if (echostr === null) throw new Refusal(400, "missing query parameter: echostr");
    if (!(await checkQuery(q, config, started).signed)) throw new Refusal(403, "forged signature");
    log("verify", { outcome: "ok", status: 200, ms: Date.now() - started });
    return new Response(echostr, { headers: TEXT });
  } catch (e) {
    const answer = failure("verify", e, started, {});
    return new Response(answer.body, { status: answer.status, headers: TEXT });
  }
}

/** What the pipeline answers: a status and a body (XML, `success`, or a refusal's reason). */
export interface CallbackAnswer {
  status: number;
  body: string;
  xml: boolean;
}

/** `POST /wechat`: one message or event, answered with a passive reply. */
export async function handleCallback<E extends Env>(
  request: Request,
  query: QueryParams,
  ctx: CallbackContext<E>,
): Promise<Response> {
  const answer = await processCallback(query, () => readBody(request), ctx);
  return new Response(answer.body, { status: answer.status, headers: answer.xml ? XML : TEXT });
}

/** What the callback's log line says: mode, type, reply, and a handler's error when there was one. */
type CallbackFields = Record<string, string | number | undefined>;

/**
 * The pipeline without HTTP objects: the query, a reader for the body (called
 * only once the query's signature holds), and the answer.
 */
export async function processCallback<E extends Env>(
  q: QueryParams,
  readBody: () => Promise<string>,
  ctx: CallbackContext<E>,
  started = Date.now(), // the deadline counts from here: the request's arrival
): Promise<CallbackAnswer> {
  const fields: CallbackFields = {};
  try {
    const config = callbackConfig(ctx.env);
    const encryptType = q.get("encrypt_type");
    if (encryptType !== null && encryptType !== "aes" && encryptType !== "raw") {
      throw new Refusal(400, "unknown encrypt_type");
    }
    const encrypted = encryptType === "aes";
    const msgSignature = q.get("msg_signature");
    if (encrypted && msgSignature === null) throw new Refusal(400, "missing query parameter: msg_signature");
    const { timestamp, nonce, signed } = checkQuery(q, config, started);
    if (!(await signed)) throw new Refusal(403, "forged signature");

    const raw = await readBody();
    const outer = parseXml(raw);
    let mode: Mode = "plaintext";
    let inner = outer;
    if (encrypted) {
      const encrypt = textOf(outer, "Encrypt");
      if (encrypt === undefined || encrypt.length === 0) throw new Refusal(400, "encrypted message without Encrypt");
      if (!(await verifySignature(msgSignature!, config.token, timestamp, nonce, encrypt))) {
        throw new Refusal(403, "forged msg_signature");
      }
      const cipher = await cipherOf(config);
      inner = parseXml(await cipher.decrypt(encrypt));
      // 兼容模式 sends the plaintext fields beside Encrypt; only the decrypted copy is trusted.
      mode = outer["MsgType"] === undefined ? "safe" : "compatible";
    }
    const message = toMessage(inner);
    fields.mode = mode;
    fields.type = messageKind(message);
    // The runtime's clock stands still between I/O, so one reading serves until the next await.
    let now = Date.now();

    // Exactly once: a request that may be a retry asks the ledger before anything runs.
    const ledger = config.exactlyOnce ? config.ledger : null;
    const key = dedupKey(message);
    const shard = shardOf(message.FromUserName);
    const firstDelivery = isFirstDelivery(toNumber(message.CreateTime), toNumber(timestamp), now);
    if (ledger !== null) {
      // Handled here moments ago (a resend before the ledger record is written): answer as a retry.
      const local = recentDelivery(key, now);
      if (local !== undefined) {
        return local.state === "replied" && local.reply !== undefined
          ? answer(
              replyForRetry(local.reply, message.FromUserName, message.ToUserName, now),
              "retry_reply",
              fields,
              encrypted,
              config,
              started,
            )
          : answer("success", "retry_success", fields, encrypted, config, started);
      }
      // A first delivery's `running` record (and this isolate's memory of it) is written
      // only if its handler is still running after the quick turns below; otherwise its
      // final record says it all.
      if (!firstDelivery) {
        const stub = ledgerStub(ledger, shard);
        const claim = await stub.claim(key);
        if (claim.state !== "new") {
          const again = claim.reply !== undefined ? await stub.takeForRetry(key) : null;
          return again !== null
            ? answer(
                replyForRetry(again, message.FromUserName, message.ToUserName, Date.now()),
                "retry_reply",
                fields,
                encrypted,
                config,
                started,
              )
            : answer("success", "retry_success", fields, encrypted, config, started);
        }
      }
    }

    const env = ctx.env;
    let answered = false;
    const onHandlerError = (e: unknown): Reply => {
      // A handler's bug is ours, not WeChat's: answer `success` (silence) rather
      // than a 5xx that WeChat shows the follower as "该公众号暂时无法提供服务".
      // Before the deadline it goes on the callback's own log line; after, on its own.
      if (answered) log("handler_error", { ...fields, ...describeError(e) });
      else Object.assign(fields, { handler: "error" }, describeError(e));
      return SUCCESS;
    };
    // A synchronous handler (the usual echo or menu reply) is done here: no promise, no timer.
    const handled = startHandler(ctx.bot, new HandlerContext(message, env, mode, ctx.waitUntil), onHandlerError);
    let settled: Reply | typeof DEADLINE;
    let reply: Promise<Reply> | undefined;
    if (!(handled instanceof Promise)) settled = handled;
    else {
      reply = handled;
      // A handler that does no I/O settles within a few microtask turns: wait for
      // those first, so that only handlers still pending after them pay for a
      // timer (creating one costs more than the rest of a plaintext callback).
      let quick: Reply | undefined;
      void reply.then((r) => (quick = r));
      for (let turn = 0; quick === undefined && turn < QUICK_TURNS; turn++) await undefined;
      if (quick !== undefined) settled = quick;
      else {
        // No other request ran in this isolate during the microtask turns, so nothing was missed.
        if (ledger !== null) {
          if (firstDelivery) enqueueRecord(ledger, shard, { key, state: "running" }, ctx.waitUntil);
          rememberDelivery(key, { state: "running" }, Date.now());
        }
        // The handler keeps running whatever happens; the deadline only decides how its reply leaves.
        const timer = deadline(config.replyDeadlineMs - (Date.now() - started), DEADLINE);
        settled = await Promise.race([reply, timer.reached]);
        timer.cancel();
      }
      now = Date.now();
    }
    if (settled === DEADLINE) {
      answered = true;
      if (ledger !== null) rememberDelivery(key, { state: "deferred" }, now);
      // Past the deadline: answer now, deliver later through the customer-service API.
      ctx.waitUntil(
        deliverDeferred(env, message, key, ledger === null ? null : ledgerStub(ledger, shard), reply!, started).catch(
          (e) => log("deferred", { ...fields, outcome: "error", ...describeError(e) }),
        ),
      );
      return answer("success", "deferred", fields, encrypted, config, started);
    }
    // The ledger and this isolate keep the body alone: a retry's own message gives back the envelope.
    const body = renderReplyBody(settled);
    const xml = wrapReply(body, message.FromUserName, message.ToUserName, now);
    fields.reply = settled.type;
    if (ledger !== null) {
      const record =
        body === "success" ? { key, state: "done" as const } : { key, state: "replied" as const, reply: body };
      // A first delivery with a synchronous handler has not awaited since the check above,
      // so this isolate cannot have remembered the message meanwhile.
      if (firstDelivery && reply === undefined) rememberFirst(key, record, now);
      else rememberDelivery(key, record, now);
      enqueueRecord(ledger, shard, record, ctx.waitUntil);
    }
    return answer(xml, fields.handler === undefined ? "replied" : "handler_error", fields, encrypted, config, started);
  } catch (e) {
    return failure("callback", e, started, fields);
  }
}

/** The bot's reply: a Reply when the handler was synchronous, else a promise; a handler's error becomes `onError`'s reply. */
function startHandler<E extends Env>(
  bot: Bot<E>,
  context: Context<Message, E>,
  onError: (e: unknown) => Reply,
): Reply | Promise<Reply> {
  try {
    const handled = bot.handle(context);
    return handled instanceof Promise ? handled.catch(onError) : handled;
  } catch (e) {
    return onError(e);
  }
}

/**
 * What a handler's `ctx` is: a class, so the lazy `api` getter lives on the
 * prototype instead of being defined on every callback's context object.
 */
class HandlerContext<E extends Env> implements Context<Message, E> {
  constructor(
    readonly message: Message,
    readonly env: E,
    readonly mode: Mode,
    readonly waitUntil: (promise: Promise<unknown>) => void,
  ) {}

  get api(): WeChatApi {
    return apiFor(this.env);
  }
}

/** A 200 answer, encrypted when the message was, and its callback log line. */
function answer(
  xml: string,
  outcome: string,
  fields: CallbackFields,
  encrypted: boolean,
  config: CallbackConfig,
  started: number,
): CallbackAnswer | Promise<CallbackAnswer> {
  if (xml === "success" || !encrypted) return logged(xml, xml, outcome, fields, started);
  // Returned, not awaited, by processCallback: a failure here is turned into its answer here.
  return encryptReply(xml, config).then(
    (body) => logged(xml, body, outcome, fields, started),
    (e: unknown) => failure("callback", e, started, fields),
  );
}

/**
 * The callback's line: hand-built as usual, the generic one when a handler's
 * error adds its fields; a routine reply's only when one is due (log.ts' routineLine).
 */
function logged(xml: string, body: string, outcome: string, fields: CallbackFields, started: number): CallbackAnswer {
  const now = Date.now();
  if (fields.handler !== undefined) log("callback", { ...fields, outcome, status: 200, ms: now - started });
  else {
    const unlogged = outcome === "replied" ? routineLine(now) : 0;
    if (unlogged !== undefined)
      logCallback(
        fields.mode as string,
        fields.type as string,
        fields.reply as string | undefined,
        outcome,
        now - started,
        unlogged,
      );
  }
  return { status: 200, body, xml: xml !== "success" };
}

/** Digits as a number without the runtime's general string-to-number call; anything else as Number() reads it. */
function toNumber(text: string | undefined): number {
  if (text === undefined) return NaN;
  const n = text.length;
  if (n === 0 || n > 15) return Number(text);
  let value = 0;
  for (let i = 0; i < n; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number(text);
    value = value * 10 + d;
  }
  return value;
}

async function encryptReply(xml: string, config: CallbackConfig): Promise<string> {
  const cipher = await cipherOf(config);
  const encrypt = await cipher.encrypt(xml);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomNonce();
  const signature = await sign(config.token, timestamp, nonce, encrypt);
  return renderEncrypted(encrypt, signature, timestamp, nonce);
}

async function cipherOf(config: CallbackConfig) {
  if (config.cipher instanceof ConfigError) throw config.cipher;
  return config.cipher;
}

/** Ten random digits, as WeChat's own nonces look. */
function randomNonce(): string {
  const digits = randomBytes(10); // a fresh copy: rewritten in place
  // 256 % 10 ≠ 0 skews the digits slightly; a nonce needs to be unrepeated, not uniform.
  for (let i = 0; i < digits.length; i++) digits[i] = 48 + (digits[i]! % 10);
  return String.fromCharCode(...digits);
}

const TIMESTAMP = /^\d{1,12}$/;

/**
 * Presence and replay window, checked at once (throwing a Refusal), then the
 * signature: `signed` settles to whether it holds. Not an async function, so
 * that the callback's await on it waits on the digest's promise alone.
 */
function checkQuery(
  q: QueryParams,
  config: CallbackConfig,
  now: number,
): { timestamp: string; nonce: string; signed: Promise<boolean> } {
  const signature = q.get("signature");
  const timestamp = q.get("timestamp");
  const nonce = q.get("nonce");
  if (signature === null || timestamp === null || nonce === null) {
    throw new Refusal(400, "missing query parameter: signature, timestamp and nonce are required");
  }
  if (!TIMESTAMP.test(timestamp)) throw new Refusal(400, "timestamp is not a number");
  if (config.replayWindowS > 0 && Math.abs(now / 1000 - toNumber(timestamp)) > config.replayWindowS) {
    throw new Refusal(403, "timestamp outside the replay window");
  }
  return { timestamp, nonce, signed: verifySignature(signature, config.token, timestamp, nonce) };
}

/**
 * The body as text, refusing more than MAX_BODY_BYTES whatever Content-Length
 * claims. Not an async function where the length is declared (WeChat always
 * declares it): the callback's await is on the runtime's own read.
 */
function readBody(request: Request): Promise<string> {
  const declared = request.headers.get("content-length");
  if (declared === null) return readUndeclared(request);
  if (toNumber(declared) > MAX_BODY_BYTES) throw new Refusal(413, "body over 64 KiB");
  // The runtime holds the body to its declared length: read it in one piece.
  return request.arrayBuffer().then(decodeUtf8);
}

async function readUndeclared(request: Request): Promise<string> {
  if (request.body === null) throw new Refusal(400, "empty body");
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => {});
      throw new Refusal(413, "body over 64 KiB");
    }
    chunks.push(value);
  }
  let bytes: Uint8Array;
  if (chunks.length === 1) bytes = chunks[0]!;
  else {
    bytes = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.byteLength;
    }
  }
  return decodeUtf8(bytes);
}

function decodeUtf8(bytes: ArrayBuffer | Uint8Array): string {
  if (bytes.byteLength > MAX_BODY_BYTES) throw new Refusal(413, "body over 64 KiB");
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    throw new Refusal(400, "body is not UTF-8");
  }
}

function failure(event: string, e: unknown, started: number, fields: CallbackFields): CallbackAnswer {
  const ms = Date.now() - started;
  const textAnswer = (status: number, body: string): CallbackAnswer => ({ status, body, xml: false });
  if (e instanceof Refusal) {
    log(event, { ...fields, outcome: "refused", status: e.status, reason: e.reason, ms });
    return textAnswer(e.status, e.reason);
  }
  if (e instanceof XmlError || e instanceof CryptoError) {
    const reason = e instanceof CryptoError ? `undecryptable message (${e.code})` : e.message;
    log(event, { ...fields, outcome: "refused", status: 400, reason, ms });
    return textAnswer(400, reason);
  }
  if (e instanceof ConfigError) {
    log(event, { ...fields, outcome: "config_error", status: 500, variable: e.variable, ms });
    return textAnswer(500, `Configuration error: ${e.message}`);
  }
  log(event, { ...fields, outcome: "error", status: 500, ms, ...describeError(e) });
  return textAnswer(500, "internal error");
}
