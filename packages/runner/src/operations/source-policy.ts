/**
 * Which kinds of plugin source the runner accepts. Registry specs and tarball paths always; a
 * tarball URL by default (issue contract: "npm spec | tarball path or URL"), since npm itself
 * installs one; git only when the operator opts in, because a git source runs the repository's
 * own build (prepare) and can change under the same name.
 *
 * Flags set the environment (`--allow-git` → COSMO_ALLOW_GIT=1), so the supervisor's workers and
 * a CLI run with the same variables see the same policy.
 */
import type { SourcePolicy } from "@cosmo/bundler";

/** Env var that opts in to git sources ("1"/"true"). */
export const ALLOW_GIT_ENV = "COSMO_ALLOW_GIT";
/** Env var that refuses remote tarball URLs when "0"/"false". */
export const ALLOW_REMOTE_ENV = "COSMO_ALLOW_REMOTE";

const truthy = (v: string | undefined, fallback: boolean) =>
  v === undefined || v.trim() === "" ? fallback : !["0", "false", "no", "off"].includes(v.trim().toLowerCase());

/** The source policy in force: the environment, with git off and remote tarballs on by default. */
export function sourcePolicyFromEnv(env: NodeJS.ProcessEnv = process.env): Required<Pick<SourcePolicy, "allowGit" | "allowRemote" | "optIn">> {
  return {
    allowGit: truthy(env[ALLOW_GIT_ENV], false),
    allowRemote: truthy(env[ALLOW_REMOTE_ENV], true),
    // What a refused source's hint tells the runner's operator to do.
    optIn: { git: `--allow-git, or ${ALLOW_GIT_ENV}=1`, remote: `drop --no-allow-remote / ${ALLOW_REMOTE_ENV}=0` },
  };
}

/** citty flags for the policy; `applySourcePolicyArgs` turns them into the env. */
export const sourcePolicyArgs = {
  "allow-git": { type: "boolean", description: `Accept git sources (default: off; env ${ALLOW_GIT_ENV}=1)` },
  "allow-remote": {
    type: "boolean",
    description: `Accept remote tarball URLs (default: on; --no-allow-remote or ${ALLOW_REMOTE_ENV}=0 refuses them)`,
  },
} as const;

/** Writes the flags given into the environment (an absent flag leaves the env as it is). */
export function applySourcePolicyArgs(args: { "allow-git"?: boolean; "allow-remote"?: boolean }): void {
  if (args["allow-git"] !== undefined) process.env[ALLOW_GIT_ENV] = args["allow-git"] ? "1" : "0";
  if (args["allow-remote"] !== undefined) process.env[ALLOW_REMOTE_ENV] = args["allow-remote"] ? "1" : "0";
}
