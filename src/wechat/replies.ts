/**
 * Passive replies: what a handler returns, and the XML WeChat expects for it.
 * Builders validate what WeChat would refuse, so a mistake surfaces in the
 * handler's own stack trace instead of as a silent "该公众号暂时无法提供服务".
 */
import { cdata, parseWithFastXmlParser, type XmlValue } from "./xml";

export interface Article {
  title: string;
  description?: string;
  /** Image URL: 360×200 for the first article, 200×200 for the others. */
  picUrl?: string;
  /** Opened when the article is tapped. */
  url?: string;
}

export type Reply =
  | { type: "text"; content: string }
  | { type: "image"; mediaId: string }
  | { type: "voice"; mediaId: string }
  | { type: "video"; mediaId: string; title?: string; description?: string }
  | {
      type: "music";
      thumbMediaId: string;
      title?: string;
      description?: string;
      musicUrl?: string;
      hqMusicUrl?: string;
    }
  | { type: "news"; articles: Article[] }
  | { type: "transfer_customer_service"; kfAccount?: string }
  | { type: "success" };

/** WeChat's limit for news replies (and 1 in reply to most follower messages). */
export const MAX_NEWS_ARTICLES = 8;

function required(value: string, what: string): string {
  if (typeof value !== "string" || value.length === 0) throw new TypeError(`${what} must be a non-empty string`);
  return value;
}

/** Reply builders. A handler may also return a plain string (a text reply) or nothing (`success`). */
export const reply = {
  text: (content: string): Reply => ({ type: "text", content: required(content, "reply.text content") }),
  image: (mediaId: string): Reply => ({ type: "image", mediaId: required(mediaId, "reply.image mediaId") }),
  voice: (mediaId: string): Reply => ({ type: "voice", mediaId: required(mediaId, "reply.voice mediaId") }),
  video: (video: { mediaId: string; title?: string; description?: string }): Reply => ({
    type: "video",
    ...video,
    mediaId: required(video.mediaId, "reply.video mediaId"),
  }),
  music: (music: {
    thumbMediaId: string;
    title?: string;
    description?: string;
    musicUrl?: string;
    hqMusicUrl?: string;
  }): Reply => ({ type: "music", ...music, thumbMediaId: required(music.thumbMediaId, "reply.music thumbMediaId") }),
  news: (articles: Article | Article[]): Reply => {
    const list = Array.isArray(articles) ? articles : [articles];
    if (list.length < 1 || list.length > MAX_NEWS_ARTICLES) {
      throw new RangeError(`reply.news takes 1 to ${MAX_NEWS_ARTICLES} articles, got ${list.length}`);
    }
    for (const a of list) required(a.title, "reply.news article title");
    return { type: "news", articles: list };
  },
  /** Hands the conversation to the customer-service (客服) system, optionally to one agent. */
  transferCustomerService: (kfAccount?: string): Reply =>
    kfAccount === undefined ? { type: "transfer_customer_service" } : { type: "transfer_customer_service", kfAccount },
  /** Nothing to say: WeChat gets `success` and shows the follower nothing. */
  nothing: (): Reply => ({ type: "success" }),
} as const;

/** What a handler may return. */
export type HandlerResult = Reply | string | null | undefined | void;

/**
 * A handler's result as a Reply: strings become text, nothing becomes
 * `success`. Anything else that is not a well-formed reply (a number, an
 * object of a message's field, a reply whose text is not a string) is a
 * TypeError, which the callback treats as the handler's error.
 */
export function toReply(result: HandlerResult): Reply {
  if (result === undefined || result === null) return SUCCESS;
  if (typeof result === "string") return result.length === 0 ? SUCCESS : { type: "text", content: result };
  const problem = replyProblem(result);
  if (problem !== null) throw new TypeError(`a handler returned something that is not a reply: ${problem}`);
  return result;
}

const SUCCESS: Reply = { type: "success" };

/** What each reply type must carry as a string, and may carry as one. */
const REPLY_FIELDS: Record<Reply["type"], { required: string[]; optional: string[] }> = {
  text: { required: ["content"], optional: [] },
  image: { required: ["mediaId"], optional: [] },
  voice: { required: ["mediaId"], optional: [] },
  video: { required: ["mediaId"], optional: ["title", "description"] },
  music: { required: ["thumbMediaId"], optional: ["title", "description", "musicUrl", "hqMusicUrl"] },
  news: { required: [], optional: [] },
  transfer_customer_service: { required: [], optional: ["kfAccount"] },
  success: { required: [], optional: [] },
};

/** Why a value is not a Reply, or null when it is one. */
function replyProblem(value: unknown): string | null {
  if (typeof value !== "object") return `a ${typeof value}`;
  const r = value as Record<string, unknown>;
  const type = r["type"];
  if (typeof type !== "string" || !Object.hasOwn(REPLY_FIELDS, type)) return "an object without a reply type";
  const { required, optional } = REPLY_FIELDS[type as Reply["type"]];
  for (const field of required) if (typeof r[field] !== "string") return `${type} without a text ${field}`;
  for (const field of optional) {
    if (r[field] !== undefined && typeof r[field] !== "string") return `${type} with a ${field} that is not text`;
  }
  if (type === "news") {
    const articles = r["articles"];
    if (!Array.isArray(articles) || articles.length < 1 || articles.length > MAX_NEWS_ARTICLES) {
      return `news without 1 to ${MAX_NEWS_ARTICLES} articles`;
    }
    for (const a of articles) {
      if (typeof a !== "object" || a === null || typeof a.title !== "string") return "a news article without a title";
      for (const f of ["description", "picUrl", "url"]) {
        if (a[f] !== undefined && typeof a[f] !== "string") return `a news article whose ${f} is not text`;
      }
    }
  }
  return null;
}

