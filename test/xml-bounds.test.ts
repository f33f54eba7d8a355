/**
 * The cap on elements (MAX_ELEMENTS in src/wechat/xml.ts): a document over it
 * is refused with `too_many_elements` before fast-xml-parser reads it, one at
 * it parses, WeChat's largest messages are well under it, and a follower's
 * CDATA text full of `<` is not counted. Then the callback: such a body is a
 * 400 in every mode and no handler runs.
 */
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Env } from "../src/env";
import { Bot } from "../src/wechat";
import { MAX_ELEMENTS, XmlError, parseWithFastXmlParser, parseXml, readFlat } from "../src/wechat/xml";
import { MODES, message, openReply, signCallback, toXml } from "./fixtures/wechat";

/** The code of the XmlError `parse` throws. */
function refusal(parse: () => unknown): string {
  try {
    parse();
  } catch (e) {
    expect(e).toBeInstanceOf(XmlError);
    return (e as XmlError).code;
  }
  throw new Error("parsed");
}

/** `<xml>` holding `depth` elements, each inside the one before. */
const nested = (depth: number) => `<xml>${"<a>".repeat(depth)}${"</a>".repeat(depth)}</xml>`;
/** `<xml>` holding `count` sibling elements: `count + 1` elements in all. */
const wide = (count: number, name = (_i: number) => "A") =>
  `<xml>${Array.from({ length: count }, (_, i) => `<${name(i)}>${i}</${name(i)}>`).join("")}</xml>`;
/** A follower's text that is `<a>` a thousand times over, in CDATA. */
const ANGLES = "<a>".repeat(1000);
/** The same message, with the XML declaration in front so that only the full parser reads it. */
const declared = (xml: string) => `<?xml version="1.0" encoding="UTF-8"?>${xml}`;

describe("the element cap", () => {
  it("refuses a nested document over the cap with too_many_elements", () => {
    expect(refusal(() => parseXml(nested(MAX_ELEMENTS)))).toBe("too_many_elements");
    expect(refusal(() => parseWithFastXmlParser(nested(5000)))).toBe("too_many_elements");
  });

  it("refuses before fast-xml-parser reads the text: a truncated document over the cap is not called malformed", () => {
    expect(refusal(() => parseXml(`<xml>${"<a>".repeat(MAX_ELEMENTS)}`))).toBe("too_many_elements");
    expect(refusal(() => parseXml(`<xml>${"<a>".repeat(MAX_ELEMENTS - 1)}`))).toBe("malformed");
  });

  it("parses a document at the cap, and refuses one element more", () => {
    const atCap = parseXml(wide(MAX_ELEMENTS - 1));
    expect(atCap["A"]).toHaveLength(MAX_ELEMENTS - 1);
    expect(refusal(() => parseXml(wide(MAX_ELEMENTS)))).toBe("too_many_elements");
  });

  it("holds for the flat shape: readFlat leaves a document over the cap to the full parse, which refuses it", () => {
    const name = (i: number) => `F${i}`;
    expect(readFlat(wide(MAX_ELEMENTS - 1, name))).not.toBeNull();
    expect(readFlat(wide(MAX_ELEMENTS, name))).toBeNull();
    expect(refusal(() => parseXml(wide(MAX_ELEMENTS, name)))).toBe("too_many_elements");
  });

  it("counts processing instructions, but not end tags, comments or CDATA", () => {
    expect(refusal(() => parseXml(`${"<?pi?>".repeat(MAX_ELEMENTS)}<xml><A>1</A></xml>`))).toBe("too_many_elements");
    const commented = `<xml><!--${"<a>".repeat(1000)}--><A>${"<![CDATA[<b>]]>".repeat(1000)}</A></xml>`;
    expect(parseXml(commented)["A"]).toBe("<b>".repeat(1000));
  });

  it("passes a follower's CDATA text full of `<`, on the fast path and through the full parser", () => {
    const xml = toXml(message({ MsgType: "text", Content: ANGLES }));
    expect(parseXml(xml)["Content"]).toBe(ANGLES);
    expect(readFlat(declared(xml))).toBeNull();
    expect(parseXml(declared(xml))["Content"]).toBe(ANGLES);
    expect(parseWithFastXmlParser(xml)["Content"]).toBe(ANGLES);
  });

  it("leaves wide room for WeChat's largest messages", () => {
    const articles = Array.from({ length: 8 }, (_, i) => i + 1);
    const massSend = toXml(
      message({
        MsgType: "event",
        Event: "MASSSENDJOBFINISH",
        MsgID: "1000001625",
        Status: "err(30003)",
        TotalCount: "100",
        FilterCount: "80",
        SentCount: "75",
        ErrorCount: "5",
        CopyrightCheckResult: {
          Count: "8",
          ResultList: articles.map((i) => ({
            ArticleIdx: String(i),
            UserDeclareState: "0",
            AuditState: "2",
            OriginalArticleUrl: `https://mp.weixin.qq.com/s/original${i}`,
            OriginalArticleType: "1",
            CanReprint: "1",
            NeedReplaceContent: "1",
            NeedShowReprintSource: "1",
          })),
          CheckState: "2",
        },
        ArticleUrlResult: {
          Count: "8",
          ResultList: articles.map((i) => ({ ArticleIdx: String(i), ArticleUrl: `https://mp.weixin.qq.com/s/a${i}` })),
        },
      }),
    );
    const elements = massSend.match(/<[^/!]/g)!.length;
    expect(elements).toBeLessThan(MAX_ELEMENTS / 2);
    const parsed = parseXml(massSend);
    expect(
      (parsed["CopyrightCheckResult"] as Record<string, Record<string, unknown[]>>)["ResultList"]!["item"],
    ).toHaveLength(8);

    const pics = toXml(
      message({
        MsgType: "event",
        Event: "pic_photo_or_album",
        EventKey: "rselfmenu_1_0",
        SendPicsInfo: { Count: "9", PicList: Array.from({ length: 9 }, (_, i) => ({ PicMd5Sum: `md5${i}` })) },
      }),
    );
    expect(
      (parseXml(pics)["SendPicsInfo"] as Record<string, Record<string, unknown[]>>)["PicList"]!["item"],
    ).toHaveLength(9);
  });
});

describe("the callback", () => {
  let runs = 0;
  let seen: string | undefined;
  const bot = new Bot<Env>().on("text", ({ message }) => {
    runs++;
    seen = message.Content;
    return "ok";
  });
  const app = createApp(bot);
  const send = ({ url, body }: { url: string; body: string }) =>
    app.request(url, { method: "POST", body, headers: { "content-type": "text/xml" } }, env);

  beforeEach(() => {
    runs = 0;
    seen = undefined;
  });

  it.each(MODES)("answers a body over the cap with 400 in %s mode, and runs no handler", async (mode) => {
    const deep = `${"<a>".repeat(300)}${"</a>".repeat(300)}</xml>`;
    const xml = toXml(message({ MsgType: "text", Content: "hi" })).replace(/<\/xml>$/, deep);
    const res = await send(signCallback(xml, { mode }));
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/elements/);
    expect(runs).toBe(0);
  });

  it.each(MODES)("hands the bot a CDATA text full of `<` in %s mode, through the full parser", async (mode) => {
    const res = await send(signCallback(declared(toXml(message({ MsgType: "text", Content: ANGLES }))), { mode }));
    expect(await openReply(res, mode)).toMatchObject({ MsgType: "text", Content: "ok" });
    expect(runs).toBe(1);
    expect(seen).toBe(ANGLES);
  });
});
