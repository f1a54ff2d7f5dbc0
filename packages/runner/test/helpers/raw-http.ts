/**
 * Raw bytes to a server, as an attacker sends them: no HTTP client in between to fix up a bad
 * request line or Host header. Reads until the server closes (or `ms` pass) and parses the
 * status line and body of the first answer.
 */
import { connect } from "node:net";

/** What came back for one raw request. */
export interface RawAnswer {
  /** The status of the first answer, or undefined when the server sent no HTTP answer at all. */
  status?: number;
  body: string;
  raw: string;
}

/** Sends `bytes` to host:port, half-closes, and resolves with what the server answered. */
export function rawRequest(port: number, bytes: string | Buffer, ms = 5_000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let raw = "";
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(raw)?.[1];
      const split = raw.indexOf("\r\n\r\n");
      resolve({ status: status ? Number(status) : undefined, body: split === -1 ? "" : raw.slice(split + 4), raw });
    };
    const timer = setTimeout(done, ms);
    socket.on("data", (d: Buffer) => {
      raw += d.toString("latin1");
    });
    socket.once("connect", () => socket.end(bytes));
    socket.once("close", done);
    socket.once("error", done);
  });
}
