/**
 * The plugin manager page in a real browser: Debian's chromium driven by playwright-core (which
 * never downloads a browser), against the real `cosmo-runner` bin with plugins from the test
 * registry. Everything is done as a person would: by label and role, with the keyboard where a
 * person would use it. Screenshots go to test/.output/page; with COSMO_UPDATE_SCREENSHOTS=1 they
 * also replace the ones in the docs (docs/public/screenshots).
 */
import { mkdir, mkdtemp, readFile, rm, copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it, onTestFailed } from "vitest";
import { freePort, startRunner, stopRunner, type CliProcess, systemBinary } from "@cosmo/test-kit";
import { EXAMPLE, exampleEnv, runnerDir } from "./helpers/e2e";
import { makeBundle, useBundle } from "./helpers/bundles";
import { faultyPlugin, healthyPlugin } from "./helpers/faulty-plugins";

const browser = systemBinary(
  "chromium",
  "the plugin manager page's browser tests",
  "apt-get install -y chromium (Debian's; playwright-core drives it and never downloads a browser)",
);

const CONFLICTING = "plugin-peer-core-2"; // peers @cosmo/core@^2; the runner has 0.1.0
const VERSIONED = "plugin-versions"; // 1.0.0 and 1.1.0 fit any host: what upgrade moves between
const OUTPUT = join(runnerDir, "test", ".output", "page");
const DOCS_SCREENSHOTS = join(runnerDir, "..", "..", "docs", "public", "screenshots");
// Long steps (install from the registry, apply with a reload) on a machine shared with others.
const STEP = { timeout: 90_000 };

/**
 * The controls a screen reader would announce without a name, from Chromium's own accessibility
 * tree (what assistive technology reads), e.g. `button ""`.
 */
async function unnamedControls(page: Page): Promise<string[]> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { nodes } = (await cdp.send("Accessibility.getFullAXTree")) as {
      nodes: { ignored: boolean; role?: { value: string }; name?: { value: string } }[];
    };
    const named = new Set(["button", "textbox", "checkbox", "link", "progressbar", "table", "group"]);
    const controls = nodes.filter((n) => !n.ignored && named.has(n.role?.value ?? ""));
    // The tree is the page's: its buttons and fields are there (a check of nothing would pass).
    expect(controls.filter((n) => n.role?.value === "button").length).toBeGreaterThan(5);
    return controls
      .filter((n) => !(n.name?.value ?? "").trim())
      .map((n) => `${n.role!.value} ""`);
  } finally {
    await cdp.detach();
  }
}

/** Keeps a screenshot for the docs; the page looks the same in every run but the ids and times. */
async function shoot(page: Page, name: string): Promise<void> {
  const file = join(OUTPUT, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (process.env.COSMO_UPDATE_SCREENSHOTS === "1") {
    await mkdir(DOCS_SCREENSHOTS, { recursive: true });
    await copyFile(file, join(DOCS_SCREENSHOTS, `${name}.png`));
  }
}

/** Debian's chromium, headless, with a fresh profile, quiet on the network (no updates, no sync). */
async function launchBrowser(profileDir: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: browser.path,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1100, height: 800 },
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  return { context, page: context.pages()[0] ?? (await context.newPage()) };
}

/** Signs in on the page with the token, by label and button as a person would. */
async function signIn(page: Page, token: string): Promise<void> {
  await page.getByLabel("Admin token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Add a plugin" }).waitFor();
}

