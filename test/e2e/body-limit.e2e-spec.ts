import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createCustomer, type TestCustomer } from '../support/factories';
import { TestApp } from '../support/test-app';

const TWO_MIB = 2 * 1024 * 1024;

interface Answer {
  status: number;
  body: string;
  connection: string | undefined;
}

/**
 * A body over 1 MiB gets its 413, read by a real client that sends the whole of it. The service answers
 * before reading the body, then reads and drops what the client still sends before closing (a lingering
 * close): closing at once would reset the connection under a client still writing, which then never
 * reads its answer.
 */
describe('A body over 1 MiB', () => {
  let t: TestApp;
  let customer: TestCustomer;
  let port: number;

  beforeAll(async () => {
    t = await TestApp.start();
    customer = await createCustomer(t);
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => t.close());

  /**
   * Sends `size` bytes of a JSON body with node:http, in 64 KiB writes a millisecond apart (a client
   * on a real network, still sending when the answer comes). Resolves once the answer is read and the
   * whole body was sent, with the error the client met on the way, if any.
   */
  function post(size: number, chunked: boolean): Promise<Answer & { error?: string }> {
    return new Promise((resolve) => {
      const headers: Record<string, string | number> = { 'Content-Type': 'application/json', 'X-Api-Key': customer.apiKey };
      if (!chunked) headers['Content-Length'] = size;
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: `/v1/customers/${customer.id}/connections`, headers, agent: false });
      let answer: Answer | undefined;
      let sentAll = false;
      let error: string | undefined;
      const settle = () => {
        if (error !== undefined) resolve({ status: answer?.status ?? 0, body: answer?.body ?? '', connection: answer?.connection, error });
        else if (answer && sentAll) resolve(answer);
      };
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          answer = { status: res.statusCode!, body, connection: res.headers.connection };
          settle();
        });
      });
      req.on('error', (failure: NodeJS.ErrnoException) => {
        error = failure.code ?? failure.message;
        settle();
      });
      req.on('finish', () => {
        sentAll = true;
        settle();
      });
      req.on('close', () => {
        if (!sentAll) error ??= 'closed while the body was being sent';
        settle();
      });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const write = (): void => {
        if (error !== undefined) return;
        if (sent >= size) {
          req.end();
          return;
        }
        const part = chunk.subarray(0, Math.min(chunk.length, size - sent));
        sent += part.length;
        if (!req.write(part)) req.once('drain', () => setTimeout(write, 1));
        else setTimeout(write, 1);
      };
      write();
    });
  }

  /**
   * A client that sends its whole request before reading (as curl or Python's requests do): 2 MiB in
   * paced 64 KiB writes on a raw socket that is not read meanwhile, then everything it answered.
   */
  function sendAllThenRead(): Promise<{ received: string; error?: string }> {
    return new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.pause();
      let received = '';
      let error: string | undefined;
      socket.setEncoding('latin1');
      socket.on('data', (data: string) => (received += data));
      socket.on('end', () => resolve({ received, error }));
      socket.on('error', (failure: NodeJS.ErrnoException) => {
        error ??= failure.code;
        resolve({ received, error });
      });
      socket.write(
        `POST /v1/customers/${customer.id}/connections HTTP/1.1\r\nHost: x\r\nX-Api-Key: ${customer.apiKey}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${TWO_MIB}\r\n\r\n`,
      );
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const write = (): void => {
        if (socket.destroyed) return;
        if (sent >= TWO_MIB) {
          socket.end();
          socket.resume();
          return;
        }
        sent += chunk.length;
        socket.write(chunk, () => setTimeout(write, 1));
      };
      write();
    });
  }

  it('is answered 413 in the error shape, 20 times in a row, with Content-Length', async () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      // node:http stops sending by itself once it has read a `Connection: close` answer: only the answer is checked.
      const answer = await post(TWO_MIB, false);
      expect(answer).toEqual(
        expect.objectContaining({ status: 413, body: JSON.stringify({ detail: 'Request body is larger than 1 MiB' }), connection: 'close' }),
      );
    }
  });

  it('is answered 413, 20 times in a row, when sent chunked', async () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const answer = await post(TWO_MIB, true);
      expect(answer).toEqual(
        expect.objectContaining({ status: 413, body: JSON.stringify({ detail: 'Request body is larger than 1 MiB' }), connection: 'close' }),
      );
    }
  });

  it('is read whole, then answered 413, by a client that reads only after sending, 20 times in a row', async () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const { received, error } = await sendAllThenRead();
      expect(error).toBeUndefined();
      expect(received).toMatch(/^HTTP\/1\.1 413 /);
      expect(received).toContain('{"detail":"Request body is larger than 1 MiB"}');
    }
  });

  it('leaves a body of 1 MiB or less to be read and answered as usual', async () => {
    const answer = await post(1024 * 1024, false);
    expect(answer.status).toBe(422);
    expect(JSON.parse(answer.body).detail[0]).toEqual(expect.objectContaining({ loc: ['body'], type: 'json_invalid' }));
  });
});
