import { describe, expect, it } from "vitest";
import { phase, silentProgress, withFetchCount, type ProgressEvent } from "../../src/operations/progress";

describe("progress of the long steps", () => {
  it("reports a phase's start, then its done with the time and what the result says", async () => {
    const events: ProgressEvent[] = [];
    const result = await phase((e) => events.push(e), "bundle", "Writing", async () => 3, (n) => ({ message: `${n} plugins`, plugins: n }));
    expect(result).toBe(3);
    expect(events).toEqual([
      { phase: "bundle", state: "start", message: "Writing" },
      { phase: "bundle", state: "done", message: "3 plugins", plugins: 3, took_ms: expect.any(Number) },
    ]);
  });

  it("reports no done for a phase that throws: the error says why", async () => {
    const events: ProgressEvent[] = [];
    await expect(phase((e) => events.push(e), "sync", "Installing", () => Promise.reject(new Error("no")), () => ({ message: "never" }))).rejects.toThrow("no");
    expect(events.map((e) => e.state)).toEqual(["start"]);
  });

  it("counts the registry fetches npm's libraries announce on process while the work runs, and stops after", async () => {
    const heard: ProgressEvent[] = [];
    let fetchedTwo!: () => void;
    const seenTwo = new Promise<void>((resolve) => (fetchedTwo = resolve));
    const report = (e: ProgressEvent) => {
      heard.push(e);
      if (e.fetched === 2) fetchedTwo();
    };
    const listenersBefore = process.listenerCount("log" as never);
    await withFetchCount(report, "sync", async () => {
      process.emit("log" as never, "http" as never, "fetch" as never, "GET 200 https://registry/a" as never);
      process.emit("log" as never, "verbose" as never, "other" as never);
      process.emit("log" as never, "http" as never, "fetch" as never, "GET 200 https://registry/b" as never);
      await seenTwo;
    }, 5);
    expect(heard.at(-1)).toEqual({ phase: "sync", state: "progress", message: "2 fetches from the registry so far", fetched: 2 });
    expect(process.listenerCount("log" as never)).toBe(listenersBefore);
  });

  it("listens to nothing when nobody listens to the progress", async () => {
    const listenersBefore = process.listenerCount("log" as never);
    await withFetchCount(silentProgress, "sync", async () => {
      expect(process.listenerCount("log" as never)).toBe(listenersBefore);
    });
  });
});
