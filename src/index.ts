/**
 * The Worker's entry point: the app with the account's own bot (src/bot/),
 * and the Durable Object class wrangler.toml binds.
 */
import { createApp } from "./app";
import { bot } from "./bot";

export default createApp(bot);
export { TokenBroker } from "./api/broker";
export { DeliveryLedger } from "./delivery/ledger";
