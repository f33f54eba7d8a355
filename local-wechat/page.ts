/**
 * The local WeChat's chat page: a follower's conversation with the account,
 * as WeChat shows it, with the menu, QR codes, settings, faults and an
 * inspector of every request WeChat made. Plain HTML, CSS and script (no
 * build step), assembled here from the parts in ./page/; it speaks only to
 * the JSON API and the stream of app.ts, and loads nothing from the network.
 *
 * - page/markup.ts: the skeleton (chat column, side panel);
 * - page/style.ts: the stylesheet;
 * - page/icons.ts: inline SVG icons;
 * - page/script-*.ts: the script — base (state, DOM building, API, followers),
 *   chat (the conversation), bottom (sending, input bar, menu bar), panel
 *   (inspector, QR codes, settings), main (follower switcher, stream, start).
 */
import { ICONS } from "./page/icons";
import { escapeHtml, markup } from "./page/markup";
import { SCRIPT_BASE } from "./page/script-base";
import { SCRIPT_BOTTOM } from "./page/script-bottom";
import { SCRIPT_CHAT } from "./page/script-chat";
import { SCRIPT_MAIN } from "./page/script-main";
import { SCRIPT_PANEL } from "./page/script-panel";
import { STYLE } from "./page/style";

/** JSON safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

export function renderPage(info: { appId: string; account: string }): string {
  const boot = { appId: info.appId, account: info.account, icons: ICONS };
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<title>本地微信 · ${escapeHtml(info.account)}</title>
<style>${STYLE}</style>
</head>
<body>
${markup(info)}
<script>window.LOCAL_WECHAT = ${scriptJson(boot)};</script>
<script>
${SCRIPT_BASE}
${SCRIPT_CHAT}
${SCRIPT_BOTTOM}
${SCRIPT_PANEL}
${SCRIPT_MAIN}
</script>
</body>
</html>`;
}
