import { createError } from "@cosmo/core";
import type { H3Event, Middleware } from "h3";
import { tokensEqual } from "../token";

/** Host names a runner on loopback always answers to. */
export const LOOPBACK_HOSTS: readonly string[] = ["localhost", "127.0.0.1", "[::1]"];

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** The host name of a Host header without its port, lower-cased; IPv6 keeps its brackets. */
export function hostName(header: string): string {
  const value = header.trim().toLowerCase();
  if (value.startsWith("[")) {
    const end = value.indexOf("]");
    return end === -1 ? value : value.slice(0, end + 1);
  }
  const colon = value.indexOf(":");
  return colon === -1 ? value : value.slice(0, colon);
}

/** An allowedHosts entry as hostName gives it: a bare IPv6 address ("::1") gets its brackets. */
function allowedName(entry: string): string {
  const value = entry.trim();
  const bareIPv6 = !value.startsWith("[") && value.split(":").length > 2;
  return hostName(bareIPv6 ? `[${value}]` : value);
}

/**
 * Refuses requests whose Host header names a host other than loopback or `allowed` (any port).
 * A web page on an attacker's domain that re-points its DNS at 127.0.0.1 reaches the runner
 * with its own domain in Host: this is what stops it (DNS rebinding).
 */
export function hostGuard(allowed: readonly string[] = []): Middleware {
  const hosts = new Set([...LOOPBACK_HOSTS, ...allowed.map(allowedName)]);
  return (event: H3Event) => {
    // A Request made in-process (app.fetch) has no Host header; its URL says where it is going.
    // Falling back is safe: the attack comes from browsers, and browsers always send Host.
    const host = event.req.headers.get("host") ?? event.url.host;
    if (!hosts.has(hostName(host))) throw createError("COSMO_E_HOST_FORBIDDEN", { host });
  };
}

/** Options of `authGuard`. */
export interface AuthGuardOptions {
  /**
   * Reads (GET, HEAD) need the token too. `/health` still answers without it, with
   * `{ "status": "ok" }` alone, so load balancers can probe the runner.
   */
  guardReads?: boolean;
}

/** Reads that stay open when reads are guarded: the health probe, and the manager page's own files (it asks for the token). */
function openWhenGuarded(path: string): boolean {
  return path === "/health" || path === "/_cosmo" || path.startsWith("/_cosmo/");
}

/** True when the request carries `Authorization: Bearer <token>` with the right token. */
export function hasToken(event: H3Event, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(event.req.headers.get("authorization") ?? "");
  return Boolean(match?.[1] && tokensEqual(match[1], token));
}

/**
 * Requires `Authorization: Bearer <token>` on POST, PUT, PATCH and DELETE, and on reads too with
 * `guardReads` (a runner listening beyond loopback: its plugin list and sources are nobody
 * else's). A request that does present credentials must present the right ones, whatever its
 * method: a client (the manager page) learns that its token is wrong from its first read, not
 * its first write.
 */
export function authGuard(token: string, options: AuthGuardOptions = {}): Middleware {
  return (event: H3Event) => {
    const mutating = MUTATING.has(event.req.method.toUpperCase());
    const presented = event.req.headers.has("authorization");
    if (!mutating && !presented && (!options.guardReads || openWhenGuarded(event.url.pathname))) return;
    if (!hasToken(event, token)) throw createError("COSMO_E_AUTH_REQUIRED");
  };
}

/** True for a listen address only this machine reaches (127.0.0.0/8, ::1, localhost). */
export function isLoopbackAddress(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h) || h === "::ffff:127.0.0.1";
}
