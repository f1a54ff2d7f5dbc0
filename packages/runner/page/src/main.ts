/**
 * The plugin manager page: sign in with the admin token (kept in sessionStorage, so it lives as
 * long as the tab), then the records, the running plugins and the actions, all from the admin
 * API. No data is asked for before a token is given.
 */
import { Api, ApiError } from "./api";
import { startActivity } from "./activity";
import { conflictReportOf, type ConflictReport } from "./conflicts";
import { byId, duration } from "./dom";
import { renderRecords, type RecordActions } from "./records";
import { renderRunning } from "./running";
import type { Health, Installed, Outdated, PluginRecord } from "./types";

const TOKEN_KEY = "cosmo-admin-token";

const state = {
  api: null as Api | null,
  records: [] as PluginRecord[],
  installed: null as Installed | null,
  health: null as Health | null,
  caps: { disable: false, enable: false, upgrade: false },
  conflicts: new Map<string, ConflictReport>(),
  upgrading: new Set<string>(),
  outdated: new Map<string, Outdated | "loading" | null>(),
  busy: false,
};

function say(message: string): void {
  const status = byId("status");
  // Emptied first, so the same message twice is announced twice.
  status.textContent = "";
  requestAnimationFrame(() => (status.textContent = message));
}

function describe(error: unknown): string {
  if (error instanceof ApiError) return `${error.body.message} (${error.body.code})`;
  return error instanceof Error ? error.message : String(error);
}

// ---- rendering ---------------------------------------------------------------------------

function renderHealth(): void {
  const el = byId("health");
  const hl = state.health;
  if (!hl) {
    el.hidden = true;
    return;
  }
  const counts = hl.plugins ? Object.entries(hl.plugins).filter(([k]) => k !== "total").map(([k, v]) => `${v} ${k}`).join(", ") : "";
  el.textContent = [`cosmo-runner ${hl.version}`, hl.bundle ? `bundle ${hl.bundle}` : "no bundle", counts, hl.store ? `store: ${hl.store}` : ""].filter(Boolean).join(" · ");
  el.hidden = false;
}

const actions: RecordActions = {
  install: (r) => void act(`Installing ${r.name}`, r, () => operation(`Install ${r.source}`, `/plugins/${r.id}/install`, undefined, r)),
  uninstall: (r) => void act(`Uninstalling ${r.name}`, r, () => operation(`Uninstall ${r.source}`, `/plugins/${r.id}/uninstall`, undefined, r)),
  disable: (r) => void act(`Disabling ${r.name}`, r, () => operation(`Disable ${r.name}`, `/plugins/${r.id}/disable`, undefined, r)),
  enable: (r) => void act(`Enabling ${r.name}`, r, () => operation(`Enable ${r.name}`, `/plugins/${r.id}/enable`, undefined, r)),
  upgrade: (r, version) => {
    state.upgrading.delete(r.id);
    void act(`Upgrading ${r.name}`, r, () => operation(`Upgrade ${r.name}${version ? ` to ${version}` : ""}`, `/plugins/${r.id}/upgrade`, version ? { version } : undefined, r));
  },
  toggleUpgrade: (r) => {
    if (state.upgrading.has(r.id)) state.upgrading.delete(r.id);
    else {
      state.upgrading.add(r.id);
      void loadOutdated(r);
    }
    render(state.upgrading.has(r.id) ? `${r.id}:upgrade-input` : `${r.id}:upgrade`);
  },
  remove: (r) => {
    if (!confirm(`Remove ${r.name}? An installed plugin is uninstalled first; it stops being served at the next apply.`)) return;
    void act(`Removing ${r.name}`, r, async () => {
      await state.api!.request("DELETE", `/plugins/${r.id}`);
      return `${r.name} removed.`;
    });
  },
};

function render(focusKey?: string): void {
  const active = document.activeElement as HTMLElement | null;
  const keep = focusKey ?? active?.dataset.focus;
  byId("records").replaceChildren(
    renderRecords(
      {
        records: state.records,
        running: state.installed?.plugins ?? [],
        conflicts: state.conflicts,
        caps: state.caps,
        upgrading: state.upgrading,
        outdated: state.outdated,
        busy: state.busy,
      },
      actions,
    ),
  );
  byId("running").replaceChildren(renderRunning(state.installed));
  renderHealth();
  byId<HTMLButtonElement>("apply").disabled = state.busy;
  byId("main").setAttribute("aria-busy", String(state.busy));
  // A re-render replaces the buttons: put the focus back where it was (or where asked).
  if (keep) restoreFocus(keep);
}

