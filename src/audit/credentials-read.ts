import { HttpException } from '@nestjs/common';
import { isDatabaseUnavailable } from '../http/http-exception.filter';
import type { AuditOutcome } from './audit-event.entity';

/** What a fetch learned, as it went, of whose credentials it read: the audit event of its outcome. */
export interface CredentialsRead {
  /** The customer of the instance holding the presented key; unset when the key matched nobody (no event). */
  customerId?: string;
  instanceId?: string;
  connectionId?: string;
  provider?: string;
  capability?: string;
}

/** The status a fetch that threw answers (the global filter's mapping, for the errors a fetch can raise). */
export function answeredStatus(error: unknown): number {
  if (error instanceof HttpException) return error.getStatus();
  return isDatabaseUnavailable(error) ? 503 : 500;
}

/** `success` for 2xx, `error` for 5xx, `denied` for the rest (401 another instance's path, 403, 404, 409, 422). */
export function readOutcome(status: number): AuditOutcome {
  if (status < 300) return 'success';
  return status >= 500 ? 'error' : 'denied';
}
