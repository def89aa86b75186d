import { HttpException, HttpStatus } from '@nestjs/common';

/** One entry of a FastAPI-shaped 422 body. */
export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** A 422 whose body is `{"detail": [{loc, msg, type}, ...]}`, one entry per problem. */
export class ValidationProblem extends HttpException {
  constructor(readonly issues: ValidationIssue[]) {
    super({ detail: issues }, HttpStatus.UNPROCESSABLE_ENTITY);
  }
}

export function validationProblem(loc: (string | number)[], msg: string, type: string): ValidationProblem {
  return new ValidationProblem([{ loc, msg, type }]);
}

/**
 * An error the contract gives a machine-readable `code` (`{"detail": "...", "code": "..."}`), and
 * optionally response headers such as `Retry-After`.
 */
export class CodedProblem extends HttpException {
  constructor(
    status: number,
    readonly detail: string,
    readonly code: string | undefined,
    readonly headers: Record<string, string> = {},
  ) {
    super({ detail }, status);
  }
}
