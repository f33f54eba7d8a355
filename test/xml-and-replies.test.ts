/**
 * XML in (src/wechat/xml.ts, messages.ts) and out (replies.ts): values stay
 * strings, CDATA survives any content (`]]>` split, not injected), and every
 * reply type renders the XML WeChat documents.
 */
import { XMLParser } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { toMessage } from "../src/wechat/messages";
import { renderEncrypted, renderReply, renderReplyBody, reply, toReply, wrapReply } from "../src/wechat/replies";
import { cdata, parseXml, XmlError } from "../src/wechat/xml";

const independent = new XMLParser({
  parseTagValue: false,
  trimValues: false,
  isArray: (_n, p) => p === "xml.Articles.item",
});
const render = (r: Parameters<typeof renderReply>[0]) => renderReply(r, "oFollower", "gh_account", 1_700_000_000_123);
const roundTrip = (r: Parameters<typeof renderReply>[0]) => independent.parse(render(r)).xml;

describe("parsing", () => {
  it("keeps every value a string, digits included", () => {
    const x = parseXml(
      "<xml><CreateTime>1348831860</CreateTime><MsgId>6054768590064713728</MsgId><Scale>20</Scale><Flag>true</Flag></xml>",
    );
    expect(x).toMatchObject({ CreateTime: "1348831860", MsgId: "6054768590064713728", Scale: "20", Flag: "true" });
  });

  it("keeps CDATA content exactly, whitespace and markup included", () => {
    const x = parseXml("<xml><Content><![CDATA[  <b>&amp; ]]]]><![CDATA[> end  ]]></Content></xml>");
    expect(x["Content"]).toBe("  <b>&amp; ]]> end  ");
  });

  it("decodes the five entities and numeric references outside CDATA", () => {
    expect(parseXml("<xml><A>&lt;&gt;&amp;&quot;&apos;&#20013;&#x1F600;</A></xml>")["A"]).toBe(`<>&"'中😀`);
  });

  it("keeps numeric references inside CDATA literal, and decodes them outside", () => {
    expect(parseXml("<xml><A><![CDATA[&#20013; &amp;]]></A><B>&#20013;&amp;</B></xml>")).toMatchObject({
      A: "&#20013; &amp;",
      B: "中&",
    });
  });

  it("parses alike with and without numeric references elsewhere in the document", () => {
    const body =
      "<ToUserName><![CDATA[gh]]></ToUserName><Content><![CDATA[ &lt; a&b ]]></Content><E>&lt;&amp;&gt;</E><MsgId>9223372036854775807</MsgId>";
    const plain = parseXml(`<xml>${body}</xml>`);
    const withRef = parseXml(`<xml>${body}<R>&#65;</R></xml>`);
    expect({ ...withRef, R: undefined }).toEqual({ ...plain, R: undefined });
    expect(withRef["R"]).toBe("A");
  });

  it("lets a follower's text that mentions <!DOCTYPE through, inside CDATA", () => {
    expect(parseXml("<xml><Content><![CDATA[<!DOCTYPE html> <!ENTITY x>]]></Content></xml>")["Content"]).toBe(
      "<!DOCTYPE html> <!ENTITY x>",
    );
  });

  it("allows comments and the XML declaration", () => {
    expect(parseXml('<?xml version="1.0" encoding="utf-8"?><!-- hi --><xml><A>1</A></xml>')["A"]).toBe("1");
  });

  it.each([
    '<!DOCTYPE xml SYSTEM "file:///etc/passwd"><xml><A>1</A></xml>',
    "<!ENTITY x 'y'><xml/>",
    "<xml><A><!ELEMENT a ANY></A></xml>",
  ])("refuses declarations: %s", (text) => {
    expect(() => parseXml(text)).toThrow(XmlError);
  });

  it("normalises known event names to their documented casing", () => {
    const m = toMessage(
      parseXml(
        "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>click</Event><EventKey>K</EventKey></xml>",
      ),
    );
    expect(m.Event).toBe("CLICK");
  });
});

describe("CDATA", () => {
  it.each([
    "plain",
    "]]>",
    "a]]>b]]>c",
    "]]]]>>",
    "<![CDATA[nested]]>",
    "&amp; < > \" '",
    "emoji 😀👍🏽 and 中文",
    "x".repeat(2500),
    "",
  ])("survives %j", (text) => {
    const parsed = independent.parse(`<xml><C>${cdata(text)}</C></xml>`).xml.C ?? "";
    expect(parsed).toBe(text);
  });

  it("drops characters XML cannot carry, keeping the rest", () => {
    expect(independent.parse(`<xml><C>${cdata("a\u0000b\u0008c\uFFFEd\uD800e\tf\ng")}</C></xml>`).xml.C).toBe(
      "abcde\tf\ng",
    );
  });

  it("never lets ]]> close the section early (the injection some SDKs allow)", () => {
    const evil = "]]></Content><MsgType><![CDATA[image]]></MsgType><Content><![CDATA[";
    const x = roundTrip(reply.text(evil));
    expect(x.MsgType).toBe("text");
    expect(x.Content).toBe(evil);
  });
});

