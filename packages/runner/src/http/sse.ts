/**
 * Server-sent events for the long admin operations. A client that sends
 * `Accept: text/event-stream` to apply, install or uninstall gets `progress` events as each phase
 * starts and ends, then one `result` (the body the plain call answers) or one `error` (the
 * error body with its HTTP status). Checks that fail before the work starts (token, record,
 * body) still answer as plain JSON errors with their status.
 */
import type { H3Event } from "h3";
import type { ProgressEvent, ProgressReporter } from "../operations/progress";

/** How often an idle stream sends a comment line, so proxies and browsers keep it open. */
const KEEPALIVE_MS = 15_000;

/** True when the request asks for an event stream instead of one JSON answer. */
export function wantsEventStream(event: H3Event): boolean {
  return (event.req.headers.get("accept") ?? "").toLowerCase().includes("text/event-stream");
}

/** One event in the text/event-stream format; `data` is JSON on one line. */
export function formatEvent(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * Runs `work` and answers with its progress as a stream. The work goes on to its end even when
 * the client goes away: an apply half done because a tab was closed would help nobody.
 * @param toError turns what `work` threw into the error response the plain call would send
 */
export function progressStream(work: (report: ProgressReporter) => Promise<unknown>, toError: (error: unknown) => Response): Response {
  const encoder = new TextEncoder();
  let open = true;
  let keepalive: ReturnType<typeof setInterval> | undefined;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (text: string) => {
        if (open) controller.enqueue(encoder.encode(text));
      };
      const finish = () => {
        clearInterval(keepalive);
        if (open) controller.close();
        open = false;
      };
      keepalive = setInterval(() => send(": keep-alive\n\n"), KEEPALIVE_MS);
      // Named first, so a client knows at once the stream is ours and the work has begun.
      send(": cosmo-runner progress\n\n");
      const report = (event: ProgressEvent) => send(formatEvent("progress", event));
      work(report).then(
        (result) => {
          send(formatEvent("result", result));
          finish();
        },
        async (error: unknown) => {
          const response = toError(error);
          const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
          send(formatEvent("error", { status: response.status, ...body }));
          finish();
        },
      );
    },
    cancel() {
      open = false;
      clearInterval(keepalive);
    },
  });
  return new Response(stream, {
    status: 200,
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      // Proxies that buffer (nginx) would hold the events back until the end.
      "x-accel-buffering": "no",
    },
  });
}
