/**
 * The handler API an account owner writes their bot in: route by message
 * type, event, event key and text (exact or pattern), with middleware and a
 * fallback. Handlers get a typed context and return a reply, a string (text),
 * or nothing (`success`), synchronously or not.
 *
 * Precedence, most specific first, then registration order:
 *   text:   exact text → text pattern → on("text") → fallback
 *   events: exact event key → event key pattern → event(name) → on("event") → fallback
 *   others: on(type) → fallback
 */
import type { WeChatApi } from "../api/client";
import type {
  EventName,
  EventTypes,
  Message,
  MessageType,
  MessageTypes,
  TextMessage,
  UnknownMessage,
} from "./messages";
import { toReply, type HandlerResult, type Reply } from "./replies";

/** How the message arrived: 明文 / 兼容 / 安全 mode. */
export type Mode = "plaintext" | "compatible" | "safe";

export interface Context<M extends Message = Message, E = unknown> {
  /** The message or event, fields as WeChat names them, values as sent. */
  readonly message: M;
  /** The Worker's bindings and vars. */
  readonly env: E;
  readonly mode: Mode;
  /** Keeps the Worker alive for work that outlives the reply. */
  waitUntil(promise: Promise<unknown>): void;
  /** WeChat's API with the shared access_token (created on first use). */
  readonly api: WeChatApi;
  /** For a route matched by a RegExp: the match (text, or event key). */
  readonly match?: RegExpExecArray;
}

export type Handler<M extends Message, E> = (ctx: Context<M, E>) => HandlerResult | Promise<HandlerResult>;
/** What to answer when a handler failed; `error` is what it threw. */
export type ErrorHandler<E> = (error: unknown, ctx: Context<Message, E>) => HandlerResult | Promise<HandlerResult>;
export type Middleware<E> = (
  ctx: Context<Message, E>,
  next: () => Promise<Reply>,
) => HandlerResult | Promise<HandlerResult>;

type Matcher = string | RegExp | readonly (string | RegExp)[];
type AnyHandler<E> = Handler<any, E>;
interface PatternRoute<E> {
  pattern: RegExp;
  handler: AnyHandler<E>;
}

export class Bot<E = unknown> {
  readonly #middleware: Middleware<E>[] = [];
  readonly #exactText = new Map<string, AnyHandler<E>>();
  readonly #textPatterns: PatternRoute<E>[] = [];
  readonly #types = new Map<string, AnyHandler<E>>();
  readonly #exactKeys = new Map<string, AnyHandler<E>>(); // "<Event>\n<EventKey>"
  readonly #keyPatterns = new Map<string, PatternRoute<E>[]>();
  readonly #events = new Map<string, AnyHandler<E>>();
  #fallback: AnyHandler<E> | undefined;
  #onError: ErrorHandler<E> | undefined;

  /** Runs around every dispatch; return without calling `next` to answer yourself. */
  use(middleware: Middleware<E>): this {
    this.#middleware.push(middleware);
    return this;
  }

