/**
 * The access log (`start --access-log`): one line per request once its response has ended, with
 * pino-http's field names (`req.method`, `req.url`, `res.statusCode`, `responseTime` in ms), so
 * tools that read pino-http logs read these.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../logger";

/** Starts timing a request; logs it when the response finishes or the client goes away. */
export function logAccess(logger: Logger, req: IncomingMessage, res: ServerResponse): void {
  const started = performance.now();
  let done = false;
  const log = () => {
    if (done) return;
    done = true;
    const fields = {
      req: { method: req.method, url: req.url, remoteAddress: req.socket.remoteAddress },
      res: { statusCode: res.statusCode },
      responseTime: Math.round((performance.now() - started) * 10) / 10,
    };
    // A response cut before its end is worth a warning: the client saw an error, not the status.
    if (res.writableFinished) logger.info(fields, "request completed");
    else logger.warn(fields, "request aborted");
  };
  res.once("finish", log);
  res.once("close", log);
}
