/**
 * The site as a whole: every page is in the sidebar, every link between pages (and to a
 * heading on a page) resolves, and every image and file a page links to exists. VitePress's build checks page links too; this also checks
 * anchors, and fails in `npm test` without a build.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
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

/** A link to a file that is not a page (an image, openapi.json): it has an extension other than .md. */
const isAsset = (path: string) => /\.[a-z0-9]+$/i.test(path) && !path.endsWith(".md");

/** Where an asset link points: `/x` is docs/public/x (VitePress serves public/ at the root), else beside the page. */
const assetFile = (page: string, path: string) => (path.startsWith("/") ? join(docsDir, "public", path) : join(docsDir, page, "..", path));

// Words that mean nothing to a reader; spelled in two parts so this file does not contain them.
const BANNED = new RegExp(`\\b${"se"}${"ed"}s?\\b`, "i");

/** Every text file of the site's sources (pages, config, theme, tests, public files), build output aside. */
function textFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (["node_modules", "cache", "dist", ".tmp"].includes(entry.name)) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return textFiles(path);
    return /\.(md|ts|vue|css|svg|json|js|txt)$/.test(entry.name) ? [path] : [];
  });
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

  it("uses none of the banned words in any source file: a page names the thing itself", () => {
    const files = textFiles(docsDir);
    const hits = files.flatMap((file) =>
      readFileSync(file, "utf8")
        .split("\n")
        .map((line, i) => (BANNED.test(line) ? `${relative(docsDir, file)}:${i + 1}` : ""))
        .filter(Boolean),
    );
    expect(hits).toEqual([]);
  });

  it.each(pages)("%s: every image it shows exists", (page) => {
    const text = prose(page);
    const sources = [...text.matchAll(/!\[[^\]]*\]\(([^)\s]+)/g), ...text.matchAll(/<img\b[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1] as string);
    const missing = sources.filter((src) => !/^[a-z]+:/i.test(src) && !existsSync(assetFile(page, src)));
    expect(missing).toEqual([]);
  });

  it.each(pages)("%s: every internal link and anchor resolves", (page) => {
    const broken: string[] = [];
    for (const match of prose(page).matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1] as string;
      if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
      const [path, hash] = target.split("#") as [string, string | undefined];
      if (isAsset(path)) {
        if (!existsSync(assetFile(page, path))) broken.push(`${target} (no file ${relative(docsDir, assetFile(page, path))})`);
        continue;
      }
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
