import { type ArgumentMetadata, Injectable, Param, type PipeTransform } from '@nestjs/common';
import { validationProblem } from './problems';

/** Any UUID, as PostgreSQL's `uuid` type accepts it (FastAPI's UUID did not check the version either). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}

/** The path parameter `name`, lowercased, when it is a UUID; else the 422 at `["path", name]`. */
export function uuidPathValue(value: unknown, name: string): string {
  if (isUuid(value)) return value.toLowerCase();
  throw validationProblem(['path', name], 'Input should be a valid UUID', 'uuid_parsing');
}

@Injectable()
export class UuidPipe implements PipeTransform<unknown, string> {
  transform(value: unknown, metadata: ArgumentMetadata): string {
    return uuidPathValue(value, metadata.data ?? 'id');
  }
}

/** A path parameter that must be a UUID, else 422 at `["path", name]`. */
export const UuidParam = (name: string) => Param(name, UuidPipe);
