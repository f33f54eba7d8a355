// The floor plus the signature check's Web Crypto call, which the design
// requires of every callback before its body: one SHA-1 digest
// (src/wechat/signature.ts), here over the
// request's query (about as long as the text a signature covers), its input
// encoded into a scratch buffer as ours is. Beside bare-worker.js it shows
// what that call alone costs the runtime; it verifies nothing.
const REPLY =
  "<xml><ToUserName><![CDATA[o]]></ToUserName><FromUserName><![CDATA[gh]]></FromUserName>" +
  "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hello]]></Content></xml>";
const encoder = new TextEncoder();
const scratch = new Uint8Array(1024);
export default {
  async fetch(request) {
    const url = request.url;
    const { written } = encoder.encodeInto(url.slice(url.indexOf("?") + 1), scratch);
    await crypto.subtle.digest("SHA-1", scratch.subarray(0, written));
    await request.arrayBuffer(); // drain the body so the connection is reused, as ours does
    return new Response(REPLY, { headers: { "content-type": "application/xml; charset=utf-8" } });
  },
};
