import { existsSync } from "node:fs";
import { defineConfig, type DefaultTheme } from "vitepress";

// A page another part of the project writes (the scaffolder's reference) joins the sidebar once
// it exists, so the sidebar never links to a page that is not there.
const docsDir = new URL("..", import.meta.url);
const ifPage = (item: DefaultTheme.SidebarItem): DefaultTheme.SidebarItem[] =>
  existsSync(new URL(`.${item.link}.md`, docsDir)) ? [item] : [];

/** The sidebar: every page of the site is in it (docs/test/site.test.ts checks). */
export const sidebar: DefaultTheme.SidebarItem[] = [
  {
    text: "Guide",
    items: [
      { text: "Quick start", link: "/guide/quick-start" },
      { text: "Writing a plugin", link: "/guide/writing-a-plugin" },
      { text: "Embedding core in your server", link: "/guide/embedding" },
      { text: "The plugin manager page", link: "/guide/manager-page" },
      { text: "Production", link: "/guide/production" },
      { text: "Troubleshooting", link: "/guide/troubleshooting" },
    ],
  },
  {
    text: "Concepts",
    items: [
      { text: "The manifest (cosmo.json)", link: "/concepts/manifest" },
      { text: "Tracking file and bundled manifest", link: "/concepts/bundle" },
      { text: "Conflicts", link: "/concepts/conflicts" },
      { text: "Plugin lifecycle", link: "/concepts/lifecycle" },
      { text: "Reload", link: "/concepts/reload" },
      { text: "Inside the runner", link: "/concepts/architecture" },
    ],
  },
  {
    text: "Reference",
    items: [
      { text: "Admin API", link: "/reference/admin-api" },
      { text: "OpenAPI", link: "/reference/openapi" },
      { text: "CLI", link: "/reference/cli" },
      { text: "cosmo-runner as a library", link: "/reference/runner-api" },
      ...ifPage({ text: "create-cosmo-plugin", link: "/reference/create-cosmo-plugin" }),
      { text: "Error codes", link: "/reference/errors" },
      { text: "Performance", link: "/reference/performance" },
    ],
  },
];

export default defineConfig({
  title: "Cosmo",
  description: "A plugin system for Node.js servers: install plugins from npm at run time, conflicts refused before anything is written.",
  cleanUrls: true,
  lastUpdated: false,
  // The site must build offline: no remote fonts, images or scripts.
  srcExclude: ["test/**", "**/node_modules/**"],
  themeConfig: {
    nav: [
      { text: "Guide", link: "/guide/quick-start" },
      { text: "Admin API", link: "/reference/admin-api" },
      { text: "CLI", link: "/reference/cli" },
      { text: "Errors", link: "/reference/errors" },
    ],
    sidebar,
    outline: [2, 3],
    search: { provider: "local" },
  },
});
