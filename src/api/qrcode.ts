/**
 * Parametric QR codes (生成带参数的二维码): the four action_names, WeChat's
 * limits checked before any call, and the showqrcode image link.
 */
import type { WeChatApi } from "./client";
import { InvalidInputError, UpstreamError } from "./errors";
import { idString } from "./json";

export type QrActionName = "QR_SCENE" | "QR_STR_SCENE" | "QR_LIMIT_SCENE" | "QR_LIMIT_STR_SCENE";

export interface QrRequest {
  /** All digits → integer scene; anything else → string scene. */
  scene: string | number;
  permanent?: boolean;
  /** Temporary codes only: 1..2592000 s; default 604800 (7 days). */
  expireSeconds?: number;
}

export interface QrCode {
  ticket: string;
  /** What the code encodes, as WeChat returns it. */
  url: string;
  /** Temporary codes only. */
  expireSeconds?: number;
  /** The showqrcode image link, ticket URL-encoded. */
  image: string;
  actionName: QrActionName;
  scene: string;
}

export const QR_DEFAULT_EXPIRE_S = 604_800;
export const QR_MAX_EXPIRE_S = 2_592_000;
export const QR_TEMP_MAX_ID = 4_294_967_295;
export const QR_PERMANENT_MAX_ID = 100_000;
export const QR_MAX_STR_LENGTH = 64;

/** The image of a ticket. The ticket holds "+", "/" and "=": it must be URL-encoded. */
export function showQrcodeUrl(ticket: string): string {
  return `https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=${encodeURIComponent(ticket)}`;
}

/** WeChat's qrcode/create body for a request; InvalidInputError names the limit broken. */
export function qrcodeBody(req: QrRequest): {
  action_name: QrActionName;
  expire_seconds?: number;
  action_info: { scene: { scene_id: number } | { scene_str: string } };
} {
  const permanent = req.permanent === true;
  if (permanent && req.expireSeconds !== undefined) {
    throw new InvalidInputError("expire applies to temporary codes only: a permanent code never expires");
  }
  const expire = req.expireSeconds ?? QR_DEFAULT_EXPIRE_S;
  if (!permanent && (!Number.isInteger(expire) || expire < 1 || expire > QR_MAX_EXPIRE_S)) {
    throw new InvalidInputError(`expire must be a whole number of seconds from 1 to ${QR_MAX_EXPIRE_S} (30 days)`);
  }
  const scene = String(req.scene);
  const timing = permanent ? {} : { expire_seconds: expire };
  if (/^\d+$/.test(scene)) {
    const id = Number(scene);
    const max = permanent ? QR_PERMANENT_MAX_ID : QR_TEMP_MAX_ID;
    if (!Number.isSafeInteger(id) || id < 1 || id > max) {
      throw new InvalidInputError(
        `an integer scene must be from 1 to ${max} for a ${permanent ? "permanent" : "temporary"} code`,
      );
    }
    return {
      ...timing,
      action_name: permanent ? "QR_LIMIT_SCENE" : "QR_SCENE",
      action_info: { scene: { scene_id: id } },
    };
  }
  const length = [...scene].length;
  if (length < 1 || length > QR_MAX_STR_LENGTH) {
    throw new InvalidInputError(`a string scene must be 1 to ${QR_MAX_STR_LENGTH} characters, got ${length}`);
  }
  return {
    ...timing,
    action_name: permanent ? "QR_LIMIT_STR_SCENE" : "QR_STR_SCENE",
    action_info: { scene: { scene_str: scene } },
  };
}

export function qrcodeApi(api: WeChatApi) {
  return {
    /** Creates a parametric QR code; validated first (no upstream call for invalid input). */
    async create(req: QrRequest): Promise<QrCode> {
      const body = qrcodeBody(req);
      const json = await api.call({ method: "POST", path: "/cgi-bin/qrcode/create", body });
      const ticket = json["ticket"];
      if (typeof ticket !== "string" || ticket.length === 0)
        throw new UpstreamError("bad_response", "/cgi-bin/qrcode/create", "answered without a ticket");
      const expire = json["expire_seconds"];
      return {
        ticket,
        url: typeof json["url"] === "string" ? json["url"] : "",
        ...(body.expire_seconds === undefined
          ? {}
          : { expireSeconds: typeof expire === "number" ? expire : Number(idString(expire) ?? body.expire_seconds) }),
        image: showQrcodeUrl(ticket),
        actionName: body.action_name,
        scene: String(req.scene),
      };
    },
  };
}