const opt = (tag: string, value: string | undefined): string =>
  value === undefined ? "" : `<${tag}>${cdata(value)}</${tag}>`;

/**
 * The reply's XML, addressed back to the follower: `toUser` is the message's
 * FromUserName, `fromUser` its ToUserName. Returns `success` for nothing.
 */
export function renderReply(r: Reply, toUser: string, fromUser: string, now: number): string {
  return wrapReply(renderReplyBody(r), toUser, fromUser, now);
}

/**
 * What a reply says, from `<MsgType>` on, without the envelope (`ToUserName`,
 * `FromUserName`, `CreateTime`) that any delivery of the same message gives
 * back: what the delivery ledger keeps for a retry (wrapped again by
 * `wrapReply` for the retry's own message). Returns `success` for nothing.
 */
export function renderReplyBody(r: Reply): string {
  let body: string;
  switch (r.type) {
    case "success":
      return "success";
    case "text":
      body = `<Content>${cdata(r.content)}</Content>`;
      break;
    case "image":
      body = `<Image><MediaId>${cdata(r.mediaId)}</MediaId></Image>`;
      break;
    case "voice":
      body = `<Voice><MediaId>${cdata(r.mediaId)}</MediaId></Voice>`;
      break;
    case "video":
      body = `<Video><MediaId>${cdata(r.mediaId)}</MediaId>${opt("Title", r.title)}${opt("Description", r.description)}</Video>`;
      break;
    case "music":
      body =
        `<Music>${opt("Title", r.title)}${opt("Description", r.description)}${opt("MusicUrl", r.musicUrl)}` +
        `${opt("HQMusicUrl", r.hqMusicUrl)}<ThumbMediaId>${cdata(r.thumbMediaId)}</ThumbMediaId></Music>`;
      break;
    case "news":
      body =
        `<ArticleCount>${r.articles.length}</ArticleCount><Articles>` +
        r.articles
          .map(
            (a) =>
              `<item><Title>${cdata(a.title)}</Title>${opt("Description", a.description)}` +
              `${opt("PicUrl", a.picUrl)}${opt("Url", a.url)}</item>`,
          )
          .join("") +
        `</Articles>`;
      break;
    case "transfer_customer_service":
      body = r.kfAccount === undefined ? "" : `<TransInfo><KfAccount>${cdata(r.kfAccount)}</KfAccount></TransInfo>`;
      break;
  }
  return `<MsgType>${cdata(r.type)}</MsgType>${body}`;
}

/**
 * A body from `renderReplyBody` in its envelope, addressed back to the
 * follower (see renderReply); `success` (nothing to say) stays as it is.
 */
export function wrapReply(body: string, toUser: string, fromUser: string, now: number): string {
  if (body === "success") return body;
  return (
    `<xml><ToUserName>${cdata(toUser)}</ToUserName><FromUserName>${cdata(fromUser)}</FromUserName>` +
    `<CreateTime>${Math.floor(now / 1000)}</CreateTime>${body}</xml>`
  );
}

/**
 * A body from `renderReplyBody` back as the Reply it was rendered from (a
 * reply kept as its body, sent later by customer-service message).
 */
export function parseReplyBody(body: string): Reply {
  if (body === "success") return SUCCESS;
  const x = parseWithFastXmlParser(`<xml>${body}</xml>`);
  const text = (node: XmlValue | undefined, name: string): string | undefined => {
    const value = typeof node === "object" && !Array.isArray(node) ? node[name] : undefined;
    return typeof value === "string" ? value : undefined;
  };
  const media = (name: string) => text(x[name], "MediaId") ?? "";
  switch (x["MsgType"]) {
    case "text":
      return { type: "text", content: text(x, "Content") ?? "" };
    case "image":
      return { type: "image", mediaId: media("Image") };
    case "voice":
      return { type: "voice", mediaId: media("Voice") };
    case "video":
      return withDefined({
        type: "video",
        mediaId: media("Video"),
        title: text(x["Video"], "Title"),
        description: text(x["Video"], "Description"),
      });
    case "music": {
      const m = x["Music"];
      return withDefined({
        type: "music",
        thumbMediaId: text(m, "ThumbMediaId") ?? "",
        title: text(m, "Title"),
        description: text(m, "Description"),
        musicUrl: text(m, "MusicUrl"),
        hqMusicUrl: text(m, "HQMusicUrl"),
      });
    }
    case "news": {
      const items = x["Articles"];
      const list = (typeof items === "object" && !Array.isArray(items) ? items["item"] : undefined) ?? [];
      const articles = (Array.isArray(list) ? list : [list]).map((a) =>
        withDefined({
          title: text(a, "Title") ?? "",
          description: text(a, "Description"),
          picUrl: text(a, "PicUrl"),
          url: text(a, "Url"),
        }),
      );
      return { type: "news", articles };
    }
    case "transfer_customer_service": {
      const kf = text(x["TransInfo"], "KfAccount");
      return kf === undefined
        ? { type: "transfer_customer_service" }
        : { type: "transfer_customer_service", kfAccount: kf };
    }
    default:
      throw new TypeError("not a reply body");
  }
}

/** The object without its undefined fields (so that it equals the reply it was made from). */
function withDefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The envelope of an encrypted reply (安全模式). */
export function renderEncrypted(encrypt: string, signature: string, timestamp: string, nonce: string): string {
  return (
    `<xml><Encrypt>${cdata(encrypt)}</Encrypt><MsgSignature>${cdata(signature)}</MsgSignature>` +
    `<TimeStamp>${timestamp}</TimeStamp><Nonce>${cdata(nonce)}</Nonce></xml>`
  );
}
