/**
 * The Worker's entry point: the app with the account's own bot (src/bot/).
 */
import { createApp } from "./app";
import { bot } from "./bot";

export default createApp(bot);