describe.skipIf(!browser.available)("the plugin manager page in chromium", { timeout: 240_000 }, () => {
  let env: Record<string, string>;
  let npmDir: string;
  let dataDir: string;
  let profileDir: string;
  let runner: (CliProcess & { url: string }) | undefined;
  let token: string;
  let context: BrowserContext;
  let page: Page;
  const requests: string[] = [];

  beforeEach(() =>
    onTestFailed(async () => {
      console.error(`runner stdout:\n${runner?.stdout()}\nrunner stderr:\n${runner?.stderr()}`);
      await page?.screenshot({ path: join(OUTPUT, "failure.png"), fullPage: true }).catch(() => undefined);
    }),
  );

  beforeAll(async () => {
    ({ env, dir: npmDir } = await exampleEnv(inject("registryUrl")));
    dataDir = await mkdtemp(join(tmpdir(), "cosmo-page-"));
    profileDir = await mkdtemp(join(tmpdir(), "cosmo-page-chromium-"));
    await mkdir(OUTPUT, { recursive: true });
    runner = await startRunner(["--port", String(await freePort()), "--data-dir", dataDir], env);
    token = (await readFile(join(dataDir, "admin-token"), "utf8")).trim();
    ({ context, page } = await launchBrowser(profileDir));
    page.on("request", (request) => requests.push(`${request.method()} ${new URL(request.url()).pathname}`));
    page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
  }, 120_000);

  /** Whether the runner has an action, asked the way the page asks: the action for a record that cannot exist. */
  async function runnerHas(action: string): Promise<boolean> {
    const res = await fetch(`${runner!.url}/plugins/00000000-0000-4000-8000-000000000000/${action}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: "{}",
    });
    const body = (await res.json()) as { error?: { code?: string } };
    return body.error?.code !== "COSMO_E_API_ROUTE_NOT_FOUND";
  }

  afterAll(async () => {
    await context?.close();
    if (runner) await stopRunner(runner);
    await rm(dataDir, { recursive: true, force: true });
    await rm(profileDir, { recursive: true, force: true });
    await rm(npmDir, { recursive: true, force: true });
  });

  it("asks for the token and shows no data before it has the right one", async () => {
    await page.goto(`${runner!.url}/_cosmo`);
    expect(new URL(page.url()).pathname).toBe("/_cosmo/");
    // The token field has the focus: a person can type at once.
    await page.getByLabel("Admin token").waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("token");
    expect(await page.getByRole("heading", { name: "Add a plugin" }).isVisible()).toBe(false);

    await page.keyboard.type("not-the-token");
    await page.keyboard.press("Enter");
    await page.getByRole("alert").filter({ hasText: "refused this token" }).waitFor();
    expect(await page.getByLabel("Admin token").getAttribute("aria-invalid")).toBe("true");
    expect(await page.getByRole("heading", { name: "Add a plugin" }).isVisible()).toBe(false);
    // Nothing but the page itself and the one check of the token was asked for.
    expect(requests.filter((r) => !r.startsWith("GET /_cosmo"))).toEqual(["GET /plugins"]);
    await shoot(page, "manager-sign-in");
  });

  it("adds the smart switch by name, installs it, applies it with live progress, and lists its routes", async () => {
    await signIn(page, token);
    expect(await page.evaluate(() => sessionStorage.getItem("cosmo-admin-token"))).toBe(token);

    // Keyboard: the source field, Enter submits; "install right away" is on by default.
    await page.getByLabel("Source", { exact: true }).fill(EXAMPLE);
    await page.getByLabel("Source", { exact: true }).press("Enter");
    const item = page.getByRole("listitem", { name: EXAMPLE });
    await item.locator(".badge.installed").waitFor(STEP);
    await item.getByText("not served yet").waitFor();
    // The check's progress was reported in the live region.
    expect(await page.locator("#activity-log").innerText()).toMatch(/Done: No conflicts: cosmo-plugin-smart-switch is installed/);

    await page.getByRole("button", { name: "Apply changes" }).click();
    // The first phase shows while the work goes on, before the result.
    await page.locator("#activity-log").getByText(/Done: Bundled manifest written: 1 plugin\b/).waitFor(STEP);
    await page.locator("#activity-log").getByText(/^Applied: the runner serves bundle/).waitFor(STEP);
    const log = await page.locator("#activity-log").innerText();
    expect(log).toMatch(/Done: Bundle \S+ installed: \d+ packages?/);
    expect(log).toMatch(/Done: The new worker serves bundle \S+: 1 active, 0 failed/);
    expect(await page.locator("#activity-log").getAttribute("aria-live")).toBe("polite");

    const running = page.getByRole("table");
    await running.getByRole("rowheader", { name: /smart-switch/ }).waitFor(STEP);
    const routes = await running.locator(".routes li").allInnerTexts();
    expect(routes).toEqual(expect.arrayContaining(["GET /zigbee/state", "POST /zigbee/toggle"]));
    await item.locator(".badge.active").waitFor();
    await item.getByText("served at 1.0.0").waitFor();
    await shoot(page, "manager-applied");
    expect(await unnamedControls(page)).toEqual([]);

    // The route the page lists answers.
    const state = await fetch(`${runner!.url}/zigbee/state`);
    expect(state.status).toBe(200);
  });

  it("explains a conflict: both sides, the package, the ranges and the fix", async () => {
    await page.getByLabel("Source", { exact: true }).fill(CONFLICTING);
    await page.getByRole("button", { name: "Add", exact: true }).click();
    const explanation = page.locator(".conflicts");
    await explanation.waitFor(STEP);
    const heading = explanation.getByRole("heading", { name: `Why ${CONFLICTING} cannot be installed: 1 conflict` });
    await heading.waitFor();
    // The reader is taken to the explanation.
    expect(await heading.evaluate((el) => el === document.activeElement)).toBe(true);
    const text = await explanation.innerText();
    expect(text).toContain("Peer dependency conflict");
    expect(text).toContain(`${CONFLICTING} wants`);
    expect(text).toContain("@cosmo/core ^2.0.0");
    expect(text).toContain("Found, held by host");
    expect(text).toContain("@cosmo/core 0.1.0");
    expect(text).toMatch(/Fix: \S/);
    const item = page.getByRole("listitem", { name: CONFLICTING });
    await item.locator(".badge.failed").waitFor();
    expect(await page.locator("#activity-log").innerText()).toMatch(/Refused: 1 conflict/);
    await explanation.scrollIntoViewIfNeeded();
    await shoot(page, "manager-conflict");
  });

  it("shows Disable and Enable only when the runner has them, and when it has, they work", async () => {
    const item = page.getByRole("listitem", { name: EXAMPLE });
    if (!(await runnerHas("disable"))) {
      // No dead buttons: an action the runner does not offer is not shown.
      expect(await item.getByRole("button", { name: `Disable ${EXAMPLE}` }).count()).toBe(0);
      return;
    }
    await item.getByRole("button", { name: `Disable ${EXAMPLE}` }).click();
    await item.locator(".badge.disabled").waitFor(STEP);
    await page.getByRole("status").filter({ hasText: `${EXAMPLE} is disabled` }).waitFor();
    await shoot(page, "manager-disabled");
    await item.getByRole("button", { name: `Enable ${EXAMPLE}` }).click();
    await page.getByRole("status").filter({ hasText: `${EXAMPLE} is enabled` }).waitFor(STEP);
    // The focus stays where the pressed button was: on its counterpart.
    const disable = item.getByRole("button", { name: `Disable ${EXAMPLE}` });
    await disable.waitFor();
    expect(await disable.evaluate((el) => el === document.activeElement)).toBe(true);
  });

  it("shows Upgrade only when the runner has it, and when it has, moves a plugin to the version asked for", async () => {
    if (!(await runnerHas("upgrade"))) {
      expect(await page.getByRole("button", { name: /^Upgrade/ }).count()).toBe(0);
      return;
    }
    await page.getByLabel("Source", { exact: true }).fill(`${VERSIONED}@1.0.0`);
    await page.getByLabel("Source", { exact: true }).press("Enter");
    const item = page.getByRole("listitem", { name: new RegExp(`^${VERSIONED}`) });
    await item.locator(".badge.installed").waitFor(STEP);
    // Served first: the runner lists newer versions of what the current bundle holds.
    await page.getByRole("button", { name: "Apply changes" }).click();
    await page.locator("#activity-log").getByText(/^Applied: the runner serves bundle/).waitFor(STEP);
    await item.getByRole("button", { name: `Upgrade… ${VERSIONED}` }).click();
    // The form opens with the focus in its field.
    const field = page.getByLabel(`Version or range for ${VERSIONED}`);
    await field.waitFor();
    expect(await field.evaluate((el) => el === document.activeElement)).toBe(true);
    // The runner lists the newer versions: which fit, and why the others do not.
    const newer = item.locator(".newer");
    await newer.waitFor(STEP);
    const listed = await newer.innerText();
    expect(listed).toMatch(/1\.1\.0 fits/);
    expect(listed).toMatch(/2\.0\.0 does not fit: Host API out of range/);
    await shoot(page, "manager-upgrade");
    await field.fill("1.1.0");
    await field.press("Enter");
    await page.getByRole("status").filter({ hasText: /is installed/ }).waitFor(STEP);
    await item.getByText("1.1.0").first().waitFor(STEP);
    // The check of the new version streamed as a phase, like an install's.
    expect(await page.locator("#activity-log").innerText()).toMatch(/Done: No conflicts: plugin-versions is pinned to 1\.1\.0/);
    await page.getByRole("button", { name: "Apply changes" }).click();
    await page.locator("#activity-log").getByText(/^Applied: the runner serves bundle/).waitFor(STEP);
    await page.getByRole("table").getByText("GET /versions/version").waitFor(STEP);
    const served = await fetch(`${runner!.url}/versions/version`);
    expect(await served.text()).toContain("1.1.0");
  });

  it("downloads the bug report with the bundle's lockfile", async () => {
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download the bug report" }).click()]);
    expect(download.suggestedFilename()).toMatch(/^cosmo-report-.*\.json$/);
    const report = JSON.parse(await readFile((await download.path())!, "utf8"));
    expect(JSON.stringify(report)).toContain(EXAMPLE);
    await page.getByRole("status").filter({ hasText: "Bug report downloaded." }).waitFor();
  });

  it("keeps the token for the tab only, and forgets it on sign-out", async () => {
    await page.reload();
    await page.getByRole("heading", { name: "Add a plugin" }).waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Admin token").waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem("cosmo-admin-token"))).toBeNull();
    expect(await page.getByRole("heading", { name: "Add a plugin" }).isVisible()).toBe(false);
    expect(await page.locator("#records").innerText()).toBe("");
  });
});

// Containment (issue 9) sets a plugin that takes its worker down aside; the page says so, with the
// reason, while the other plugins keep serving.
describe.skipIf(!browser.available)("a quarantined plugin on the manager page", { timeout: 120_000 }, () => {
  const TOKEN = "page-quarantine-token-0123456789";
  let dataDir: string;
  let profileDir: string;
  let runner: (CliProcess & { url: string }) | undefined;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "cosmo-page-q-"));
    profileDir = await mkdtemp(join(tmpdir(), "cosmo-page-q-chromium-"));
    await useBundle(dataDir, await makeBundle(dataDir, "v1", [healthyPlugin("healthy", "/healthy"), faultyPlugin("crasher", "/crasher", "exit")]));
    runner = await startRunner(["--port", String(await freePort()), "--data-dir", dataDir], { COSMO_ADMIN_TOKEN: TOKEN });
    ({ context, page } = await launchBrowser(profileDir));
  }, 120_000);
  afterAll(async () => {
    await context?.close();
    if (runner) await stopRunner(runner);
    await rm(dataDir, { recursive: true, force: true });
    await rm(profileDir, { recursive: true, force: true });
  });

  it("shows the plugin quarantined with its reason, and the others still serving", async () => {
    // The fault: the route exits the process. The worker dies with it; the next one starts without the plugin.
    await fetch(`${runner!.url}/crasher/boom`).catch(() => undefined);
    // The quarantine lands once the supervisor has replaced the worker; each answer paces the next ask.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const installed = await fetch(`${runner!.url}/plugins/installed`)
        .then((r) => r.json() as Promise<{ plugins?: { name: string; status: string }[] }>)
        .catch(() => undefined);
      if (installed?.plugins?.some((p) => p.name === "crasher" && p.status === "quarantined")) break;
      expect(Date.now(), "the runner never quarantined the plugin").toBeLessThan(deadline);
    }
    await page.goto(`${runner!.url}/_cosmo/`);
    await signIn(page, TOKEN);
    const table = page.getByRole("table");
    const row = table.getByRole("row", { name: /crasher/ });
    await row.locator(".badge.quarantined").waitFor();
    expect(await row.innerText()).toMatch(/quarantined[\s\S]*(exit|quarantine)/i);
    await table.getByRole("row", { name: /healthy/ }).locator(".badge.active").waitFor();
    await shoot(page, "manager-quarantine");
  });
});
