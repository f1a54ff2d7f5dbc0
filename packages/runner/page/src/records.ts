/**
 * The plugin records as a list: one item per record with its name, source, status (the
 * record's, and the running worker's where it serves the plugin), quarantine, errors (conflicts
 * explained), and the actions the record's state and the runner allow.
 */
import { renderConflicts, type ConflictReport } from "./conflicts";
import { h } from "./dom";
import { kindLabel } from "./conflicts";
import type { Outdated, PluginRecord, RunningPlugin } from "./types";

/** What the list needs besides the records. */
export interface RecordsView {
  records: PluginRecord[];
  running: RunningPlugin[];
  /** Conflicts of installs refused in this session, by record id (a record may keep only text). */
  conflicts: Map<string, ConflictReport>;
  /** Which optional actions the runner has. */
  caps: { disable: boolean; enable: boolean; upgrade: boolean };
  /** Records whose upgrade form is open. */
  upgrading: Set<string>;
  /** Newer versions by record id, once asked for ("loading" meanwhile). */
  outdated: Map<string, Outdated | "loading" | null>;
  busy: boolean;
}

/** The actions a record's buttons call. */
export interface RecordActions {
  install(record: PluginRecord): void;
  uninstall(record: PluginRecord): void;
  remove(record: PluginRecord): void;
  disable(record: PluginRecord): void;
  enable(record: PluginRecord): void;
  toggleUpgrade(record: PluginRecord): void;
  upgrade(record: PluginRecord, version: string): void;
}

/** The running plugin a record stands for: same package name, else same plugin name. */
export function runningFor(record: PluginRecord, running: RunningPlugin[]): RunningPlugin | undefined {
  const pkg = typeof record.package === "string" ? record.package : record.name;
  return running.find((p) => p.package === pkg) ?? running.find((p) => p.name === record.name);
}

function isDisabled(record: PluginRecord, served: RunningPlugin | undefined): boolean {
  return record.install_status === "disabled" || record.status === "disabled" || record.disabled === true || served?.status === "disabled";
}

function isQuarantined(record: PluginRecord, served: RunningPlugin | undefined): boolean {
  return Boolean(record.quarantine) || record.status === "quarantined" || record.install_status === "quarantined" || served?.status === "quarantined";
}

function statusLine(record: PluginRecord, served: RunningPlugin | undefined): HTMLElement {
  const badges: HTMLElement[] = [h("span", { class: `badge ${record.install_status}` }, record.install_status)];
  // The runner's live status of the plugin (active, failed, disabled, quarantined), where it says.
  const live = record.status ?? served?.status;
  if (live && live !== record.install_status) badges.push(h("span", { class: `badge ${live}` }, live));
  let serving: string;
  if (live === "disabled") serving = served ? "disabled: apply to stop serving it" : "disabled: not loaded";
  else if (live === "quarantined") serving = "set aside: not loaded";
  else if (served) serving = `served${served.version ? ` at ${served.version}` : ""}`;
  else if (record.install_status === "installed") serving = "not served yet: apply to serve it";
  else serving = "not served";
  return h("p", { class: "state" }, h("span", { class: "visually-hidden" }, "Status: "), ...badges, h("span", { class: "serving" }, serving));
}

function quarantineNote(record: PluginRecord, served: RunningPlugin | undefined): HTMLElement | null {
  if (!isQuarantined(record, served)) return null;
  const q = record.quarantine ?? {};
  const error = record.error as { message?: string } | undefined;
  const reason = q.reason ?? q.message ?? error?.message ?? served?.error?.message ?? "it took its worker down";
  const when = q.at ?? q.since;
  const parts = [`Quarantined: ${reason}`];
  if (q.count !== undefined) parts.push(`${q.count} fault${q.count === 1 ? "" : "s"}`);
  if (when) parts.push(`since ${new Date(when).toLocaleString()}`);
  return h("p", { class: "warn" }, `${parts.join(", ")}. The runner serves the other plugins without it; enable lifts the quarantine.`);
}

function errors(record: PluginRecord, view: RecordsView, served: RunningPlugin | undefined): HTMLElement | null {
  const report = view.conflicts.get(record.id);
  if (report && record.install_status === "failed") {
    const block = renderConflicts(record.source, report);
    block.id = `conflicts-${record.id}`;
    return block;
  }
  // A refusal from before this page was opened: the record keeps the same explanation as text.
  if (record.error_message) {
    const title = Array.isArray(record.conflicts) && record.conflicts.length > 0 ? `Why ${record.source} cannot be installed` : "Last error";
    return h("div", { class: "failure", id: `conflicts-${record.id}` }, h("h4", { tabindex: "-1" }, title), h("pre", {}, record.error_message));
  }
  const liveError = record.error as { code?: string; message?: string } | undefined;
  if (record.status === "failed" && liveError?.message) {
    return h("div", { class: "failure", id: `conflicts-${record.id}` }, h("h4", { tabindex: "-1" }, "Failed to start"), h("pre", {}, `${liveError.code ?? ""} ${liveError.message}`.trim()));
  }
  if (served?.status === "failed" && served.error) {
    return h("div", { class: "failure" }, h("p", { class: "kind" }, "Failed to start"), h("pre", {}, `${served.error.code ?? ""} ${served.error.message ?? ""}`.trim()));
  }
  return null;
}

