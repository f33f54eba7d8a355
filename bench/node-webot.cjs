// The peer: node-webot (`wechat` on npm) on Express, echoing text — the same
// behaviour as our example account. Used over HTTP and in-process.
const express = require("express");
const wechat = require("wechat");

function middleware(config) {
  return wechat(config, function (req, res) {
    res.reply(req.weixin.Content);
  });
}

function serve(config, port) {
  const app = express();
  app.use("/wechat", middleware(config));
  return new Promise((resolve) => {
    const server = app.listen(port, "127.0.0.1", () => resolve(server));
  });
}

module.exports = { middleware, serve };
