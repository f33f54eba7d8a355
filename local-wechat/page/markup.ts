/**
 * The page's skeleton: the chat column (header, conversation, bottom bar) and
 * the side panel (inspector, QR codes, settings). The script fills it in; the
 * only values written here are the account's ids, escaped.
 */
import { icon } from "./icons";

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function markup(info: { appId: string; account: string }): string {
  const account = escapeHtml(info.account);
  const appId = escapeHtml(info.appId);
  return `
<div id="app">
  <!-- The chat: what the follower sees -->
  <main class="chat" id="chat">
    <header class="chat-head">
      <span class="icon-btn back" aria-hidden="true">${icon("back")}</span>
      <div class="head-title">
        <div class="name" id="account-name" title="${account}">${account}</div>
        <button class="follower-chip" id="follower-button" type="button" title="切换关注者 Switch follower">
          <span class="avatar tiny" id="follower-avatar"></span><span class="who" id="follower-label"></span>
          <span class="tag" id="follower-tag" hidden></span>${icon("down")}
        </button>
      </div>
      <button class="icon-btn" id="panel-toggle" type="button" title="检查器与设置 Inspector &amp; settings">${icon("more")}</button>
    </header>
    <div class="popover" id="follower-menu" hidden></div>
    <div class="messages" id="messages" role="log" aria-live="polite"></div>
    <footer class="bottom" id="bottom">
      <div class="submenu" id="submenu" hidden></div>
      <div class="menu-bar" id="menu-bar" hidden>
        <button class="bar-icon" id="to-keyboard" type="button" title="输入 Type a message">${icon("keyboard")}</button>
        <div class="menu-buttons" id="menu-buttons"></div>
      </div>
      <form class="input-bar" id="input-bar" autocomplete="off">
        <button class="bar-icon" id="to-menu" type="button" title="菜单 Menu" hidden>${icon("menu")}</button>
        <button class="bar-icon" id="voice-button" type="button" title="语音 Voice">${icon("voice")}</button>
        <input id="text" name="text" placeholder="发消息 · Message" enterkeyhint="send" maxlength="2048">
        <button class="bar-icon" id="plus" type="button" title="更多 More">${icon("plus")}</button>
        <button class="send" id="send" type="submit" hidden>发送</button>
      </form>
      <div class="tools" id="tools" hidden></div>
    </footer>
    <div class="sheet-backdrop" id="sheet" hidden></div>
    <div class="toast" id="toast" role="status" hidden></div>
  </main>

  <!-- The side panel: what WeChat and the account did -->
  <aside class="panel" id="panel">
    <div class="panel-head">
      <div class="logo">${icon("bubble")}</div>
      <div class="brand">
        <b>本地微信<small>Local WeChat</small></b>
        <div class="meta">
          <span>公众号 <span class="mono">${account}</span></span>
          <span>AppID <span class="mono">${appId}</span></span>
          <span class="mode-badge" id="mode-badge">明文模式</span>
          <span class="live" id="live"><i></i><span>连接中 Connecting</span></span>
        </div>
      </div>
      <button class="icon-btn" id="panel-close" type="button" title="关闭 Close">${icon("close")}</button>
    </div>
    <nav class="tabs" id="tabs">
      <button type="button" data-tab="inspector">检查器<small>Inspector</small><span class="count" id="count-exchanges">0</span></button>
      <button type="button" data-tab="qrcodes">二维码<small>QR codes</small><span class="count" id="count-qrcodes">0</span></button>
      <button type="button" data-tab="settings">设置<small>Settings</small></button>
    </nav>

    <section class="tab-body" id="tab-inspector" data-tab-body="inspector">
      <div class="section-head">
        <h2>消息推送<small>Every push to the account, try by try</small></h2>
        <span class="hint">5 秒一次 · 最多 3 次 · 5 s a try, three tries</span>
      </div>
      <div id="exchanges"></div>
    </section>

    <section class="tab-body" id="tab-qrcodes" data-tab-body="qrcodes" hidden>
      <div class="section-head">
        <h2>带参数二维码<small>QR codes the account created</small></h2>
        <span class="hint" id="scan-as"></span>
      </div>
      <div class="qr-grid" id="qr-list"></div>
    </section>

    <section class="tab-body" id="tab-settings" data-tab-body="settings" hidden>
      <div class="setting">
        <h3>消息加解密方式<small>Message encryption mode</small></h3>
        <p>微信推送消息的方式：明文，兼容（明文与密文并存），安全（只有密文）。</p>
        <div class="seg" id="mode-seg">
          <button type="button" data-mode="plaintext">明文<small>Plaintext</small></button>
          <button type="button" data-mode="compatible">兼容<small>Compatible</small></button>
          <button type="button" data-mode="safe">安全<small>Safe</small></button>
        </div>
      </div>
      <div class="setting">
        <h3>账号权限<small>Permissions</small></h3>
        <p>未认证的订阅号没有客服消息、带参数二维码、模板消息和网页授权（48001）。</p>
        <div class="seg" id="permissions-seg">
          <button type="button" data-permissions="verified">已认证<small>Verified</small></button>
          <button type="button" data-permissions="unverified">未认证<small>Unverified</small></button>
        </div>
      </div>
      <div class="setting">
        <h3>时钟偏移<small>Clock offset</small></h3>
        <p>客服消息的 48 小时窗口按这个时钟计算。The customer-service window reads this clock.</p>
        <div class="controls">
          <span class="value" id="clock-value">+0 小时</span>
          <button class="btn" type="button" id="clock-plus">+48 小时<small>+48 h</small></button>
          <button class="btn" type="button" id="clock-reset">归零<small>Reset</small></button>
        </div>
      </div>
      <div class="setting">
        <h3>故障注入<small>Faults on WeChat's API</small></h3>
        <p>让微信的接口出错或变慢，看公众号如何应对。</p>
        <div class="presets" id="fault-presets"></div>
        <form class="fault-form" id="fault-form" autocomplete="off">
          <input name="path" value="*" placeholder="路径 path (* = all)" title="路径 API path, * for all">
          <input name="delayMs" placeholder="延迟 delayMs" inputmode="numeric">
          <input name="errcode" placeholder="errcode" inputmode="numeric">
          <input name="errmsg" placeholder="errmsg">
          <input name="times" placeholder="次数 times" inputmode="numeric">
          <button class="btn" type="submit">添加<small>Add</small></button>
        </form>
        <ul class="fault-list" id="fault-list"></ul>
      </div>
      <div class="setting">
        <h3>接口调用<small>API calls the account made</small></h3>
        <dl class="calls" id="calls"></dl>
      </div>
    </section>
  </aside>
</div>`;
}
