import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validate, type ValidationError } from 'class-validator';
import { freeFormPropertiesOf } from './free-form';
import { ValidationProblem, type ValidationIssue } from './problems';

/** class-validator constraint → the FastAPI/pydantic error type clients already know. */
const ISSUE_TYPES: Record<string, string> = {
  isDefined: 'missing',
  isString: 'string_type',
  isNotEmpty: 'string_too_short',
  minLength: 'string_too_short',
  maxLength: 'string_too_long',
  isIn: 'enum',
  isArray: 'list_type',
  arrayMaxSize: 'too_long',
  arrayMinSize: 'too_short',
  isBoolean: 'bool_type',
  isObject: 'dict_type',
  isUuid: 'uuid_parsing',
  isInt: 'int_parsing',
  min: 'greater_than_equal',
  max: 'less_than_equal',
  maxJsonSize: 'too_long',
};

/** The order in which one field's failed constraints are reported: only the first is, so one entry a problem. */
const ISSUE_PRIORITY = ['isDefined', 'isString', 'isArray', 'isObject', 'isInt', 'isBoolean'];

function issuesOf(errors: ValidationError[], location: string, parentPath: (string | number)[] = []): ValidationIssue[] {
  return errors.flatMap((error) => {
    const path = [...parentPath, /^\d+$/.test(error.property) ? Number(error.property) : error.property];
    const nested = issuesOf(error.children ?? [], location, path);
    const constraints = Object.entries(error.constraints ?? {});
    if (constraints.length === 0) return nested;
    constraints.sort(([a], [b]) => rank(a) - rank(b));
    const [name, message] = constraints[0];
    const issue: ValidationIssue =
      name === 'isDefined'
        ? { loc: [location, ...path], msg: 'Field required', type: 'missing' }
        : { loc: [location, ...path], msg: message, type: issueType(name, error.value) };
    return [issue, ...nested];
  });
}

function issueType(constraint: string, value: unknown): string {
  if (constraint === 'isLength') {
    const tooShort = typeof value === 'string' ? value.length === 0 : Array.isArray(value) && value.some((item) => item === '');
    return tooShort ? 'string_too_short' : 'string_too_long';
  }
  return ISSUE_TYPES[constraint] ?? 'value_error';
}

function rank(constraint: string): number {
  const index = ISSUE_PRIORITY.indexOf(constraint);
  return index === -1 ? ISSUE_PRIORITY.length : index;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every string (and object key) below `value` holding a NUL character, by its path. */
function nulIssues(value: unknown, path: (string | number)[]): ValidationIssue[] {
  const issue = { loc: path, msg: 'String should not contain the NUL character', type: 'string_nul' };
  if (typeof value === 'string') return value.includes('\u0000') ? [issue] : [];
  if (Array.isArray(value)) return value.flatMap((item, index) => nulIssues(item, [...path, index]));
  if (isPlainObject(value)) {
    return Object.keys(value).flatMap((key) =>
      key.includes('\u0000') ? [{ ...issue, loc: [...path, key] }] : nulIssues(value[key], [...path, key]),
    );
  }
  return [];
}

const LOCATIONS: Record<string, string> = { body: 'body', query: 'query', param: 'path' };

/**
 * The global pipe: class-validator DTOs, strict types (no coercion), unknown body fields refused
 * (`__proto__` and `constructor` included, checked on the raw JSON before anything is copied),
 * NUL characters refused wherever they are, and every failure as a FastAPI-shaped 422.
 */
@Injectable()
export class StrictValidationPipe implements PipeTransform {
  /** Synchronous for what is not a DTO (path ids, the fetch's query): no promise on the hot path. */
  transform(given: unknown, metadata: ArgumentMetadata): unknown {
    const location = LOCATIONS[metadata.type];
    const dto = metadata.metatype;
    if (!location || !dto || !isDtoClass(dto)) return given;
    return this.validate(given, metadata, location, dto);
  }

  private async validate(given: unknown, metadata: ArgumentMetadata, location: string, dto: new () => object): Promise<unknown> {
    // No body at all is an empty object: each required field is then reported missing by name, and a
    // body whose fields are all optional (a new API key) needs none.
    const value = metadata.type === 'body' && given === undefined ? {} : given;

    if (metadata.type === 'body' && !isPlainObject(value)) {
      throw new ValidationProblem([
        { loc: ['body'], msg: 'Input should be a valid dictionary or object', type: 'model_attributes_type' },
      ]);
    }
    const raw = (value ?? {}) as Record<string, unknown>;
    const issues: ValidationIssue[] = [];
    if (metadata.type === 'body') {
      const known = knownProperties(dto);
      for (const key of Object.keys(raw)) {
        if (!known.has(key)) issues.push({ loc: ['body', key], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' });
      }
    }
    issues.push(...nulIssues(raw, [location]));
    const checked: Record<string, unknown> = {};
    for (const key of knownProperties(dto)) {
      if (Object.prototype.hasOwnProperty.call(raw, key) && !issues.some((issue) => issue.loc[1] === key)) {
        checked[key] = raw[key];
      }
    }
    const { result, classIssues } = await validateDto(dto, checked, location);
    // A field already reported (unknown, or holding a NUL) is reported once.
    const all = [...issues, ...classIssues.filter((issue) => !issues.some((reported) => reported.loc[1] === issue.loc[1]))];
    if (all.length > 0) throw new ValidationProblem(all);
    return result;
  }
}

/**
 * class-transformer builds the DTO from the known fields, and class-validator checks it. Free-form
 * objects are set on the DTO as they came, after class-transformer and before class-validator (Nest's
 * ValidationPipe would strip their `__proto__` keys and class-transformer would copy them, losing
 * keys such as `constructor` or `toString`).
 */
async function validateDto(dto: new () => object, checked: Record<string, unknown>, location: string): Promise<{ result: object; classIssues: ValidationIssue[] }> {
  const freeForm = freeFormPropertiesOf(dto);
  const plain: Record<string, unknown> = {};
  for (const key of Object.keys(checked)) if (!freeForm.has(key)) plain[key] = checked[key];
  const result = plainToInstance(dto, plain, { enableImplicitConversion: false, exposeDefaultValues: true }) as Record<string, unknown>;
  for (const key of freeForm) if (Object.prototype.hasOwnProperty.call(checked, key)) result[key] = checked[key];
  const errors = await validate(result, {
    whitelist: true,
    forbidUnknownValues: true,
    // The value is read only to tell a too-short string from a too-long one; it never reaches a response.
    validationError: { target: false, value: true },
  });
  return { result, classIssues: issuesOf(errors, location) };
}

function isDtoClass(metatype: unknown): metatype is new () => object {
  return typeof metatype === 'function' && ![String, Boolean, Number, Array, Object].includes(metatype as never);
}

const knownPropertiesCache = new WeakMap<object, Set<string>>();

/** The properties a DTO class declares through class-validator decorators. */
function knownProperties(dto: new () => object): Set<string> {
  let known = knownPropertiesCache.get(dto);
  if (!known) {
    const metadatas = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
    known = new Set(metadatas.map((metadata) => metadata.propertyName));
    knownPropertiesCache.set(dto, known);
  }
  return known;
}
