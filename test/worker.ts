/**
 * The Worker the framework's own tests run: the app with the test bot (not
 * the owner's src/bot/), and the Durable Object classes its bindings name.
 */
import { createApp } from "../src/app";
import { testBot } from "./fixtures/bot";

export default createApp(testBot);
export { TokenBroker } from "../src/api/broker";
export { DeliveryLedger } from "../src/delivery/ledger";
