/**
 * Custom menus (自定义菜单): create, get, delete, current self-menu info.
 * A menu WeChat would refuse is refused here first, with the rule it breaks.
 */
import { utf8Encoder } from "../wechat/bytes";
import type { WeChatApi } from "./client";
import { InvalidInputError } from "./errors";

export interface MenuButton {
  type?: string;
  name: string;
  key?: string;
  url?: string;
  media_id?: string;
  article_id?: string;
  appid?: string;
  pagepath?: string;
  sub_button?: MenuButton[];
}

export interface Menu {
  button: MenuButton[];
}

const bytes = (s: string) => utf8Encoder.encode(s).length;

/** What each button type needs (WeChat's 自定义菜单 rules). */
const TYPE_NEEDS: Record<string, readonly (keyof MenuButton)[]> = {
  click: ["key"],
  view: ["url"],
  scancode_push: ["key"],
  scancode_waitmsg: ["key"],
  pic_sysphoto: ["key"],
  pic_photo_or_album: ["key"],
  pic_weixin: ["key"],
  location_select: ["key"],
  media_id: ["media_id"],
  view_limited: ["media_id"],
  article_id: ["article_id"],
  article_view_limited: ["article_id"],
  miniprogram: ["url", "appid", "pagepath"],
};

/** Checks a menu against WeChat's rules; returns it typed or throws InvalidInputError naming the rule. */
export function validateMenu(input: unknown): Menu {
  if (typeof input !== "object" || input === null || !Array.isArray((input as Menu).button)) {
    throw new InvalidInputError("a menu is an object with a `button` array");
  }
  const buttons = (input as Menu).button;
  if (buttons.length < 1 || buttons.length > 3)
    throw new InvalidInputError(`a menu has 1 to 3 buttons, got ${buttons.length}`);
  buttons.forEach((b, i) => {
    const where = `button[${i}]`;
    checkName(b, where, 16);
    if (b.sub_button !== undefined && b.sub_button.length > 0) {
      if (!Array.isArray(b.sub_button) || b.sub_button.length > 5) {
        throw new InvalidInputError(`${where} has more than 5 sub_buttons`);
      }
      b.sub_button.forEach((s, j) => {
        const subWhere = `${where}.sub_button[${j}]`;
        checkName(s, subWhere, 60);
        if (s.sub_button !== undefined && s.sub_button.length > 0)
          throw new InvalidInputError(`${subWhere}: menus are two levels deep at most`);
        checkAction(s, subWhere);
      });
    } else checkAction(b, where);
  });
  return { button: buttons };
}

function checkName(b: MenuButton, where: string, maxBytes: number): void {
  if (typeof b !== "object" || b === null) throw new InvalidInputError(`${where} is not an object`);
  if (typeof b.name !== "string" || b.name.length === 0) throw new InvalidInputError(`${where} needs a name`);
  if (bytes(b.name) > maxBytes) {
    throw new InvalidInputError(`${where}.name is longer than ${maxBytes} bytes (${maxBytes / 4} Chinese characters)`);
  }
}

function checkAction(b: MenuButton, where: string): void {
  if (typeof b.type !== "string" || !(b.type in TYPE_NEEDS)) {
    throw new InvalidInputError(`${where} needs a type: one of ${Object.keys(TYPE_NEEDS).join(", ")}`);
  }
  for (const field of TYPE_NEEDS[b.type]!) {
    const value = b[field];
    if (typeof value !== "string" || value.length === 0)
      throw new InvalidInputError(`${where}: a ${b.type} button needs ${field}`);
  }
  if (b.key !== undefined && bytes(b.key) > 128) throw new InvalidInputError(`${where}.key is longer than 128 bytes`);
  if (b.url !== undefined && bytes(b.url) > 1024) throw new InvalidInputError(`${where}.url is longer than 1024 bytes`);
  if (b.url !== undefined && !/^https?:\/\//i.test(b.url))
    throw new InvalidInputError(`${where}.url must start with http:// or https://`);
}

export function menuApi(api: WeChatApi) {
  return {
    /** Publishes a menu (validated first; no upstream call for an invalid one). */
    async create(menu: unknown): Promise<void> {
      await api.call({ method: "POST", path: "/cgi-bin/menu/create", body: validateMenu(menu) });
    },
    /** The menu made through menu/create, as WeChat returns it; WeChatApiError 46003 when there is none. */
    get(): Promise<Record<string, unknown>> {
      return api.call({ method: "GET", path: "/cgi-bin/menu/get" });
    },
    async delete(): Promise<void> {
      await api.call({ method: "GET", path: "/cgi-bin/menu/delete" });
    },
    /** The menu in effect, however it was made (API or 公众平台): get_current_selfmenu_info. */
    current(): Promise<Record<string, unknown>> {
      return api.call({ method: "GET", path: "/cgi-bin/get_current_selfmenu_info" });
    },
  };
}
