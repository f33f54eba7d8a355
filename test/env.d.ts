// Types of what the tests get from the runtime: the Worker's env and its exports.
type WorkerEnv = import("../src/env").Env;

declare namespace Cloudflare {
  interface Env extends WorkerEnv {}
  interface Exports {
    default: Fetcher;
  }
}
