/**
 * WeChat's XML, both ways. Parsing goes through fast-xml-parser with every
 * value kept a string (a 64-bit MsgId must not become a rounded double) and
 * anything that could declare entities refused before the parser sees it.
 * Building wraps text in CDATA so that any content survives, `]]>` included.
 */
import { XMLParser, type X2jOptions } from "fast-xml-parser";

/** A parsed element: text, or child elements (repeated `item`s as arrays). */
export type XmlValue = string | XmlNode | XmlNode[];
export interface XmlNode {
  [name: string]: XmlValue;
}

export class XmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "XmlError";
  }
}

/** Lists WeChat always sends as repeated `<item>`, normalised to arrays. */
const ARRAY_PATHS = new Set([
  "xml.SendPicsInfo.PicList.item",
  "xml.ArticleUrlResult.ResultList.item",
  "xml.CopyrightCheckResult.ResultList.item",
  "xml.Articles.item",
]);

const options: X2jOptions = {
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  parseTagValue: false, // every value a string
  trimValues: false, // a follower's "  hi  " stays "  hi  "
  processEntities: true, // the five XML entities, outside CDATA only
  isArray: (_name, jpath) => ARRAY_PATHS.has(jpath as string),
};
/** The usual parser: XML's five entities. */
const parser = new XMLParser({ ...options, htmlEntities: false });
/**
 * For documents with numeric character references (&#20013;), which XML
 * requires decoding: fast-xml-parser does that only together with HTML's
 * named entities, a pass that costs 2.5× the whole parse, so it is used
 * only when the text holds "&#" at all. WeChat writes text in CDATA, so
 * this is rare.
 */
const numericRefParser = new XMLParser({ ...options, htmlEntities: true });

/**
 * Refuses `<!DOCTYPE`, `<!ENTITY` and any other markup declaration outside a
 * CDATA section. Scanning (rather than a regex over the whole text) lets a
 * follower's message that merely mentions "<!DOCTYPE" inside CDATA through.
 */
function assertNoDeclarations(text: string): void {
  let i = text.indexOf("<!");
  while (i !== -1) {
    if (text.startsWith("<![CDATA[", i)) {
      const end = text.indexOf("]]>", i + 9);
      if (end === -1) throw new XmlError("unterminated CDATA section");
      i = text.indexOf("<!", end + 3);
    } else if (text.startsWith("<!--", i)) {
      const end = text.indexOf("-->", i + 4);
      if (end === -1) throw new XmlError("unterminated comment");
      i = text.indexOf("<!", end + 3);
    } else {
      throw new XmlError("DOCTYPE and entity declarations are not accepted");
    }
  }
}

/**
 * Parses a WeChat XML document and returns its `<xml>` root element.
 * Throws XmlError for malformed XML, declarations, or any other root.
 */
export function parseXml(text: string): XmlNode {
  assertNoDeclarations(text);
  let doc: unknown;
  try {
    doc = (text.includes("&#") ? numericRefParser : parser).parse(text, true);
  } catch {
    throw new XmlError("malformed XML");
  }
  const root = (doc as Record<string, unknown>)["xml"];
  if (root === undefined || typeof root !== "object" || Array.isArray(root) || root === null) {
    throw new XmlError("the document is not a single <xml> element");
  }
  return root as XmlNode;
}

/**
 * Safe mode's envelope in the exact shape WeChat sends it — `<xml>` holding
 * `ToUserName` then `Encrypt`, text in CDATA, whitespace between elements.
 * Anchored and free of anything but base64 in `Encrypt`, so no markup, entity
 * or declaration can hide in what it accepts; anything else is for parseXml.
 */
const SAFE_ENVELOPE =
  /^\s*<xml>\s*<ToUserName><!\[CDATA\[([^\]<>&]*)\]\]><\/ToUserName>\s*<Encrypt><!\[CDATA\[([A-Za-z0-9+/=]+)\]\]><\/Encrypt>\s*<\/xml>\s*$/;

/**
 * Parses an encrypted request's body: the common safe-mode envelope without
 * the full parser (it is a fixed two-element shape), anything else with it.
 * The result is what parseXml returns for the same text.
 */
export function parseEnvelope(text: string): XmlNode {
  const m = SAFE_ENVELOPE.exec(text);
  return m ? { ToUserName: m[1]!, Encrypt: m[2]! } : parseXml(text);
}

/** Text of a child element, or undefined when absent or not text. */
export function textOf(node: XmlNode, name: string): string | undefined {
  const value = node[name];
  return typeof value === "string" ? value : undefined;
}

// Characters XML 1.0 cannot carry at all (C0 controls other than tab, LF, CR;
// U+FFFE/U+FFFF; unpaired surrogates). WeChat's parser would reject the reply.
const XML_INVALID_SOURCE = String.raw`[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]`;
const HAS_XML_INVALID = new RegExp(XML_INVALID_SOURCE);
const XML_INVALID = new RegExp(XML_INVALID_SOURCE, "g");

/**
 * One CDATA section holding `text` exactly. `]]>` cannot appear inside CDATA,
 * so it is split across two sections (`]]` ends one, `>` starts the next);
 * characters XML cannot represent at all are dropped.
 */
export function cdata(text: string): string {
  const clean = HAS_XML_INVALID.test(text) ? text.replace(XML_INVALID, "") : text;
  return "<![CDATA[" + clean.replaceAll("]]>", "]]]]><![CDATA[>") + "]]>";
}
