/**
 * Which kinds of plugin source the runner accepts. Registry specs and tarball paths always; a
 * tarball URL by default (issue contract: "npm spec | tarball path or URL"), since npm itself
 * installs one; git only when the operator opts in, because a git source runs the repository's
 * own build (prepare) and can change under the same name.
 *
 * The CLI resolves the policy once (flags, else the environment, else the defaults) and hands it
 * on as data: to the operations' context, and to server workers in their WorkerConfig, so a
 * worker checks, bundles and follows under exactly the policy `start` was given.
 */
import type { SourcePolicy } from "@cosmo/bundler";

/** Env var that opts in to git sources ("1"/"true"). */
export const ALLOW_GIT_ENV = "COSMO_ALLOW_GIT";
/** Env var that refuses remote tarball URLs when "0"/"false". */
export const ALLOW_REMOTE_ENV = "COSMO_ALLOW_REMOTE";

/** The runner's source policy: what a WorkerConfig and an OperationsContext carry. */
export interface RunnerSourcePolicy {
  /** Git sources are accepted (default off). */
  allowGit: boolean;
  /** Remote tarball URLs are accepted (default on). */
  allowRemote: boolean;
}

/** The policy when neither flags nor environment say otherwise. */
export const DEFAULT_SOURCE_POLICY: Readonly<RunnerSourcePolicy> = { allowGit: false, allowRemote: true };

const truthy = (v: string | undefined, fallback: boolean) =>
  v === undefined || v.trim() === "" ? fallback : !["0", "false", "no", "off"].includes(v.trim().toLowerCase());

/** The policy the environment sets, with git off and remote tarballs on by default. */
export function sourcePolicyFromEnv(env: NodeJS.ProcessEnv = process.env): RunnerSourcePolicy {
  return {
    allowGit: truthy(env[ALLOW_GIT_ENV], DEFAULT_SOURCE_POLICY.allowGit),
    allowRemote: truthy(env[ALLOW_REMOTE_ENV], DEFAULT_SOURCE_POLICY.allowRemote),
  };
}

/** citty flags for the policy; `sourcePolicyFromArgs` reads them. */
export const sourcePolicyArgs = {
  "allow-git": { type: "boolean", description: `Accept git sources (default: off; env ${ALLOW_GIT_ENV}=1)` },
  "allow-remote": {
    type: "boolean",
    description: `Accept remote tarball URLs (default: on; --no-allow-remote or ${ALLOW_REMOTE_ENV}=0 refuses them)`,
  },
} as const;

/** The policy a command runs under: each flag given wins over the environment. */
export function sourcePolicyFromArgs(
  args: { "allow-git"?: boolean; "allow-remote"?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): RunnerSourcePolicy {
  const fromEnv = sourcePolicyFromEnv(env);
  return {
    allowGit: args["allow-git"] ?? fromEnv.allowGit,
    allowRemote: args["allow-remote"] ?? fromEnv.allowRemote,
  };
}

/** The policy as the bundler takes it, with the hint a refused source gives the runner's operator. */
export function bundlerSourcePolicy(policy: RunnerSourcePolicy): Required<Pick<SourcePolicy, "allowGit" | "allowRemote" | "optIn">> {
  return {
    allowGit: policy.allowGit,
    allowRemote: policy.allowRemote,
    optIn: { git: `--allow-git, or ${ALLOW_GIT_ENV}=1`, remote: `drop --no-allow-remote / ${ALLOW_REMOTE_ENV}=0` },
  };
}
