import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';

/** A URL the outbound rule refuses; the message says why (never holds a secret). */
export class OutboundUrlError extends Error {}

/** An outbound call that did not get an answer. */
export class OutboundError extends Error {
  constructor(
    readonly reason: 'refused_url' | 'timeout' | 'network',
    message: string,
  ) {
    super(message);
  }
}

export interface OutboundResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  truncated: boolean;
}

/** Loopback, private, link-local, shared, documentation, multicast and reserved ranges. */
const NON_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NON_PUBLIC.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8],
] as const) NON_PUBLIC.addSubnet(net, prefix, 'ipv6');

/** An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, or as URLs write it, `::ffff:7f00:1`) as its IPv4 address. */
function mappedIpv4(address: string): string | undefined {
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted) return dotted[1];
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return undefined;
  const [high, low] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const mapped = family === 6 ? mappedIpv4(address) : undefined;
  if (mapped) return !NON_PUBLIC.check(mapped, 'ipv4');
  return !NON_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The one HTTP client for every call that leaves the process: the outbound-URL rule (https, public
 * addresses only, checked on the addresses a name resolves to when the connection is made), a timeout,
 * no redirects followed, and the response body read to at most a bound.
 */
@Injectable()
export class OutboundClient {
  constructor(private readonly config: AppConfig) {}

  /** Why the URL is refused on its face (scheme, a literal non-public address), or undefined. */
  checkUrlShape(url: string): string | undefined {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'must be an absolute URL';
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'must be an https URL';
    if (parsed.username || parsed.password) return 'must not carry credentials';
    if (this.config.outboundAllowPrivateNetworks) return undefined;
    if (parsed.protocol !== 'https:') return 'must be an https URL';
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) !== 0 && !isPublicAddress(host)) return 'must not be a loopback, private, link-local or otherwise non-public address';
    if (host === 'localhost' || host.endsWith('.localhost')) return 'must not be a loopback, private, link-local or otherwise non-public address';
    return undefined;
  }

  /** At save time: the shape, then every address the name resolves to now. */
  async assertUrlAllowed(url: string): Promise<void> {
    const shape = this.checkUrlShape(url);
    if (shape) throw new OutboundUrlError(shape);
    if (this.config.outboundAllowPrivateNetworks) return;
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) !== 0) return;
    let addresses: LookupAddress[];
    try {
      addresses = await new Promise((resolve, reject) => dnsLookup(host, { all: true }, (error, found) => (error ? reject(error) : resolve(found))));
    } catch {
      throw new OutboundUrlError('host name does not resolve');
    }
    if (addresses.length === 0 || addresses.some((entry) => !isPublicAddress(entry.address))) {
      throw new OutboundUrlError('resolves to a loopback, private, link-local or otherwise non-public address');
    }
  }

  post(url: string, init: { headers: Record<string, string>; body: string | Buffer; timeoutMs: number; maxResponseBytes: number }): Promise<OutboundResponse> {
    const shape = this.checkUrlShape(url);
    if (shape) return Promise.reject(new OutboundError('refused_url', `URL ${shape}`));
    const parsed = new URL(url);
    const body = typeof init.body === 'string' ? Buffer.from(init.body, 'utf8') : init.body;
    const request = parsed.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<OutboundResponse>((resolve, reject) => {
      let settled = false;
      const fail = (error: OutboundError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outgoing.destroy();
        reject(error);
      };
      const outgoing = request(parsed, {
        method: 'POST',
        headers: { ...init.headers, 'content-length': String(body.length) },
        lookup: this.checkedLookup(),
        agent: false,
      });
      const timer = setTimeout(() => fail(new OutboundError('timeout', `no answer within ${init.timeoutMs} ms`)), init.timeoutMs);
      outgoing.on('error', (error: NodeJS.ErrnoException) => {
        if (error instanceof OutboundError) fail(error);
        else fail(new OutboundError('network', error.code ? `connection failed (${error.code})` : 'connection failed'));
      });
      outgoing.on('response', (incoming) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        const finish = () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers as IncomingHttpHeaders, body: Buffer.concat(chunks), truncated });
        };
        incoming.on('data', (chunk: Buffer) => {
          const room = init.maxResponseBytes - size;
          if (chunk.length >= room) {
            chunks.push(chunk.subarray(0, room));
            size += room;
            truncated = truncated || chunk.length > room;
            finish();
            incoming.destroy();
            outgoing.destroy();
            return;
          }
          chunks.push(chunk);
          size += chunk.length;
        });
        incoming.on('end', finish);
        incoming.on('error', () => fail(new OutboundError('network', 'connection closed while reading the answer')));
      });
      outgoing.end(body);
    });
  }

  /** The DNS lookup of the connection itself, refusing non-public addresses: what is checked is what is dialled. */
  private checkedLookup(): LookupFunction {
    const allowPrivate = this.config.outboundAllowPrivateNetworks;
    return (hostname, options, callback) => {
      dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
        if (error) return (callback as (error: Error) => void)(error);
        const refused = !allowPrivate && addresses.some((entry) => !isPublicAddress(entry.address));
        if (refused) return (callback as (error: Error) => void)(new OutboundError('refused_url', 'URL resolves to a loopback, private, link-local or otherwise non-public address'));
        if ((options as { all?: boolean }).all) return (callback as (error: null, addresses: LookupAddress[]) => void)(null, addresses);
        (callback as (error: null, address: string, family: number) => void)(null, addresses[0].address, addresses[0].family);
      });
    };
  }
}
