/**
 * The chat page's stylesheet: WeChat's chat screen (grey #ededed background,
 * green #95ec69 bubbles for the follower, white for the account, the bottom
 * menu bar) beside a side panel (inspector, QR codes, settings). System fonts
 * only: the page loads nothing from the network.
 */
export const STYLE = String.raw`
/* ---- Base ---- */
:root {
  --bg: #ededed;
  --green: #95ec69;
  --brand: #07c160;
  --brand-dark: #06ad56;
  --text: #191919;
  --muted: #8a8a8a;
  --faint: #b2b2b2;
  --line: #e2e2e2;
  --link: #576b95;
  --red: #fa5151;
  --amber: #f0a020;
  --blue: #10aeff;
  --mono: ui-monospace, "SFMono-Regular", "JetBrains Mono", Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
html, body { height: 100%; margin: 0; }
body {
  font: 14px/1.5 -apple-system, BlinkMacSystemFont, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
    "Noto Sans CJK SC", "Source Han Sans SC", "Helvetica Neue", Arial, sans-serif;
  color: var(--text);
  background: #d6d6d6;
  -webkit-font-smoothing: antialiased;
}
button, input, textarea, select { font: inherit; color: inherit; }
button { cursor: pointer; background: none; border: 0; padding: 0; }
[hidden] { display: none !important; }
small, .en { color: var(--muted); font-weight: 400; }
.mono { font-family: var(--mono); }
svg.icon {
  width: 24px;
  height: 24px;
  fill: none;
  stroke: currentColor;
  stroke-width: 1.7;
  stroke-linecap: round;
  stroke-linejoin: round;
  flex: none;
}

/* ---- Layout: the chat column and the side panel ---- */
#app { display: flex; height: 100vh; height: 100dvh; overflow: hidden; }
.chat {
  position: relative; display: flex; flex-direction: column; flex: none;
  width: 460px; height: 100%; background: var(--bg); border-right: 1px solid #c9c9c9; overflow: hidden;
}
.panel { display: flex; flex-direction: column; flex: 1; min-width: 0; height: 100%; background: #f5f5f5; }
body.panel-closed .panel { display: none; }
body.panel-closed .chat { margin: 0 auto; border-left: 1px solid #c9c9c9; }
@media (max-width: 760px) {
  .chat { width: 100%; border: 0; }
  body.panel-closed .chat { border: 0; }
  .panel { position: fixed; inset: 0; z-index: 40; display: none; }
  body.panel-open .panel { display: flex; }
}

/* ---- Chat header: the account, and the follower you are ---- */
.chat-head {
  display: grid; grid-template-columns: 44px 1fr 44px; align-items: center;
  min-height: 56px; padding: 4px 6px; background: var(--bg); border-bottom: 1px solid #dadada; z-index: 5;
}
.icon-btn { display: grid; place-items: center; width: 40px; height: 40px; border-radius: 8px; color: #1a1a1a; }
.icon-btn:hover { background: rgba(0, 0, 0, 0.05); }
.icon-btn.back { color: #1a1a1a; cursor: default; }
.icon-btn.back:hover { background: none; }
.head-title { display: flex; flex-direction: column; align-items: center; min-width: 0; }
.head-title .name {
  font-size: 17px;
  font-weight: 600;
  line-height: 1.3;
  max-width: 100%;
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
}
.follower-chip {
  display: inline-flex; align-items: center; gap: 6px; max-width: 100%;
  margin-top: 1px; padding: 1px 8px 1px 2px; border-radius: 12px; font-size: 12px; color: #555;
}
.follower-chip:hover { background: rgba(0, 0, 0, 0.06); }
.follower-chip.has-unread::after { content: ""; width: 7px; height: 7px; border-radius: 50%; background: var(--red); }
.follower-chip .who { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.follower-chip svg.icon { width: 12px; height: 12px; stroke-width: 2.4; }
.tag {
  display: inline-block;
  padding: 0 5px;
  border-radius: 3px;
  font-size: 11px;
  line-height: 17px;
  background: #e4e4e4;
  color: #777;
  white-space: nowrap;
}
.tag.on { background: #e1f6e9; color: var(--brand-dark); }
.tag.off { background: #fdeaea; color: #d54941; }

/* ---- Avatars ---- */
.avatar {
  display: grid; place-items: center; flex: none; width: 40px; height: 40px; border-radius: 6px;
  color: #fff; font-size: 14px; font-weight: 600; letter-spacing: 0.5px; background: #9aa7b8; user-select: none;
}
.avatar.account { background: var(--brand); }
.avatar.account svg.icon { width: 26px; height: 26px; stroke-width: 1.8; }
.avatar.tiny { width: 20px; height: 20px; border-radius: 4px; font-size: 9px; letter-spacing: 0; }
.avatar.small { width: 32px; height: 32px; border-radius: 5px; font-size: 12px; }

/* ---- The conversation ---- */
.messages { flex: 1; overflow-y: auto; padding: 6px 14px 18px; scroll-behavior: auto; }
.empty { margin: 70px 24px; text-align: center; color: var(--faint); font-size: 13px; }
.empty .avatar { margin: 0 auto 12px; width: 56px; height: 56px; border-radius: 10px; }
.empty b { display: block; margin-bottom: 4px; color: #777; font-size: 15px; font-weight: 600; }
.time { margin: 18px 0 6px; text-align: center; font-size: 12px; color: #a6a6a6; }
.system { margin: 12px 0; text-align: center; }
.system span {
  display: inline-block;
  max-width: 86%;
  padding: 3px 10px;
  border-radius: 4px;
  background: rgba(0, 0, 0, 0.07);
  color: #7a7a7a;
  font-size: 12.5px;
}
.note { margin: 10px 0; text-align: center; font-size: 12px; color: #9c9c9c; }
.note small {
  display: block;
  margin-top: 1px;
  color: #b8b8b8;
  font-family: var(--mono);
  font-size: 10.5px;
  overflow-wrap: anywhere;
}
.note.pending { opacity: 0.55; }
.row { display: flex; align-items: flex-start; gap: 10px; margin: 14px 0; }
.row.follower { flex-direction: row-reverse; }
.content {
  display: flex;
  flex-direction: column;
  align-items: flex-start;
  min-width: 0;
  max-width: calc(100% - 104px);
}
.row.follower .content { align-items: flex-end; }
.line { display: flex; align-items: center; gap: 8px; max-width: 100%; }
.row.follower .line { flex-direction: row-reverse; }
.bubble {
  position: relative; min-height: 40px; padding: 9px 12px; border-radius: 6px; background: #fff;
  font-size: 15px; line-height: 1.5; white-space: pre-wrap; word-break: break-word; overflow-wrap: anywhere;
}
.bubble::before {
  content: ""; position: absolute; top: 14px; left: -4px; width: 10px; height: 10px;
  background: inherit; transform: rotate(45deg); border-radius: 1px;
}
.row.follower .bubble { background: var(--green); }
.row.follower .bubble::before { left: auto; right: -4px; }
.bubble a { color: var(--link); text-decoration: none; }
.bubble a:hover { text-decoration: underline; }
.row.follower .bubble a { color: #2b5b1f; text-decoration: underline; }
.via { margin-top: 4px; font-size: 11px; color: #a0a0a0; }
.via b { font-weight: 500; color: #8d8d8d; }
.spinner {
  width: 16px; height: 16px; border-radius: 50%; border: 2px solid #c8c8c8; border-top-color: #8a8a8a;
  animation: spin 0.8s linear infinite; flex: none;
}
.failed-mark {
  display: grid;
  place-items: center;
  width: 18px;
  height: 18px;
  border-radius: 50%;
  background: var(--red);
  color: #fff;
  font-size: 12px;
  font-weight: 700;
  flex: none;
}
@keyframes spin { to { transform: rotate(360deg); } }

/* A QR code inside a text bubble: the image, and WeChat's "识别图中二维码". */
.qr-in-chat { display: block; margin: 6px 0 2px; white-space: normal; }
.qr-in-chat img {
  display: block;
  width: 172px;
  height: 172px;
  padding: 6px;
  border-radius: 4px;
  background: #fff;
  border: 1px solid #eee;
  image-rendering: pixelated;
}
.link-btn { display: inline-flex; align-items: center; gap: 4px; margin-top: 6px; color: var(--link); font-size: 13px; }
.link-btn svg.icon { width: 15px; height: 15px; }

/* Voice: a bubble with its waves, and the recognised text (转文字) below. */
.bubble.voice { display: flex; align-items: center; gap: 8px; min-width: 92px; }
.row.follower .bubble.voice { flex-direction: row-reverse; }
.bubble.voice svg.icon { width: 20px; height: 20px; }
.row.follower .bubble.voice svg.icon { transform: scaleX(-1); }
.transcript {
  margin-top: 5px;
  padding: 6px 10px;
  border-radius: 6px;
  background: #fff;
  font-size: 14px;
  max-width: 100%;
  white-space: pre-wrap;
}
.row.follower .transcript { background: #dcf8cd; }

/* Media placeholders, cards (news, link, location, music, video, template). */
.media {
  display: flex; flex-direction: column; align-items: center; justify-content: center; gap: 4px;
  width: 168px; height: 124px; border-radius: 6px; color: #fff; text-align: center;
  background: linear-gradient(135deg, #a9c5de, #7f9cb9);
}
.media svg.icon { width: 32px; height: 32px; stroke-width: 1.5; }
.media .label { font-size: 13px; font-weight: 600; }
.media .id {
  max-width: 150px;
  padding: 0 6px;
  font-family: var(--mono);
  font-size: 10px;
  opacity: 0.9;
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
}
.media.video { width: 210px; height: 132px; background: linear-gradient(135deg, #3a3f47, #15181c); }
.media.video .play {
  display: grid;
  place-items: center;
  width: 42px;
  height: 42px;
  border-radius: 50%;
  border: 2px solid rgba(255, 255, 255, 0.9);
}
.media.video .play svg.icon { width: 22px; height: 22px; fill: #fff; stroke: none; margin-left: 3px; }
.caption { margin-top: 4px; font-size: 12px; color: #888; max-width: 210px; }
.card {
  width: 262px;
  max-width: 100%;
  border-radius: 6px;
  background: #fff;
  overflow: hidden;
  text-align: left;
  color: var(--text);
  text-decoration: none;
  display: block;
}
a.card:hover { box-shadow: 0 0 0 1px #d6d6d6; }
.card-body { padding: 11px 13px 10px; }
.card-title { font-size: 16px; font-weight: 500; line-height: 1.35; word-break: break-word; }
.card-row { display: flex; gap: 10px; margin-top: 6px; }
.card-desc {
  flex: 1;
  min-width: 0;
  font-size: 13px;
  color: #999;
  line-height: 1.45;
  display: -webkit-box;
  -webkit-line-clamp: 3;
  -webkit-box-orient: vertical;
  overflow: hidden;
  word-break: break-word;
}
.thumb {
  flex: none;
  width: 52px;
  height: 52px;
  border-radius: 2px;
  background: linear-gradient(135deg, #d9e4ee, #b9c9d9) center/cover no-repeat;
  display: grid;
  place-items: center;
  color: #fff;
  overflow: hidden;
}
.thumb img, .cover img { width: 100%; height: 100%; object-fit: cover; display: block; }
.thumb svg.icon { width: 24px; height: 24px; }
.card-foot {
  display: flex;
  align-items: center;
  gap: 6px;
  padding: 7px 13px;
  border-top: 1px solid #f0f0f0;
  font-size: 12px;
  color: #aaa;
}
.card-foot svg.icon { width: 14px; height: 14px; }
.cover {
  display: block;
  position: relative;
  height: 124px;
  background: linear-gradient(135deg, #5c7a99, #2f4a66) center/cover no-repeat;
}
.cover .card-title {
  position: absolute;
  left: 0;
  right: 0;
  bottom: 0;
  padding: 22px 13px 9px;
  color: #fff;
  background: linear-gradient(transparent, rgba(0, 0, 0, 0.55));
}
.news-item {
  display: flex;
  align-items: center;
  gap: 10px;
  padding: 10px 13px;
  border-top: 1px solid #f0f0f0;
  color: var(--text);
  text-decoration: none;
}
.news-item .card-title { flex: 1; font-size: 14px; }
.news-item .thumb { width: 44px; height: 44px; }
.location-map {
  position: relative; height: 96px; background-color: #e9efe3;
  background-image: linear-gradient(#fff 2px, transparent 2px), linear-gradient(90deg, #fff 2px, transparent 2px),
    linear-gradient(30deg, transparent 46%, #f6d58e 46%, #f6d58e 54%, transparent 54%);
  background-size: 34px 34px, 34px 34px, 100% 100%;
}
.location-map svg.icon {
  position: absolute;
  left: 50%;
  top: 50%;
  width: 30px;
  height: 30px;
  margin: -26px 0 0 -15px;
  color: var(--red);
  fill: #fff;
  stroke-width: 2;
}
.music { display: flex; align-items: center; gap: 10px; }
.music .disc {
  display: grid;
  place-items: center;
  width: 48px;
  height: 48px;
  border-radius: 6px;
  background: linear-gradient(135deg, #f5576c, #f093fb);
  color: #fff;
  flex: none;
}
.template .tpl-head {
  display: flex;
  align-items: center;
  gap: 8px;
  padding: 10px 13px 0;
  font-size: 13px;
  color: #888;
}
.template .tpl-head .avatar { width: 22px; height: 22px; border-radius: 50%; }
.template .tpl-head .avatar svg.icon { width: 14px; height: 14px; }
.template .tpl-first { padding: 8px 13px 2px; font-size: 16px; font-weight: 500; }
.template dl {
  display: grid;
  grid-template-columns: auto 1fr;
  gap: 4px 12px;
  margin: 8px 13px 10px;
  font-size: 13.5px;
}
.template dt { color: #999; white-space: nowrap; }
.template dd { margin: 0; word-break: break-word; white-space: pre-wrap; }
.template a.card-foot { justify-content: space-between; color: #555; font-size: 13px; text-decoration: none; }
.template .tpl-remark { padding: 0 13px 10px; font-size: 13px; color: #666; white-space: pre-wrap; }
.generic pre {
  margin: 6px 0 0;
  max-height: 160px;
  overflow: auto;
  font: 11px/1.45 var(--mono);
  color: #555;
  white-space: pre-wrap;
  word-break: break-all;
}

/* Typing: the account is working on its answer. */
.typing .bubble { display: flex; align-items: center; gap: 4px; min-width: 58px; }
.typing .bubble i {
  width: 6px;
  height: 6px;
  border-radius: 50%;
  background: #b4b4b4;
  animation: blink 1.2s infinite ease-in-out;
}
.typing .bubble i:nth-child(2) { animation-delay: 0.2s; }
.typing .bubble i:nth-child(3) { animation-delay: 0.4s; }
.typing .typing-note { margin-top: 4px; font-size: 11px; color: #a8a8a8; }
@keyframes blink {
  0%, 80%, 100% { opacity: 0.3;
  transform: translateY(0);
  } 40% { opacity: 1;
  transform: translateY(-2px);
  };
}

/* ---- The bottom: WeChat's menu bar, or the input bar and its "+" tools ---- */
.bottom { position: relative; flex: none; background: #f7f7f7; border-top: 1px solid #dcdcdc; }
.menu-bar { display: flex; height: 52px; }
.bar-icon { display: grid; place-items: center; flex: none; width: 46px; height: 52px; color: #1f1f1f; }
.bar-icon:hover { color: var(--brand); }
.input-bar .bar-icon { height: 40px; width: 36px; }
.menu-buttons { display: flex; flex: 1; min-width: 0; }
.menu-btn {
  display: flex; align-items: center; justify-content: center; gap: 5px; flex: 1; min-width: 0;
  padding: 0 6px; border-left: 1px solid #e0e0e0; font-size: 15px; color: #191919;
}
.menu-btn span { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.menu-btn svg.icon { width: 13px; height: 13px; stroke-width: 2; color: #777; }
.menu-btn:hover, .menu-btn.open { background: #ececec; }
.submenu {
  position: absolute; bottom: 60px; z-index: 20; min-width: 116px; background: #fff; border-radius: 6px;
  box-shadow: 0 4px 18px rgba(0, 0, 0, 0.14), 0 0 0 1px rgba(0, 0, 0, 0.04);
}
.submenu::after {
  content: "";
  position: absolute;
  bottom: -6px;
  left: 50%;
  margin-left: -6px;
  width: 12px;
  height: 12px;
  background: #fff;
  transform: rotate(45deg);
  box-shadow: 2px 2px 2px rgba(0, 0, 0, 0.04);
}
.submenu button {
  position: relative;
  z-index: 1;
  display: block;
  width: 100%;
  padding: 12px 14px;
  font-size: 15px;
  text-align: center;
  border-top: 1px solid #efefef;
  background: #fff;
}
.submenu button:first-child { border-top: 0; border-radius: 6px 6px 0 0; }
.submenu button:last-child { border-radius: 0 0 6px 6px; }
.submenu button:hover { background: #f3f3f3; }
.input-bar { display: flex; align-items: center; gap: 6px; padding: 8px 8px; }
.input-bar input {
  flex: 1; min-width: 0; height: 40px; padding: 0 12px;
  border: 0; border-radius: 6px; background: #fff; font-size: 15px; outline: none;
}
.input-bar input:focus { box-shadow: 0 0 0 1px #cfe9d9; }
.send {
  flex: none;
  height: 34px;
  padding: 0 14px;
  border-radius: 5px;
  background: var(--brand);
  color: #fff;
  font-size: 14px;
  font-weight: 500;
}
.send:hover { background: var(--brand-dark); }
.tools {
  display: grid;
  grid-template-columns: repeat(4, 1fr);
  gap: 16px 8px;
  padding: 16px 18px 20px;
  border-top: 1px solid #e6e6e6;
}
.tool { display: flex; flex-direction: column; align-items: center; gap: 6px; font-size: 12px; color: #5b5b5b; }
.tool .tool-icon {
  display: grid;
  place-items: center;
  width: 56px;
  height: 56px;
  border-radius: 12px;
  background: #fff;
  color: #3d3d3d;
}
.tool:hover .tool-icon { color: var(--brand); }
.tool small { margin-top: -6px; font-size: 10px; color: #aaa; }

/* ---- Popover (followers), sheet (forms), toast ---- */
.popover {
  position: absolute; top: 60px; left: 50%;
  z-index: 30; width: 330px; max-width: calc(100% - 20px); transform: translateX(-50%);
  background: #fff; border-radius: 10px; box-shadow: 0 8px 30px rgba(0, 0, 0, 0.18); overflow: hidden;
}
.popover-title { padding: 12px 14px 6px; font-size: 13px; color: #888; }
.follower-row { display: flex; align-items: center; gap: 10px; width: 100%; padding: 8px 14px; text-align: left; }
.follower-row:hover { background: #f5f5f5; }
.follower-row .who {
  flex: 1;
  min-width: 0;
  font-family: var(--mono);
  font-size: 12.5px;
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
}
.follower-row .check { color: var(--brand); }
.follower-row .check svg.icon { width: 18px; height: 18px; stroke-width: 2.4; }
.unread {
  min-width: 18px;
  height: 18px;
  padding: 0 5px;
  border-radius: 9px;
  background: var(--red);
  color: #fff;
  font-size: 11px;
  line-height: 18px;
  text-align: center;
}
.add-follower { display: flex; gap: 8px; padding: 10px 14px 14px; border-top: 1px solid #f0f0f0; }
.add-follower input {
  flex: 1;
  min-width: 0;
  height: 32px;
  padding: 0 8px;
  border: 1px solid #ddd;
  border-radius: 6px;
  font-family: var(--mono);
  font-size: 12px;
}
.sheet-backdrop {
  position: absolute;
  inset: 0;
  z-index: 35;
  display: flex;
  align-items: flex-end;
  background: rgba(0, 0, 0, 0.35);
}
.sheet {
  width: 100%;
  padding: 16px 18px 18px;
  background: #f7f7f7;
  border-radius: 14px 14px 0 0;
  animation: rise 0.16s ease-out;
}
@keyframes rise { from { transform: translateY(30px); opacity: 0.4; } }
.sheet-title { font-size: 16px; font-weight: 600; text-align: center; }
.sheet-title small { margin-left: 6px; font-size: 12px; }
.sheet-note { margin: 4px 0 0; text-align: center; font-size: 12px; color: #999; }
.field { display: block; margin-top: 12px; }
.field span { display: block; margin-bottom: 4px; font-size: 12px; color: #777; }
.field input {
  width: 100%;
  height: 38px;
  padding: 0 10px;
  border: 1px solid #e2e2e2;
  border-radius: 6px;
  background: #fff;
  font-size: 14px;
}
.field input:focus, .add-follower input:focus, .fault-form input:focus { outline: none; border-color: var(--brand); }
.sheet-actions { display: flex; gap: 10px; margin-top: 16px; }
.sheet-actions .btn { flex: 1; height: 40px; }
.toast {
  position: absolute; left: 50%; top: 42%; z-index: 50; max-width: 80%; transform: translate(-50%, -50%);
  padding: 10px 16px; border-radius: 8px; background: rgba(30, 30, 30, 0.86);
  color: #fff; font-size: 13.5px; text-align: center; pointer-events: none;
}

/* ---- Buttons and controls of the side panel ---- */
.btn {
  display: inline-flex; align-items: center; justify-content: center; gap: 6px; height: 32px; padding: 0 13px;
  border: 1px solid #dcdcdc; border-radius: 6px; background: #fff; font-size: 13px; white-space: nowrap;
}
.btn:hover { border-color: #c4c4c4; background: #fafafa; }
.btn.primary { border-color: transparent; background: var(--brand); color: #fff; }
.btn.primary:hover { background: var(--brand-dark); }
.btn.danger { color: #d54941; }
.btn small { color: inherit; opacity: 0.7; }
.btn svg.icon { width: 16px; height: 16px; }
.seg { display: inline-flex; gap: 2px; padding: 3px; border-radius: 8px; background: #ececec; }
.seg button { padding: 5px 14px; border-radius: 6px; font-size: 13px; color: #555; }
.seg button small { margin-left: 4px; font-size: 11px; }
.seg button.on {
  background: #fff;
  color: var(--brand-dark);
  font-weight: 600;
  box-shadow: 0 1px 2px rgba(0, 0, 0, 0.12);
}

/* ---- Side panel: header and tabs ---- */
.panel-head { display: flex; align-items: center; gap: 12px; padding: 14px 20px 10px; background: #fff; }
.logo {
  display: grid;
  place-items: center;
  width: 36px;
  height: 36px;
  border-radius: 9px;
  background: var(--brand);
  color: #fff;
  flex: none;
}
.brand { flex: 1; min-width: 0; }
.brand b { font-size: 16px; }
.brand b small { margin-left: 6px; font-size: 12px; }
.brand .meta {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: 6px 10px;
  margin-top: 1px;
  font-size: 12px;
  color: #888;
}
.brand .meta .mono { font-size: 11.5px; }
.live { display: inline-flex; align-items: center; gap: 5px; }
.live i { width: 7px; height: 7px; border-radius: 50%; background: #c0c0c0; }
.live.on i { background: var(--brand); box-shadow: 0 0 0 3px rgba(7, 193, 96, 0.15); }
.mode-badge { padding: 1px 8px; border-radius: 10px; background: #eef0f3; color: #4c5866; font-size: 11.5px; }
.mode-badge.compatible { background: #fff4e0; color: #a86a00; }
.mode-badge.safe { background: #e1f6e9; color: var(--brand-dark); }
.tabs { display: flex; gap: 22px; padding: 0 20px; background: #fff; border-bottom: 1px solid #e6e6e6; }
.tabs button {
  display: inline-flex;
  align-items: center;
  gap: 6px;
  padding: 9px 0 10px;
  border-bottom: 2px solid transparent;
  font-size: 14px;
  color: #555;
}
.tabs button small { font-size: 11.5px; }
.tabs button.on { color: var(--brand-dark); border-bottom-color: var(--brand); font-weight: 600; }
.tabs button.on small { color: var(--brand-dark); opacity: 0.7; }
.count {
  min-width: 18px;
  padding: 0 5px;
  border-radius: 9px;
  background: #eee;
  color: #777;
  font-size: 11px;
  line-height: 17px;
  font-weight: 500;
  text-align: center;
}
.tab-body { flex: 1; overflow-y: auto; padding: 16px 20px 28px; }
.section-head {
  display: flex;
  flex-wrap: wrap;
  align-items: baseline;
  justify-content: space-between;
  gap: 12px;
  margin: 0 0 12px;
}
.section-head h2 { margin: 0; font-size: 15px; }
.section-head h2 small { margin-left: 6px; font-size: 12px; }
.section-head .hint { font-size: 12px; color: #999; }
.blank {
  padding: 36px 20px;
  border: 1px dashed #d9d9d9;
  border-radius: 10px;
  text-align: center;
  color: #aaa;
  font-size: 13px;
}

/* ---- Inspector: every exchange, try by try ---- */
.exchange { margin-bottom: 10px; border: 1px solid #e6e6e6; border-radius: 10px; background: #fff; overflow: hidden; }
.exchange > summary {
  display: flex;
  align-items: center;
  gap: 10px;
  padding: 10px 14px;
  cursor: pointer;
  list-style: none;
}
.exchange > summary::-webkit-details-marker { display: none; }
.exchange > summary:hover { background: #fafafa; }
.exchange[open] > summary { border-bottom: 1px solid #f0f0f0; }
.dot { width: 8px; height: 8px; border-radius: 50%; flex: none; background: #bbb; }
.k-shown .dot, .dot.k-shown { background: var(--brand); }
.k-quiet .dot, .dot.k-quiet { background: #aab4c0; }
.k-timeout .dot, .dot.k-timeout { background: var(--amber); }
.k-refused .dot, .dot.k-refused { background: var(--red); }
.k-info .dot, .dot.k-info { background: var(--blue); }
.ex-id { font-family: var(--mono); font-size: 12px; color: #999; }
.ex-what { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-weight: 500; }
.ex-meta { display: flex; align-items: center; gap: 6px; flex: none; font-size: 12px; color: #999; }
.ex-body { padding: 4px 14px 12px; }
.ex-error {
  margin-top: 10px;
  padding: 8px 10px;
  border-radius: 6px;
  background: #fdeeee;
  color: #c23b36;
  font-size: 13px;
}
.ex-error small { color: #c97b77; }
.try { margin-top: 10px; padding: 8px 0 2px 12px; border-left: 3px solid #d5d5d5; }
.try.k-shown { border-left-color: var(--brand); }
.try.k-timeout { border-left-color: var(--amber); }
.try.k-refused { border-left-color: var(--red); }
.try.k-info { border-left-color: var(--blue); }
.try-head { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 12px; font-size: 12.5px; color: #777; }
.try-head b { color: var(--text); font-size: 13px; }
.status { font-family: var(--mono); font-weight: 600; }
.status.ok { color: var(--brand-dark); }
.status.bad { color: #d54941; }
.verdict {
  display: inline-block;
  margin: 6px 0 2px;
  padding: 3px 9px;
  border-radius: 5px;
  font-size: 12.5px;
  background: #eef0f3;
  color: #4c5866;
}
.try.k-shown .verdict { background: #e1f6e9; color: #067a3f; }
.try.k-timeout .verdict { background: #fff4e0; color: #99600a; }
.try.k-refused .verdict { background: #fdeeee; color: #c23b36; }
.try.k-info .verdict { background: #e5f5fe; color: #0a78b0; }
.block { margin-top: 8px; }
.block-label { display: flex; align-items: center; gap: 6px; font-size: 11.5px; color: #888; margin-bottom: 3px; }
.block-label b { color: #555; font-weight: 600; }
.block pre, .query {
  margin: 0; max-height: 190px; overflow: auto; padding: 8px 10px; border-radius: 6px; background: #f6f7f9;
  border: 1px solid #eef0f2; font: 11.5px/1.5 var(--mono); color: #2f3a45; white-space: pre-wrap; word-break: break-all;
}
.query { display: grid; grid-template-columns: auto 1fr; gap: 1px 12px; }
.query dt { color: #8a94a0; }
.query dd { margin: 0; }
.block-plaintext pre { background: #f2fbf5; border-color: #dcf1e4; }

.pushing {
  display: flex; align-items: center; gap: 10px; margin-bottom: 10px; padding: 10px 14px;
  border: 1px dashed #cfcfcf; border-radius: 10px; background: #fff; color: #888;
}
.pushing .spinner { width: 12px; height: 12px; border-width: 2px; }
.exchange.fresh { animation: fresh 1.2s ease-out; }
@keyframes fresh { from { box-shadow: 0 0 0 3px rgba(7, 193, 96, 0.25); } }

/* ---- QR codes ---- */
.qr-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(196px, 1fr)); gap: 14px; }
.qr-card {
  display: flex;
  flex-direction: column;
  align-items: center;
  padding: 14px 14px 12px;
  border: 1px solid #e6e6e6;
  border-radius: 10px;
  background: #fff;
}
.qr-card img { width: 150px; height: 150px; image-rendering: pixelated; }
.qr-scene {
  margin-top: 8px;
  max-width: 100%;
  font-weight: 600;
  font-size: 13px;
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
}
.qr-kind { display: flex; gap: 6px; margin-top: 4px; }
.qr-url {
  margin-top: 6px;
  max-width: 100%;
  font-family: var(--mono);
  font-size: 10.5px;
  color: #999;
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
}
.qr-card .btn { margin-top: 10px; width: 100%; }

/* ---- Settings ---- */
.setting { margin-bottom: 12px; padding: 14px 16px; border: 1px solid #e6e6e6; border-radius: 10px; background: #fff; }
.setting h3 { margin: 0 0 2px; font-size: 14px; }
.setting h3 small { margin-left: 6px; font-size: 12px; }
.setting p { margin: 0 0 10px; font-size: 12.5px; color: #8a8a8a; }
.controls { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; }
.value { font-family: var(--mono); font-size: 13px; padding: 0 4px; }
.presets { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); gap: 8px; }
.preset {
  display: flex;
  flex-direction: column;
  align-items: flex-start;
  gap: 1px;
  padding: 8px 11px;
  border: 1px solid #e2e2e2;
  border-radius: 8px;
  text-align: left;
  background: #fff;
}
.preset:hover { border-color: var(--brand); }
.preset b { font-size: 13px; font-weight: 600; }
.preset small { font-size: 11.5px; }
.fault-form { display: grid; grid-template-columns: 1.6fr 1fr 1fr 1.3fr 0.8fr auto; gap: 6px; margin-top: 10px; }
.fault-form input {
  min-width: 0;
  height: 32px;
  padding: 0 8px;
  border: 1px solid #ddd;
  border-radius: 6px;
  font-size: 12.5px;
}
.fault-list { margin: 10px 0 0; padding: 0; list-style: none; }
.fault-list li {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: 6px;
  padding: 7px 0;
  border-top: 1px solid #f2f2f2;
  font-size: 12.5px;
}
.fault-list .mono { font-weight: 600; }
.calls { display: grid; grid-template-columns: 1fr auto; gap: 2px 16px; margin: 0; font-size: 12.5px; }
.calls dt { font-family: var(--mono); color: #555; overflow: hidden; text-overflow: ellipsis; }
.calls dd { margin: 0; font-family: var(--mono); text-align: right; }
@media (max-width: 760px) {
  .tab-body { padding: 14px 12px 24px; }
  .fault-form { grid-template-columns: 1fr 1fr; }
  .panel-head { padding: 12px 12px 8px; }
  .tabs { padding: 0 12px; gap: 16px; }
}
`;
