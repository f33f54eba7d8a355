/**
 * The one-pass reader for WeChat's flat XML (readFlat in src/wechat/xml.ts),
 * held to fast-xml-parser as its oracle: whatever it accepts, the full
 * validating parse accepts too and reads the same; what it does not take is
 * left to the full parse (and so to its refusals). And it does take the
 * shapes WeChat sends, or it would be a fast path in name only.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { XmlError, parseWithFastXmlParser, parseXml, readFlat, type XmlNode } from "../src/wechat/xml";
import { mutatedMessage } from "./fixtures/generators";
import { message, toXml } from "./fixtures/wechat";

const RUNS = 2000;

/** The full parse, less the whitespace-only `#text` it keeps between elements. */
function oracle(text: string): XmlNode | "refused" {
  try {
    const node = parseWithFastXmlParser(text);
    const ws = node["#text"];
    if (typeof ws === "string" && ws.trim() === "") {
      const { "#text": _ignored, ...rest } = node;
      return rest;
    }
    return node;
  } catch (e) {
    expect(e).toBeInstanceOf(XmlError);
    return "refused";
  }
}

const space = fc.constantFrom("", "", " ", "\n", "\r\n", "\t", "\n    ");
const name = fc.oneof(
  fc.constantFrom(
    "ToUserName",
    "FromUserName",
    "CreateTime",
    "MsgType",
    "Content",
    "MsgId",
    "Encrypt",
    "Event",
    "EventKey",
    "A",
    "a-b",
    "x.y",
    "_z",
    "xml",
    "__proto__",
    "constructor",
    "toString",
    "1A",
    "ä",
    "A B",
    "",
  ),
  fc.string({ unit: fc.constantFrom(..."AZaz_09-.:"), minLength: 1, maxLength: 6 }),
);
const text = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: "grapheme", maxLength: 10 }),
  fc.constantFrom(
    "",
    " ",
    "  hi  ",
    "]]>",
    "]]",
    "&amp;",
    "&#20013;",
    "a>b",
    "a<b",
    "\u0000",
    "\r\n",
    "<![CDATA[x]]>",
    "</A>",
    "6054768590064713728",
  ),
);
const element = fc
  .tuple(name, fc.constantFrom("cdata", "plain", "cdata-split", "self-closing", "mismatched", "attribute"), text)
  .map(([n, kind, t]) => {
    switch (kind) {
      case "cdata":
        return `<${n}><![CDATA[${t}]]></${n}>`;
      case "plain":
        return `<${n}>${t}</${n}>`;
      case "cdata-split":
        return `<${n}><![CDATA[${t}]]]]><![CDATA[>]]></${n}>`;
      case "self-closing":
        return `<${n}/>`;
      case "mismatched":
        return `<${n}>${t}</${n}x>`;
      default:
        return `<${n} a="1">${t}</${n}>`;
    }
  });
/** Flat documents, mostly well formed, with every kind of deviation mixed in. */
const flatDocument = fc
  .tuple(
    space,
    fc.constantFrom("<xml>", "<xml>", "<xml >", "<XML>", '<?xml version="1.0"?><xml>', "<!DOCTYPE x><xml>"),
    fc.array(fc.tuple(space, element), { maxLength: 8 }),
    space,
    fc.constantFrom("</xml>", "</xml>", "", "</xml><xml></xml>", "</xml>x"),
    space,
  )
  .map(
    ([lead, open, children, before, close, trail]) =>
      lead + open + children.map(([s, e]) => s + e).join("") + before + close + trail,
  );
/** Flat documents as WeChat writes them, with arbitrary names (unique) and values. */
const wellFormed = fc
  .tuple(
    space,
    fc.uniqueArray(
      fc.tuple(
        fc.oneof(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,8}$/), name),
        fc.boolean(),
        fc.oneof(fc.stringMatching(/^[^<>&]{0,12}$/), text),
      ),
      {
        minLength: 1,
        maxLength: 8,
        selector: ([n]) => n,
      },
    ),
    space,
  )
  .map(
    ([lead, children, trail]) =>
      lead +
      "<xml>" +
      children.map(([n, inCdata, t]) => (inCdata ? `<${n}><![CDATA[${t}]]></${n}>` : `<${n}>${t}</${n}>`)).join("\n") +
      "</xml>" +
      trail,
  );

