/**
 * Inbound messages and events, typed. Field names are WeChat's own (as in its
 * documentation), values exactly as sent: all strings, so 64-bit ids such as
 * MsgId never lose digits. Anything WeChat adds later still arrives, untyped,
 * with the same base fields.
 */
import { XmlError, type XmlNode, type XmlValue } from "./xml";

interface Base {
  /** The account's original id (gh_…). */
  ToUserName: string;
  /** The follower's OpenID. */
  FromUserName: string;
  /** Seconds since the epoch, as sent. */
  CreateTime: string;
  [field: string]: XmlValue | undefined;
}

interface Msg<T extends string> extends Base {
  MsgType: T;
  /** 64-bit: keep it a string. */
  MsgId: string;
  /** Present when the message came from an article (文章); with Idx. */
  MsgDataId?: string;
  Idx?: string;
}

export interface TextMessage extends Msg<"text"> {
  Content: string;
  /** Set when the follower tapped a menu reply (菜单消息). */
  bizmsgmenuid?: string;
}
export interface ImageMessage extends Msg<"image"> {
  PicUrl: string;
  MediaId: string;
}
export interface VoiceMessage extends Msg<"voice"> {
  MediaId: string;
  Format: string;
  /** Speech recognition result, when the account has it enabled. */
  Recognition?: string;
  MediaId16K?: string;
}
export interface VideoMessage extends Msg<"video"> {
  MediaId: string;
  ThumbMediaId: string;
}
export interface ShortVideoMessage extends Msg<"shortvideo"> {
  MediaId: string;
  ThumbMediaId: string;
}
export interface LocationMessage extends Msg<"location"> {
  /** Latitude. */
  Location_X: string;
  /** Longitude. */
  Location_Y: string;
  Scale: string;
  Label: string;
}
export interface LinkMessage extends Msg<"link"> {
  Title: string;
  Description: string;
  Url: string;
}
export interface FileMessage extends Msg<"file"> {
  Title: string;
  Description: string;
  FileKey: string;
  FileMd5: string;
  FileTotalLen: string;
}

interface Evt<E extends string> extends Base {
  MsgType: "event";
  Event: E;
}

export interface SubscribeEvent extends Evt<"subscribe"> {
  /** `qrscene_<scene>` when the follower subscribed by scanning a parametric QR code. */
  EventKey?: string;
  Ticket?: string;
}
export type UnsubscribeEvent = Evt<"unsubscribe">;
export interface ScanEvent extends Evt<"SCAN"> {
  /** The QR code's scene value (no prefix). */
  EventKey: string;
  Ticket: string;
}
export interface LocationEvent extends Evt<"LOCATION"> {
  Latitude: string;
  Longitude: string;
  Precision: string;
}
export interface ClickEvent extends Evt<"CLICK"> {
  EventKey: string;
}
export interface ViewEvent extends Evt<"VIEW"> {
  /** The URL opened. */
  EventKey: string;
  MenuId?: string;
}
interface ScanCodeInfo extends XmlNode {
  ScanType: string;
  ScanResult: string;
}
export interface ScancodePushEvent extends Evt<"scancode_push"> {
  EventKey: string;
  ScanCodeInfo: ScanCodeInfo;
}
export interface ScancodeWaitmsgEvent extends Evt<"scancode_waitmsg"> {
  EventKey: string;
  ScanCodeInfo: ScanCodeInfo;
}
interface SendPicsInfo extends XmlNode {
  Count: string;
  PicList: XmlNode & { item?: Array<XmlNode & { PicMd5Sum: string }> };
}
export interface PicSysphotoEvent extends Evt<"pic_sysphoto"> {
  EventKey: string;
  SendPicsInfo: SendPicsInfo;
}
export interface PicPhotoOrAlbumEvent extends Evt<"pic_photo_or_album"> {
  EventKey: string;
  SendPicsInfo: SendPicsInfo;
}
export interface PicWeixinEvent extends Evt<"pic_weixin"> {
  EventKey: string;
  SendPicsInfo: SendPicsInfo;
}
export interface LocationSelectEvent extends Evt<"location_select"> {
  EventKey: string;
  SendLocationInfo: XmlNode & {
    Location_X: string;
    Location_Y: string;
    Scale: string;
    Label: string;
    Poiname?: string;
  };
}
export interface TemplateSendJobFinishEvent extends Evt<"TEMPLATESENDJOBFINISH"> {
  /** The template message's 64-bit id. */
  MsgID: string;
  /** `success`, `failed:user block`, `failed: system failed`. */
  Status: string;
}
export interface MassSendJobFinishEvent extends Evt<"MASSSENDJOBFINISH"> {
  MsgID: string;
  Status: string;
  TotalCount: string;
  FilterCount: string;
  SentCount: string;
  ErrorCount: string;
}

