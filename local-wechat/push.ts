/**
 * WeChat's servers pushing a follower's message to the account (接收普通消息,
 * 接收事件推送), as WeChat does it: the URL signed with the Token, the body
 * encrypted in 兼容/安全 mode (WeChat's own scheme, by Tencent's @wecom/crypto
 * — nothing of the Worker's code), 5 s for each try and three tries of the
 * same message; and the answer judged as WeChat judges it: `success` or empty
 * shows nothing, a well-formed reply to this follower from this account shows,
 * anything else — or three unanswered tries — ends in the system line.
 */
import { decrypt, encrypt, getSignature } from "@wecom/crypto";
import { XMLParser, XMLValidator } from "fast-xml-parser";

export type Mode = "plaintext" | "compatible" | "safe";

/** The account as WeChat knows it: where its server is, and the secrets of 服务器配置. */
export interface Account {
  /** The server's URL (…/wechat). */
  url: string;
  token: string;
  encodingAESKey?: string;
  appId: string;
  /** The account's original id (gh_…), the ToUserName of every message. */
  originalId: string;
}

/** The line WeChat shows a follower when the account's server failed it. */
export const SYSTEM_LINE = "该公众号暂时无法提供服务，请稍后再试";

/** A message's fields, as WeChat writes them (nested objects for nested elements). */
export type Fields = Record<string, unknown>;

/** One of WeChat's tries of a message: what it sent, what came back, and when. */
export interface Try {
  n: number;
  /** ms since epoch when sent. */
  at: number;
  query: Record<string, string>;
  body: string;
  /** The message's plaintext XML (what an encrypted body holds). */
  plaintext: string;
  /** The answer's HTTP status; null when WeChat gave up waiting (or could not connect). */
  status: number | null;
  ms: number;
  /** The answer's body as it came. */
  answer: string | null;
  /** The passive reply, decrypted and parsed; null for none. */
  reply: Fields | null;
  /** What WeChat made of this try. */
  verdict: string;
}

/** What the follower sees of an answer: a bubble from the account, or the system line. */
export interface Shown {
  from: "account" | "system";
  via: "passive" | "custom" | "template" | null;
  MsgType: string;
  Content?: string;
  [field: string]: unknown;
}

/** A message's whole exchange with the account: its tries, what the follower saw, and the error if it failed. */
export interface Exchange {
  openid: string;
  mode: Mode;
  message: Fields;
  tries: Try[];
  shown: Shown[];
  error: string | null;
}

const parser = new XMLParser({
  parseTagValue: false,
  trimValues: false,
  ignoreAttributes: true,
  isArray: (_name, jpath) => jpath === "xml.Articles.item",
});

/** Plain numbers in WeChat's XML; everything else in CDATA. */
const NUMERIC = new Set([
  "CreateTime",
  "MsgId",
  "Location_X",
  "Location_Y",
  "Scale",
  "Latitude",
  "Longitude",
  "Precision",
  "Count",
]);

export function toXml(fields: Fields, root = "xml"): string {
  const inner = Object.entries(fields)
    .map(([k, v]) => {
      if (Array.isArray(v)) return `<${k}>${v.map((item) => toXml(item as Fields, "item")).join("")}</${k}>`;
      if (typeof v === "object" && v !== null) return toXml(v as Fields, k);
      const s = String(v);
      return NUMERIC.has(k)
        ? `<${k}>${s}</${k}>`
        : `<${k}><![CDATA[${s.replaceAll("]]>", "]]]]><![CDATA[>")}]]></${k}>`;
    })
    .join("");
  return `<${root}>${inner}</${root}>`;
}

/**
 * Pushes `message` (its base fields filled in by the caller) to the account,
 * trying as WeChat does: `tryMs` for each try (5000), three tries. A retry
 * carries WeChat's later send time, 5 s a try after CreateTime.
 */
export async function push(
  account: Account,
  mode: Mode,
  message: Fields,
  options: { tryMs?: number; fetch?: typeof fetch } = {},
): Promise<Exchange> {
  const tryMs = options.tryMs ?? 5000;
  const doFetch = options.fetch ?? fetch;
  const openid = String(message["FromUserName"]);
  const plaintext = toXml(message);
  const exchange: Exchange = { openid, mode, message, tries: [], shown: [], error: null };
  for (let n = 1; n <= 3; n++) {
    const timestamp = String(Number(message["CreateTime"]) + 5 * (n - 1));
    const { query, body } = signed(account, mode, plaintext, timestamp);
    const t: Try = {
      n,
      at: Date.now(),
      query,
      body,
      plaintext,
      status: null,
      ms: 0,
      answer: null,
      reply: null,
      verdict: "",
    };
    exchange.tries.push(t);
    let res: Response;
    try {
      res = await doFetch(`${account.url}?${new URLSearchParams(query)}`, {
        method: "POST",
        body,
        headers: { "content-type": "text/xml" },
        signal: AbortSignal.timeout(tryMs),
      });
      t.status = res.status;
      t.answer = await res.text();
    } catch {
      t.ms = Date.now() - t.at;
      t.verdict = n < 3 ? "no answer within 5 s: WeChat tries again" : "no answer within 5 s, three times";
      continue;
    }
    t.ms = Date.now() - t.at;
    const judged = judge(account, mode, openid, t.status, t.answer);
    t.reply = judged.reply;
    t.verdict = judged.verdict;
    if (judged.shown !== null) exchange.shown.push(...judged.shown);
    else exchange.error = SYSTEM_LINE;
    return exchange;
  }
  exchange.error = SYSTEM_LINE;
  return exchange;
}

