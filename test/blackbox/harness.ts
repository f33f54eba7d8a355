/**
 * Shared by the black-box tests: build the Worker as `wrangler deploy` would
 * (`--dry-run`) once, start it under Miniflare with real KV and Durable
 * Objects, and serve the fake WeChat API over loopback HTTP. The Worker is the
 * framework's test Worker (test/worker.ts, the app with a test bot) under the
 * deployment's wrangler.toml, so that an owner's src/bot/, vars and .dev.vars
 * never change what these tests see.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import type { FakeWeChatApi } from "../../local-wechat/api";
import { createLocalWeChat } from "../../local-wechat/app";

let config: string | undefined;

/**
 * A wrangler configuration for the test Worker, in a directory of its own (so
 * no .dev.vars is found beside it): wrangler.toml with `main` set to
 * test/worker.ts and without its [vars], which the tests give explicitly.
 */
export function testWranglerConfig(): string {
  if (config) return config;
  const dir = mkdtempSync(join(tmpdir(), "wechat-edge-config-"));
  const toml = readFileSync("wrangler.toml", "utf8")
    .replace(/^main = .*$/m, `main = ${JSON.stringify(join(process.cwd(), "test/worker.ts"))}`)
    .replace(/^\[vars\]\n(?:(?!\[).*(?:\n|$))*/m, ""); // the [vars] table, up to the next table
  writeFileSync(join(dir, "wrangler.toml"), toml);
  return (config = join(dir, "wrangler.toml"));
}

let built: string | undefined;

/** The bundle's directory (built once per test process). */
export function buildWorker(): string {
  if (built) return built;
  const outdir = mkdtempSync(join(tmpdir(), "wechat-edge-"));
  const wrangler = ["node_modules/wrangler/bin/wrangler.js", "deploy", "--dry-run", "--outdir", outdir];
  execFileSync(process.execPath, [...wrangler, "--config", testWranglerConfig()], {
    stdio: "pipe",
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
  });
  return (built = outdir);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/** Starts the bundle; `outbound` intercepts every fetch the Worker makes (else it reaches loopback). */
export async function startWorker(
  bindings: Record<string, string>,
  opts: { outbound?: FakeWeChatApi; port?: number } = {},
) {
  const outdir = buildWorker();
  const mf = new Miniflare({
    modules: true,
    scriptPath: join(outdir, "worker.js"), // test/worker.ts, bundled
    modulesRoot: outdir,
    compatibilityDate: "2026-04-20",
    bindings,
    kvNamespaces: ["WECHAT_KV"],
    durableObjects: {
      TOKEN_BROKER: { className: "TokenBroker", useSQLite: true },
      DELIVERY_LEDGER: { className: "DeliveryLedger", useSQLite: true },
    },
    ...(opts.outbound
      ? { outboundService: (request: unknown) => opts.outbound!.fetch(request as Request) as never }
      : {}),
    host: "127.0.0.1",
    port: opts.port ?? 0,
  });
  const url = (await mf.ready).origin;
  return { mf, url };
}

/** Serves a fetch handler over real HTTP on loopback, answers streamed (server-sent events arrive as sent). */
export async function serveFetch(
  handler: (request: Request) => Response | Promise<Response>,
): Promise<{ server: Server; url: string }> {
  const server = createHttpServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length ? Buffer.concat(chunks) : undefined;
    const abort = new AbortController();
    res.on("close", () => abort.abort());
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method,
      headers: req.headers as Record<string, string>,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
      signal: abort.signal,
    });
    const response = await handler(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (!response.body) return void res.end();
    const reader = response.body.getReader();
    res.on("close", () => void reader.cancel().catch(() => {}));
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done) break;
      res.write(value);
    }
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

/** Serves a fake over real HTTP on loopback (for a browser, which cannot use an outbound hook). */
export function serveFake(fake: FakeWeChatApi): Promise<{ server: Server; url: string }> {
  return serveFetch((request) => fake.fetch(request));
}

export const LOCAL_ACCOUNT = {
  token: "local-wechat-token",
  encodingAESKey: "bG9jYWwtd2VjaGF0LWtleS0wMTIzNDU2Nzg5YWJjZGU",
  appId: "wxlocalwechat00001",
  appSecret: "local-wechat-secret",
  originalId: "gh_local0wechat",
  adminToken: "local-admin-token",
};

/**
 * The account's test Worker (Miniflare, the deployable bundle) and the local
 * WeChat (in this process, over loopback HTTP) pointed at each other, as
 * `npm run dev` points them: the Worker calls the local WeChat for WeChat's
 * API and web authorization; the local WeChat pushes followers' messages to
 * the Worker. `tryMs` is WeChat's wait for one try (5000).
 */
export async function startLocalWeChat(opts: { tryMs?: number; bindings?: Record<string, string> } = {}) {
  const a = LOCAL_ACCOUNT;
  const account = {
    url: "",
    token: a.token,
    encodingAESKey: a.encodingAESKey,
    appId: a.appId,
    originalId: a.originalId,
  };
  const local = createLocalWeChat({ account, appSecret: a.appSecret, tryMs: opts.tryMs });
  const wechat = await serveFetch(local.fetch);
  const worker = await startWorker({
    WECHAT_APPID: a.appId,
    WECHAT_APPSECRET: a.appSecret,
    WECHAT_TOKEN: a.token,
    WECHAT_ENCODING_AES_KEY: a.encodingAESKey,
    ADMIN_TOKEN: a.adminToken,
    SESSION_SECRET: "local-wechat-session-secret-0123456789abcdef",
    WECHAT_API_BASE: wechat.url,
    WECHAT_OAUTH_BASE: wechat.url,
    ...opts.bindings,
  });
  account.url = `${worker.url}/wechat`;
  const close = async () => {
    await worker.mf.dispose();
    await new Promise((resolve) => wechat.server.close(resolve));
  };
  return { local, wechatUrl: wechat.url, workerUrl: worker.url, close };
}
