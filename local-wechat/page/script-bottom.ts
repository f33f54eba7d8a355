/**
 * The bottom of the chat: sending (a message, an event, a scan — each an
 * exchange with the account that may take up to three tries of 5 s, never
 * blocking the page), the input bar and its "+" tools, the forms they open,
 * and the account's menu as WeChat's bottom bar with its sub-menu popups.
 * Plain browser JavaScript, as a string.
 */
export const SCRIPT_BOTTOM = String.raw`
// ---- Sending: one exchange with the account ----
async function exchange(path, body, shown) {
  const openid = S.follower;
  const pending = shown ? showPending(shown) : null;
  const pushing = showPushing(shown ? describeMessage(shown) : "扫码 Scan");
  startExchange(openid);
  let failed = false;
  try {
    await api("POST", path, Object.assign({ openid }, body));
  } catch (err) {
    failed = true;
    if (pending) failPending(pending, err.message);
    toast(err.message);
  } finally {
    endExchange(openid);
    pushing.remove();
    renderExchangesBlank();
  }
  // The stream shows what happened; if it missed it (reconnecting), reload.
  if (!failed && pending && S.pending.includes(pending) && openid === S.follower) {
    await Promise.all([loadConversation(), loadExchanges()]);
  }
  refreshState(); // following or not, API calls
}

const sendMessage = (fields) => exchange("/api/messages", fields, fields);
const sendEvent = (fields) => exchange("/api/events", fields, Object.assign({ MsgType: "event" }, fields));
const scan = (ticket) => exchange("/api/scan", { ticket }, null);

const mediaId = () => "local_" + randomHex(24);

// ---- Forms in a bottom sheet (voice's words, a location, a link, …) ----
function openSheet({ title, en, note, fields, submit, onSubmit }) {
  const sheet = $("#sheet");
  const form = h(
    "form",
    { class: "sheet", autocomplete: "off" },
    h("div", { class: "sheet-title" }, title, en ? h("small", { text: en }) : null),
    note ? h("p", { class: "sheet-note", text: note }) : null,
    fields.map((f) =>
      h(
        "label",
        { class: "field" },
        h("span", { text: f.label }),
        h("input", { name: f.name, value: f.value || "", placeholder: f.placeholder }),
      ),
    ),
    h(
      "div",
      { class: "sheet-actions" },
      h("button", { class: "btn", type: "button", onclick: closeSheet }, "取消", h("small", { text: "Cancel" })),
      h("button", { class: "btn primary", type: "submit" }, submit || "发送", h("small", { text: "Send" })),
    ),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const values = {};
    for (const f of fields) values[f.name] = form.elements[f.name].value;
    closeSheet();
    onSubmit(values);
  });
  sheet.replaceChildren(form);
  sheet.hidden = false;
  const firstInput = form.querySelector("input");
  if (firstInput) firstInput.select();
}

function closeSheet() {
  $("#sheet").hidden = true;
  $("#sheet").replaceChildren();
}

const LOCATION_FIELDS = [
  { name: "Location_X", label: "纬度 Location_X", value: "23.134521" },
  { name: "Location_Y", label: "经度 Location_Y", value: "113.358803" },
  { name: "Scale", label: "缩放 Scale", value: "20" },
  { name: "Label", label: "位置 Label", value: "广州市天河区天河路 208 号" },
];

// ---- The "+" tools: what else a follower can send ----
const TOOLS = [
  { icon: "image", zh: "图片", en: "Image", run: sendImage },
  { icon: "waves", zh: "语音", en: "Voice", run: askVoice },
  { icon: "video", zh: "视频", en: "Video", run: sendVideo },
  { icon: "pin", zh: "位置", en: "Location", run: askLocation },
  { icon: "link", zh: "链接", en: "Link", run: askLink },
  { icon: "follow", zh: "关注", en: "Follow", run: () => sendEvent({ Event: "subscribe" }) },
  { icon: "unfollow", zh: "取消关注", en: "Unfollow", run: () => sendEvent({ Event: "unsubscribe" }) },
];

function renderTools() {
  $("#tools").replaceChildren(
    ...TOOLS.map((t) =>
      h(
        "button",
        {
          class: "tool",
          type: "button",
          "data-tool": t.en.toLowerCase(),
          onclick: () => (toggleTools(false), t.run()),
        },
        h("span", { class: "tool-icon" }, icon(t.icon)),
        t.zh,
        h("small", { text: t.en }),
      ),
    ),
  );
}

function toggleTools(open) {
  $("#tools").hidden = open === undefined ? !$("#tools").hidden : !open;
}

function sendImage() {
  const id = mediaId();
  sendMessage({ MsgType: "image", PicUrl: "http://mmbiz.qpic.cn/mmbiz_jpg/" + id + "/0", MediaId: id });
}

function sendVideo() {
  sendMessage({ MsgType: "video", MediaId: mediaId(), ThumbMediaId: mediaId() });
}

function askVoice() {
  openSheet({
    title: "语音",
    en: "Voice",
    note: "微信的语音识别结果（Recognition）· What WeChat recognised",
    fields: [{ name: "Recognition", label: "识别结果 Recognition", value: "你好" }],
    onSubmit: (v) => sendMessage({ MsgType: "voice", MediaId: mediaId(), Format: "amr", Recognition: v.Recognition }),
  });
}

function askLocation() {
  openSheet({
    title: "位置",
    en: "Location",
    fields: LOCATION_FIELDS,
    onSubmit: (v) => sendMessage(Object.assign({ MsgType: "location" }, v)),
  });
}

function askLink() {
  openSheet({
    title: "链接",
    en: "Link",
    fields: [
      { name: "Title", label: "标题 Title", value: "公众号文章" },
      { name: "Description", label: "描述 Description", value: "一篇值得一读的文章" },
      { name: "Url", label: "链接 Url", value: "https://mp.weixin.qq.com/s/local" },
    ],
    onSubmit: (v) => sendMessage(Object.assign({ MsgType: "link" }, v)),
  });
}

// ---- The input bar ----
function wireInputBar() {
  const text = $("#text");
  const syncSend = () => {
    $("#send").hidden = text.value === "";
    $("#plus").hidden = text.value !== "";
  };
  text.addEventListener("input", syncSend);
  text.addEventListener("focus", () => toggleTools(false));
  $("#input-bar").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const content = text.value;
    if (content.trim() === "") return;
    text.value = "";
    syncSend();
    sendMessage({ MsgType: "text", Content: content });
  });
  $("#plus").addEventListener("click", () => toggleTools());
  $("#voice-button").addEventListener("click", askVoice);
  $("#to-menu").addEventListener("click", () => setBarMode("menu"));
  $("#to-keyboard").addEventListener("click", () => {
    setBarMode("text");
    text.focus();
  });
  $("#sheet").addEventListener("click", (ev) => {
    if (ev.target === $("#sheet")) closeSheet();
  });
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") (closeSheet(), closeSubmenu(), toggleTools(false));
  });
  renderTools();
  syncSend();
}

// ---- The account's menu: WeChat's bottom bar ----
function menuButtons() {
  const menu = S.state && S.state.menu;
  return menu && Array.isArray(menu.button) ? menu.button.filter((b) => b && typeof b === "object") : [];
}

function renderMenu() {
  const buttons = menuButtons();
  const json = JSON.stringify(buttons);
  if (json === S.menuJson) return;
  S.menuJson = json;
  closeSubmenu();
  $("#menu-buttons").replaceChildren(...buttons.map(menuButton));
  $("#to-menu").hidden = !buttons.length;
  $("#voice-button").hidden = buttons.length > 0;
  // A menu just published shows at once (unless a message is being typed); none leaves the input bar.
  setBarMode(buttons.length && $("#text").value === "" ? "menu" : "text");
}

function setBarMode(mode) {
  S.barMode = mode === "menu" && menuButtons().length ? "menu" : "text";
  $("#menu-bar").hidden = S.barMode !== "menu";
  $("#input-bar").hidden = S.barMode === "menu";
  if (S.barMode === "menu") toggleTools(false);
  closeSubmenu();
}

function menuButton(b) {
  const subs = Array.isArray(b.sub_button) ? b.sub_button.filter((s) => s && typeof s === "object") : [];
  if (subs.length) {
    return h(
      "button",
      { class: "menu-btn has-sub", type: "button", onclick: (ev) => toggleSubmenu(ev.currentTarget, subs) },
      icon("menu"),
      h("span", { text: b.name || "" }),
    );
  }
  return h(
    "button",
    { class: "menu-btn", type: "button", onclick: () => menuAction(b) },
    h("span", { text: b.name || "" }),
  );
}

function toggleSubmenu(button, subs) {
  const popup = $("#submenu");
  if (!popup.hidden && button.classList.contains("open")) return closeSubmenu();
  closeSubmenu();
  button.classList.add("open");
  popup.replaceChildren(
    ...subs.map((s) => h("button", { type: "button", onclick: () => (closeSubmenu(), menuAction(s)) }, s.name || "")),
  );
  popup.hidden = false;
  // Centred above its button, within the bar.
  const bar = $("#bottom").getBoundingClientRect();
  const rect = button.getBoundingClientRect();
  const width = Math.max(rect.width - 12, 116);
  const left = Math.min(Math.max(rect.left - bar.left + (rect.width - width) / 2, 6), bar.width - width - 6);
  popup.style.width = width + "px";
  popup.style.left = left + "px";
}

function closeSubmenu() {
  $("#submenu").hidden = true;
  document.querySelectorAll(".menu-btn.open").forEach((b) => b.classList.remove("open"));
}

/** What tapping a menu button does, by its type, as WeChat pushes it. */
function menuAction(b) {
  const key = b.key;
  switch (b.type) {
    case "click":
      return sendEvent({ Event: "CLICK", EventKey: key });
    case "view": {
      const url = safeUrl(b.url);
      if (url) window.open(url, "_blank", "noopener");
      return sendEvent({ Event: "VIEW", EventKey: b.url });
    }
    case "scancode_push":
    case "scancode_waitmsg":
      return openSheet({
        title: "扫一扫",
        en: "Scan",
        note: b.type + " · 扫到的内容 What the camera read",
        fields: [{ name: "ScanResult", label: "扫码结果 ScanResult", value: defaultScanResult() }],
        onSubmit: (v) =>
          sendEvent({ Event: b.type, EventKey: key, ScanCodeInfo: { ScanType: "qrcode", ScanResult: v.ScanResult } }),
      });
    case "pic_sysphoto":
    case "pic_photo_or_album":
    case "pic_weixin":
      return sendEvent({
        Event: b.type,
        EventKey: key,
        SendPicsInfo: { Count: "1", PicList: [{ PicMd5Sum: randomHex(32) }] },
      });
    case "location_select":
      return openSheet({
        title: "发送位置",
        en: "Location",
        fields: LOCATION_FIELDS.concat([{ name: "Poiname", label: "地点 Poiname", value: "天河城" }]),
        onSubmit: (v) => sendEvent({ Event: "location_select", EventKey: key, SendLocationInfo: v }),
      });
    case "media_id":
    case "view_limited":
    case "article_id":
    case "article_view_limited":
      return toast("素材菜单：微信直接展示素材，不推送事件（" + b.type + "）");
    case "miniprogram":
      return toast("小程序菜单：本地微信不打开小程序（" + (b.pagepath || "") + "）");
    default:
      return toast("未知的菜单类型 " + b.type);
  }
}

function defaultScanResult() {
  const codes = (S.state && S.state.qrcodes) || [];
  return codes.length ? codes[codes.length - 1].url : "https://example.com/scanned";
}
`;
