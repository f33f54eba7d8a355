/**
 * The JS-SDK's wx.config signature (附录1-JS-SDK使用权限签名算法): SHA-1 of
 * `jsapi_ticket=…&noncestr=…&timestamp=…&url=…` with the keys in that
 * (ASCII) order, the URL exactly as the page has it, without its #fragment.
 */
import { sha1Hex } from "./signature";

export function jssdkSignature(
  ticket: string,
  nonceStr: string,
  timestamp: number | string,
  url: string,
): Promise<string> {
  return sha1Hex(`jsapi_ticket=${ticket}&noncestr=${nonceStr}&timestamp=${timestamp}&url=${url}`);
}

/** The URL to sign: the page's own URL without the fragment, not otherwise normalised. */
export function withoutFragment(url: string): string {
  const hash = url.indexOf("#");
  return hash === -1 ? url : url.slice(0, hash);
}
