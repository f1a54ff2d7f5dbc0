/**
 * The bin under a pseudo-terminal, for the prompt path: util-linux `script` gives the process a
 * real TTY (so @clack/prompts draws and reads keys as for a person), and we type into it.
 * The pty starts 0 columns wide, which makes clack wrap after every character: `stty` widens it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { systemBinary } from "@cosmo/test-kit";
import { BIN } from "./cli";

/** True when util-linux `script` is on PATH (skipped loudly without it, a failure in CI). */
export const hasScript = systemBinary("script", "the scaffolder's prompt tests (under a pseudo-terminal)", "apt-get install bsdutils").available;

/** Keys as a terminal sends them. */
export const KEY = { enter: "\r", backspace: "\x7f", ctrlC: "\x03" } as const;

// Cursor moves and colours, so tests match on the words a person sees.
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** A bin running under a pty. */
export interface PtySession {
  /** Everything drawn so far, ANSI codes removed. */
  screen(): string;
  /** Waits until the screen (after `from` characters) matches. */
  waitFor(pattern: RegExp, from?: number, ms?: number): Promise<void>;
  /** Types text (use KEY for special keys). */
  type(text: string): void;
  /** Resolves with the exit code once the bin ends. */
  exited: Promise<number | null>;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Starts the bin with `args` in `cwd` under a pty. */
export function runInPty(args: string[], cwd: string): PtySession {
  const command = `stty cols 120 rows 40; exec ${[process.execPath, BIN, ...args].map(shellQuote).join(" ")}`;
  // -q quiet, -f flush each write, -e exit with the child's code, -c run this command.
  const child: ChildProcess = spawn("script", ["-qfec", command, "/dev/null"], { cwd, stdio: ["pipe", "pipe", "pipe"] });
  let raw = "";
  child.stdout?.on("data", (d: Buffer) => (raw += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (raw += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  const screen = () => raw.replace(ANSI, "");
  return {
    screen,
    exited,
    type: (text) => void child.stdin?.write(text),
    waitFor: async (pattern, from = 0, ms = 15_000) => {
      const deadline = Date.now() + ms;
      while (!pattern.test(screen().slice(from))) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${pattern} on screen:\n${screen()}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}
