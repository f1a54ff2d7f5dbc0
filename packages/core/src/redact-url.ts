/**
 * URLs in messages, logs and reports lose their credentials: a registry in .npmrc or a redis
 * store URL may carry `user:password@`, and a bug report or a log line travels further than the
 * config it came from.
 */

const MASK = "***";

/**
 * The URL with its user name and password (each one that is present) replaced by `***`, so a
 * reader still sees that credentials were given. Text that is not a URL comes back unchanged.
 * @example redactUrl("redis://app:s3cret@db:6379") // "redis://***:***@db:6379"
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (parsed.username === "" && parsed.password === "") return url;
  if (parsed.username !== "") parsed.username = MASK;
  if (parsed.password !== "") parsed.password = MASK;
  return parsed.toString();
}