// A button that turned into its counterpart (Disable → Enable, Install → Uninstall) keeps the
// focus in the same place; a button that went away hands it to the record's heading.
const COUNTERPARTS: Record<string, string[]> = {
  disable: ["enable"],
  enable: ["disable"],
  install: ["uninstall"],
  uninstall: ["install"],
  "upgrade-submit": ["upgrade"],
};

function restoreFocus(key: string): void {
  const [id, action = ""] = key.split(":");
  const candidates = [key, ...(COUNTERPARTS[action] ?? []).map((a) => `${id}:${a}`), `${id}:title`];
  for (const candidate of candidates) {
    const element = document.querySelector<HTMLElement>(`[data-focus="${CSS.escape(candidate)}"]`);
    if (element && !(element as HTMLButtonElement).disabled) {
      element.focus();
      return;
    }
  }
  // The record itself is gone (removed): the list's heading.
  byId("records-title").focus();
}

/** The record's newer versions, where the runner lists them (GET /plugins/outdated); quietly none where not. */
async function loadOutdated(record: PluginRecord): Promise<void> {
  state.outdated.set(record.id, "loading");
  let found: Outdated | null = null;
  try {
    const answer = await state.api!.get<{ plugins?: Outdated[] }>("/plugins/outdated");
    found = answer.plugins?.find((p) => p.id === record.id) ?? null;
  } catch {
    // A runner without the list: the form works without it.
  }
  state.outdated.set(record.id, found);
  if (state.api && state.upgrading.has(record.id)) render();
}

// ---- data --------------------------------------------------------------------------------

async function refresh(): Promise<void> {
  const api = state.api;
  if (!api) return;
  const [records, installed, health] = await Promise.all([
    api.get<{ plugins: PluginRecord[] }>("/plugins"),
    api.get<Installed>("/plugins/installed").catch(() => null),
    api.get<Health>("/health").catch(() => null),
  ]);
  // Signed out (or in with another token) meanwhile: these answers belong to nobody now.
  if (state.api !== api) return;
  state.records = records.plugins;
  state.installed = installed;
  state.health = health;
  render();
}

/** Runs one action: buttons off meanwhile, the outcome announced, the lists refreshed. */
async function act(label: string, subject: PluginRecord | null | (() => PluginRecord | null), work: () => Promise<string>): Promise<void> {
  if (state.busy) return;
  // Where the focus goes back to when it is done (the buttons are disabled meanwhile).
  const origin = (document.activeElement as HTMLElement | null)?.dataset.focus;
  state.busy = true;
  render();
  say(`${label}…`);
  let focus: string | undefined;
  try {
    say(await work());
  } catch (error) {
    // The record may be made by the work itself (add, then install): ask for it afterwards.
    const record = typeof subject === "function" ? subject() : subject;
    const report = error instanceof ApiError && error.body.code === "COSMO_E_CONFLICT" ? conflictReportOf(error.body.details) : null;
    if (report && record) {
      state.conflicts.set(record.id, report);
      focus = `conflicts-${record.id}`;
      const count = report.conflicts.length;
      say(`${record.source} cannot be installed: ${count} conflict${count === 1 ? "" : "s"}, explained under ${record.name}.`);
    } else {
      say(`${label} failed: ${describe(error)}`);
    }
  } finally {
    state.busy = false;
    await refresh().catch((error: unknown) => say(`Could not refresh: ${describe(error)}`));
    render(focus ? undefined : origin);
    if (focus) document.querySelector<HTMLElement>(`#${CSS.escape(focus)} [tabindex="-1"]`)?.focus();
  }
}

/** A long operation with its progress in the panel; resolves to the sentence to announce. */
async function operation(title: string, path: string, body: unknown, record: PluginRecord | null): Promise<string> {
  const activity = startActivity(title);
  try {
    const result = await state.api!.stream<Record<string, unknown>>(path, body, (event) => activity.progress(event));
    if (record) state.conflicts.delete(record.id);
    const message = outcome(title, result);
    activity.finish(true, message);
    return message;
  } catch (error) {
    const conflicts = error instanceof ApiError ? conflictReportOf(error.body.details)?.conflicts : undefined;
    activity.finish(false, conflicts ? `Refused: ${conflicts.length} conflict${conflicts.length === 1 ? "" : "s"} (explained under the plugin)` : `Failed: ${describe(error)}`);
    throw error;
  }
}

