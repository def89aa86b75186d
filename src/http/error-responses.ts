import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';
import { EXAMPLE } from './openapi-examples';

export class ErrorResponse {
  @ApiProperty({ example: 'Connection not found' })
  detail: string;

  @ApiPropertyOptional({ description: 'A machine-readable reason, where the contract names one (`connection_revoked`, `not_refreshable`)', example: 'connection_revoked' })
  code?: string;
}

export class InternalErrorResponse extends ErrorResponse {
  @ApiProperty({ format: 'uuid', description: 'Quote this id when reporting the error; the log line has the same.', example: EXAMPLE.errorId })
  error_id: string;
}

export class ValidationIssueResponse {
  @ApiProperty({ type: 'array', items: { oneOf: [{ type: 'string' }, { type: 'integer' }] }, example: ['body', 'provider'] })
  loc: (string | number)[];

  @ApiProperty({ example: 'Field required' })
  msg: string;

  @ApiProperty({ example: 'missing' })
  type: string;
}

export class ValidationErrorResponse {
  @ApiProperty({ type: [ValidationIssueResponse] })
  detail: ValidationIssueResponse[];
}

const DESCRIPTIONS: Record<number, string> = {
  401: 'Missing, malformed, unknown, revoked or expired credentials',
  403: 'Valid credentials that may not act here',
  404: 'Not found, or not the caller\u2019s',
  409: 'Conflicts with what is stored',
  413: 'Request body over 1 MiB',
  422: 'Validation error',
  500: 'Internal error; nothing secret is in the body',
  503: 'The database is unavailable, or an expired token could not be refreshed yet (see Retry-After)',
};

/** Documents the error answers of an operation, each with its body schema. */
export function ApiErrors(...statuses: number[]) {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status],
        type: status === 422 ? ValidationErrorResponse : status === 500 ? InternalErrorResponse : ErrorResponse,
      }),
    ),
  );
}
