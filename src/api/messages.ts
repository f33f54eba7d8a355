/**
 * Messages the account sends on its own: customer-service messages (客服消息,
 * within 48 h of the follower's last interaction) and template messages
 * (模板消息). Shapes are WeChat's JSON; each is checked before sending.
 */
import type { Reply } from "../wechat/replies";
import type { WeChatApi } from "./client";
import { InvalidInputError } from "./errors";
import { idString } from "./json";

/** A customer-service message, as WeChat's message/custom/send takes it (without `touser`). */
export type CustomMessage =
  | { msgtype: "text"; text: { content: string } }
  | { msgtype: "image"; image: { media_id: string } }
  | { msgtype: "voice"; voice: { media_id: string } }
  | { msgtype: "video"; video: { media_id: string; thumb_media_id?: string; title?: string; description?: string } }
  | {
      msgtype: "music";
      music: { title?: string; description?: string; musicurl: string; hqmusicurl?: string; thumb_media_id: string };
    }
  | { msgtype: "news"; news: { articles: { title: string; description?: string; url?: string; picurl?: string }[] } }
  | { msgtype: "mpnews"; mpnews: { media_id: string } }
  | { msgtype: "mpnewsarticle"; mpnewsarticle: { article_id: string } }
  | {
      msgtype: "msgmenu";
      msgmenu: { head_content?: string; list: { id: string; content: string }[]; tail_content?: string };
    }
  | { msgtype: "wxcard"; wxcard: { card_id: string } }
  | {
      msgtype: "miniprogrampage";
      miniprogrampage: { title?: string; appid: string; pagepath: string; thumb_media_id: string };
    };

/** What each customer-service type must carry (dotted paths into the message). */
const CUSTOM_NEEDS: Record<CustomMessage["msgtype"], readonly string[]> = {
  text: ["text.content"],
  image: ["image.media_id"],
  voice: ["voice.media_id"],
  video: ["video.media_id"],
  music: ["music.musicurl", "music.thumb_media_id"],
  news: ["news.articles"],
  mpnews: ["mpnews.media_id"],
  mpnewsarticle: ["mpnewsarticle.article_id"],
  msgmenu: ["msgmenu.list"],
  wxcard: ["wxcard.card_id"],
  miniprogrampage: ["miniprogrampage.appid", "miniprogrampage.pagepath", "miniprogrampage.thumb_media_id"],
};

function at(obj: unknown, path: string): unknown {
  return path
    .split(".")
    .reduce<unknown>(
      (o, k) => (typeof o === "object" && o !== null ? (o as Record<string, unknown>)[k] : undefined),
      obj,
    );
}

const OPENID = /^[A-Za-z0-9_-]{6,64}$/;

function checkOpenId(openid: unknown): string {
  if (typeof openid !== "string" || !OPENID.test(openid))
    throw new InvalidInputError("touser must be a follower's OpenID");
  return openid;
}

/** Checks a customer-service message; returns the body to send or throws InvalidInputError. */
export function customMessageBody(touser: unknown, message: unknown, kfAccount?: string): Record<string, unknown> {
  const to = checkOpenId(touser);
  const type = (message as { msgtype?: unknown } | null)?.msgtype;
  if (typeof type !== "string" || !(type in CUSTOM_NEEDS)) {
    throw new InvalidInputError(`msgtype must be one of ${Object.keys(CUSTOM_NEEDS).join(", ")}`);
  }
  for (const path of CUSTOM_NEEDS[type as CustomMessage["msgtype"]]) {
    const value = at(message, path);
    const empty = value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0);
    if (empty) throw new InvalidInputError(`a ${type} message needs ${path}`);
  }
  if (type === "news") {
    const articles = at(message, "news.articles");
    if (!Array.isArray(articles) || articles.length !== 1)
      throw new InvalidInputError("a news customer-service message carries exactly 1 article");
    if (typeof articles[0]?.title !== "string" || !articles[0].title)
      throw new InvalidInputError("a news article needs a title");
  }
  if (type === "text" && typeof at(message, "text.content") !== "string")
    throw new InvalidInputError("text.content must be a string");
  return { touser: to, ...(message as object), ...(kfAccount ? { customservice: { kf_account: kfAccount } } : {}) };
}