function outcome(title: string, result: Record<string, unknown>): string {
  const reload = result.reload as { bundleId?: string; plugins?: { active: number; failed: number }; took_ms?: number } | undefined;
  if (reload?.plugins) {
    const failed = reload.plugins.failed;
    return `Applied: the runner serves bundle ${reload.bundleId ?? "(none)"} with ${reload.plugins.active} active plugin${reload.plugins.active === 1 ? "" : "s"}${failed ? ` and ${failed} failed` : ""} (${duration(result.took_ms as number | undefined)}).`;
  }
  const name = String(result.name ?? "");
  // With { apply } the answer carries what apply did; without, the change waits for an apply.
  const after = result.apply ? "" : "; apply to take effect";
  if (result.enabled === false) return `${name} is disabled${after}.`;
  if (result.enabled === true) return `${name} is enabled${after}.`;
  if (result.install_status === "installed") {
    return `${title}: done, ${name}${typeof result.version === "string" ? ` ${result.version}` : ""} is installed${after}.`;
  }
  if (typeof result.install_status === "string") return `${title}: done, ${name} is ${result.install_status}${after}.`;
  return `${title}: done.`;
}

// ---- sign in -----------------------------------------------------------------------------

async function signIn(token: string, fromForm: boolean): Promise<void> {
  const error = byId("token-error");
  error.textContent = "";
  const api = new Api(token);
  try {
    await api.get("/plugins");
  } catch (e) {
    sessionStorage.removeItem(TOKEN_KEY);
    if (fromForm) {
      error.textContent = e instanceof ApiError && e.status === 401 ? "The runner refused this token. Copy it again from the admin-token file." : `Could not reach the runner: ${describe(e)}`;
      byId("token").setAttribute("aria-invalid", "true");
      byId("token").focus();
    }
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  state.api = api;
  byId("token").removeAttribute("aria-invalid");
  byId<HTMLInputElement>("token").value = "";
  byId("sign-in").hidden = true;
  byId("main").hidden = false;
  byId("sign-out").hidden = false;
  const [disable, enable, upgrade] = await Promise.all([api.has("disable"), api.has("enable"), api.has("upgrade")]);
  if (state.api !== api) return; // signed out meanwhile
  state.caps = { disable, enable, upgrade };
  await refresh();
  if (state.api !== api) return;
  byId("main-title").focus();
  say(`Signed in. ${state.records.length} plugin record(s).`);
}

function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  state.api = null;
  state.records = [];
  state.installed = null;
  state.health = null;
  state.conflicts.clear();
  state.upgrading.clear();
  state.outdated.clear();
  byId("main").hidden = true;
  byId("sign-out").hidden = true;
  byId("health").hidden = true;
  byId("records").replaceChildren();
  byId("running").replaceChildren();
  byId("activity").hidden = true;
  byId("sign-in").hidden = false;
  byId("token").focus();
  say("Signed out. The token is forgotten by this tab.");
}

// ---- wiring ------------------------------------------------------------------------------

function wire(): void {
  byId<HTMLFormElement>("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = byId<HTMLInputElement>("token").value.trim();
    if (!token) {
      byId("token-error").textContent = "Enter the admin token.";
      byId("token").focus();
      return;
    }
    void signIn(token, true);
  });
  byId("sign-out").addEventListener("click", signOut);

  byId<HTMLFormElement>("add-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = byId<HTMLInputElement>("source");
    const error = byId("source-error");
    const source = input.value.trim();
    error.textContent = "";
    input.removeAttribute("aria-invalid");
    if (!source) {
      error.textContent = "Enter a source: an npm name such as cosmo-plugin-x.";
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    const installNow = byId<HTMLInputElement>("install-now").checked;
    let created: PluginRecord | null = null;
    void act(`Adding ${source}`, () => created, async () => {
      try {
        created = await state.api!.request<PluginRecord>("POST", "/plugins", { source });
      } catch (e) {
        error.textContent = describe(e);
        input.setAttribute("aria-invalid", "true");
        input.focus();
        throw e;
      }
      input.value = "";
      if (!installNow) return `${created.name} added. Install it to check it for conflicts.`;
      return operation(`Install ${created.source}`, `/plugins/${created.id}/install`, undefined, created);
    });
  });

  byId("apply").addEventListener("click", () => void act("Applying", null, () => operation("Apply: bundle, install, reload", "/plugins/apply", undefined, null)));

  byId("report").addEventListener("click", () =>
    void act("Preparing the bug report", null, async () => {
      const report = await state.api!.get<unknown>("/plugins/report");
      const blob = new Blob([`${JSON.stringify(report, null, 2)}\n`], { type: "application/json" });
      const url = URL.createObjectURL(blob);
      const link = document.createElement("a");
      link.href = url;
      link.download = `cosmo-report-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      return "Bug report downloaded.";
    }),
  );

  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) void signIn(saved, false);
  else byId("token").focus();
}

wire();
