/**
 * The example menu's CLICK keys and what each answers. Keep the keys in step
 * with the menu you publish (PUT /admin/menu, or 公众平台 → 自定义菜单).
 */
import { reply, type Reply } from "../wechat";

export const MENU_REPLIES: Record<string, () => Reply | string> = {
  MENU_ABOUT: () => "这是一个运行在 Cloudflare Workers 上的公众号示例。",
  MENU_HELP: () => "发送任意文字，我会原样回复；发送「二维码」获取您的专属二维码。",
  MENU_NEWS: () =>
    reply.news({
      title: "欢迎",
      description: "公众号示例的图文消息",
      url: "https://mp.weixin.qq.com/",
    }),
};