/** Every message type by its `MsgType`. */
export interface MessageTypes {
  text: TextMessage;
  image: ImageMessage;
  voice: VoiceMessage;
  video: VideoMessage;
  shortvideo: ShortVideoMessage;
  location: LocationMessage;
  link: LinkMessage;
  file: FileMessage;
}

/** Every event by its `Event`. */
export interface EventTypes {
  subscribe: SubscribeEvent;
  unsubscribe: UnsubscribeEvent;
  SCAN: ScanEvent;
  LOCATION: LocationEvent;
  CLICK: ClickEvent;
  VIEW: ViewEvent;
  scancode_push: ScancodePushEvent;
  scancode_waitmsg: ScancodeWaitmsgEvent;
  pic_sysphoto: PicSysphotoEvent;
  pic_photo_or_album: PicPhotoOrAlbumEvent;
  pic_weixin: PicWeixinEvent;
  location_select: LocationSelectEvent;
  TEMPLATESENDJOBFINISH: TemplateSendJobFinishEvent;
  MASSSENDJOBFINISH: MassSendJobFinishEvent;
}

export type MessageType = keyof MessageTypes;
export type EventName = keyof EventTypes;
export type KnownMessage = MessageTypes[MessageType];
export type KnownEvent = EventTypes[EventName];

/** Whatever WeChat sent that this code has no type for: still delivered. */
export interface UnknownMessage extends Base {
  MsgType: string;
  Event?: string;
}

/** Any inbound message or event. Narrow on `MsgType` / `Event`, or use the router. */
export type Message = KnownMessage | KnownEvent | UnknownMessage;

const EVENT_NAMES: readonly EventName[] = [
  "subscribe",
  "unsubscribe",
  "SCAN",
  "LOCATION",
  "CLICK",
  "VIEW",
  "scancode_push",
  "scancode_waitmsg",
  "pic_sysphoto",
  "pic_photo_or_album",
  "pic_weixin",
  "location_select",
  "TEMPLATESENDJOBFINISH",
  "MASSSENDJOBFINISH",
];
/** WeChat's casing of event names is not uniform across its products; match any casing. */
const CANONICAL_EVENT = new Map<string, EventName>(EVENT_NAMES.map((e) => [e.toLowerCase(), e]));

const DIGITS = /^\d{1,12}$/;

/**
 * Checks that a parsed `<xml>` root is a WeChat message and returns it typed.
 * Throws XmlError (a 400) when a base field is missing or malformed. Known
 * event names are normalised to their documented casing.
 */
export function toMessage(node: XmlNode): Message {
  for (const field of ["ToUserName", "FromUserName", "MsgType"] as const) {
    const value = node[field];
    if (typeof value !== "string" || value.length === 0) {
      throw new XmlError("not_a_message", `not a WeChat message: ${field} is missing`);
    }
  }
  const created = node["CreateTime"];
  if (typeof created !== "string" || !DIGITS.test(created)) {
    throw new XmlError("not_a_message", "not a WeChat message: CreateTime is missing or not a number");
  }
  if (node["MsgType"] === "event") {
    const event = node["Event"];
    if (typeof event !== "string" || event.length === 0) {
      throw new XmlError("not_a_message", "not a WeChat message: an event without Event");
    }
    const canonical = CANONICAL_EVENT.get(event.toLowerCase());
    if (canonical !== undefined && canonical !== event) node["Event"] = canonical;
  }
  return node as Message;
}

/** The message's kind for logs: its MsgType, or `event.<Event>` for events. */
export function messageKind(message: Message): string {
  return message.MsgType === "event" ? `event.${message.Event}` : message.MsgType;
}

/** The fields the message types above declare as text (the base fields are checked by toMessage). */
// prettier-ignore
const TEXT_FIELDS = [
  "Content", "MsgId", "MsgDataId", "Idx", "bizmsgmenuid", "PicUrl", "MediaId", "Format", "Recognition", "MediaId16K",
  "ThumbMediaId", "Location_X", "Location_Y", "Scale", "Label", "Title", "Description", "Url", "FileKey", "FileMd5",
  "FileTotalLen", "Event", "EventKey", "Ticket", "Latitude", "Longitude", "Precision", "MsgID", "Status",
  "TotalCount", "FilterCount", "SentCount", "ErrorCount",
];

/**
 * A declared text field that arrived as something else (nested or repeated
 * elements parse as objects and arrays), or null. The types promise a string;
 * a handler must never be handed anything else under that name.
 */
export function textFieldProblem(message: Message): string | null {
  for (const name of TEXT_FIELDS) {
    const value = message[name];
    if (value !== undefined && typeof value !== "string") return `message field ${name} is not text`;
  }
  return null;
}
