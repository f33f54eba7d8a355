/**
 * The HTML page of /admin/qrcode: the code, its scene, kind, expiry and link.
 * Every value is HTML-escaped; the page loads nothing but the QR image.
 */
import type { QrCode } from "../api/qrcode";
import { escapeHtml, type PagePolicy } from "../web/html";

/** Its own styles and WeChat's showqrcode image, nothing else. */
export const QR_PAGE_POLICY: PagePolicy = { "style-src": "'unsafe-inline'", "img-src": "https://mp.weixin.qq.com" };

const KIND: Record<QrCode["actionName"], string> = {
  QR_SCENE: "临时 · 整数场景 (QR_SCENE)",
  QR_STR_SCENE: "临时 · 字符串场景 (QR_STR_SCENE)",
  QR_LIMIT_SCENE: "永久 · 整数场景 (QR_LIMIT_SCENE)",
  QR_LIMIT_STR_SCENE: "永久 · 字符串场景 (QR_LIMIT_STR_SCENE)",
};

function formatDuration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const parts = [d && `${d} 天`, h && `${h} 小时`, m && `${m} 分`].filter(Boolean);
  return parts.length ? parts.join(" ") : `${seconds} 秒`;
}

export function renderQrPage(qr: QrCode, now: number): string {
  const e = escapeHtml;
  const expiry =
    qr.expireSeconds === undefined
      ? "永久有效 (never expires)"
      : `${formatDuration(qr.expireSeconds)} (${qr.expireSeconds} s) — 至 ${new Date(now + qr.expireSeconds * 1000).toISOString().replace("T", " ").slice(0, 19)} UTC`;
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>二维码 · ${e(qr.scene)}</title>
<style>
  body { font: 16px/1.5 system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", sans-serif; margin: 0; background: #f5f6f7; color: #1f2329; }
  main { max-width: 520px; margin: 32px auto; background: #fff; border-radius: 12px; padding: 28px; box-shadow: 0 1px 4px rgba(0,0,0,.08); }
  h1 { font-size: 20px; margin: 0 0 16px; }
  .code { text-align: center; }
  .code img { width: 280px; height: 280px; image-rendering: pixelated; border: 1px solid #e5e6eb; border-radius: 8px; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 8px 16px; margin: 20px 0 0; }
  dt { color: #646a73; }
  dd { margin: 0; word-break: break-all; }
  code { font-size: 13px; background: #f2f3f5; padding: 1px 4px; border-radius: 4px; }
</style>
</head>
<body>
<main>
  <h1>带参数二维码 · Parametric QR code</h1>
  <div class="code"><img src="${e(qr.image)}" alt="QR code for scene ${e(qr.scene)}" width="280" height="280"></div>
  <dl>
    <dt>场景值 Scene</dt><dd><code>${e(qr.scene)}</code></dd>
    <dt>类型 Kind</dt><dd>${e(KIND[qr.actionName])}</dd>
    <dt>有效期 Expiry</dt><dd>${e(expiry)}</dd>
    <dt>内容 Encodes</dt><dd><a href="${e(qr.url)}">${e(qr.url)}</a></dd>
    <dt>图片 Image</dt><dd><a href="${e(qr.image)}">${e(qr.image)}</a></dd>
  </dl>
</main>
</body>
</html>
`;
}
