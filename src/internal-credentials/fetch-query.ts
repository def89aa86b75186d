import type { ValidationIssue } from '../http/problems';

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

function fetchQueryIssue(field: keyof FetchQuery, value: unknown): ValidationIssue | undefined {
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
 * The fetch's query, checked by hand once: this is the hot path, and three strings do not need
 * class-validator. The valid parameters, and the problems (422, same shape as everywhere else) of the others.
 */
export function checkFetchQuery(query: Record<string, unknown> | undefined): { valid: Partial<FetchQuery>; issues: ValidationIssue[] } {
  const issues: ValidationIssue[] = [];
  const valid: Partial<FetchQuery> = {};
  for (const field of Object.keys(RULES) as (keyof FetchQuery)[]) {
    const value = query?.[field];
    const issue = fetchQueryIssue(field, value);
    if (issue) issues.push(issue);
    else if (value !== undefined) valid[field] = value as string;
  }
  return { valid, issues };
}
