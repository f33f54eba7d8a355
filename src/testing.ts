/**
 * Testing a bot as WeChat talks to it. `testWeChat(bot, env, { mode })` builds
 * the request WeChat would send for a message — signed, and in compatible and
 * safe mode encrypted — runs it through the app, and hands back the reply
 * decrypted and parsed, after checking it as WeChat would: the status, in
 * encrypted modes the MsgSignature and the AppID, and that it is addressed to
 * the follower from the account. For tests: the Worker never imports it.
 *
 *   const wechat = testWeChat(bot, env, { mode: "safe" });
 *   expect(await wechat.send({ MsgType: "text", Content: "你好" })).toMatchObject({ Content: "你好" });
 */
import { createApp } from "./app";
import type { Env } from "./env";
import { MessageCipher } from "./wechat/crypto";
import type { Bot, Mode } from "./wechat/router";
import { sign, verifySignature } from "./wechat/signature";
import { cdata, parseXml, textOf, type XmlNode } from "./wechat/xml";

export interface TestWeChatOptions {
  /** 明文 (default), 兼容 or 安全. The encrypted modes need WECHAT_ENCODING_AES_KEY and WECHAT_APPID in `env`. */
  mode?: Mode;
  /** The follower's OpenID. */
  openid?: string;
  /** The account's original id (gh_…). */
  account?: string;
}

/** A message's fields by WeChat's names; ToUserName, FromUserName, CreateTime and (for messages) MsgId are filled in. */
export type TestMessage = { MsgType: string } & Record<string, string | TestFields | TestFields[]>;
interface TestFields {
  [name: string]: string | TestFields | TestFields[];
}

/** A reply as WeChat reads it: its fields (all strings; news articles under Articles.item), or `success`. */
export type TestReply = XmlNode | "success";

let nextMsgId = 7_100_000_000_000_000_001n; // past 2^53, as WeChat's MsgIds are

export function testWeChat(bot: Bot<Env>, env: Env, options: TestWeChatOptions = {}): TestWeChat {
  return new TestWeChat(bot, env, options);
}

export class TestWeChat {
  readonly #app;
  readonly #env: Env;
  readonly #token: string;
  readonly mode: Mode;
  readonly openid: string;
  readonly account: string;

  constructor(bot: Bot<Env>, env: Env, options: TestWeChatOptions = {}) {
    this.#app = createApp(bot);
    this.#env = env;
    this.#token = required(env.WECHAT_TOKEN, "WECHAT_TOKEN");
    this.mode = options.mode ?? "plaintext";
    this.openid = options.openid ?? "oTestFollower0000000000000001";
    this.account = options.account ?? "gh_test_account";
  }

  /** Sends the message and returns the reply, checked as WeChat would check it. */
  async send(fields: TestMessage): Promise<TestReply> {
    const res = await this.#app.request(await this.request(fields), undefined, this.#env);
    const text = await res.text();
    if (res.status !== 200) throw new Error(`the Worker answered ${res.status}: ${text}`);
    if (text === "success" || text === "") return "success";
    const reply = this.mode === "plaintext" ? parseXml(text) : await this.#open(parseXml(text));
    if (textOf(reply, "ToUserName") !== this.openid || textOf(reply, "FromUserName") !== this.account) {
      throw new Error("the reply is not addressed to the follower from the account");
    }
    return reply;
  }

  /** The request WeChat would send for this message. */
  async request(fields: TestMessage): Promise<Request> {
    const now = String(Math.floor(Date.now() / 1000));
    const message: TestFields = { ToUserName: this.account, FromUserName: this.openid, CreateTime: now, ...fields };
    if (fields.MsgType !== "event" && message["MsgId"] === undefined) message["MsgId"] = String(nextMsgId++);
    const xml = toXml(message);
    const nonce = String(Math.floor(Math.random() * 1e10));
    const signature = await sign([this.#token, now, nonce]);
    const query = new URLSearchParams({ signature, timestamp: now, nonce, openid: this.openid });
    let body = xml;
    if (this.mode !== "plaintext") {
      const encrypt = await (await this.#cipher()).encrypt(xml);
      query.set("encrypt_type", "aes");
      query.set("msg_signature", await sign([this.#token, now, nonce, encrypt]));
      const field = `<Encrypt>${cdata(encrypt)}</Encrypt>`;
      // 安全模式 sends Encrypt alone; 兼容模式 beside the plaintext fields.
      body =
        this.mode === "safe"
          ? `<xml><ToUserName>${cdata(this.account)}</ToUserName>${field}</xml>`
          : xml.replace(/<\/xml>$/, `${field}</xml>`);
    }
    const headers = { "content-type": "text/xml" };
    return new Request(`https://worker.test/wechat?${query}`, { method: "POST", body, headers });
  }

  /** An encrypted reply's message, its MsgSignature and AppID checked. */
  async #open(envelope: XmlNode): Promise<XmlNode> {
    const parts = ["TimeStamp", "Nonce", "Encrypt"].map((name) => textOf(envelope, name) ?? "");
    if (!(await verifySignature(textOf(envelope, "MsgSignature") ?? "", [this.#token, ...parts]))) {
      throw new Error("the reply's MsgSignature does not verify");
    }
    return parseXml(await (await this.#cipher()).decrypt(parts[2]!)); // throws unless its AppID is WECHAT_APPID
  }

  #cipher(): Promise<MessageCipher> {
    const key = required(this.#env.WECHAT_ENCODING_AES_KEY, "WECHAT_ENCODING_AES_KEY");
    return MessageCipher.create(key, required(this.#env.WECHAT_APPID, "WECHAT_APPID"));
  }
}

function required(value: string | undefined, name: string): string {
  if (!value) throw new Error(`testWeChat needs ${name} in env`);
  return value;
}

function toXml(fields: TestFields, root = "xml"): string {
  const inner = Object.entries(fields)
    .map(([name, value]) => {
      if (typeof value === "string") return `<${name}>${cdata(value)}</${name}>`;
      if (Array.isArray(value)) return `<${name}>${value.map((item) => toXml(item, "item")).join("")}</${name}>`;
      return toXml(value, name);
    })
    .join("");
  return `<${root}>${inner}</${root}>`;
}