describe("the flat reader against fast-xml-parser", () => {
  it("reads nothing the full parse refuses, and reads the same as it otherwise", () => {
    let read = 0;
    fc.assert(
      fc.property(fc.oneof({ arbitrary: wellFormed, weight: 2 }, flatDocument, mutatedMessage), (doc) => {
        const flat = readFlat(doc);
        if (flat === null) return;
        read++;
        expect(oracle(doc)).toEqual(flat);
      }),
      { numRuns: RUNS },
    );
    // The generators must reach the reader's accepting side often, or this proves little.
    expect(read).toBeGreaterThan(RUNS / 8);
  });

  it("gives parseXml the full parse's answer either way", () => {
    fc.assert(
      fc.property(fc.oneof(wellFormed, flatDocument, mutatedMessage), (doc) => {
        const expected = oracle(doc);
        let got: XmlNode | "refused";
        try {
          got = parseXml(doc);
          const ws = got["#text"];
          if (typeof ws === "string" && ws.trim() === "") delete got["#text"];
        } catch (e) {
          expect(e).toBeInstanceOf(XmlError);
          got = "refused";
        }
        expect(got).toEqual(expected);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("the shapes WeChat sends take the fast path", () => {
  const wechatText = fc.string({ unit: "grapheme", maxLength: 60 }).filter((s) => !s.includes("]]>"));

  it("a text message with any content (but `]]>`, which WeChat splits)", () => {
    fc.assert(
      fc.property(wechatText, (content) => {
        const xml = toXml(message({ MsgType: "text", Content: content }));
        expect(readFlat(xml)).toMatchObject({ MsgType: "text", Content: content });
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ["image", { MsgType: "image", PicUrl: "http://mmbiz.qpic.cn/x", MediaId: "media_id" }],
    [
      "location",
      { MsgType: "location", Location_X: "23.134521", Location_Y: "113.358803", Scale: "20", Label: "位置信息" },
    ],
    ["subscribe event", { MsgType: "event", Event: "subscribe", EventKey: "qrscene_123123", Ticket: "TICKET" }],
    ["menu click", { MsgType: "event", Event: "CLICK", EventKey: "ABOUT" }],
  ])("%s", (_kind, fields) => {
    const xml = toXml(message(fields));
    expect(readFlat(xml)).toEqual(oracle(xml));
    expect(readFlat(xml)).toMatchObject(fields);
  });

  it.each([
    "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><Encrypt><![CDATA[abc+/=]]></Encrypt></xml>",
    // As WeChat's documentation prints it: indented, with a trailing newline.
    "<xml>\n    <ToUserName><![CDATA[toUser]]></ToUserName>\n    <Encrypt><![CDATA[QUJD]]></Encrypt>\n</xml>\n",
    "<xml><Encrypt><![CDATA[QUJD]]></Encrypt><ToUserName><![CDATA[gh]]></ToUserName></xml>",
    "<xml><ToUserName>gh</ToUserName><Encrypt>QUJD</Encrypt></xml>",
  ])("the safe-mode envelope %j", (xml) => {
    expect(readFlat(xml)).not.toBeNull();
    expect(readFlat(xml)).toEqual(oracle(xml));
  });

  it("64-bit ids stay exact strings", () => {
    expect(readFlat("<xml><MsgId>6054768590064713728</MsgId><MsgID>18446744073709551615</MsgID></xml>")).toEqual({
      MsgId: "6054768590064713728",
      MsgID: "18446744073709551615",
    });
  });
});

describe("what the flat reader leaves to the full parse", () => {
  it.each([
    ["a split CDATA (a `]]>` in content)", "<xml><A><![CDATA[x]]]]><![CDATA[>y]]></A></xml>"],
    ["an entity", "<xml><A>&lt;b&gt;</A></xml>"],
    ["a numeric reference", "<xml><A>&#20013;</A></xml>"],
    [
      "a nested list",
      "<xml><SendPicsInfo><Count>1</Count><PicList><item><PicMd5Sum>x</PicMd5Sum></item></PicList></SendPicsInfo></xml>",
    ],
    ["a declaration", '<?xml version="1.0" encoding="utf-8"?><xml><A>1</A></xml>'],
    ["a comment", "<xml><!-- hi --><A>1</A></xml>"],
    ["a repeated element", "<xml><A>1</A><A>2</A></xml>"],
    ["a self-closing element", "<xml><A/></xml>"],
  ])("%s", (_what, xml) => {
    expect(readFlat(xml)).toBeNull();
    expect(parseXml(xml)).toEqual(oracle(xml));
  });

  it.each([
    "<!DOCTYPE x [<!ENTITY e 'x'>]><xml><A>&e;</A></xml>",
    "<xml><A>1</A></xml><xml/>",
    "<xml><A>1</A>",
    "<xml><A>1</B></xml>",
    "<xml><A><![CDATA[1</A></xml>",
    "<xml><A>1</A></xml>trailing",
  ])("refused: %j", (xml) => {
    expect(readFlat(xml)).toBeNull();
    expect(() => parseXml(xml)).toThrow(XmlError);
  });
});
