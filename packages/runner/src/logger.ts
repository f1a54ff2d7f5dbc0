/**
 * The runner's one logger. Two forms, same fields: `pretty` (consola, for a terminal) and `json`
 * (pino: one object a line with `level` as a number, `time` in ms, `msg`, `pid`, `hostname`, and
 * context such as `worker`, `plugin`, `err`), which log shippers read as they read any pino
 * service. The supervisor and each worker make their own from the same options (WorkerConfig.log),
 * so a whole runner speaks one form.
 */
import { hostname } from "node:os";
import { format as formatText, inspect } from "node:util";
import { createError } from "@cosmo/core";
import { createConsola, type ConsolaInstance } from "consola";
import pino, { type Logger as Pino } from "pino";

/** Levels, lowest first, as pino numbers them. */
export const LOG_LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity } as const;
export type LogLevel = keyof typeof LOG_LEVELS;
export const LOG_FORMATS = ["pretty", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** How a process logs. */
export interface LogOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Log one line per HTTP request (method, path, status, duration). */
  access?: boolean;
}

/** The runner's logger: console-style calls (`error("text:", err)`), or a fields object first. */
export interface Logger {
  trace(...args: unknown[]): void;
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  /** A logger whose lines carry `bindings` too (`{ worker: pid }`). */
  child(bindings: Record<string, unknown>): Logger;
  readonly options: Required<LogOptions>;
}

type Method = "trace" | "debug" | "info" | "warn" | "error";

/** The five level methods of a Logger, each made by `emit`. */
const levelMethods = (emit: (method: Method) => (...args: unknown[]) => void): Pick<Logger, Method> => ({
  trace: emit("trace"),
  debug: emit("debug"),
  info: emit("info"),
  warn: emit("warn"),
  error: emit("error"),
});

const isFields = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !(value instanceof Error) && Object.getPrototypeOf(value) === Object.prototype;

// core's plugin logger starts each line with "[plugin-name]": that name becomes a field.
const PLUGIN_PREFIX = /^\[([^\]\s]+)\]\s*/;

/** Splits console-style arguments into pino's (fields, message). */
function toRecord(args: unknown[]): { fields: Record<string, unknown>; msg: string } {
  const fields: Record<string, unknown> = isFields(args[0]) ? { ...args.shift() as Record<string, unknown> } : {};
  const err = args.find((a) => a instanceof Error) as Error | undefined;
  if (err) fields.err = err;
  let msg = args
    .filter((a) => a !== err)
    .map((a) => (typeof a === "string" ? a : inspect(a, { breakLength: Infinity, depth: 4 })))
    .join(" ");
  const plugin = PLUGIN_PREFIX.exec(msg);
  if (plugin && fields.plugin === undefined) {
    fields.plugin = plugin[1];
    msg = msg.slice(plugin[0].length);
  }
  if (!msg && err) msg = err.message;
  return { fields, msg };
}

function jsonLogger(p: Pino, options: Required<LogOptions>): Logger {
  const emit = (method: Method) => (...args: unknown[]) => {
    const { fields, msg } = toRecord(args);
    p[method](fields, msg);
  };
  return {
    ...levelMethods(emit),
    child: (bindings) => jsonLogger(p.child(bindings), options),
    options,
  };
}

const CONSOLA_LEVELS: Record<LogLevel, number> = { trace: 5, debug: 4, info: 3, warn: 1, error: 0, fatal: 0, silent: -999 };

function prettyLogger(c: ConsolaInstance, options: Required<LogOptions>, tag: string): Logger {
  const emit = (method: Method) => (...args: unknown[]) => {
    const { fields, msg } = toRecord(args);
    const { err, ...rest } = fields;
    const context = Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join(" ");
    const text = [msg, context && `(${context})`].filter(Boolean).join(" ");
    if (err) c[method](text, err);
    else c[method](text);
  };
  return {
    ...levelMethods(emit),
    child: (bindings) => {
      const name = bindings.worker !== undefined ? `worker:${String(bindings.worker)}` : Object.values(bindings).map(String).join(":");
      const childTag = `${tag}:${name}`;
      return prettyLogger(c.withTag(childTag), options, childTag);
    },
    options,
  };
}

/** Creates a logger; the JSON form writes synchronously to stdout so no line is lost at exit. */
export function createLogger(options: LogOptions = {}): Logger {
  const resolved: Required<LogOptions> = { level: options.level ?? "info", format: options.format ?? "pretty", access: options.access ?? false };
  if (resolved.format === "json") {
    const p = pino(
      { level: resolved.level, base: { pid: process.pid, hostname: hostname() }, name: "cosmo-runner" },
      pino.destination({ dest: 1, sync: true }),
    );
    return jsonLogger(p, resolved);
  }
  const c = createConsola({ level: CONSOLA_LEVELS[resolved.level], formatOptions: { date: false } }).withTag("cosmo-runner");
  return prettyLogger(c, resolved, "cosmo-runner");
}

/** Reads --log-level / --log-format values (else COSMO_LOG_LEVEL / COSMO_LOG_FORMAT); a bad one is a usage error. */
export function parseLogOptions(args: { "log-level"?: string; "log-format"?: string; "access-log"?: boolean }, env: NodeJS.ProcessEnv = process.env): Required<LogOptions> {
  const level = (args["log-level"] ?? env.COSMO_LOG_LEVEL ?? "info").trim().toLowerCase();
  const format = (args["log-format"] ?? env.COSMO_LOG_FORMAT ?? "pretty").trim().toLowerCase();
  if (!(level in LOG_LEVELS)) {
    throw createError("COSMO_E_CLI_USAGE", { program: "cosmo-runner", command: "start", reason: `--log-level must be one of ${Object.keys(LOG_LEVELS).join(", ")}, not "${level}"` });
  }
  if (!(LOG_FORMATS as readonly string[]).includes(format)) {
    throw createError("COSMO_E_CLI_USAGE", { program: "cosmo-runner", command: "start", reason: `--log-format must be one of ${LOG_FORMATS.join(", ")}, not "${format}"` });
  }
  return { level: level as LogLevel, format: format as LogFormat, access: Boolean(args["access-log"] ?? /^(1|true|yes|on)$/i.test(env.COSMO_ACCESS_LOG ?? "")) };
}

let current: Logger | undefined;

/** True once `useLogger` has set a JSON logger: the CLI then reports its errors as JSON lines too. */
export const logsJson = (): boolean => current?.options.format === "json";

/** The process's logger (a pretty one at info until `useLogger` sets another). */
export function getLogger(): Logger {
  return (current ??= createLogger());
}

/**
 * Makes `logger` the process's logger. In the JSON form, console output (a plugin's
 * console.log, a library's warning) is routed through it too, so stdout stays JSON lines.
 */
export function useLogger(logger: Logger): Logger {
  current = logger;
  if (logger.options.format === "json") {
    const from = logger.child({ source: "console" });
    console.log = (...args: unknown[]) => from.info(formatText(...args));
    console.info = (...args: unknown[]) => from.info(formatText(...args));
    console.debug = (...args: unknown[]) => from.debug(formatText(...args));
    console.warn = (...args: unknown[]) => from.warn(formatText(...args));
    console.error = (...args: unknown[]) => from.error(formatText(...args));
    // Node prints process warnings to stderr as text; as JSON lines they stay parseable. Forked
    // workers inherit the variable, so they start without the text printer too.
    process.removeAllListeners("warning");
    process.on("warning", (warning) => from.warn(warning.message, warning));
    process.env.NODE_NO_WARNINGS = "1";
  }
  return logger;
}
