/** The plugins the running worker serves, with their routes, and what discovery skipped. */
import { h } from "./dom";
import type { Installed } from "./types";

/** The running plugins as a table (or a line saying there are none). */
export function renderRunning(installed: Installed | null): HTMLElement {
  if (!installed) return h("p", { class: "empty" }, "This runner does not list its running plugins.");
  const skipped = installed.skipped ?? [];
  const parts: HTMLElement[] = [];
  if (installed.plugins.length === 0) {
    parts.push(h("p", { class: "empty" }, installed.bundle ? `Bundle ${installed.bundle} holds no plugin.` : "No plugin is running: install one, then apply."));
  } else {
    parts.push(
      h(
        "table",
        { class: "running" },
        h("caption", {}, installed.bundle ? `Bundle ${installed.bundle}` : "No bundle"),
        h("thead", {}, h("tr", {}, ...["Plugin", "Version", "Status", "Routes"].map((t) => h("th", { scope: "col" }, t)))),
        h(
          "tbody",
          {},
          ...installed.plugins.map((p) =>
            h(
              "tr",
              {},
              h("th", { scope: "row" }, p.name, p.package && p.package !== p.name ? h("span", { class: "package" }, p.package) : null),
              h("td", {}, p.version ?? ""),
              h("td", {}, h("span", { class: `badge ${p.status}` }, p.status), p.error?.message ? h("span", { class: "reason" }, p.error.message) : null),
              h(
                "td",
                {},
                (p.routes ?? []).length === 0
                  ? h("span", { class: "none" }, p.prefix ? `none under ${p.prefix}` : "none")
                  : h("ul", { class: "routes" }, ...(p.routes ?? []).map((r) => h("li", {}, h("code", {}, `${r.method} ${r.path}`)))),
              ),
            ),
          ),
        ),
      ),
    );
  }
  if (skipped.length > 0) {
    parts.push(
      h("h3", {}, "Skipped by discovery"),
      h("ul", { class: "skipped" }, ...skipped.map((s) => h("li", {}, h("strong", {}, s.package ?? "?"), `: ${s.code} ${s.message}`))),
    );
  }
  return h("div", {}, ...parts);
}
