import { Header } from '@nestjs/common';

/** The JSON text of a `T`, built by PostgreSQL and sent as it is: the type says what the text holds. */
export type JsonText<T> = string & { readonly jsonOf?: T };

/**
 * For a handler that returns `JsonText`: fastify sends a string with a JSON content type unchanged,
 * where it would send a bare string as text/plain.
 */
export const JsonTextResponse = (): MethodDecorator => Header('Content-Type', 'application/json; charset=utf-8');
