/**
 * The page script's foundations: the state, DOM building (text only: nothing
 * the account sends ever becomes markup), the JSON API, formatting, and the
 * followers the page remembers. Plain browser JavaScript, as a string.
 */
export const SCRIPT_BASE = String.raw`
"use strict";

// ---- State ----
const BOOT = window.LOCAL_WECHAT; // { appId, account, icons }
const S = {
  follower: "", // the follower you are
  followers: [], // the ones you can switch between (localStorage)
  entries: [], // the current follower's conversation, as the server has it
  seen: new Set(), // those entries as JSON, so that nothing is shown twice
  pending: [], // the follower's own messages shown before the server confirms them
  inflight: {}, // openid -> start times of exchanges still running
  unread: {}, // openid -> entries that arrived while another follower was shown
  lastAt: 0, // when the last entry shown was (for the time lines)
  state: null, // GET /api/state
  exchanges: new Map(), // id -> exchange, for the inspector
  menuJson: "", // the menu shown, to re-render only on change
  qrJson: "", // the QR codes shown, likewise
  barMode: "text", // "menu" (WeChat's bottom bar) or "text" (the input bar)
};

// ---- DOM building ----
const $ = (selector) => document.querySelector(selector);

/** An element. Strings among the children become text (never HTML); href is kept only when http(s). */
function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "href") {
      const safe = safeUrl(value);
      if (safe) el.setAttribute("href", safe);
    } else el.setAttribute(key, value === true ? "" : String(value));
  }
  appendAll(el, children);
  return el;
}

function appendAll(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** One of the page's own icons (trusted constants). */
function icon(name) {
  const span = document.createElement("span");
  span.innerHTML = '<svg class="icon" viewBox="0 0 24 24" aria-hidden="true">' + (BOOT.icons[name] || "") + "</svg>";
  return span.firstChild;
}

/** An absolute http(s) URL, or null (javascript:, data: and the like are never linked). */
function safeUrl(url) {
  try {
    const u = new URL(String(url), location.href);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}

// ---- The JSON API of the local WeChat ----
async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try {
    data = await res.json();
  } catch {
    // not JSON: the status says it
  }
  if (!res.ok) throw new Error((data && data.error) || "HTTP " + res.status);
  return data;
}

// ---- Formatting ----
const pad = (n, width) => String(n).padStart(width || 2, "0");

function clock(ms) {
  const d = new Date(ms);
  return pad(d.getHours()) + ":" + pad(d.getMinutes());
}

function preciseClock(ms) {
  const d = new Date(ms);
  return clock(ms) + ":" + pad(d.getSeconds()) + "." + pad(d.getMilliseconds(), 3);
}

/** WeChat's time line: the time today, else the date too. */
function timeLine(ms) {
  const d = new Date(ms);
  const today = new Date();
  if (d.toDateString() === today.toDateString()) return clock(ms);
  return d.getMonth() + 1 + "月" + d.getDate() + "日 " + clock(ms);
}

function shortId(openid) {
  return openid.length > 16 ? openid.slice(0, 7) + "…" + openid.slice(-5) : openid;
}

function clip(text, n) {
  const s = String(text == null ? "" : text).replace(/\s+/g, " ");
  return s.length > n ? s.slice(0, n) + "…" : s;
}

/** A flat XML document, one element a line (the inspector's bodies). */
function prettyXml(xml) {
  if (typeof xml !== "string" || !xml.startsWith("<")) return String(xml);
  const tokens = xml.match(/<!\[CDATA\[[\s\S]*?\]\]>|<[^>]+>|[^<]+/g) || [];
  const isText = (t) => t !== undefined && (t.startsWith("<![CDATA[") || !t.startsWith("<"));
  const lines = [];
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const indent = "  ".repeat(depth);
    if (t.startsWith("</")) {
      depth = Math.max(0, depth - 1);
      lines.push("  ".repeat(depth) + t);
    } else if (isText(t)) {
      if (t.trim()) lines.push(indent + t);
    } else if (t.endsWith("/>") || t.startsWith("<?")) {
      lines.push(indent + t);
    } else {
      let j = i + 1;
      let text = "";
      while (isText(tokens[j])) text += tokens[j++];
      if (tokens[j] && tokens[j].startsWith("</")) {
        lines.push(indent + t + text + tokens[j]);
        i = j;
      } else {
        lines.push(indent + t);
        depth++;
      }
    }
  }
  return lines.join("\n");
}

/** A colour of its own for each follower's avatar. */
function hue(text) {
  let n = 0;
  for (const c of text) n = (n * 31 + c.charCodeAt(0)) % 360;
  return n;
}

function followerAvatar(openid, size) {
  return h("span", {
    class: "avatar " + (size || ""),
    style: "background: hsl(" + hue(openid) + " 42% 56%)",
    text: openid.slice(-2).toUpperCase(),
    title: openid,
  });
}

function accountAvatar() {
  return h("span", { class: "avatar account", title: BOOT.account }, icon("bubble"));
}

// ---- Toast (WeChat's centred dark note) ----
let toastTimer = 0;
function toast(text) {
  const el = $("#toast");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (el.hidden = true), 2600);
}

// ---- Followers: who you are (localStorage), told to the OAuth page by a cookie ----
const FOLLOWER_KEYS = { list: "localWeChat.followers", current: "localWeChat.follower" };
const DEFAULT_FOLLOWER = "oFollower0000000000000001";
const OPENID = /^[A-Za-z0-9_-]{6,64}$/;

function loadFollowers() {
  let list = [];
  try {
    list = JSON.parse(localStorage.getItem(FOLLOWER_KEYS.list) || "[]");
  } catch {
    list = [];
  }
  S.followers = Array.isArray(list) ? list.filter((f) => typeof f === "string" && OPENID.test(f)) : [];
  if (!S.followers.length) S.followers = [DEFAULT_FOLLOWER];
  const current = localStorage.getItem(FOLLOWER_KEYS.current);
  S.follower = S.followers.includes(current) ? current : S.followers[0];
  rememberFollowers();
}

function rememberFollowers() {
  localStorage.setItem(FOLLOWER_KEYS.list, JSON.stringify(S.followers));
  localStorage.setItem(FOLLOWER_KEYS.current, S.follower);
  document.cookie = "wechat_follower=" + encodeURIComponent(S.follower) + "; path=/; SameSite=Lax";
}

/** The next oFollower… id not yet in the list. */
function nextFollowerId() {
  let n = 0;
  for (const f of S.followers) {
    const m = /^oFollower(\d{16})$/.exec(f);
    if (m) n = Math.max(n, Number(m[1]));
  }
  return "oFollower" + pad(n + 1, 16);
}

/** Following or not, as WeChat's API knows it (null: no interaction yet). */
function subscribedOf(openid) {
  const known = S.state && (S.state.followers || []).find((f) => f.openid === openid);
  return known ? known.subscribed : null;
}

function randomHex(n) {
  return Array.from(crypto.getRandomValues(new Uint8Array(n / 2)), (b) => pad(b.toString(16))).join("");
}
`;
