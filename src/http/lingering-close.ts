import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** How long, and how much, a refused client may go on sending before its connection is cut. */
const LINGER_MAX_MS = 5_000;
const LINGER_MAX_BYTES = 16 * 1024 * 1024;
const LINGER_CHECK_MS = 100;

/**
 * For an answer sent before the request's body was read (a 413), with `Connection: close`: once the
 * answer is out, the socket is half-closed and what the client still sends is read and dropped, until
 * it closes its side, or up to a bound of time and bytes (nginx's lingering close). Node's own close
 * would destroy the socket at once, and the data still arriving would reset the connection under a
 * client that is still sending, which then never reads its answer.
 */
export function lingerBeforeClosing(message: IncomingMessage): void {
  const socket = message.socket as Socket | null;
  if (message.complete || !socket || socket.destroyed) return;
  // What the parser gives of the body is dropped.
  message.resume();
  // Node's HTTP server calls destroySoon() when the answer of a `Connection: close` exchange is sent.
  socket.destroySoon = function lingeringClose(this: Socket): void {
    this.end();
    const readBefore = this.bytesRead;
    const deadline = setTimeout(() => this.destroy(), LINGER_MAX_MS);
    const check = setInterval(() => {
      if (this.bytesRead - readBefore > LINGER_MAX_BYTES) this.destroy();
    }, LINGER_CHECK_MS);
    deadline.unref();
    check.unref();
    this.once('close', () => {
      clearTimeout(deadline);
      clearInterval(check);
    });
  };
}
