/**
 * The page's wiring: the follower you are (header chip and switcher), the
 * account's state (menu, QR codes, settings), the live stream, and start-up.
 * Plain browser JavaScript, as a string.
 */
export const SCRIPT_MAIN = String.raw`
// ---- The follower you are: header chip and switcher ----
function renderFollower() {
  const chipAvatar = $("#follower-avatar");
  chipAvatar.textContent = S.follower.slice(-2).toUpperCase();
  chipAvatar.style.background = "hsl(" + hue(S.follower) + " 42% 56%)";
  $("#follower-label").textContent = "我 " + shortId(S.follower);
  $("#follower-button").title = "我是 I am " + S.follower + " · 切换 Switch";
  const subscribed = subscribedOf(S.follower);
  const tag = $("#follower-tag");
  tag.hidden = subscribed !== false;
  tag.className = "tag off";
  tag.textContent = "未关注";
  renderFollowerMenu();
}

function renderFollowerMenu() {
  const menu = $("#follower-menu");
  // What is being typed survives a re-render (the state refreshes after every exchange).
  const old = $("#new-follower");
  const typing = old && old.dataset.edited ? old : null;
  const input = h("input", {
    id: "new-follower",
    value: typing ? typing.value : nextFollowerId(),
    placeholder: "openid",
    "aria-label": "openid",
    oninput: (ev) => (ev.target.dataset.edited = "1"),
  });
  if (typing) input.dataset.edited = "1";
  const add = h(
    "form",
    { class: "add-follower" },
    input,
    h("button", { class: "btn primary", type: "submit", id: "add-follower" }, "添加", h("small", { text: "Add" })),
  );
  add.addEventListener("submit", (ev) => {
    ev.preventDefault();
    addFollower(input.value.trim());
  });
  const refocus = typing && document.activeElement === typing;
  menu.replaceChildren(
    h("div", { class: "popover-title" }, "切换关注者 · Switch follower"),
    ...S.followers.map(followerRow),
    add,
  );
  if (refocus) input.focus();
  // A dot on the header chip: another follower has something new.
  const others = S.followers.some((f) => f !== S.follower && S.unread[f]);
  $("#follower-button").classList.toggle("has-unread", others);
}

function followerRow(openid) {
  const subscribed = subscribedOf(openid);
  const status =
    subscribed === null
      ? h("span", { class: "tag", text: "新 New" })
      : h("span", { class: "tag " + (subscribed ? "on" : "off"), text: subscribed ? "已关注" : "未关注" });
  return h(
    "button",
    { class: "follower-row", type: "button", "data-openid": openid, onclick: () => switchFollower(openid) },
    followerAvatar(openid, "small"),
    h("span", { class: "who", text: openid }),
    S.unread[openid] ? h("span", { class: "unread", text: String(S.unread[openid]) }) : null,
    status,
    h("span", { class: "check" }, openid === S.follower ? icon("check") : null),
  );
}

function toggleFollowerMenu(open) {
  const menu = $("#follower-menu");
  menu.hidden = open === undefined ? !menu.hidden : !open;
  if (!menu.hidden) renderFollowerMenu();
}

function addFollower(openid) {
  if (!OPENID.test(openid)) return toast("openid：6 到 64 个字母、数字、_ 或 -");
  if (!S.followers.includes(openid)) S.followers.push(openid);
  switchFollower(openid);
}

async function switchFollower(openid) {
  toggleFollowerMenu(false);
  S.follower = openid;
  S.unread[openid] = 0;
  rememberFollowers();
  renderFollower();
  renderQrCodes();
  renderTyping();
  await loadConversation();
}

// ---- The account's state: menu, QR codes, settings, followers ----
let stateLoading = null;
async function refreshState() {
  // One request at a time; a change meanwhile asks again once.
  if (stateLoading) {
    stateLoading.again = true;
    return stateLoading.promise;
  }
  stateLoading = { again: false, promise: null };
  stateLoading.promise = (async () => {
    try {
      do {
        stateLoading.again = false;
        S.state = await api("GET", "/api/state");
        renderMenu();
        renderQrCodes();
        renderSettings();
        renderFollower();
      } while (stateLoading.again);
    } catch (err) {
      toast(err.message);
    } finally {
      stateLoading = null;
    }
  })();
  return stateLoading.promise;
}

// ---- Live: the stream of what happens ----
function connectStream() {
  const live = $("#live");
  const stream = new EventSource("/api/stream");
  let dropped = false;
  stream.addEventListener("open", () => {
    live.className = "live on";
    live.lastChild.textContent = "实时 Live";
    if (dropped) {
      // Catch up on what happened while disconnected.
      dropped = false;
      loadConversation();
      loadExchanges();
      refreshState();
    }
  });
  stream.addEventListener("error", () => {
    dropped = true;
    live.className = "live";
    live.lastChild.textContent = "重连中 Reconnecting";
  });
  stream.addEventListener("message", (m) => {
    let event;
    try {
      event = JSON.parse(m.data);
    } catch {
      return;
    }
    if (event.type === "conversation") receiveEntry(event.openid, event.entry);
    else if (event.type === "exchange") addExchange(event.exchange, true);
    else if (event.type === "state") refreshState();
  });
}

// ---- Start ----
function wireGlobal() {
  $("#follower-button").addEventListener("click", (ev) => {
    ev.stopPropagation();
    toggleFollowerMenu();
  });
  document.addEventListener("click", (ev) => {
    const t = ev.target;
    if (!t.closest("#follower-menu") && !t.closest("#follower-button")) toggleFollowerMenu(false);
    if (!t.closest("#submenu") && !t.closest(".menu-btn.has-sub")) closeSubmenu();
  });
  setInterval(() => {
    if ((S.inflight[S.follower] || []).length) renderTyping();
    tickPushing();
  }, 1000);
}

async function start() {
  loadFollowers();
  wireGlobal();
  wireInputBar();
  wirePanel();
  renderFollower();
  renderExchangesBlank();
  connectStream();
  await Promise.all([refreshState(), loadConversation(), loadExchanges()]).catch((err) => toast(err.message));
  renderExchangesBlank();
  document.body.dataset.ready = "1";
}

start();
`;
