/**
 * JSON from WeChat with its 64-bit ids intact. WeChat writes ids such as a
 * template message's `msgid` as bare numbers that can exceed 2^53; parsed as
 * doubles they silently change. Integers too large for a double are kept as
 * their exact source text (JSON.parse's reviver source access).
 */
export function parseJsonExact(text: string): unknown {
  return JSON.parse(text, function (this: unknown, _key: string, value: unknown, context?: { source?: string }) {
    if (
      typeof value === "number" &&
      !Number.isSafeInteger(value) &&
      context?.source !== undefined &&
      /^-?\d+$/.test(context.source)
    ) {
      return context.source;
    }
    return value;
  } as (key: string, value: unknown) => unknown);
}

/** An id as a string, exactly as WeChat wrote it (number or string). */
export function idString(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
  return undefined;
}
