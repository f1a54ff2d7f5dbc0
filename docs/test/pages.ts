/**
 * The docs as data: every page, and every fenced code block with the test directive written
 * before it (`<!-- test {...} -->`), so the tests can run what the pages show.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const docsDir = fileURLToPath(new URL("..", import.meta.url));

/** What a directive asks of the block after it (see docs/test/README.md). */
export interface Directive {
  kind: "manifest" | "plugin" | "file" | "vitest" | "server" | "script" | "bundled-manifest" | "http" | "cli" | "shell" | "skip";
  [key: string]: unknown;
}

/** One fenced code block. */
export interface Block {
  page: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  code: string;
  directive?: Directive;
  /** For `http`/`cli` blocks: the untested block right after it (the response shown). */
  response?: Block;
  /** True for a block that is another block's response. */
  isResponse?: boolean;
}

/** Every Markdown page of the site, relative to docs/ ("guide/quick-start.md"). */
export function listPages(dir = docsDir): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || entry.name === "node_modules" || entry.name === "test") continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listPages(path));
    else if (entry.name.endsWith(".md")) out.push(relative(docsDir, path));
  }
  return out.sort();
}

const DIRECTIVE = /^<!--\s*test\s+(\{.*\})\s*-->\s*$/;
const FENCE = /^(```+|~~~+)\s*([\w-]*)(.*)$/;

/** The fenced blocks of a page, each with its directive and (for HTTP/CLI) its response. */
export function readBlocks(page: string): Block[] {
  const lines = readFileSync(join(docsDir, page), "utf8").split("\n");
  const blocks: Block[] = [];
  let pending: Directive | undefined;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] as string;
    const directive = text.match(DIRECTIVE);
    if (directive) {
      try {
        pending = JSON.parse(directive[1] as string) as Directive;
      } catch (error) {
        throw new Error(`${page}:${i + 1}: the test directive is not JSON: ${(error as Error).message}`);
      }
      continue;
    }
    const fence = text.match(FENCE);
    if (fence) {
      const close = fence[1] as string;
      const start = i;
      const body: string[] = [];
      for (i++; i < lines.length && !(lines[i] as string).startsWith(close); i++) body.push(lines[i] as string);
      blocks.push({ page, line: start + 1, lang: fence[2] ?? "", code: `${body.join("\n")}\n`, directive: pending });
      pending = undefined;
      continue;
    }
    // A directive applies to the very next block; prose in between would be a mistake.
    if (pending && text.trim() !== "") throw new Error(`${page}:${i + 1}: a test directive must be followed by a code block`);
  }
  // The block after an http/cli block, if it has no directive of its own, is the answer shown.
  for (let b = 0; b < blocks.length - 1; b++) {
    const block = blocks[b] as Block;
    const next = blocks[b + 1] as Block;
    if ((block.directive?.kind === "http" || block.directive?.kind === "cli") && !next.directive && block.directive.response !== false) {
      block.response = next;
      next.isResponse = true;
    }
  }
  return blocks;
}
