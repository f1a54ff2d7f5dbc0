/**
 * The progress panel: one line per phase of the running operation (check, bundle, sync, reload),
 * updated from "started" to "done" as the runner's events arrive. The list is an aria-live
 * region, so a screen reader hears each step; the bar is indeterminate while work goes on.
 */
import type { Progress } from "./api";
import { byId, duration, h } from "./dom";

/** One operation's lines in the panel. */
export interface Activity {
  progress(event: Progress): void;
  finish(ok: boolean, message: string): void;
}

/** Starts a new operation in the panel (the previous one's lines are cleared). */
export function startActivity(title: string): Activity {
  const section = byId("activity");
  const steps = byId<HTMLOListElement>("activity-steps");
  const result = byId("activity-result");
  const bar = byId<HTMLProgressElement>("activity-bar");
  section.hidden = false;
  section.setAttribute("aria-busy", "true");
  bar.removeAttribute("value");
  byId("activity-op").textContent = title;
  steps.replaceChildren();
  result.textContent = "";
  result.className = "result";
  const lines = new Map<string, HTMLLIElement>();
  return {
    progress(event) {
      let line = lines.get(event.phase);
      if (!line) {
        line = h("li", { class: "step" });
        lines.set(event.phase, line);
        steps.append(line);
      }
      const counts = [event.took_ms === undefined ? "" : duration(event.took_ms)].filter(Boolean).join(", ");
      line.className = `step ${event.state === "done" ? "done" : "running"}`;
      line.textContent = event.state === "done" ? `Done: ${event.message}${counts ? ` (${counts})` : ""}` : `${event.message}…`;
    },
    finish(ok, message) {
      section.removeAttribute("aria-busy");
      bar.max = 1;
      bar.value = 1;
      for (const line of lines.values()) if (line.classList.contains("running")) line.className = `step ${ok ? "done" : "failed"}`;
      result.className = `result ${ok ? "ok" : "failed"}`;
      result.textContent = message;
    },
  };
}
