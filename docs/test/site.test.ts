/**
 * The site as a whole: every page is in the sidebar, and every link between pages (and to a
 * heading on a page) resolves. VitePress's build checks page links too; this also checks
 * anchors, and fails in `npm test` without a build.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sidebar } from "../.vitepress/config";
import { docsDir, listPages } from "./pages";

type Item = { link?: string; items?: Item[] };
const links = (items: Item[]): string[] => items.flatMap((i) => [...(i.link ? [i.link] : []), ...links(i.items ?? [])]);

/** VitePress's heading slugs (@mdit-vue/shared's slugify). */
function slugify(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036F]/g, "")
    .replace(/[\u0000-\u001f]/g, "")
    .replace(/[\s~`!@#$%^&*()\-_+=[\]{}|\\;:"'“”‘’<>,.?/]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^-+|-+$/g, "")
    .replace(/^(\d)/, "_$1")
    .toLowerCase();
}

/** A page's text with fenced code blocks blanked, so code that looks like a link is not one. */
function prose(page: string): string {
  return readFileSync(join(docsDir, page), "utf8").replace(/^(```+|~~~+)[^\n]*\n[\s\S]*?^\1\s*$/gm, "");
}

function anchors(page: string): Set<string> {
  const headings = [...prose(page).matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => (m[1] as string).replace(/`/g, "").replace(/\[([^\]]*)\]\([^)]*\)/g, "$1"));
  return new Set(headings.map(slugify));
}

const pages = listPages();
const sidebarLinks = links(sidebar as Item[]);

describe("the docs site", () => {
  it("lists every page in the sidebar (the home page aside)", () => {
    const inSidebar = new Set(sidebarLinks.map((l) => `${l.replace(/^\//, "")}.md`));
    expect(pages.filter((p) => p !== "index.md" && !inSidebar.has(p))).toEqual([]);
  });

  it("has a page for every sidebar link", () => {
    expect(sidebarLinks.filter((l) => !existsSync(join(docsDir, `${l}.md`)))).toEqual([]);
  });

  it.each(pages)("%s: every internal link and anchor resolves", (page) => {
    const broken: string[] = [];
    for (const match of prose(page).matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1] as string;
      if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
      const [path, hash] = target.split("#") as [string, string | undefined];
      let file = page;
      if (path !== "") {
        const absolute = path.startsWith("/") ? path.slice(1) : join(page, "..", path);
        file = absolute.replace(/\.md$/, "").replace(/\/$/, "/index") + ".md";
      }
      if (!existsSync(join(docsDir, file))) broken.push(`${target} (no ${file})`);
      else if (hash !== undefined && !anchors(file).has(hash)) broken.push(`${target} (no heading #${hash} in ${file})`);
    }
    expect(broken).toEqual([]);
  });
});
