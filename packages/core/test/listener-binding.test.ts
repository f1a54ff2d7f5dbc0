import { EventEmitter } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bindPluginListeners, currentPlugin, observePluginCalls, runAsPlugin } from "../src/index";

describe("bindPluginListeners", () => {
  let unbind: () => void;
  beforeAll(() => {
    unbind = bindPluginListeners();
  });
  afterAll(() => unbind());

  // Regression (issue 9): a listener a plugin added to an emitter that existed before it (process,
  // a host's shared emitter) ran outside the plugin's context, so a throw from it was charged to nobody.
  it("runs a listener a plugin added to an emitter that existed before it as that plugin's code", () => {
    const shared = new EventEmitter();
    const seen: (string | undefined)[] = [];
    runAsPlugin("alpha", () => shared.on("tick", () => seen.push(currentPlugin())));
    runAsPlugin("beta", () => shared.prependListener("tick", () => seen.push(currentPlugin())));
    shared.on("tick", () => seen.push(currentPlugin()));
    shared.emit("tick");
    expect(seen).toEqual(["beta", "alpha", undefined]);
  });

  it("does the same for process, and the promises the listener starts keep the plugin", async () => {
    let later: Promise<string | undefined> | undefined;
    const listener = () => {
      later = Promise.resolve().then(() => currentPlugin());
    };
    runAsPlugin("gamma", () => process.on("cosmo-test-event" as "beforeExit", listener));
    try {
      process.emit("cosmo-test-event" as "beforeExit", 0);
      expect(await later).toBe("gamma");
    } finally {
      process.off("cosmo-test-event" as "beforeExit", listener);
    }
    expect(process.listenerCount("cosmo-test-event")).toBe(0);
  });

  it("tells call observers, so a watchdog sees the listener's plugin running", () => {
    const shared = new EventEmitter();
    const events: string[] = [];
    runAsPlugin("delta", () => shared.on("go", () => events.push("run")));
    const stop = observePluginCalls({ enter: (p) => events.push(`enter ${p}`), leave: (p) => events.push(`leave ${p}`) });
    try {
      shared.emit("go");
    } finally {
      stop();
    }
    expect(events).toEqual(["enter delta", "run", "leave delta"]);
  });

  it("keeps the caller's listener: off, listeners() and once behave as without binding", () => {
    const shared = new EventEmitter();
    const calls: string[] = [];
    const on = () => calls.push("on");
    const once = () => calls.push(`once ${currentPlugin()}`);
    const removedOnce = () => calls.push("removed once");
    runAsPlugin("epsilon", () => {
      shared.on("x", on);
      shared.once("x", once);
      shared.prependOnceListener("x", removedOnce);
    });
    expect(shared.listeners("x")).toEqual([removedOnce, on, once]);
    shared.off("x", removedOnce);
    shared.emit("x");
    shared.emit("x");
    expect(calls).toEqual(["on", "once epsilon", "on"]);
    shared.removeListener("x", on);
    expect(shared.listenerCount("x")).toBe(0);
  });

  it("leaves listeners added outside plugin code untouched, and binding twice is binding once", () => {
    const shared = new EventEmitter();
    const plain = () => {};
    shared.on("y", plain);
    expect(shared.rawListeners("y")).toEqual([plain]);
    expect(bindPluginListeners()).toBe(unbind);
  });
});
