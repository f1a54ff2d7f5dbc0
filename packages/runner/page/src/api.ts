/**
 * The admin API as the page calls it: every request carries the token, errors come back as
 * ApiError with the runner's `{ code, message, details }`, and the long operations are read as
 * server-sent events (fetch, not EventSource: EventSource cannot send the token).
 */

/** The runner's error body. */
export interface ApiErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** An answer outside 2xx, with the runner's coded error. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(body.message);
  }
}

/** One phase of a long operation starting or ending (the runner's ProgressEvent). */
export interface Progress {
  phase: string;
  state: "start" | "progress" | "done";
  fetched?: number;
  message: string;
  took_ms?: number;
  plugins?: number;
  packages?: number;
}

async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text();
  try {
    const parsed = JSON.parse(text) as { error?: ApiErrorBody };
    if (parsed.error?.code) return new ApiError(response.status, parsed.error);
  } catch {
    // not JSON: described below
  }
  return new ApiError(response.status, { code: `HTTP_${response.status}`, message: text.slice(0, 300) || response.statusText });
}

/** The admin API with one token. */
export class Api {
  constructor(readonly token: string) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.token}`, ...extra };
  }

  /** A JSON request; resolves to the parsed body (null for 204). */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(path, {
      method,
      headers: this.headers(body === undefined ? {} : { "content-type": "application/json" }),
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
    if (!response.ok) throw await errorOf(response);
    return (response.status === 204 ? null : await response.json()) as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }

  /**
   * A long operation with its progress: `onProgress` hears each phase as the runner reports it;
   * resolves to the `result` event, rejects with the `error` event's ApiError.
   */
  async stream<T>(path: string, body: unknown, onProgress: (event: Progress) => void): Promise<T> {
    const response = await fetch(path, {
      method: "POST",
      headers: this.headers({ accept: "text/event-stream", ...(body === undefined ? {} : { "content-type": "application/json" }) }),
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
    if (!response.ok) throw await errorOf(response);
    // A runner without the stream answers the plain JSON: take it as the result.
    if (!(response.headers.get("content-type") ?? "").startsWith("text/event-stream") || !response.body) return (await response.json()) as T;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (value) buffer += value;
      let end: number;
      while ((end = buffer.search(/\r?\n\r?\n/)) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, "");
        const event = parseEvent(block);
        if (!event) continue;
        if (event.name === "progress") onProgress(event.data as Progress);
        else if (event.name === "result") return event.data as T;
        else if (event.name === "error") {
          const data = event.data as { status?: number; error?: ApiErrorBody };
          throw new ApiError(data.status ?? 500, data.error ?? { code: "COSMO_E_INTERNAL", message: "The runner reported an error without details." });
        }
      }
      if (done) throw new ApiError(0, { code: "STREAM_ENDED", message: "The runner closed the progress stream before the result. Reload the page to see where things stand." });
    }
  }

  /**
   * Whether the runner has an action endpoint, asked without side effects: the action is sent
   * for a record id that cannot exist, so a runner that has it answers "no such record" and one
   * that does not answers "no such route".
   */
  async has(action: string): Promise<boolean> {
    try {
      await this.request("POST", `/plugins/00000000-0000-4000-8000-000000000000/${action}`, {});
      return true;
    } catch (error) {
      return !(error instanceof ApiError && (error.body.code === "COSMO_E_API_ROUTE_NOT_FOUND" || error.status === 405));
    }
  }
}

function parseEvent(block: string): { name: string; data: unknown } | undefined {
  let name = "message";
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith(":")) continue; // a comment: keep-alive
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") name = value;
    else if (field === "data") data.push(value);
  }
  if (data.length === 0) return undefined;
  try {
    return { name, data: JSON.parse(data.join("\n")) };
  } catch {
    return undefined;
  }
}