/** The query and body WeChat sends for a message's plaintext in this mode. */
export function signed(account: Account, mode: Mode, plaintext: string, timestamp: string) {
  const nonce = String(Math.floor(Math.random() * 1e10));
  const query: Record<string, string> = {
    signature: getSignature(account.token, timestamp, nonce, ""),
    timestamp,
    nonce,
    openid: /<FromUserName><!\[CDATA\[(.*?)\]\]>/.exec(plaintext)?.[1] ?? "",
  };
  if (mode === "plaintext") return { query, body: plaintext };
  if (!account.encodingAESKey) throw new Error("兼容/安全 mode needs the account's EncodingAESKey");
  const cipher = encrypt(account.encodingAESKey, plaintext, account.appId);
  query["encrypt_type"] = "aes";
  query["msg_signature"] = getSignature(account.token, timestamp, nonce, cipher);
  const field = `<Encrypt><![CDATA[${cipher}]]></Encrypt>`;
  // 安全模式 sends Encrypt alone; 兼容模式 beside the plaintext fields.
  const body =
    mode === "safe"
      ? `<xml><ToUserName><![CDATA[${account.originalId}]]></ToUserName>${field}</xml>`
      : plaintext.replace(/<\/xml>$/, `${field}</xml>`);
  return { query, body };
}

/** WeChat's judgement of an answer: what it shows (empty for `success`), or null for the system line, and why. */
export function judge(
  account: Account,
  mode: Mode,
  openid: string,
  status: number,
  answer: string,
): { shown: Shown[] | null; reply: Fields | null; verdict: string } {
  const refuse = (why: string) => ({ shown: null, reply: null, verdict: `refused: ${why}` });
  if (status !== 200) return refuse(`HTTP ${status}`);
  if (answer === "" || answer === "success") return { shown: [], reply: null, verdict: "success: nothing to show" };
  if (XMLValidator.validate(answer) !== true) return refuse("not well-formed XML");
  let reply = parser.parse(answer).xml as Fields | undefined;
  if (typeof reply !== "object" || reply === null) return refuse("not an <xml> document");
  if (typeof reply["Encrypt"] === "string") {
    if (mode === "plaintext") return refuse("an encrypted reply in 明文 mode");
    const parts = ["TimeStamp", "Nonce", "Encrypt", "MsgSignature"].map((k) => String(reply![k] ?? ""));
    if (getSignature(account.token, parts[0]!, parts[1]!, parts[2]!) !== parts[3])
      return refuse("MsgSignature does not verify");
    let opened: { message: string; id: string };
    try {
      opened = decrypt(account.encodingAESKey!, parts[2]!);
    } catch {
      return refuse("Encrypt does not decrypt");
    }
    if (opened.id !== account.appId) return refuse(`the reply is for another AppID (${opened.id})`);
    if (XMLValidator.validate(opened.message) !== true) return refuse("the decrypted reply is not well-formed XML");
    reply = parser.parse(opened.message).xml as Fields;
  } else if (mode === "safe") {
    return refuse("a plaintext reply in 安全 mode");
  }
  const problem = replyProblem(reply, openid, account.originalId);
  if (problem !== null) return refuse(problem);
  const shown = showReply(reply);
  return {
    shown: shown === null ? [] : [shown],
    reply,
    verdict: shown === null ? "transferred to customer service" : "shown",
  };
}

/** What makes a reply one WeChat would not show, or null. */
function replyProblem(r: Fields, openid: string, originalId: string): string | null {
  if (r["ToUserName"] !== openid) return "ToUserName is not the follower";
  if (r["FromUserName"] !== originalId) return "FromUserName is not the account";
  if (typeof r["CreateTime"] !== "string" || !/^\d+$/.test(r["CreateTime"])) return "CreateTime is not a number";
  const media = (name: string) => typeof (r[name] as Fields | undefined)?.["MediaId"] === "string";
  switch (r["MsgType"]) {
    case "text":
      return typeof r["Content"] === "string" ? null : "a text reply without Content";
    case "image":
      return media("Image") ? null : "an image reply without Image.MediaId";
    case "voice":
      return media("Voice") ? null : "a voice reply without Voice.MediaId";
    case "video":
      return media("Video") ? null : "a video reply without Video.MediaId";
    case "music":
      return typeof (r["Music"] as Fields | undefined)?.["ThumbMediaId"] === "string"
        ? null
        : "a music reply without ThumbMediaId";
    case "news": {
      const items = (r["Articles"] as Fields | undefined)?.["item"];
      if (!Array.isArray(items) || items.length < 1 || items.length > 8) return "a news reply without 1 to 8 articles";
      if (String(items.length) !== r["ArticleCount"]) return "ArticleCount is not the number of articles";
      return items.every((a) => typeof (a as Fields)["Title"] === "string") ? null : "a news article without a Title";
    }
    case "transfer_customer_service":
      return null;
    default:
      return `an unknown MsgType (${String(r["MsgType"])})`;
  }
}

/** A reply as the chat shows it: the text, or the media's kind and its fields. */
function showReply(r: Fields): Shown | null {
  const type = String(r["MsgType"]);
  if (type === "transfer_customer_service") return null;
  const { ToUserName: _to, FromUserName: _from, CreateTime: _time, MsgType: _type, ...rest } = r;
  return { from: "account", via: "passive", MsgType: type, ...rest };
}
