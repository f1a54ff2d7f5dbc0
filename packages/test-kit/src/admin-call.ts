/** An admin API answer: its status and its body, parsed when it is JSON, else the text. */
export interface AdminAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each test reads the fields it asserts
  body: any;
}

/**
 * Calls a runner's admin API with a bearer token. `timeout` is long by default: under load an
 * install can wait its turn behind others, and the test asserts the answer, not the time.
 */
export async function adminCall(
  url: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  timeout = 300_000,
): Promise<AdminAnswer> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeout),
  });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}
