/**
 * The side panel: the inspector (every exchange, each try with its query,
 * body, plaintext, answer, decrypted reply and WeChat's verdict), the
 * account's QR codes with 扫一扫, and the settings (mode, permissions, clock,
 * faults, API calls). Plain browser JavaScript, as a string.
 */
export const SCRIPT_PANEL = String.raw`
// ---- Tabs, and the panel itself (an overlay on narrow screens) ----
function showTab(name) {
  document.querySelectorAll("#tabs button").forEach((b) => b.classList.toggle("on", b.dataset.tab === name));
  document.querySelectorAll("[data-tab-body]").forEach((s) => (s.hidden = s.dataset.tabBody !== name));
  localStorage.setItem("localWeChat.tab", name);
}

const narrow = () => matchMedia("(max-width: 760px)").matches;

function togglePanel(open) {
  const body = document.body;
  if (narrow()) body.classList.toggle("panel-open", open === undefined ? !body.classList.contains("panel-open") : open);
  else body.classList.toggle("panel-closed", open === undefined ? !body.classList.contains("panel-closed") : !open);
}

function wirePanel() {
  document.querySelectorAll("#tabs button").forEach((b) => b.addEventListener("click", () => showTab(b.dataset.tab)));
  showTab(localStorage.getItem("localWeChat.tab") || "inspector");
  $("#panel-toggle").addEventListener("click", () => togglePanel());
  $("#panel-close").addEventListener("click", () => togglePanel(false));
  wireSettings();
}

// ---- Inspector: the exchanges, newest first ----
async function loadExchanges() {
  const data = await api("GET", "/api/exchanges");
  for (const x of data.exchanges || []) addExchange(x, false);
}

/** A verdict's kind, for its colour, and its name in Chinese. */
function verdictKind(verdict) {
  const v = String(verdict || "");
  if (v === "shown") return ["k-shown", "已显示"];
  if (v.startsWith("success")) return ["k-quiet", "无回复"];
  if (v.startsWith("no answer")) return ["k-timeout", "超时"];
  if (v.startsWith("refused")) return ["k-refused", "拒绝"];
  return ["k-info", "转客服"];
}

function exchangeKind(x) {
  if (x.error) return ["k-refused", "失败 · 系统提示"];
  const last = x.tries[x.tries.length - 1];
  const [kind, zh] = verdictKind(last && last.verdict);
  return x.tries.length > 1
    ? [kind === "k-shown" ? "k-timeout" : kind, zh + " · 重试 " + (x.tries.length - 1)]
    : [kind, zh];
}

const MODE_NAMES = { plaintext: "明文", compatible: "兼容", safe: "安全" };

function describeMessage(m) {
  switch (m.MsgType) {
    case "text":
      return "文本「" + clip(m.Content, 30) + "」";
    case "event":
      return "事件 " + m.Event + (m.EventKey ? " · " + clip(m.EventKey, 36) : "");
    case "voice":
      return "语音「" + clip(m.Recognition, 20) + "」";
    case "location":
      return "位置 " + clip(m.Label, 20);
    case "link":
      return "链接「" + clip(m.Title, 20) + "」";
    case "image":
      return "图片 Image";
    default:
      return m.MsgType;
  }
}

let autoOpened = null;

function addExchange(x, live) {
  if (S.exchanges.has(x.id)) return;
  S.exchanges.set(x.id, x);
  const node = exchangeNode(x);
  // The newest is open; one opened for being newest closes when a newer comes.
  if (autoOpened) autoOpened.open = false;
  node.open = true;
  autoOpened = node;
  node.querySelector("summary").addEventListener("click", () => {
    if (autoOpened === node) autoOpened = null;
  });
  const list = $("#exchanges");
  const blank = list.querySelector(".blank");
  if (blank) blank.remove();
  list.prepend(node);
  $("#count-exchanges").textContent = String(S.exchanges.size);
  if (live) node.classList.add("fresh");
}

function exchangeNode(x) {
  const [kind, zh] = exchangeKind(x);
  const at = x.tries.length ? x.tries[0].at : Date.now();
  return h(
    "details",
    { class: "exchange " + kind, "data-id": x.id, "data-mode": x.mode },
    h(
      "summary",
      null,
      h("span", { class: "dot" }),
      h("span", { class: "ex-id", text: "#" + x.id }),
      h("span", { class: "ex-what", text: describeMessage(x.message || {}), title: JSON.stringify(x.message) }),
      h(
        "span",
        { class: "ex-meta" },
        h("span", { class: "mono", text: shortId(x.openid), title: x.openid }),
        h("span", { class: "mode-badge " + x.mode, text: MODE_NAMES[x.mode] || x.mode }),
        h("span", { class: "tag", text: zh }),
        h("span", { class: "mono", text: clock(at) }),
      ),
    ),
    h(
      "div",
      { class: "ex-body" },
      x.tries.map(tryNode),
      x.error ? h("div", { class: "ex-error" }, "关注者看到 · The follower sees: ", h("b", { text: x.error })) : null,
    ),
  );
}

function tryNode(t) {
  const [kind] = verdictKind(t.verdict);
  const encrypted = t.body !== t.plaintext;
  return h(
    "div",
    { class: "try " + kind, "data-n": t.n },
    h(
      "div",
      { class: "try-head" },
      h("b", { text: "第 " + t.n + " 次 · Try " + t.n }),
      h("span", { class: "mono", text: preciseClock(t.at) }),
      t.status === null
        ? h("span", { class: "status bad", text: "无响应 no response" })
        : h("span", { class: "status " + (t.status === 200 ? "ok" : "bad"), text: "HTTP " + t.status }),
      h("span", { class: "mono", text: t.ms + " ms" }),
    ),
    h("div", { class: "verdict", text: t.verdict }),
    block("query", "请求参数", "Query", queryList(t.query)),
    block(
      "body",
      "发送的正文",
      encrypted ? "Body sent (encrypted)" : "Body sent",
      h("pre", { text: prettyXml(t.body) }),
    ),
    encrypted
      ? block("plaintext", "明文", "Plaintext inside Encrypt", h("pre", { text: prettyXml(t.plaintext) }))
      : null,
    block(
      "answer",
      "收到的回答",
      "Answer as it came",
      h("pre", { text: t.answer === null ? "—" : t.answer === "" ? "(空 empty)" : prettyXml(t.answer) }),
    ),
    t.reply
      ? block(
          "reply",
          "回复",
          encrypted ? "Reply, decrypted" : "Reply",
          h("pre", { text: JSON.stringify(t.reply, null, 2) }),
        )
      : null,
  );
}

function block(kind, zh, en, content) {
  return h(
    "div",
    { class: "block block-" + kind },
    h("div", { class: "block-label" }, h("b", { text: zh }), en),
    content,
  );
}

function queryList(query) {
  return h(
    "dl",
    { class: "query" },
    Object.entries(query || {}).map(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })]),
  );
}

/** An exchange under way (its record arrives when WeChat is done: up to three tries of 5 s). */
function showPushing(what) {
  const node = h(
    "div",
    { class: "pushing", "data-start": Date.now() },
    h("span", { class: "spinner" }),
    h("span", { class: "ex-what", text: "正在推送 Pushing · " + what }),
    h(
      "span",
      { class: "ex-meta" },
      h("span", { class: "mono", text: shortId(S.follower) }),
      h("span", { class: "mono elapsed" }),
    ),
  );
  const blank = $("#exchanges .blank");
  if (blank) blank.remove();
  $("#exchanges").prepend(node);
  return node;
}

function tickPushing() {
  document.querySelectorAll(".pushing").forEach((n) => {
    n.querySelector(".elapsed").textContent = Math.floor((Date.now() - Number(n.dataset.start)) / 1000) + " s";
  });
}

function renderExchangesBlank() {
  if (S.exchanges.size || document.querySelector(".pushing")) return;
  $("#exchanges").replaceChildren(
    h("div", { class: "blank" }, "还没有推送。发一条消息，这里会显示微信的每一次请求。", h("br"), "No pushes yet."),
  );
}

// ---- QR codes the account created ----
function renderQrCodes() {
  const codes = (S.state && S.state.qrcodes) || [];
  $("#count-qrcodes").textContent = String(codes.length);
  $("#scan-as").textContent = "扫码的人 Scanning as " + S.follower;
  const json = JSON.stringify(codes);
  if (json === S.qrJson) return;
  S.qrJson = json;
  if (!codes.length) {
    $("#qr-list").replaceChildren(
      h("div", { class: "blank", style: "grid-column: 1 / -1" }, "公众号还没有创建二维码 · No QR codes yet"),
    );
    return;
  }
  $("#qr-list").replaceChildren(...codes.slice().reverse().map(qrCard));
}

function qrCard(q) {
  const permanent = String(q.action_name).startsWith("QR_LIMIT");
  return h(
    "div",
    { class: "qr-card", "data-ticket": q.ticket },
    h("img", { src: qrSrc(q.ticket), alt: "二维码 " + q.scene }),
    h("div", { class: "qr-scene", text: "场景 " + q.scene, title: q.scene }),
    h(
      "div",
      { class: "qr-kind" },
      h("span", { class: "tag " + (permanent ? "on" : ""), text: permanent ? "永久 Permanent" : "临时 Temporary" }),
      h("span", { class: "tag mono", text: q.action_name }),
    ),
    h("div", { class: "qr-url", text: q.url, title: q.url }),
    h(
      "button",
      { class: "btn primary scan", type: "button", onclick: () => scan(q.ticket) },
      icon("scan"),
      "扫一扫",
      h("small", { text: "Scan" }),
    ),
  );
}

// ---- Settings: mode, permissions, clock, faults ----
const FAULT_PRESETS = [
  { zh: "IP 白名单", en: "40164 on every API path", body: { path: "*", errcode: 40164 } },
  {
    zh: "客服消息慢 6 秒",
    en: "6 s delay on custom/send",
    body: { path: "/cgi-bin/message/custom/send", delayMs: 6000 },
  },
  { zh: "另一台服务器获取了 token", en: "The token is revoked", body: { revokeToken: true } },
  { zh: "清除全部故障", en: "Reset faults", body: { reset: true } },
];

function wireSettings() {
  document
    .querySelectorAll("[data-mode]")
    .forEach((b) => b.addEventListener("click", () => putSettings({ mode: b.dataset.mode })));
  document
    .querySelectorAll("[data-permissions]")
    .forEach((b) => b.addEventListener("click", () => putSettings({ permissions: b.dataset.permissions })));
  $("#clock-plus").addEventListener("click", () =>
    putSettings({ clockOffsetS: ((S.state && S.state.clockOffsetS) || 0) + 48 * 3600 }),
  );
  $("#clock-reset").addEventListener("click", () => putSettings({ clockOffsetS: 0 }));
  $("#fault-presets").replaceChildren(
    ...FAULT_PRESETS.map((p) =>
      h(
        "button",
        { class: "preset", type: "button", onclick: () => postFault(p.body, p.zh) },
        h("b", { text: p.zh }),
        h("small", { text: p.en }),
      ),
    ),
  );
  $("#fault-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const form = ev.currentTarget;
    const fault = { path: form.elements.path.value.trim() || "*" };
    for (const name of ["delayMs", "errcode", "times"]) {
      const value = form.elements[name].value.trim();
      if (value !== "") fault[name] = Number(value);
    }
    if (form.elements.errmsg.value.trim()) fault.errmsg = form.elements.errmsg.value.trim();
    postFault(fault, "已添加故障 Fault added");
  });
}

async function putSettings(body) {
  try {
    await api("PUT", "/api/settings", body);
    await refreshState();
  } catch (err) {
    toast(err.message);
  }
}

async function postFault(body, done) {
  try {
    await api("POST", "/api/faults", body);
    toast(done);
    await refreshState();
  } catch (err) {
    toast(err.message);
  }
}

function renderSettings() {
  const st = S.state;
  if (!st) return;
  document.querySelectorAll("[data-mode]").forEach((b) => b.classList.toggle("on", b.dataset.mode === st.mode));
  document
    .querySelectorAll("[data-permissions]")
    .forEach((b) => b.classList.toggle("on", b.dataset.permissions === st.permissions));
  const badge = $("#mode-badge");
  badge.className = "mode-badge " + st.mode;
  badge.textContent = (MODE_NAMES[st.mode] || st.mode) + "模式 · " + st.mode;
  const hours = (st.clockOffsetS || 0) / 3600;
  $("#clock-value").textContent =
    (hours >= 0 ? "+" : "") + Math.round(hours * 10) / 10 + " 小时 (" + (st.clockOffsetS || 0) + " s)";
  renderFaults(st.faults || []);
  renderCalls(st.calls || {});
}

function renderFaults(faults) {
  $("#fault-list").replaceChildren(
    ...(faults.length
      ? faults.map((f) =>
          h(
            "li",
            null,
            h("span", { class: "mono", text: f.path === "*" ? "* 全部 all" : f.path }),
            f.delayMs ? h("span", { class: "tag", text: "延迟 " + f.delayMs + " ms" }) : null,
            f.errcode !== undefined ? h("span", { class: "tag off", text: "errcode " + f.errcode }) : null,
            f.errmsg ? h("span", { class: "tag", text: f.errmsg }) : null,
            h("span", {
              class: "tag",
              text: f.times === undefined ? "直到清除 until reset" : "剩 " + f.times + " 次 left",
            }),
          ),
        )
      : [h("li", { style: "color:#aaa" }, "没有故障 · No faults")]),
  );
}

function renderCalls(calls) {
  const rows = Object.entries(calls).sort((a, b) => b[1] - a[1]);
  $("#calls").replaceChildren(
    ...(rows.length
      ? rows.flatMap(([path, n]) => [h("dt", { text: path }), h("dd", { text: String(n) })])
      : [h("dt", { style: "color:#aaa", text: "还没有调用 · None yet" })]),
  );
}
`;