/** A passive reply in its customer-service form, for replies sent after the deadline. */
export function replyToCustomMessage(reply: Reply): CustomMessage | null {
  switch (reply.type) {
    case "text":
      return { msgtype: "text", text: { content: reply.content } };
    case "image":
      return { msgtype: "image", image: { media_id: reply.mediaId } };
    case "voice":
      return { msgtype: "voice", voice: { media_id: reply.mediaId } };
    case "video":
      return {
        msgtype: "video",
        video: { media_id: reply.mediaId, title: reply.title, description: reply.description },
      };
    case "music":
      return {
        msgtype: "music",
        music: {
          title: reply.title,
          description: reply.description,
          musicurl: reply.musicUrl ?? "",
          hqmusicurl: reply.hqMusicUrl,
          thumb_media_id: reply.thumbMediaId,
        },
      };
    case "news": {
      const [a] = reply.articles;
      return {
        msgtype: "news",
        news: { articles: [{ title: a!.title, description: a!.description, url: a!.url, picurl: a!.picUrl }] },
      };
    }
    case "transfer_customer_service":
    case "success":
      return null; // nothing to deliver
  }
}

export interface TemplateMessage {
  touser: string;
  template_id: string;
  url?: string;
  miniprogram?: { appid: string; pagepath?: string };
  data: Record<string, { value: string; color?: string }>;
  client_msg_id?: string;
}

/** Checks a template message; returns the body to send or throws InvalidInputError. */
export function templateMessageBody(input: unknown): TemplateMessage {
  if (typeof input !== "object" || input === null) throw new InvalidInputError("a template message is a JSON object");
  const m = input as Record<string, unknown>;
  checkOpenId(m["touser"]);
  if (typeof m["template_id"] !== "string" || !/^[A-Za-z0-9_-]{1,128}$/.test(m["template_id"])) {
    throw new InvalidInputError("template_id must be the template's id");
  }
  if (m["url"] !== undefined && (typeof m["url"] !== "string" || !/^https?:\/\//i.test(m["url"]))) {
    throw new InvalidInputError("url must be an http(s) URL");
  }
  const mp = m["miniprogram"];
  if (
    mp !== undefined &&
    (typeof mp !== "object" || mp === null || typeof (mp as { appid?: unknown }).appid !== "string")
  ) {
    throw new InvalidInputError("miniprogram needs an appid");
  }
  const data = m["data"];
  if (typeof data !== "object" || data === null || Array.isArray(data) || Object.keys(data).length === 0) {
    throw new InvalidInputError("data must be an object of {name: {value}}");
  }
  for (const [k, v] of Object.entries(data)) {
    if (typeof v !== "object" || v === null || typeof (v as { value?: unknown }).value !== "string") {
      throw new InvalidInputError(`data.${k} needs a string value`);
    }
  }
  return m as unknown as TemplateMessage;
}

export function messageApi(api: WeChatApi) {
  return {
    /** Sends a customer-service message to a follower (checked first). */
    async sendCustom(touser: string, message: CustomMessage, kfAccount?: string): Promise<void> {
      await api.call({
        method: "POST",
        path: "/cgi-bin/message/custom/send",
        body: customMessageBody(touser, message, kfAccount),
      });
    },
    /** Sends a template message; returns WeChat's msgid, exact (it exceeds 2^53). */
    async sendTemplate(message: TemplateMessage): Promise<{ msgid: string }> {
      const json = await api.call({
        method: "POST",
        path: "/cgi-bin/message/template/send",
        body: templateMessageBody(message),
      });
      return { msgid: idString(json["msgid"]) ?? "" };
    },
  };
}
