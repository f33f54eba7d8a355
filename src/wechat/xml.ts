/**
 * WeChat's XML, both ways. Parsing goes through fast-xml-parser with every
 * value kept a string (a 64-bit MsgId must not become a rounded double) and
 * anything that could declare entities refused before the parser sees it.
 * The shape WeChat actually sends — one `<xml>` of flat elements holding
 * CDATA or plain text — is read by a strict one-pass reader first, which
 * hands anything else to fast-xml-parser and agrees with it on everything
 * it accepts (test/xml-flat-reader.test.ts holds it to that). A document of
 * more than MAX_ELEMENTS elements is refused before fast-xml-parser sees it.
 * Building wraps text in CDATA so that any content survives, `]]>` included.
 */
import { XMLParser, type X2jOptions } from "fast-xml-parser";

/** A parsed element: text, or child elements (repeated `item`s as arrays). */
export type XmlValue = string | XmlNode | XmlNode[];
export interface XmlNode {
  [name: string]: XmlValue;
}

/**
 * Why a body was refused; `code` names it without echoing any content:
 * `malformed` (not well-formed XML), `declaration` (a DOCTYPE or entity
 * declaration), `too_many_elements` (more than MAX_ELEMENTS elements),
 * `not_xml` (not one `<xml>` root), `not_a_message` (a base field of a
 * WeChat message missing or malformed).
 */
export class XmlError extends Error {
  constructor(
    readonly code: "malformed" | "declaration" | "too_many_elements" | "not_xml" | "not_a_message",
    message: string,
  ) {
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
 * requires decoding: fast-xml-parser decodes them only together with HTML's
 * named entities, a pass dearer than the parse itself, so it is used only
 * when the text holds "&#" at all. WeChat writes text in CDATA, so this is rare.
 */
const numericRefParser = new XMLParser({ ...options, htmlEntities: true });

const LT = 60; // <
const GT = 62; // >
const AMP = 38; // &
const SLASH = 47; // /
const BANG = 33; // !

/**
 * The most elements a document may have. WeChat's largest messages — a
 * mass-send report on eight articles, with each one's copyright check and
 * URL (test/xml-bounds.test.ts builds one) — hold about 120. 256 leaves room
 * for fields WeChat adds, while a body of thousands of tiny elements, which
 * would cost fast-xml-parser more CPU than a request has, is refused unread.
 */
export const MAX_ELEMENTS = 256;

/**
 * Refuses, before fast-xml-parser sees the text, `<!DOCTYPE`, `<!ENTITY` and
 * any other markup declaration, and more than MAX_ELEMENTS elements. One scan
 * over the `<`s outside CDATA sections and comments, so that a follower's
 * text in CDATA may mention "<!DOCTYPE" or hold any number of `<`. Every
 * other `<` but an end tag's counts as an element: a processing instruction
 * too, which costs the parser as much and of which WeChat sends none.
 */
function checkMarkup(text: string): void {
  let elements = 0;
  let i = text.indexOf("<");
  while (i !== -1) {
    const next = text.charCodeAt(i + 1);
    if (next === BANG) {
      if (text.startsWith("<![CDATA[", i)) {
        const end = text.indexOf("]]>", i + 9);
        if (end === -1) throw new XmlError("malformed", "unterminated CDATA section");
        i = end + 3;
      } else if (text.startsWith("<!--", i)) {
        const end = text.indexOf("-->", i + 4);
        if (end === -1) throw new XmlError("malformed", "unterminated comment");
        i = end + 3;
      } else {
        throw new XmlError("declaration", "DOCTYPE and entity declarations are not accepted");
      }
    } else {
      if (next !== SLASH && ++elements > MAX_ELEMENTS) {
        throw new XmlError("too_many_elements", `more than ${MAX_ELEMENTS} elements`);
      }
      i++;
    }
    i = text.indexOf("<", i);
  }
}

/**
 * Parses a WeChat XML document and returns its `<xml>` root element.
 * Throws XmlError for malformed XML, declarations, or any other root.
 */
export function parseXml(text: string): XmlNode {
  return readFlat(text) ?? parseWithFastXmlParser(text);
}

/** The full parse (markup scan, validation, fast-xml-parser): every shape readFlat does not take. */
export function parseWithFastXmlParser(text: string): XmlNode {
  checkMarkup(text);
  let doc: unknown;
  try {
    doc = (text.includes("&#") ? numericRefParser : parser).parse(text, true);
  } catch {
    throw new XmlError("malformed", "malformed XML");
  }
  const root = (doc as Record<string, unknown>)["xml"];
  if (root === undefined || typeof root !== "object" || Array.isArray(root) || root === null) {
    throw new XmlError("not_xml", "the document is not a single <xml> element");
  }
  return root as XmlNode;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13;
}
/** The index of the first non-whitespace character at or after `i`. */
function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}
/** The first character of a name we read: an ASCII letter or underscore. */
function isNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57) || c === 45 || c === 46;
}