  /** Messages of one `MsgType` (`text`, `image`, …, or `event` for every event). */
  on<T extends MessageType>(type: T, handler: Handler<MessageTypes[T], E>): this;
  on(type: string, handler: Handler<UnknownMessage, E>): this;
  on(type: string, handler: AnyHandler<E>): this {
    setOnce(this.#types, type, handler);
    return this;
  }

  /** Text messages whose `Content` equals a string, or matches a RegExp (see `ctx.match`). */
  text(match: Matcher, handler: Handler<TextMessage, E>): this {
    for (const m of matchers(match)) {
      if (typeof m === "string") setOnce(this.#exactText, m, handler);
      else this.#textPatterns.push({ pattern: m, handler });
    }
    return this;
  }

  /** One event, optionally only for an `EventKey` (a menu key, a QR scene…). */
  event<K extends EventName>(name: K, handler: Handler<EventTypes[K], E>): this;
  event<K extends EventName>(name: K, key: Matcher, handler: Handler<EventTypes[K], E>): this;
  event(name: string, keyOrHandler: Matcher | AnyHandler<E>, maybeHandler?: AnyHandler<E>): this {
    if (typeof keyOrHandler === "function") {
      setOnce(this.#events, name, keyOrHandler);
      return this;
    }
    const handler = maybeHandler!;
    for (const m of matchers(keyOrHandler)) {
      if (typeof m === "string") setOnce(this.#exactKeys, `${name}\n${m}`, handler);
      else {
        const list = this.#keyPatterns.get(name) ?? [];
        list.push({ pattern: m, handler });
        this.#keyPatterns.set(name, list);
      }
    }
    return this;
  }

  /** Everything no other route took. Without one, such messages get `success`. */
  fallback(handler: Handler<Message, E>): this {
    this.#fallback = handler;
    return this;
  }

  /**
   * The answer to a follower whose message a handler failed on (it threw, or
   * returned something that is not a reply), before or after the deadline:
   * it reaches them by the same rules as any reply. The error is logged
   * either way. Without one, the follower gets nothing (`success`).
   */
  onError(handler: ErrorHandler<E>): this {
    this.#onError = handler;
    return this;
  }

  /** The onError answer to `error`, at once or as a promise; undefined without onError. Its own failure propagates. */
  recover(error: unknown, ctx: Context<Message, E>): Reply | Promise<Reply> | undefined {
    if (this.#onError === undefined) return undefined;
    const result = this.#onError(error, ctx);
    return isThenable(result) ? Promise.resolve(result).then(toReply) : toReply(result);
  }

  /**
   * Runs middleware and the matching handler. Without middleware, a
   * synchronous handler's reply comes back at once and its error is thrown
   * (so the callback needs no timer for it); anything asynchronous comes
   * back as a promise.
   */
  handle(ctx: Context<Message, E>): Reply | Promise<Reply> {
    if (this.#middleware.length === 0) return this.#route(ctx);
    const run = async (i: number, c: Context<Message, E>): Promise<Reply> => {
      const mw = this.#middleware[i];
      if (mw === undefined) return this.#route(c);
      let downstream: Reply | undefined;
      const result = await mw(c, async () => (downstream = await run(i + 1, c)));
      // A middleware that called next() and returned nothing passes the reply through.
      return result === undefined && downstream !== undefined ? downstream : toReply(result);
    };
    return run(0, ctx);
  }

  #route(ctx: Context<Message, E>): Reply | Promise<Reply> {
    const { handler, match } = this.#find(ctx.message);
    if (handler === undefined) return toReply(undefined);
    // Object.create, not a spread: a spread would evaluate lazy getters such as `api`.
    const routed = match === undefined ? ctx : (Object.create(ctx, { match: { value: match } }) as Context<Message, E>);
    const result = handler(routed);
    return isThenable(result) ? Promise.resolve(result).then(toReply) : toReply(result);
  }

  #find(message: Message): { handler?: AnyHandler<E>; match?: RegExpExecArray } {
    if (message.MsgType === "text" && typeof message.Content === "string") {
      const found = this.#exactText.get(message.Content);
      if (found) return { handler: found };
      const hit = firstMatch(this.#textPatterns, message.Content);
      if (hit) return hit;
    } else if (message.MsgType === "event" && typeof message.Event === "string") {
      const key = typeof message.EventKey === "string" ? message.EventKey : undefined;
      if (key !== undefined) {
        const found = this.#exactKeys.get(`${message.Event}\n${key}`);
        if (found) return { handler: found };
        const hit = firstMatch(this.#keyPatterns.get(message.Event) ?? [], key);
        if (hit) return hit;
      }
      const found = this.#events.get(message.Event);
      if (found) return { handler: found };
    }
    return { handler: this.#types.get(message.MsgType) ?? this.#fallback };
  }
}

function isThenable(value: unknown): value is PromiseLike<HandlerResult> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}

function matchers(match: Matcher): readonly (string | RegExp)[] {
  return typeof match === "string" || match instanceof RegExp ? [match] : match;
}

/** The first registration for a key wins, as the first matching route would. */
function setOnce<V>(map: Map<string, V>, key: string, value: V): void {
  if (!map.has(key)) map.set(key, value);
}

function firstMatch<E>(
  routes: PatternRoute<E>[],
  text: string,
): { handler: AnyHandler<E>; match: RegExpExecArray } | undefined {
  for (const route of routes) {
    route.pattern.lastIndex = 0; // a /g or /y pattern must not carry state between messages
    const match = route.pattern.exec(text);
    if (match) return { handler: route.handler, match };
  }
  return undefined;
}
