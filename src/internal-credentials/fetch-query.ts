import { ValidationProblem, type ValidationIssue } from '../http/problems';

export interface FetchQuery {
  provider: string;
  name?: string;
  capability?: string;
}

const RULES: Record<keyof FetchQuery, { required: boolean; max: number }> = {
  provider: { required: true, max: 50 },
  name: { required: false, max: 255 },
  capability: { required: false, max: 100 },
};

/** What is wrong with one query parameter's value, if anything; shared by the pipe and the proxy-key strategy. */
export function fetchQueryIssue(field: keyof FetchQuery, value: unknown): ValidationIssue | undefined {
  const rule = RULES[field];
  const loc = ['query', field];
  if (value === undefined) return rule.required ? { loc, msg: 'Field required', type: 'missing' } : undefined;
  if (typeof value !== 'string') return { loc, msg: `${field} must be given once, as a string`, type: 'string_type' };
  if (value.length === 0) return { loc, msg: `${field} must not be empty`, type: 'string_too_short' };
  if (value.length > rule.max) return { loc, msg: `${field} must be at most ${rule.max} characters`, type: 'string_too_long' };
  if (value.includes('\u0000')) return { loc, msg: 'String should not contain the NUL character', type: 'string_nul' };
  return undefined;
}

/**
 * The fetch's query, checked by hand: this is the hot path, and three strings do not need
 * class-validator. Same 422 shape as everywhere else.
 */
export function parseFetchQuery(query: Record<string, unknown> | undefined): FetchQuery {
  const issues: ValidationIssue[] = [];
  const result: Partial<FetchQuery> = {};
  for (const field of Object.keys(RULES) as (keyof FetchQuery)[]) {
    const value = query?.[field];
    const issue = fetchQueryIssue(field, value);
    if (issue) issues.push(issue);
    else if (value !== undefined) result[field] = value as string;
  }
  if (issues.length > 0) throw new ValidationProblem(issues);
  return result as FetchQuery;
}
