/**
 * The JS-SDK signature (src/wechat/jssdk.ts, routes/jssdk.ts) against
 * WeChat's published example and the shared ticket; and the admin endpoints
 * that push template and customer-service messages.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { testBot } from "./fixtures/bot";
import { bytesToHex } from "../src/wechat/bytes";
import { jssdkSignature } from "../src/wechat/jssdk";
import { newApp } from "./fixtures/api";

const app = createApp(testBot);
const AUTH = { authorization: `Bearer ${env.ADMIN_TOKEN}` };

async function sha1(text: string) {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text))));
}

describe("JS-SDK signature", () => {
  it("matches WeChat's published example (附录1)", async () => {
    expect(
      await jssdkSignature(
        "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
        "Wm3WZYTPz0wzccnW",
        1414587457,
        "http://mp.weixin.qq.com?params=value",
      ),
    ).toBe("0f9de62fce790f9a083d5c99e95740ceb90c27ed");
  });

  it("signs an allowed page's URL without its fragment, with the shared ticket", async () => {
    const t = await newApp();
    const page = "https://pages.example.com/shop/item?id=7&from=menu";
    const res = await app.request(
      `https://worker.test/jssdk/config?url=${encodeURIComponent(page + "#section-2")}`,
      {},
      t.env,
    );
    expect(res.status).toBe(200);
    const cfg = await res.json<{ appId: string; timestamp: number; nonceStr: string; signature: string }>();
    expect(cfg.appId).toBe(t.appid);
    expect(cfg.nonceStr).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(Math.abs(cfg.timestamp - Date.now() / 1000)).toBeLessThan(5);
    const ticket = (await t.state()).ticket!;
    expect(cfg.signature).toBe(
      await sha1(`jsapi_ticket=${ticket}&noncestr=${cfg.nonceStr}&timestamp=${cfg.timestamp}&url=${page}`),
    );
  });

  it.each([
    ["a foreign origin", "https://evil.example/page"],
    ["a look-alike origin", "https://pages.example.com.evil.example/"],
    ["another port", "https://pages.example.com:8443/"],
    ["plain http for an https origin", "http://pages.example.com/"],
    ["not a URL", "pages.example.com/x"],
    ["javascript:", "javascript:alert(1)"],
    ["nothing", ""],
  ])("%s: 400, and no ticket is fetched", async (_, url) => {
    const t = await newApp();
    const res = await app.request(`https://worker.test/jssdk/config?url=${encodeURIComponent(url)}`, {}, t.env);
    expect(res.status).toBe(400);
    expect((await t.state()).counts).toEqual({});
  });
});

describe("pushing messages (admin)", () => {
  const template = {
    touser: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
    template_id: "tpl_ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY",
    url: "https://pages.example.com/order/1",
    data: { first: { value: "您的订单已发货" }, keyword1: { value: "巧克力", color: "#173177" } },
  };

  it("POST /admin/messages/template sends it and returns WeChat's msgid exactly", async () => {
    const t = await newApp();
    const res = await app.request(
      "https://worker.test/admin/messages/template",
      { method: "POST", headers: AUTH, body: JSON.stringify(template) },
      t.env,
    );
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/"msgid":"9007199254740\d{3}"/); // a string, every digit kept
    expect((await t.state()).sent.at(-1)).toEqual({ path: "/cgi-bin/message/template/send", body: template });
  });

  it("POST /admin/messages/custom sends every type, with an optional kf_account", async () => {
    const t = await newApp();
    for (const message of [
      { msgtype: "text", text: { content: "您好" } },
      { msgtype: "image", image: { media_id: "M" } },
      { msgtype: "news", news: { articles: [{ title: "T", url: "https://pages.example.com/" }] } },
      {
        msgtype: "miniprogrampage",
        miniprogrampage: { title: "T", appid: "wxapp", pagepath: "pages/index", thumb_media_id: "M" },
      },
    ]) {
      const res = await app.request(
        "https://worker.test/admin/messages/custom",
        {
          method: "POST",
          headers: AUTH,
          body: JSON.stringify({ touser: template.touser, ...message, kf_account: "kf1@gh" }),
        },
        t.env,
      );
      expect(res.status).toBe(200);
      expect((await t.state()).sent.at(-1)!.body).toEqual({
        touser: template.touser,
        ...message,
        customservice: { kf_account: "kf1@gh" },
      });
    }
  });

  it.each([
    ["template", "not json"],
    ["template", JSON.stringify({ ...template, touser: "" })],
    ["template", JSON.stringify({ ...template, data: {} })],
    ["template", JSON.stringify({ ...template, url: "javascript:alert(1)" })],
    ["custom", JSON.stringify({ touser: template.touser, msgtype: "text", text: {} })],
    ["custom", JSON.stringify({ touser: template.touser, msgtype: "teleport" })],
    ["custom", JSON.stringify({ msgtype: "text", text: { content: "x" } })],
    ["custom", JSON.stringify([1, 2])],
  ])("/admin/messages/%s with invalid input: 400, nothing sent", async (kind, body) => {
    const t = await newApp();
    const res = await app.request(
      `https://worker.test/admin/messages/${kind}`,
      { method: "POST", headers: AUTH, body },
      t.env,
    );
    expect(res.status).toBe(400);
    expect((await t.state()).counts).toEqual({});
  });

  it("refuses without the admin token", async () => {
    const t = await newApp();
    const res = await app.request(
      "https://worker.test/admin/messages/template",
      { method: "POST", body: JSON.stringify(template) },
      t.env,
    );
    expect(res.status).toBe(401);
    expect((await t.state()).counts).toEqual({});
  });
});
