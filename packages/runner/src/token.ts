import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { link, mkdir, readFile, stat, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createError, errorMessage } from "@cosmo/core";

/** File name of the generated token inside the data dir. */
export const ADMIN_TOKEN_FILE = "admin-token";

/** The admin token and where it came from; `generated` means: print it once for the user. */
export interface AdminToken {
  token: string;
  source: "env" | "file" | "generated";
  generated: boolean;
  /** The token file, when the token lives in one. */
  file?: string;
}

/** Inputs of `loadAdminToken`. */
export interface AdminTokenOptions {
  dataDir: string;
  /** Environment to read COSMO_ADMIN_TOKEN from (default process.env). */
  env?: Record<string, string | undefined>;
}

/**
 * The token as it stands: COSMO_ADMIN_TOKEN, else `<dataDir>/admin-token`; undefined when neither
 * is there. Never generates one (what a client such as the CLI needs).
 */
export async function readAdminToken(options: AdminTokenOptions): Promise<AdminToken | undefined> {
  const fromEnv = (options.env ?? process.env).COSMO_ADMIN_TOKEN?.trim();
  if (fromEnv) return { token: fromEnv, source: "env", generated: false };
  const file = join(options.dataDir, ADMIN_TOKEN_FILE);
  const existing = await readTokenFile(file);
  return existing === undefined ? undefined : { token: existing, source: "file", generated: false, file };
}

/** Options of `loadAdminToken` besides where to look. */
export interface LoadAdminTokenOptions extends AdminTokenOptions {
  /**
   * Keep a generated token in memory only; `saveAdminToken` writes it once the caller knows it
   * is wanted (`start` saves it after the server listens, so a failed start leaves no token).
   */
  deferWrite?: boolean;
}

/**
 * The token the mutating endpoints require: COSMO_ADMIN_TOKEN, else `<dataDir>/admin-token`,
 * else a new random one written there (mode 0600). Concurrent first starts agree on one token.
 */
export async function loadAdminToken(options: LoadAdminTokenOptions): Promise<AdminToken> {
  const existing = await readAdminToken(options);
  if (existing !== undefined) return existing;
  const generated: AdminToken = {
    token: randomBytes(32).toString("base64url"),
    source: "generated",
    generated: true,
    file: join(options.dataDir, ADMIN_TOKEN_FILE),
  };
  return options.deferWrite ? generated : saveAdminToken(generated, options.dataDir);
}

/**
 * Writes a generated token to its file (mode 0600). When another process wrote one first, that
 * one wins and is returned (`generated: false`): use what this returns.
 */
export async function saveAdminToken(token: AdminToken, dataDir: string): Promise<AdminToken> {
  if (!token.generated) return token;
  const file = token.file ?? join(dataDir, ADMIN_TOKEN_FILE);
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    // Write a private temp file, then link(2) it to the final name: link refuses to replace an
    // existing file, so the token appears whole and only once even when two runners start
    // together; the loser reads the winner's token.
    const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    await writeFile(temp, `${token.token}\n`, { mode: 0o600, flag: "wx" });
    try {
      await link(temp, file);
    } finally {
      await unlink(temp).catch(() => {});
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      const winner = await readTokenFile(file);
      if (winner !== undefined) return { token: winner, source: "file", generated: false, file };
    }
    throw createError("COSMO_E_ADMIN_TOKEN_INVALID", { file, reason: errorMessage(error) }, { cause: error });
  }
  return { ...token, file };
}

/** The token in the file; undefined when there is no file. An empty or unreadable file is an error. */
async function readTokenFile(file: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw createError("COSMO_E_ADMIN_TOKEN_INVALID", { file, reason: errorMessage(error) }, { cause: error });
  }
  const token = text.trim();
  if (!token) throw createError("COSMO_E_ADMIN_TOKEN_INVALID", { file, reason: "the file is empty" });
  // A token other users can read is no secret: refuse it rather than serve with it. (Windows has
  // no such mode bits; its ACLs are the data dir's business.)
  const { mode } = await stat(file);
  if (process.platform !== "win32" && (mode & 0o077) !== 0) {
    const octal = (mode & 0o777).toString(8);
    throw createError("COSMO_E_ADMIN_TOKEN_INVALID", { file, reason: `other users can read it (mode ${octal}); run \`chmod 600 ${file}\`` });
  }
  return token;
}

/**
 * Compares a presented token with the expected one in constant time. Both are hashed first so
 * the comparison does not leak the token's length either.
 */
export function tokensEqual(presented: string, expected: string): boolean {
  const a = createHash("sha256").update(presented).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}