/**
 * The shape WeChat sends, in one pass: optional whitespace, `<xml>`, then
 * elements `<Name>` holding one CDATA section or plain text (no markup, no
 * entity, no `>`) or nothing, each closed by `</Name>`, whitespace between
 * them, `</xml>`, optional whitespace. Names are ASCII and not repeated;
 * there is at least one element, at most MAX_ELEMENTS with the root, and
 * no CR in any value.
 * Returns null for anything else — nesting, entities, declarations,
 * comments, attributes, a second CDATA section — which the full parser then
 * decides. What it accepts, fast-xml-parser reads the same, less the
 * whitespace between elements, which it keeps as `#text`.
 */
export function readFlat(text: string): XmlNode | null {
  let i = skipSpace(text, 0);
  if (!text.startsWith("<xml>", i)) return null;
  i += 5;
  const node: XmlNode = {};
  let children = 0;
  for (;;) {
    i = skipSpace(text, i);
    if (text.charCodeAt(i) !== LT) return null;
    if (text.charCodeAt(i + 1) === SLASH) break; // the root's end tag, checked below
    i = readElement(text, i, node);
    if (i === -1) return null;
    if (++children >= MAX_ELEMENTS) return null; // the full parse refuses it: the two agree
  }
  if (!text.startsWith("</xml>", i) || children === 0) return null; // an empty root: the full parse decides
  return skipSpace(text, i + 6) === text.length ? node : null;
}

/** One flat element `<Name>…</Name>` at `i`, added to `node`: the index after it, or -1 for any other shape. */
function readElement(text: string, i: number, node: XmlNode): number {
  const nameStart = i + 1;
  let j = nameStart;
  if (!isNameStart(text.charCodeAt(j))) return -1;
  while (isNameChar(text.charCodeAt(j))) j++;
  if (text.charCodeAt(j) !== GT) return -1;
  const name = text.slice(nameStart, j);
  // Repeats become arrays, and names an object already has (toString, __proto__…) are
  // renamed or refused by fast-xml-parser: both are for the full parse.
  if (name in node || name === "prototype") return -1;
  i = j + 1;
  // Its content: one CDATA section, or plain text.
  let value: string;
  if (text.startsWith("<![CDATA[", i)) {
    const end = text.indexOf("]]>", i + 9);
    if (end === -1) return -1;
    value = text.slice(i + 9, end);
    i = end + 3;
  } else {
    const start = i;
    for (; i < text.length && text.charCodeAt(i) !== LT; i++) {
      const c = text.charCodeAt(i);
      if (c === AMP || c === GT) return -1;
    }
    if (i >= text.length) return -1;
    value = text.slice(start, i);
  }
  // </Name>
  if (!text.startsWith("</", i) || !text.startsWith(name, i + 2) || text.charCodeAt(i + 2 + name.length) !== GT) {
    return -1;
  }
  if (value.includes("\r")) return -1; // XML turns CR LF into LF: the full parse does that
  node[name] = value;
  return i + name.length + 3;
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
