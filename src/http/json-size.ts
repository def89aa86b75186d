import { registerDecorator, type ValidationOptions } from 'class-validator';

/** The value's size as compact JSON, in UTF-8 bytes, must not exceed `maxBytes`. */
export function MaxJsonSize(maxBytes: number, options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'maxJsonSize',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be at most ${maxBytes / 1024} KiB as JSON`, ...options },
      validator: {
        validate: (value: unknown) => value === undefined || value === null || Buffer.byteLength(JSON.stringify(value), 'utf8') <= maxBytes,
      },
    });
}
