/**
 * The switch's state and the commands that change it, as plain functions: the plugin class only
 * moves them between HTTP and `ctx.storage`.
 */

/** What the switch is, as `GET /zigbee/state` answers it. */
export interface SwitchState {
  /** The device's friendly name (config `device`, default "switch"). */
  device: string;
  on: boolean;
  /** How many times it changed since it was first seen. */
  changes: number;
  /** When it last changed (ISO 8601), null before the first change. */
  changed_at: string | null;
  /** Who changed it last: a call to `/toggle`, or a report from the Zigbee bridge. */
  changed_by: "toggle" | "zigbee" | null;
}

/** A Zigbee bridge's state report, as zigbee2mqtt-style bridges post it: `{ "state": "ON" }`. */
export type ZigbeeCommand = "ON" | "OFF" | "TOGGLE";

/** The state of a switch never seen before. */
export function initialState(device: string): SwitchState {
  return { device, on: false, changes: 0, changed_at: null, changed_by: null };
}

/** The state after a command; a command that changes nothing (ON when on) leaves it as it was. */
export function applyCommand(state: SwitchState, command: ZigbeeCommand, by: "toggle" | "zigbee", now = new Date()): SwitchState {
  const on = command === "TOGGLE" ? !state.on : command === "ON";
  if (on === state.on) return state;
  return { ...state, on, changes: state.changes + 1, changed_at: now.toISOString(), changed_by: by };
}

/** Reads a bridge report body; undefined when it is not one (the route answers 400). */
export function parseZigbeeReport(body: unknown): ZigbeeCommand | undefined {
  const state = (body as { state?: unknown } | null)?.state;
  if (typeof state !== "string") return undefined;
  const upper = state.toUpperCase();
  return upper === "ON" || upper === "OFF" || upper === "TOGGLE" ? upper : undefined;
}
