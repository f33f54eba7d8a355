/**
 * The conversation, as WeChat shows it: the follower's bubbles on the right
 * (green), the account's on the left (white), system lines and event notes in
 * the middle, time lines between, and what the account sent rendered by type
 * (text with links and QR codes, media placeholders, news cards, template
 * cards). Plain browser JavaScript, as a string.
 */
export const SCRIPT_CHAT = String.raw`
// ---- Loading and showing the current follower's conversation ----
async function loadConversation() {
  const openid = S.follower;
  const data = await api("GET", "/api/conversation?openid=" + encodeURIComponent(openid));
  if (openid !== S.follower) return; // switched meanwhile
  S.entries = data.messages || [];
  S.seen = new Set(S.entries.map((e) => JSON.stringify(e)));
  S.pending = [];
  renderConversation();
}

function renderConversation() {
  const box = $("#messages");
  box.replaceChildren();
  S.lastAt = 0;
  if (!S.entries.length) box.append(emptyConversation());
  for (const entry of S.entries) box.append(...entryNodes(entry));
  renderTyping();
  scrollToBottom();
}

function emptyConversation() {
  return h(
    "div",
    { class: "empty", id: "empty" },
    h("span", { class: "avatar account" }, icon("bubble")),
    h("b", { text: BOOT.account }),
    "发一条消息，或点底部的菜单",
    h("br"),
    h("small", { text: "Send a message, or tap the menu below" }),
  );
}

/** A new entry on the stream (or a follower's message sent from this page). */
function receiveEntry(openid, entry) {
  if (openid !== S.follower) {
    S.unread[openid] = (S.unread[openid] || 0) + 1;
    renderFollowerMenu();
    return;
  }
  const json = JSON.stringify(entry);
  if (S.seen.has(json)) return;
  S.seen.add(json);
  S.entries.push(entry);
  // The follower's own message, already shown while it was on its way: confirm that bubble.
  const pending = entry.from === "follower" ? S.pending.find((p) => p.key === pendingKey(entry)) : undefined;
  if (pending) {
    S.pending.splice(S.pending.indexOf(pending), 1);
    pending.node.classList.remove("pending");
    const spinner = pending.node.querySelector(".spinner");
    if (spinner) spinner.remove();
    return;
  }
  showNodes(entryNodes(entry));
}

/** Appends nodes before the typing indicator, keeping the view at the bottom if it was there. */
function showNodes(nodes) {
  const box = $("#messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const empty = $("#empty");
  if (empty) empty.remove();
  const typing = $("#typing");
  for (const node of nodes) box.insertBefore(node, typing);
  if (atBottom || nodes.some((n) => n.classList && n.classList.contains("follower"))) scrollToBottom();
}

function scrollToBottom() {
  const box = $("#messages");
  box.scrollTop = box.scrollHeight;
  // Images (QR codes) make the list taller once loaded.
  box.querySelectorAll("img").forEach((img) => {
    if (!img.complete) img.addEventListener("load", () => (box.scrollTop = box.scrollHeight), { once: true });
  });
}

// ---- The follower's own messages, shown at once ----
function pendingKey(e) {
  return [e.MsgType, e.Content || "", e.Event || "", e.EventKey || ""].join("\n");
}

function showPending(fields) {
  const entry = Object.assign({ from: "follower", via: null, at: Date.now() }, fields);
  const nodes = entryNodes(entry);
  const node = nodes[nodes.length - 1];
  node.classList.add("pending");
  const line = node.querySelector(".line");
  if (line) line.append(h("span", { class: "spinner", title: "发送中 Sending" }));
  const pending = { key: pendingKey(entry), node };
  S.pending.push(pending);
  showNodes(nodes);
  return pending;
}

function failPending(pending, why) {
  S.pending.splice(S.pending.indexOf(pending), 1);
  const spinner = pending.node.querySelector(".spinner");
  const mark = h("span", { class: "failed-mark", title: why, text: "!" });
  if (spinner) spinner.replaceWith(mark);
  else pending.node.append(mark);
}

// ---- Typing: the account is answering (WeChat waits up to three tries of 5 s) ----
function renderTyping() {
  const old = $("#typing");
  if (old) old.remove();
  const started = S.inflight[S.follower] || [];
  if (!started.length) return;
  const seconds = Math.floor((Date.now() - Math.min(...started)) / 1000);
  const note = seconds >= 2 ? "对方正在输入… " + seconds + " s" : "对方正在输入…";
  const row = h(
    "div",
    { class: "row account typing", id: "typing" },
    accountAvatar(),
    h(
      "div",
      { class: "content" },
      h("div", { class: "bubble" }, h("i"), h("i"), h("i")),
      h("div", { class: "typing-note", text: note }),
    ),
  );
  const box = $("#messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  box.append(row);
  if (atBottom) scrollToBottom();
}

function startExchange(openid) {
  (S.inflight[openid] = S.inflight[openid] || []).push(Date.now());
  renderTyping();
}

function endExchange(openid) {
  const list = S.inflight[openid] || [];
  list.shift();
  renderTyping();
}

// ---- One entry: a time line if a while has passed, then its row ----
function entryNodes(entry) {
  const nodes = [];
  const at = Number(entry.at) || Date.now();
  if (!S.lastAt || at - S.lastAt > 5 * 60 * 1000) nodes.push(h("div", { class: "time", text: timeLine(at) }));
  S.lastAt = at;
  nodes.push(entryNode(entry));
  return nodes;
}

function entryNode(e) {
  if (e.from === "system") return h("div", { class: "system" }, h("span", { text: e.Content || "" }));
  if (e.from === "follower" && e.MsgType === "event") return eventNote(e);
  const side = e.from === "follower" ? "follower" : "account";
  const avatar = side === "follower" ? followerAvatar(S.follower) : accountAvatar();
  const body = messageBody(e);
  return h(
    "div",
    { class: "row " + side, "data-type": e.MsgType, "data-via": e.via || "" },
    avatar,
    h("div", { class: "content" }, h("div", { class: "line" }, body.main), body.after, viaTag(e)),
  );
}

/** A customer-service message came later, on the account's own initiative. */
function viaTag(e) {
  if (e.via === "custom") return h("div", { class: "via" }, h("b", { text: "客服消息" }), " · Customer service");
  if (e.via === "template") return h("div", { class: "via" }, h("b", { text: "模板消息" }), " · Template message");
  return null;
}

/** A follower's event, as a small note in the middle. */
function eventNote(e) {
  const [zh, detail] = describeEvent(e);
  return h("div", { class: "note", "data-event": e.Event }, zh, detail ? h("small", { text: detail }) : null);
}

function describeEvent(e) {
  const key = String(e.EventKey || "");
  const code = e.Event + (key ? " · " + clip(key, 48) : "");
  switch (e.Event) {
    case "subscribe":
      return [key.startsWith("qrscene_") ? "你扫码关注了公众号" : "你关注了公众号", code];
    case "unsubscribe":
      return ["你取消关注了公众号", code];
    case "SCAN":
      return ["你扫描了公众号的二维码", code];
    case "CLICK":
      return ["你点击了菜单「" + menuName(key) + "」", code];
    case "VIEW":
      return ["你打开了菜单链接", code];
    case "scancode_push":
    case "scancode_waitmsg":
      return ["你用菜单扫了码：" + clip((e.ScanCodeInfo || {}).ScanResult, 40), code];
    case "pic_sysphoto":
    case "pic_photo_or_album":
    case "pic_weixin":
      return ["你用菜单发了 " + ((e.SendPicsInfo || {}).Count || 1) + " 张图片", code];
    case "location_select":
      return ["你用菜单发送了位置：" + clip((e.SendLocationInfo || {}).Label, 30), code];
    case "LOCATION":
      return ["你上报了地理位置", code];
    default:
      return ["事件 " + e.Event, code];
  }
}

/** A menu key's button name, from the menu shown. */
function menuName(key) {
  const buttons = (S.state && S.state.menu && S.state.menu.button) || [];
  for (const b of buttons) {
    if (b.key === key) return b.name;
    for (const s of b.sub_button || []) if (s.key === key) return s.name;
  }
  return key;
}

// ---- A message's body, by type ----
const first = (...values) => values.find((v) => v !== undefined && v !== null && v !== "");

function messageBody(e) {
  const nested = (name) => (e[name] && typeof e[name] === "object" ? e[name] : {});
  switch (e.MsgType) {
    case "text":
      return { main: textBubble(String(e.Content == null ? "" : e.Content)) };
    case "image":
      return { main: mediaBox("image", "图片 Image", first(nested("Image").MediaId, e.MediaId, e.media_id)) };
    case "voice":
      return voiceBubble(first(nested("Voice").MediaId, e.MediaId, e.media_id), e.Recognition);
    case "video":
    case "shortvideo": {
      const v = nested("Video");
      return videoBox(
        first(v.MediaId, e.MediaId, e.media_id),
        first(v.Title, e.title),
        first(v.Description, e.description),
      );
    }
    case "music":
      return { main: musicCard(Object.keys(nested("Music")).length ? nested("Music") : e) };
    case "news":
      return { main: newsCards((nested("Articles").item || []).filter((a) => a && typeof a === "object")) };
    case "location":
      return { main: locationCard(e) };
    case "link":
      return { main: linkCard(e) };
    case "template":
      return { main: templateCard(e) };
    default:
      return { main: genericCard(e) };
  }
}

// Links in text; WeChat's showqrcode links become the QR image (served by this local WeChat).
const URL_PATTERN = /https?:\/\/[^\s<>"'，。！？；、（）《》「」『』【】]+/g;

function textBubble(text) {
  const bubble = h("div", { class: "bubble text" });
  let last = 0;
  for (const m of text.matchAll(URL_PATTERN)) {
    const before = text.slice(last, m.index);
    const ticket = qrTicketOf(m[0]);
    if (ticket !== null) {
      bubble.append(before.replace(/\n$/, ""));
      bubble.append(qrInChat(ticket));
      last = m.index + m[0].length;
      if (text[last] === "\n") last++;
    } else {
      bubble.append(before, h("a", { href: m[0], target: "_blank", rel: "noopener noreferrer", text: m[0] }));
      last = m.index + m[0].length;
    }
  }
  bubble.append(text.slice(last));
  return bubble;
}

/** The ticket of a link to WeChat's QR image (https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=…), or null. */
function qrTicketOf(url) {
  let u;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.hostname !== "mp.weixin.qq.com" || u.pathname !== "/cgi-bin/showqrcode") return null;
  const raw = /[?&]ticket=([^&#]*)/.exec(url);
  if (!raw) return null;
  try {
    return decodeURIComponent(raw[1]); // not URLSearchParams: a "+" in a ticket stays a "+"
  } catch {
    return null;
  }
}

function qrSrc(ticket) {
  return "/cgi-bin/showqrcode?ticket=" + encodeURIComponent(ticket);
}

function qrInChat(ticket) {
  return h(
    "span",
    { class: "qr-in-chat" },
    h("img", { src: qrSrc(ticket), alt: "二维码 QR code", "data-ticket": ticket }),
    h("button", { class: "link-btn", type: "button", onclick: () => scan(ticket) }, icon("scan"), "识别图中二维码"),
  );
}

function mediaBox(iconName, label, mediaId) {
  return h(
    "div",
    { class: "media" },
    icon(iconName),
    h("span", { class: "label", text: label }),
    mediaId ? h("span", { class: "id", text: "MediaId " + mediaId, title: mediaId }) : null,
  );
}

function voiceBubble(mediaId, recognition) {
  const seconds = 2 + ((String(mediaId || "").length * 7) % 9);
  return {
    main: h(
      "div",
      { class: "bubble voice", title: "语音 Voice · MediaId " + (mediaId || "") },
      icon("waves"),
      seconds + "″",
    ),
    after: [
      typeof recognition === "string" && recognition ? h("div", { class: "transcript", text: recognition }) : null,
      h("div", { class: "caption mono", text: "语音 Voice" + (mediaId ? " · " + clip(mediaId, 28) : "") }),
    ],
  };
}

function videoBox(mediaId, title, description) {
  return {
    main: h(
      "div",
      { class: "media video" },
      h("span", { class: "play" }, icon("play")),
      h("span", { class: "label", text: title ? clip(title, 24) : "视频 Video" }),
      mediaId ? h("span", { class: "id", text: "MediaId " + mediaId, title: mediaId }) : null,
    ),
    after: description ? h("div", { class: "caption", text: description }) : null,
  };
}

function musicCard(m) {
  const url = first(m.MusicUrl, m.HQMusicUrl, m.musicurl, m.hqmusicurl);
  const thumb = first(m.ThumbMediaId, m.thumb_media_id);
  return h(
    url && safeUrl(url) ? "a" : "div",
    { class: "card", href: url, target: "_blank", rel: "noopener noreferrer" },
    h(
      "div",
      { class: "card-body music" },
      h("span", { class: "disc" }, icon("music")),
      h(
        "div",
        { style: "min-width:0" },
        h("div", { class: "card-title", text: first(m.Title, m.title) || "音乐 Music" }),
        h("div", { class: "card-desc", text: first(m.Description, m.description) || "" }),
      ),
    ),
    h("div", { class: "card-foot" }, icon("music"), "音乐 Music", thumb ? " · ThumbMediaId " + clip(thumb, 20) : ""),
  );
}

/** A picture of the account's (it may not load here: then the placeholder stays). */
function picture(url) {
  const safe = safeUrl(url);
  if (!safe) return null;
  const img = h("img", { src: safe, alt: "", referrerpolicy: "no-referrer", loading: "lazy" });
  img.addEventListener("error", () => img.remove());
  return img;
}

function newsCards(items) {
  if (!items.length) return genericCard({ MsgType: "news" });
  const [lead, ...rest] = items;
  const open = (a) => ({ href: a.Url, target: "_blank", rel: "noopener noreferrer" });
  const foot = h("div", { class: "card-foot" }, icon("article"), "图文消息 News");
  if (!rest.length) {
    return h(
      safeUrl(lead.Url) ? "a" : "div",
      Object.assign({ class: "card news" }, open(lead)),
      h(
        "div",
        { class: "card-body" },
        h("div", { class: "card-title", text: lead.Title || "" }),
        h(
          "div",
          { class: "card-row" },
          h("div", { class: "card-desc", text: lead.Description || "" }),
          h("div", { class: "thumb" }, lead.PicUrl ? picture(lead.PicUrl) : icon("article")),
        ),
      ),
      foot,
    );
  }
  return h(
    "div",
    { class: "card news" },
    h(
      safeUrl(lead.Url) ? "a" : "div",
      Object.assign({ class: "cover" }, open(lead)),
      lead.PicUrl ? picture(lead.PicUrl) : null,
      h("div", { class: "card-title", text: lead.Title || "" }),
    ),
    rest.map((a) =>
      h(
        safeUrl(a.Url) ? "a" : "div",
        Object.assign({ class: "news-item" }, open(a)),
        h("div", { class: "card-title", text: a.Title || "" }),
        h("div", { class: "thumb" }, a.PicUrl ? picture(a.PicUrl) : icon("article")),
      ),
    ),
    foot,
  );
}

function locationCard(e) {
  return h(
    "div",
    { class: "card location" },
    h(
      "div",
      { class: "card-body" },
      h("div", { class: "card-title", text: e.Label || "位置 Location" }),
      h("div", { class: "card-desc mono", text: e.Location_X + ", " + e.Location_Y + " · 缩放 " + (e.Scale || "") }),
    ),
    h("div", { class: "location-map" }, icon("pin")),
  );
}

function linkCard(e) {
  return h(
    safeUrl(e.Url) ? "a" : "div",
    { class: "card link", href: e.Url, target: "_blank", rel: "noopener noreferrer" },
    h(
      "div",
      { class: "card-body" },
      h("div", { class: "card-title", text: e.Title || e.Url || "" }),
      h(
        "div",
        { class: "card-row" },
        h("div", { class: "card-desc", text: e.Description || "" }),
        h("div", { class: "thumb" }, icon("link")),
      ),
    ),
    h("div", { class: "card-foot" }, icon("link"), clip(e.Url || "", 40)),
  );
}

/** A template message: WeChat's service-notice card (first, the keywords, remark, and 详情 when it has a url). */
function templateCard(e) {
  const rows = String(e.Content || "")
    .split("\n")
    .map((line) => {
      const at = line.indexOf(": ");
      return at === -1 ? [line, ""] : [line.slice(0, at), line.slice(at + 2)];
    });
  const lead = rows.find(([name]) => name === "first");
  const remark = rows.find(([name]) => name === "remark");
  const fields = rows.filter((r) => r !== lead && r !== remark && r[0]);
  const url = safeUrl(e.url);
  return h(
    "div",
    { class: "card template" },
    h("div", { class: "tpl-head" }, h("span", { class: "avatar account" }, icon("bell")), "服务通知 · Service notice"),
    lead ? h("div", { class: "tpl-first", text: lead[1] }) : null,
    fields.length
      ? h(
          "dl",
          null,
          fields.map(([name, value]) => [h("dt", { text: name }), h("dd", { text: value })]),
        )
      : null,
    remark ? h("div", { class: "tpl-remark", text: remark[1] }) : null,
    url
      ? h(
          "a",
          { class: "card-foot", href: url, target: "_blank", rel: "noopener noreferrer" },
          "详情 Details",
          icon("right"),
        )
      : null,
  );
}

/** Anything else the account may send (mpnews, msgmenu, wxcard, miniprogrampage, …): its type and fields. */
function genericCard(e) {
  const { from: _f, via: _v, at: _a, MsgType, ...fields } = e;
  return h(
    "div",
    { class: "card generic" },
    h(
      "div",
      { class: "card-body" },
      h("div", { class: "card-title", text: "[" + MsgType + "]" }),
      h("pre", { text: JSON.stringify(fields, null, 2) }),
    ),
  );
}
`;