describe("every reply type", () => {
  it("text", () => {
    expect(render(reply.text("你好"))).toBe(
      "<xml><ToUserName><![CDATA[oFollower]]></ToUserName><FromUserName><![CDATA[gh_account]]></FromUserName>" +
        "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content></xml>",
    );
  });
  it("image", () => expect(roundTrip(reply.image("m1"))).toMatchObject({ MsgType: "image", Image: { MediaId: "m1" } }));
  it("voice", () => expect(roundTrip(reply.voice("m2"))).toMatchObject({ MsgType: "voice", Voice: { MediaId: "m2" } }));
  it("video", () =>
    expect(roundTrip(reply.video({ mediaId: "m3", title: "T", description: "D" }))).toMatchObject({
      MsgType: "video",
      Video: { MediaId: "m3", Title: "T", Description: "D" },
    }));
  it("music", () =>
    expect(
      roundTrip(
        reply.music({
          thumbMediaId: "t",
          title: "T",
          description: "D",
          musicUrl: "http://a/1.mp3",
          hqMusicUrl: "http://a/2.mp3",
        }),
      ),
    ).toMatchObject({
      MsgType: "music",
      Music: {
        Title: "T",
        Description: "D",
        MusicUrl: "http://a/1.mp3",
        HQMusicUrl: "http://a/2.mp3",
        ThumbMediaId: "t",
      },
    }));
  it("news", () => {
    const x = roundTrip(
      reply.news([
        { title: "A", description: "a", picUrl: "http://p/a.jpg", url: "http://u/a?x=1&y=2" },
        { title: "B", url: "http://u/b" },
      ]),
    );
    expect(x).toMatchObject({ MsgType: "news", ArticleCount: "2" });
    expect(x.Articles.item).toEqual([
      { Title: "A", Description: "a", PicUrl: "http://p/a.jpg", Url: "http://u/a?x=1&y=2" },
      { Title: "B", Url: "http://u/b" },
    ]);
  });
  it("transfer_customer_service", () => {
    expect(roundTrip(reply.transferCustomerService())).toMatchObject({ MsgType: "transfer_customer_service" });
    expect(roundTrip(reply.transferCustomerService("kf2001@gh"))).toMatchObject({
      TransInfo: { KfAccount: "kf2001@gh" },
    });
  });
  it("nothing → success", () => {
    expect(render(reply.nothing())).toBe("success");
    expect(render(toReply(undefined))).toBe("success");
    expect(render(toReply(""))).toBe("success");
  });
  it("a string is a text reply", () =>
    expect(roundTrip(toReply("hi"))).toMatchObject({ MsgType: "text", Content: "hi" }));
  it("the encrypted envelope", () => {
    expect(independent.parse(renderEncrypted("ENC", "SIG", "1700000000", "123")).xml).toEqual({
      Encrypt: "ENC",
      MsgSignature: "SIG",
      TimeStamp: "1700000000",
      Nonce: "123",
    });
  });
});

describe("a reply's body, as the delivery ledger keeps it", () => {
  const every = [
    reply.text("你好 ]]> <b>"),
    reply.image("m1"),
    reply.voice("m2"),
    reply.video({ mediaId: "m3", title: "t" }),
    reply.music({ thumbMediaId: "m4", musicUrl: "http://m" }),
    reply.news([{ title: "a", url: "http://u" }, { title: "b" }]),
    reply.transferCustomerService("kf2001@gh"),
  ];
  it("wrapped in its envelope is the reply, for every type", () => {
    for (const r of every)
      expect(wrapReply(renderReplyBody(r), "oFollower", "gh_account", 1_700_000_000_123)).toBe(render(r));
    expect(renderReplyBody(reply.nothing())).toBe("success");
    expect(wrapReply("success", "oFollower", "gh_account", 1_700_000_000_123)).toBe("success");
  });
  it("holds none of the envelope: no addresses, no time", () => {
    const body = renderReplyBody(reply.text("hi"));
    expect(body).toBe("<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content>");
  });
  it("a retry wraps a body for its own message", () => {
    const body = renderReplyBody(reply.text("hi"));
    expect(independent.parse(wrapReply(body, "oOther", "gh_account", 1_800_000_000_000)).xml).toEqual({
      ToUserName: "oOther",
      FromUserName: "gh_account",
      CreateTime: "1800000000",
      MsgType: "text",
      Content: "hi",
    });
  });
});

describe("builders refuse what WeChat would", () => {
  it("an empty text", () => expect(() => reply.text("")).toThrow(TypeError));
  it("an image without media", () => expect(() => reply.image("")).toThrow(TypeError));
  it("news with no articles, or more than 8", () => {
    expect(() => reply.news([])).toThrow(RangeError);
    expect(() => reply.news(Array.from({ length: 9 }, (_, i) => ({ title: `t${i}` })))).toThrow(RangeError);
  });
  it("an article without a title", () => expect(() => reply.news({ title: "" })).toThrow(TypeError));
});

describe("refusals have stable codes", () => {
  it.each([
    ["<xml><a>1</a>", "malformed"],
    ['<!DOCTYPE x [<!ENTITY e "e">]><xml><a>&e;</a></xml>', "declaration"],
    ["<other><a>1</a></other>", "not_xml"],
  ])("%j → %s", (text, code) => {
    expect(() => parseXml(text)).toThrow(expect.objectContaining({ code }));
  });

  it("a document that is not a WeChat message → not_a_message", () => {
    expect(() => toMessage(parseXml("<xml><MsgType>text</MsgType></xml>"))).toThrow(
      expect.objectContaining({ name: "XmlError", code: "not_a_message" }),
    );
  });
});
