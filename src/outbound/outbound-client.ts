import { lookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { isPublicAddress } from './address-rule';

export type OutboundFailure = 'refused_url' | 'timeout' | 'network';

/** A call that did not get an HTTP answer; the message names the reason, never a header or a body. */
export class OutboundError extends Error {
  constructor(
    readonly reason: OutboundFailure,
    message: string,
  ) {
    super(message);
  }
}

/** A URL the outbound rule refuses; its message says why, in words a client can act on. */
export class OutboundUrlError extends OutboundError {
  constructor(message: string) {
    super('refused_url', message);
  }
}

export interface OutboundResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** At most `maxResponseBytes` of the body. */
  body: Buffer;
  truncated: boolean;
}

export interface OutboundPost {
  headers: Record<string, string>;
  body: string | Buffer;
  timeoutMs: number;
  maxResponseBytes: number;
}

/**
 * The one way out of the process (token endpoints, webhooks). It owns the outbound-URL rule: https
 * only, and every address the name resolves to must be public, checked at call time and then
 * connected to as checked (the socket's lookup answers the checked address, so a name that changes
 * between the check and the connection cannot reach a private one). Redirects are never followed,
 * the whole call has a deadline, and at most `maxResponseBytes` of an answer are read.
 * `OUTBOUND_ALLOW_PRIVATE_NETWORKS` lifts the rule, for development and tests.
 */
@Injectable()
export class OutboundClient {
  private readonly allowPrivate: boolean;

  constructor(config: AppConfig) {
    this.allowPrivate = config.outboundAllowPrivateNetworks;
  }

  /** Why the URL is refused without resolving it (scheme, literal address), or undefined. */
  checkUrlShape(url: string): string | undefined {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'must be an absolute URL';
    }
    if (parsed.username !== '' || parsed.password !== '') return 'must not carry a user name or password';
    if (this.allowPrivate) return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? undefined : 'must be an http(s) URL';
    if (parsed.protocol !== 'https:') return 'must be an https URL';
    const host = hostOf(parsed);
    if (isIP(host) !== 0 && !isPublicAddress(host)) return 'must not point to a loopback, private, link-local or otherwise non-public address';
    return undefined;
  }

  /** At save time: the shape, then every address the name resolves to now. */
  async assertUrlAllowed(url: string): Promise<void> {
    await this.resolve(url);
  }

  async post(url: string, init: OutboundPost): Promise<OutboundResponse> {
    const deadline = Date.now() + init.timeoutMs;
    const target = await withDeadline(this.resolve(url), init.timeoutMs);
    return send(target, init, Math.max(1, deadline - Date.now()));
  }

  private async resolve(url: string): Promise<ResolvedTarget> {
    const problem = this.checkUrlShape(url);
    if (problem) throw new OutboundUrlError(`The URL ${problem}`);
    const parsed = new URL(url);
    const host = hostOf(parsed);
    let addresses: { address: string; family: number }[];
    if (isIP(host) !== 0) {
      addresses = [{ address: host, family: isIP(host) }];
    } else {
      try {
        addresses = await lookup(host, { all: true, verbatim: true });
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'ENOTFOUND' || code === 'ENODATA') throw new OutboundUrlError('The URL\u2019s host name does not resolve');
        throw new OutboundError('network', `The host name could not be resolved (${code ?? 'error'})`);
      }
    }
    if (addresses.length === 0) throw new OutboundUrlError('The URL\u2019s host name does not resolve');
    if (!this.allowPrivate && addresses.some((entry) => !isPublicAddress(entry.address))) {
      throw new OutboundUrlError('The URL resolves to a loopback, private, link-local or otherwise non-public address');
    }
    return { url: parsed, address: addresses[0] };
  }
}

interface ResolvedTarget {
  url: URL;
  address: { address: string; family: number };
}

function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

function withDeadline<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new OutboundError('timeout', `No answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

function send(target: ResolvedTarget, init: OutboundPost, timeoutMs: number): Promise<OutboundResponse> {
  const { url, address } = target;
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as (error: null, addresses: { address: string; family: number }[]) => void)(null, [address]);
    else callback(null, address.address, address.family);
  };
  const body = typeof init.body === 'string' ? Buffer.from(init.body, 'utf8') : init.body;
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<OutboundResponse>((resolvePromise, reject) => {
    let settled = false;
    const finish = (error: OutboundError | undefined, response?: OutboundResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolvePromise(response!);
    };
    const req = request(
      url,
      {
        method: 'POST',
        headers: { ...init.headers, 'content-length': String(body.length) },
        lookup: pinned,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        res.on('data', (chunk: Buffer) => {
          if (truncated) return;
          const room = init.maxResponseBytes - size;
          if (chunk.length > room) {
            chunks.push(chunk.subarray(0, room));
            size += room;
            truncated = true;
            finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), truncated });
            res.destroy();
            return;
          }
          chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), truncated }));
        res.on('error', () => finish(new OutboundError('network', 'The connection failed while reading the answer')));
      },
    );
    const timer = setTimeout(() => {
      finish(new OutboundError('timeout', `No answer within ${timeoutMs} ms`));
      req.destroy();
    }, timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => finish(new OutboundError('network', `The connection failed (${error.code ?? 'error'})`)));
    req.end(body);
  });
}
