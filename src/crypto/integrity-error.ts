/**
 * Sealed credentials failed to open: altered, copied from another row, or sealed under a master key
 * that is no longer configured. Answered as a generic 500 and logged as an integrity failure.
 */
export class IntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IntegrityError';
  }
}
