/**
 * Built-ins of the Workers runtime that TypeScript's bundled libraries do not
 * declare yet: the Uint8Array base64 and hex methods (TC39, shipped in V8 and
 * so in workerd at our compatibility date).
 */
interface Uint8Array {
  toBase64(options?: { alphabet?: "base64" | "base64url"; omitPadding?: boolean }): string;
  toHex(): string;
}
interface Uint8ArrayConstructor {
  fromBase64(
    text: string,
    options?: { alphabet?: "base64" | "base64url"; lastChunkHandling?: "loose" | "strict" | "stop-before-partial" },
  ): Uint8Array;
  fromHex(text: string): Uint8Array;
}
