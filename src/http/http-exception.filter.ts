import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { QueryFailedError } from 'typeorm';
import type { AppLogger } from '../logging/logger';
import { IntegrityError } from '../crypto/integrity-error';
import { lingerBeforeClosing } from './lingering-close';
import { CodedProblem, ValidationProblem } from './problems';
import type { AppRequest } from './request-context';

type ErrorBody = { detail: unknown; code?: string; error_id?: string };

/** What a 4xx raised by fastify itself (parsing, limits, routing) means to a client, without echoing input. */
const FRAMEWORK_ERRORS: Record<string, { status: number; body: ErrorBody }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: {
    status: 422,
    body: { detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }] },
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 422,
    body: { detail: [{ loc: ['body'], msg: 'Field required', type: 'missing' }] },
  },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, body: { detail: 'Request body is larger than 1 MiB' } },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, body: { detail: 'Unsupported media type: send application/json' } },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, body: { detail: 'Content-Length does not match the body' } },
};

/**
 * What means "the database cannot be reached, try again": the network errors of a connection that
 * fails or goes silent (socket codes), and PostgreSQL's answers of a server that is going away,
 * starting, overloaded, or a read-only standby after a failover (25006). Class 08 (connection
 * exceptions) is matched by its prefix.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN',
  'ENOTFOUND', 'EAI_AGAIN',
  '25006', '57P01', '57P02', '57P03', '53300',
]);
const UNAVAILABLE_MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
  /Connection is not established/i,
  /Query read timeout/,
  /Client was closed and is not queryable/,
];

/** Unique constraints by name → the 409 a client sees. */
const CONFLICTS: Record<string, string> = {
  UQ_connections_customer_provider_name: 'A connection with this provider and name already exists',
  UQ_grants_connection_instance: 'This connection is already granted to this instance',
  UQ_oauth_apps_customer_provider: 'An OAuth app for this provider already exists',
};

/** Foreign keys by name → the 404 a client sees when what it refers to went away meanwhile. */
const MISSING_REFERENCES: Record<string, string> = {
  FK_api_keys_customer: 'Customer not found',
  FK_instances_customer: 'Customer not found',
  FK_connections_customer: 'Customer not found',
  FK_grants_connection: 'Connection not found',
  FK_grants_instance: 'Instance not found',
  FK_oauth_apps_customer: 'Customer not found',
  FK_webhooks_customer: 'Customer not found',
  FK_webhook_deliveries_webhook: 'Webhook not found',
};

/**
 * Turns every error into the FastAPI body: `{"detail": [...]}` for validation, `{"detail": "..."}` for
 * the rest. An error it does not know is a 500 with a generic detail and an `error_id`, logged once in
 * full under that id and the request id. Constraint violations become 409/404 here, in one place.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: AppLogger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<AppRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { status, body } = this.describe(exception, request);
    if (status === HttpStatus.UNAUTHORIZED) reply.header('WWW-Authenticate', 'Bearer');
    if (exception instanceof CodedProblem) for (const [name, value] of Object.entries(exception.headers)) reply.header(name, value);
    if (status === HttpStatus.PAYLOAD_TOO_LARGE) lingerBeforeClosing(request.raw);
    void reply.status(status).header('Content-Type', 'application/json; charset=utf-8').send(body);
  }

  private describe(exception: unknown, request: AppRequest): { status: number; body: ErrorBody } {
    if (exception instanceof ValidationProblem) {
      return { status: 422, body: { detail: exception.issues } };
    }
    if (exception instanceof CodedProblem) {
      return { status: exception.getStatus(), body: exception.code === undefined ? { detail: exception.detail } : { detail: exception.detail, code: exception.code } };
    }
    if (exception instanceof HttpException) {
      const framework = frameworkError(exception.cause);
      if (framework) return framework;
      // Nest's unknown-route 404 quotes the path, which may hold anything a client pasted into it.
      if (exception.getStatus() === 404 && request.routeOptions.url === undefined) {
        return { status: 404, body: { detail: 'Not Found' } };
      }
      return { status: exception.getStatus(), body: { detail: messageOf(exception) } };
    }
    const framework = frameworkError(exception);
    if (framework) return framework;
    if (exception instanceof QueryFailedError) {
      const driverError = (exception as QueryFailedError & { driverError?: { code?: string; constraint?: string } }).driverError;
      if (driverError?.code === '23505') {
        return { status: 409, body: { detail: CONFLICTS[driverError.constraint ?? ''] ?? 'The resource already exists' } };
      }
      if (driverError?.code === '23503') {
        return { status: 404, body: { detail: MISSING_REFERENCES[driverError.constraint ?? ''] ?? 'A resource this request refers to no longer exists' } };
      }
    }
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn({ req_id: request.id, err: exception }, 'database unavailable');
      return { status: 503, body: { detail: 'The database is unavailable; try again shortly' } };
    }
    const errorId = randomUUID();
    const integrity = exception instanceof IntegrityError;
    this.logger.error(
      { req_id: request.id, error_id: errorId, integrity_failure: integrity || undefined, err: exception },
      integrity ? 'integrity failure: sealed credentials did not open' : 'unhandled error',
    );
    return { status: 500, body: { detail: 'Internal server error', error_id: errorId } };
  }
}

function messageOf(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown; detail?: unknown }).detail ?? (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.join('; ');
  return exception.message;
}

function frameworkError(error: unknown): { status: number; body: ErrorBody } | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && code in FRAMEWORK_ERRORS) return FRAMEWORK_ERRORS[code];
  const statusCode = (error as { statusCode?: unknown } | undefined)?.statusCode;
  if (typeof code === 'string' && code.startsWith('FST_') && typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return { status: statusCode, body: { detail: 'Bad request' } };
  }
  return undefined;
}

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown } | undefined, depth = 0; current && depth < 4; depth++) {
    if (typeof current.code === 'string' && (UNAVAILABLE_CODES.has(current.code) || /^08[0-9A-Z]{3}$/.test(current.code))) return true;
    if (typeof current.message === 'string' && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(current!.message as string))) return true;
    current = (current.driverError ?? current.cause) as typeof current;
  }
  return false;
}