function button(label: string, record: PluginRecord, action: string, onclick: () => void, busy: boolean, extra = ""): HTMLButtonElement {
  return h("button", { type: "button", class: extra, "data-focus": `${record.id}:${action}`, "aria-label": `${label} ${record.name}`, disabled: busy, onclick }, label);
}

function newerVersions(outdated: Outdated | "loading" | null | undefined): HTMLElement | null {
  if (outdated === undefined || outdated === null) return null;
  if (outdated === "loading") return h("p", { class: "help" }, "Looking for newer versions…");
  if (outdated.skipped) return h("p", { class: "help" }, `Newer versions: not looked for (${outdated.skipped}).`);
  if (outdated.newer.length === 0) return h("p", { class: "help" }, `No newer version than ${outdated.current ?? "the installed one"}.`);
  return h(
    "div",
    { class: "newer" },
    h("p", { class: "help" }, outdated.fits ? `Newer versions (the newest that fits is ${outdated.fits}):` : "Newer versions (none fits):"),
    h(
      "ul",
      {},
      ...outdated.newer.map((v) =>
        h(
          "li",
          {},
          h("code", {}, v.version),
          v.fits ? " fits" : ` does not fit: ${[...new Set(v.conflicts.map((c) => `${kindLabel(c.kind)}${typeof c.package === "string" ? ` (${c.package})` : ""}`))].join(", ")}`,
        ),
      ),
    ),
  );
}

function upgradeForm(record: PluginRecord, actions: RecordActions, busy: boolean, outdated: Outdated | "loading" | null | undefined): HTMLElement {
  const inputId = `upgrade-${record.id}`;
  const input = h("input", { id: inputId, type: "text", autocomplete: "off", spellcheck: "false", "aria-describedby": `${inputId}-help`, "data-focus": `${record.id}:upgrade-input` });
  return h(
    "form",
    {
      class: "upgrade",
      onsubmit: (event: Event) => {
        event.preventDefault();
        actions.upgrade(record, input.value.trim());
      },
    },
    h("label", { for: inputId }, `Version or range for ${record.name}`),
    h("p", { id: `${inputId}-help`, class: "help" }, "Leave empty for the newest version that fits the host and the other plugins."),
    h(
      "div",
      { class: "row" },
      input,
      h("button", { type: "submit", disabled: busy, "data-focus": `${record.id}:upgrade-submit` }, "Upgrade"),
      h("button", { type: "button", class: "quiet", onclick: () => actions.toggleUpgrade(record) }, "Cancel"),
    ),
    newerVersions(outdated),
  );
}

function recordItem(record: PluginRecord, view: RecordsView, actions: RecordActions): HTMLElement {
  const served = runningFor(record, view.running);
  const disabled = isDisabled(record, served);
  const quarantined = isQuarantined(record, served);
  const b = view.busy;
  const buttons: HTMLElement[] = [];
  if (record.install_status === "pending" || record.install_status === "failed") {
    buttons.push(button("Install", record, "install", () => actions.install(record), b, "primary"));
  }
  if (record.install_status === "installed" || disabled || quarantined) {
    if (view.caps.enable && (disabled || quarantined)) buttons.push(button("Enable", record, "enable", () => actions.enable(record), b));
    if (view.caps.disable && !disabled) buttons.push(button("Disable", record, "disable", () => actions.disable(record), b));
    if (view.caps.upgrade) buttons.push(button("Upgrade…", record, "upgrade", () => actions.toggleUpgrade(record), b));
    buttons.push(button("Uninstall", record, "uninstall", () => actions.uninstall(record), b));
  }
  buttons.push(button("Remove", record, "remove", () => actions.remove(record), b, "danger"));
  const titleId = `record-${record.id}`;
  return h(
    "li",
    { class: "record", "aria-labelledby": titleId },
    h("h3", { id: titleId, tabindex: "-1", "data-focus": `${record.id}:title` }, record.name, typeof record.version === "string" ? h("span", { class: "version" }, ` ${record.version}`) : null),
    h("p", { class: "source" }, h("span", { class: "visually-hidden" }, "Source: "), h("code", {}, record.source)),
    statusLine(record, served),
    quarantineNote(record, served),
    h("div", { class: "actions", role: "group", "aria-label": `Actions for ${record.name}` }, ...buttons),
    view.upgrading.has(record.id) && view.caps.upgrade ? upgradeForm(record, actions, b, view.outdated.get(record.id)) : null,
    errors(record, view, served),
  );
}

/** The records list, or a line saying there are none. */
export function renderRecords(view: RecordsView, actions: RecordActions): HTMLElement {
  if (view.records.length === 0) return h("p", { class: "empty" }, "No plugin yet. Add one above by its npm name.");
  return h("ul", { class: "records" }, ...view.records.map((r) => recordItem(r, view, actions)));
}
