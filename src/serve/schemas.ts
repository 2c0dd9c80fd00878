/**
 * The JSON schemas of the API (compiled once by Fastify at startup) and the one-line messages of
 * their failures: "<field path>: got <what came>, expected <what is allowed>", the field path in
 * the body's own terms (cells[3][1]).
 */
import { FEATURES_PER_SLICE, SLICE_FEATURES } from '../families/index.js';
import { SECONDS_OF_DAY_EXPECTED, SECONDS_PER_DAY } from './source.js';

/** The most slices a cell may have in a request (a model has its own number; the handler checks it). */
export const MAX_SLICES = 64;

/**
 * One schema per feature of a row: every feature is a measurement or a target, so none is
 * negative (a negative target would also turn the actors' log-scaled inputs into NaN); `active`
 * is a flag in [0, 1] (>= 0.5 means active).
 */
const FEATURE_SCHEMAS = SLICE_FEATURES.map((name) => (name === 'active' ? { type: 'number', minimum: 0, maximum: 1 } : { type: 'number', minimum: 0 }));

export function observationBodySchema(maxCells: number): Record<string, unknown> {
  return {
    type: 'object',
    required: ['cells'],
    additionalProperties: false,
    properties: {
      cells: {
        type: 'array',
        minItems: 1,
        maxItems: maxCells,
        items: {
          type: 'array',
          minItems: 1,
          maxItems: MAX_SLICES,
          items: {
            type: 'array',
            minItems: FEATURES_PER_SLICE,
            maxItems: FEATURES_PER_SLICE,
            items: FEATURE_SCHEMAS,
          },
        },
      },
      // The time of day at the start of the step the allocation is for (models with a clock read it).
      secondsOfDay: { type: 'number', minimum: 0, exclusiveMaximum: SECONDS_PER_DAY },
    },
  };
}

const number = { type: 'number' } as const;
const error = {
  type: 'object',
  properties: { statusCode: { type: 'integer' }, error: { type: 'string' }, message: { type: 'string' } },
} as const;

export const allocateResponseSchema = {
  200: {
    type: 'object',
    properties: {
      model: { type: 'string' },
      allocations: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            shares: { type: 'array', items: number },
            admmIterations: { type: 'integer' },
            converged: { type: 'boolean' },
            guardCorrection: number,
          },
        },
      },
    },
  },
  '4xx': error,
} as const;

export const predictResponseSchema = {
  200: {
    type: 'object',
    properties: {
      model: { type: 'string' },
      outputs: { type: 'array', items: { type: 'array', items: { type: ['number', 'null'] } } },
    },
  },
  '4xx': error,
} as const;

/** What a validation error of Ajv carries (the fields we read). */
export interface SchemaIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
  data?: unknown;
}

/** "/cells/0/1" -> "cells[0][1]" */
export function fieldPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').filter((p) => p !== '');
  if (extra !== undefined) parts.push(extra);
  let out = '';
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out === '' ? p : `.${p}`;
  return out === '' ? 'body' : out;
}

function describe(data: unknown): string {
  if (Array.isArray(data)) return `${data.length} item${data.length === 1 ? '' : 's'}`;
  if (data === null) return 'null';
  if (typeof data === 'string') return JSON.stringify(data.length > 40 ? `${data.slice(0, 37)}...` : data);
  if (typeof data === 'object') return 'an object';
  return String(data);
}

function expectedItems(path: string, limit: unknown): string {
  if (/^cells\[\d+\]\[\d+\]$/.test(path)) return `${FEATURES_PER_SLICE} features (${SLICE_FEATURES.join(', ')})`;
  return String(limit);
}

/** One line for the first issue. */
export function describeSchemaIssue(issue: SchemaIssue): string {
  const p = issue.params;
  switch (issue.keyword) {
    case 'required':
      return `${fieldPath(issue.instancePath, String(p.missingProperty))}: missing, expected it in the body`;
    case 'additionalProperties':
      return `${fieldPath(issue.instancePath, String(p.additionalProperty))}: unknown field, expected only cells and secondsOfDay`;
    case 'type': {
      const path = fieldPath(issue.instancePath);
      if (path === 'secondsOfDay') return `${path}: got ${describe(issue.data)}, expected ${SECONDS_OF_DAY_EXPECTED}`;
      const finite = p.type === 'number' && typeof issue.data === 'number' ? 'a finite number' : String(p.type);
      return `${path}: got ${describe(issue.data)}, expected ${finite}`;
    }
    case 'minItems': {
      const path = fieldPath(issue.instancePath);
      return `${path}: got ${describe(issue.data)}, expected at least ${expectedItems(path, p.limit)}`;
    }
    case 'maxItems': {
      const path = fieldPath(issue.instancePath);
      return `${path}: got ${describe(issue.data)}, expected at most ${expectedItems(path, p.limit)}`;
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMaximum': {
      const path = fieldPath(issue.instancePath);
      if (path === 'secondsOfDay') return `${path}: got ${describe(issue.data)}, expected ${SECONDS_OF_DAY_EXPECTED}`;
      const feature = /\[(\d+)\]$/.exec(path);
      const name = feature && /^cells\[\d+\]\[\d+\]\[\d+\]$/.test(path) ? ` (${SLICE_FEATURES[Number(feature[1])]})` : '';
      return `${path}: got ${describe(issue.data)}, expected ${String(p.comparison)} ${String(p.limit)}${name}`;
    }
    default:
      return `${fieldPath(issue.instancePath)}: ${issue.message ?? 'invalid'}`;
  }
}
