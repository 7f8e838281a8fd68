import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

/**
 * Below this many bytes waiting on a socket, a message counts as sent once it is queued: the TCP socket's
 * own high-water mark, past which Node would tell a writer to wait for 'drain'.
 */
const EAGER_BELOW_BYTES = 16 * 1024;

/**
 * Lets a burst of messages to one WebSocket leave in one system call instead of one each.
 *
 * graphql-ws awaits each `send` (resolved by ws's write callback) before it takes a subscription's next
 * event, so a burst of 7 run events to 1,000 sockets was 7,000 `writev` calls, the loopback's share of
 * which was the largest single cost of the fan-out. Here a send to a socket that keeps up (little waiting in
 * its buffer) is acknowledged as soon as it is queued, so graphql-ws goes on to the next event at once,
 * and the TCP socket is held corked until the end of the tick, so the frames queued meanwhile go out
 * together. A socket whose client does not keep up gets ws's callback as before: graphql-ws waits for the
 * write, and maxSocketBufferBytes and the run stream's lag bound apply unchanged. Order is the socket's
 * own; a write that fails after an early acknowledgement fails the socket, whose close ends its
 * subscriptions.
 */
export function batchWrites(ws: WebSocket, tcp: Socket): void {
  const send = ws.send.bind(ws) as (data: unknown, ...rest: unknown[]) => void;
  let corked = false;
  const uncork = () => {
    if (!corked) return;
    corked = false;
    tcp.uncork();
  };
  flushes.set(ws, uncork);
  ws.send = ((data: unknown, ...rest: unknown[]) => {
    // graphql-ws calls send(data, callback), sendNext send(data); any other form is passed through untouched.
    const done = rest.length === 1 && typeof rest[0] === 'function' ? (rest[0] as (err?: Error) => void) : undefined;
    if ((!done && rest.length > 0) || !keepsUp(ws)) return send(data, ...rest);
    if (!corked) {
      corked = true;
      tcp.cork();
      process.nextTick(uncork);
    }
    send(data, ignore);
    done?.();
  }) as typeof ws.send;
}

/**
 * Sends graphql-ws's `next` message for subscription `id` with a payload already serialised (shared by
 * many subscribers: http/shared-execution.ts), when the socket keeps up as above; false, sending nothing,
 * when it does not.
 */
export function sendNext(ws: WebSocket, id: string, payload: string): boolean {
  if (!keepsUp(ws)) return false;
  ws.send(`{"id":${JSON.stringify(id)},"type":"next","payload":${payload}}`);
  return true;
}

const flushes = new WeakMap<WebSocket, () => void>();

/** Writes what batchWrites holds for this socket now rather than at the end of the tick. */
export function flushWrites(ws: WebSocket): void {
  flushes.get(ws)?.();
}

/** Open, with little waiting in its buffer: a send to it counts as sent once queued. */
function keepsUp(ws: WebSocket): boolean {
  return ws.readyState === ws.OPEN && ws.bufferedAmount < EAGER_BELOW_BYTES;
}

/** A failed write is the socket's failure: ws closes it, and graphql-ws ends its subscriptions on close. */
function ignore(): void {}
