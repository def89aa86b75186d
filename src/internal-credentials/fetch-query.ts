import { Injectable, type PipeTransform } from '@nestjs/common';
import { ValidationProblem, type ValidationIssue } from '../http/problems';

export interface FetchQuery {
  provider: string;
  name?: string;
  capability?: string;
}

export const FETCH_QUERY_LIMITS: Record<keyof FetchQuery, number> = { provider: 50, name: 255, capability: 100 };

const FIELDS: Record<keyof FetchQuery, { required: boolean; max: number }> = {
  provider: { required: true, max: FETCH_QUERY_LIMITS.provider },
  name: { required: false, max: FETCH_QUERY_LIMITS.name },
  capability: { required: false, max: FETCH_QUERY_LIMITS.capability },
};

/**
 * The fetch's query, checked by hand: this is the hot path, and three strings do not need
 * class-validator. Same 422 shape as everywhere else.
 */
@Injectable()
export class FetchQueryPipe implements PipeTransform<Record<string, unknown>, FetchQuery> {
  transform(query: Record<string, unknown>): FetchQuery {
    const issues: ValidationIssue[] = [];
    const result: Partial<FetchQuery> = {};
    for (const [field, rule] of Object.entries(FIELDS) as [keyof FetchQuery, (typeof FIELDS)[keyof FetchQuery]][]) {
      const value = query?.[field];
      const loc = ['query', field];
      if (value === undefined) {
        if (rule.required) issues.push({ loc, msg: 'Field required', type: 'missing' });
      } else if (typeof value !== 'string') {
        issues.push({ loc, msg: `${field} must be given once, as a string`, type: 'string_type' });
      } else if (value.length === 0) {
        issues.push({ loc, msg: `${field} must not be empty`, type: 'string_too_short' });
      } else if (value.length > rule.max) {
        issues.push({ loc, msg: `${field} must be at most ${rule.max} characters`, type: 'string_too_long' });
      } else if (value.includes('\u0000')) {
        issues.push({ loc, msg: 'String should not contain the NUL character', type: 'string_nul' });
      } else {
        result[field] = value;
      }
    }
    if (issues.length > 0) throw new ValidationProblem(issues);
    return result as FetchQuery;
  }
}
