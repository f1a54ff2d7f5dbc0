/**
 * A smart switch as a Cosmo plugin: a Zigbee switch whose state lives in the plugin's
 * own storage (so it survives restarts of the host), with webhooks under its prefix `/zigbee`:
 *
 *   GET  /zigbee/state    the switch's state
 *   POST /zigbee/toggle   flips it
 *   POST /zigbee/events   a Zigbee bridge reports a change: `{ "state": "ON" | "OFF" | "TOGGLE" }`
 */
import type { Plugin, PluginContext } from "@cosmo/core";
import { applyCommand, initialState, parseZigbeeReport, type SwitchState, type ZigbeeCommand } from "./state";

export type { SwitchState, ZigbeeCommand } from "./state";
export { applyCommand, initialState, parseZigbeeReport } from "./state";

const STATE_KEY = "state";

/** The plugin class cosmo.json names (`./dist/index.js:SmartSwitchPlugin`). */
export class SmartSwitchPlugin implements Plugin {
  // Changes run one after another: two toggles at once must flip twice, not once.
  #queue: Promise<unknown> = Promise.resolve();

  /** Registers the webhooks; the state itself stays in ctx.storage, read on every request. */
  setup(ctx: PluginContext): void {
    const device = typeof ctx.config.device === "string" ? ctx.config.device : "switch";
    const read = async (): Promise<SwitchState> => (await ctx.storage.getItem<SwitchState>(STATE_KEY)) ?? initialState(device);
    const change = (command: ZigbeeCommand, by: "toggle" | "zigbee") => {
      const next = this.#queue.then(async () => {
        const before = await read();
        const after = applyCommand(before, command, by);
        if (after !== before) {
          await ctx.storage.setItem(STATE_KEY, after);
          ctx.logger.info(`${device} is now ${after.on ? "on" : "off"} (${by})`);
        }
        return after;
      });
      this.#queue = next.catch(() => undefined);
      return next;
    };

    ctx.route("GET", "/state", () => read());
    ctx.route("POST", "/toggle", () => change("TOGGLE", "toggle"));
    ctx.route("POST", "/events", async (request) => {
      const command = parseZigbeeReport(await request.json().catch(() => null));
      if (command === undefined) {
        return Response.json({ error: { code: "BAD_REPORT", message: 'Expected a JSON body like { "state": "ON" | "OFF" | "TOGGLE" }.' } }, { status: 400 });
      }
      return change(command, "zigbee");
    });
  }

  /** Waits for a change in progress, so its write is not cut off by the host stopping. */
  async teardown(): Promise<void> {
    await this.#queue;
  }
}
