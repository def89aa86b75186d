import { NotFoundException } from '@nestjs/common';

/**
 * The one way to say "not found or not yours": another customer's resource is answered exactly like
 * a missing one, so its existence is never revealed.
 */
export function notFound(resource: 'Customer' | 'API key' | 'Instance' | 'Connection' | 'Grant' | 'OAuth app' | 'Webhook'): NotFoundException {
  return new NotFoundException(`${resource} not found`);
}

/** Returns the value, or throws the 404 of `resource` when it is null or undefined. */
export function foundOr404<T>(value: T | null | undefined, resource: Parameters<typeof notFound>[0]): T {
  if (value === null || value === undefined) throw notFound(resource);
  return value;
}
