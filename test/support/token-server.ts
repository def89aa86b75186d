import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type TokenServerMode = 'ok' | 'fail500' | 'fail429' | 'hang' | 'invalid_grant';

export interface TokenCall {
  authorization: string | undefined;
  form: URLSearchParams;
}

/**
 * A local OAuth2 token endpoint (RFC 6749 §6) on loopback: it counts calls, rotates refresh tokens
 * (each is good once; a reused one gets `invalid_grant`, as Google and Auth0 answer a replay), and on
 * demand delays, fails with 5xx or 429, refuses, or hangs.
 */
export class TokenServer {
  readonly calls: TokenCall[] = [];
  mode: TokenServerMode = 'ok';
  delayMs = 0;
  expiresIn = 3600;
  private readonly valid = new Set<string>();
  private issued = 0;
  private readonly hanging: ServerResponse[] = [];
  private server!: Server;

  static async start(): Promise<TokenServer> {
    const tokens = new TokenServer();
    tokens.server = createServer((request, response) => void tokens.handle(request, response));
    await new Promise<void>((resolve) => tokens.server.listen(0, '127.0.0.1', resolve));
    return tokens;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/token`;
  }

  /** A refresh token the server will accept once. */
  issueRefreshToken(): string {
    const token = `rt-${++this.issued}-${Math.random().toString(36).slice(2)}`;
    this.valid.add(token);
    return token;
  }

  /** Every access and refresh token the server handed out or accepted, to look for in places they must not be. */
  readonly handedOut: string[] = [];

  async close(): Promise<void> {
    for (const response of this.hanging.splice(0)) response.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    this.calls.push({ authorization: request.headers.authorization, form });
    if (this.mode === 'hang') {
      this.hanging.push(response);
      return;
    }
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.mode === 'fail500') return this.answer(response, 500, { error: 'server_error' });
    if (this.mode === 'fail429') return this.answer(response, 429, { error: 'slow_down' });
    const refreshToken = form.get('refresh_token') ?? '';
    if (this.mode === 'invalid_grant' || form.get('grant_type') !== 'refresh_token' || !this.valid.delete(refreshToken)) {
      return this.answer(response, 400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
    }
    const accessToken = `at-${++this.issued}-${Math.random().toString(36).slice(2)}`;
    const rotated = this.issueRefreshToken();
    this.handedOut.push(accessToken, rotated, refreshToken);
    this.answer(response, 200, { access_token: accessToken, refresh_token: rotated, expires_in: this.expiresIn, token_type: 'Bearer', scope: 'mail.read mail.send' });
  }

  private answer(response: ServerResponse, status: number, body: object): void {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }
}
