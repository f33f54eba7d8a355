/**
 * Black box: starts the Worker and the local WeChat the way `npm run dev`
 * does (scripts/dev.mjs, i.e. two `wrangler dev` on workerd with local
 * bindings), then plays WeChat over real HTTP in all three modes, by hand and
 * through the local WeChat. Runs in Node, outside the Worker. The Worker
 * is the test Worker under the deployment's configuration, with explicit
 * vars (harness.ts' testWranglerConfig): an owner's bot and .dev.vars do not matter.
 */
import { decrypt, encrypt, getSignature } from "@wecom/crypto";
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, testWranglerConfig } from "./harness";

const TOKEN = "blackbox-token";
const AES_KEY = "Zm9vYmFyYmF6cXV4MDEyMzQ1Njc4OWFiY2RlZmdoaWo";
const APPID = "wxblackbox00000001";

let server: ChildProcess;
let base = "";
let wechat = "";
let output = "";

beforeAll(async () => {
  const port = await freePort();
  const wechatPort = await freePort();
  const vars = {
    WECHAT_TOKEN: TOKEN,
    WECHAT_ENCODING_AES_KEY: AES_KEY,
    WECHAT_APPID: APPID,
    WECHAT_APPSECRET: "bb-secret",
  };
  const args = ["scripts/dev.mjs", "--config", testWranglerConfig(), "--port", String(port), "--ip", "127.0.0.1"];
  args.push("--wechat-port", String(wechatPort));
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  server = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`wrangler dev did not start:\n${output}`)), 90_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (/Local WeChat: http/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    server.stdout!.on("data", onData);
    server.stderr!.on("data", onData);
    server.on("exit", (code) => reject(new Error(`wrangler dev exited ${code}:\n${output}`)));
  });
  base = `http://127.0.0.1:${port}`;
  wechat = `http://127.0.0.1:${wechatPort}`;
}, 120_000);

afterAll(() => {
  // The dev script, npx and wrangler form a process group: end all of it.
  if (server?.pid) {
    try {
      process.kill(-server.pid, "SIGTERM");
    } catch {
      /* already gone */
    }
  }
});

const now = () => String(Math.floor(Date.now() / 1000));

function query(extra: Record<string, string> = {}, timestamp = now(), nonce = "424242") {
  return new URLSearchParams({
    signature: getSignature(TOKEN, timestamp, nonce, ""),
    timestamp,
    nonce,
    openid: "oBlackBox",
    ...extra,
  });
}

let msgId = 6054768590064713728n;
const textXml = (content: string) =>
  `<xml><ToUserName><![CDATA[gh_blackbox]]></ToUserName><FromUserName><![CDATA[oBlackBox]]></FromUserName>` +
  `<CreateTime>${now()}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content>` +
  `<MsgId>${msgId++}</MsgId></xml>`;

describe("wrangler dev, played by WeChat over HTTP", () => {
  it("passes the server check", async () => {
    const res = await fetch(`${base}/wechat?${query({ echostr: "8837196372" })}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("8837196372");
  });

  it("converses in plaintext mode", async () => {
    const res = await fetch(`${base}/wechat?${query()}`, { method: "POST", body: textXml("明文 hello") });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("<Content><![CDATA[明文 hello]]></Content>");
  });

  it.each(["compatible", "safe"])("converses in %s mode", async (mode) => {
    const timestamp = now();
    const nonce = "77";
    const inner = textXml(`${mode} 你好`);
    const cipher = encrypt(AES_KEY, inner, APPID);
    const q = query(
      { encrypt_type: "aes", msg_signature: getSignature(TOKEN, timestamp, nonce, cipher) },
      timestamp,
      nonce,
    );
    const body =
      mode === "safe"
        ? `<xml><ToUserName><![CDATA[gh_blackbox]]></ToUserName><Encrypt><![CDATA[${cipher}]]></Encrypt></xml>`
        : inner.replace("</xml>", `<Encrypt><![CDATA[${cipher}]]></Encrypt></xml>`);
    const res = await fetch(`${base}/wechat?${q}`, { method: "POST", body });
    expect(res.status).toBe(200);
    const text = await res.text();
    const field = (name: string) => new RegExp(`<${name}>(?:<!\\[CDATA\\[)?([^<\\]]*)`).exec(text)![1]!;
    expect(getSignature(TOKEN, field("TimeStamp"), field("Nonce"), field("Encrypt"))).toBe(field("MsgSignature"));
    const { message, id } = decrypt(AES_KEY, field("Encrypt"));
    expect(id).toBe(APPID);
    expect(message).toContain(`<Content><![CDATA[${mode} 你好]]></Content>`);
  });

  it("refuses a forged request", async () => {
    const q = query();
    q.set("signature", "0".repeat(40));
    expect((await fetch(`${base}/wechat?${q}`, { method: "POST", body: textXml("x") })).status).toBe(403);
  });

  it("the local WeChat converses with the Worker in every mode, and serves its chat page", async () => {
    const page = await fetch(`${wechat}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("本地微信");
    for (const mode of ["plaintext", "compatible", "safe"]) {
      const settings = { method: "PUT", body: JSON.stringify({ mode }) };
      expect((await fetch(`${wechat}/api/settings`, settings)).status).toBe(200);
      const body = JSON.stringify({ openid: "oDevServerFollower01", MsgType: "text", Content: `本地 ${mode}` });
      const res = await fetch(`${wechat}/api/messages`, { method: "POST", body });
      expect(await res.json()).toMatchObject({ error: null, shown: [{ from: "account", Content: `本地 ${mode}` }] });
    }
  }, 30_000);
});
