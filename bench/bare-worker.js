// The floor: a Worker on the same runtime that answers a fixed reply without
// verifying or parsing anything (it drains the body so keep-alive works).
const REPLY =
  "<xml><ToUserName><![CDATA[o]]></ToUserName><FromUserName><![CDATA[gh]]></FromUserName>" +
  "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hello]]></Content></xml>";
export default {
  async fetch(request) {
    await request.arrayBuffer(); // drain the body so the connection is reused, as ours does
    return new Response(REPLY, { headers: { "content-type": "application/xml; charset=utf-8" } });
  },
};
