/**
 * AWS's own service models, as botocore ships them (installed by `npm run setup` into .tools/venv with moto), and
 * a checker for the REST-JSON requests our local stand-ins receive: the operation is found by method and URI
 * template, then the labels, query string and JSON body are checked against the input shape (required members,
 * types, lengths, ranges, enums, patterns, unknown members). Responses are checked against the output shape.
 * S3's REST-XML requests have their own checker, botocore-s3.ts, on the same shape checks.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { repoRoot } from './tools';

export interface MemberRef {
  shape: string;
  location?: 'uri' | 'querystring' | 'header' | 'headers' | 'statusCode';
  locationName?: string;
  idempotencyToken?: boolean;
  flattened?: boolean;
}

export interface Shape {
  type: string;
  members?: Record<string, MemberRef>;
  required?: string[];
  member?: MemberRef;
  key?: MemberRef;
  value?: MemberRef;
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  union?: boolean;
  timestampFormat?: string;
  /** REST-XML: the member that is the whole HTTP body. */
  payload?: string;
  /** REST-XML: a list whose items are repeated elements, with no wrapper element. */
  flattened?: boolean;
}

export interface Operation {
  name: string;
  http: { method: string; requestUri: string; responseCode?: number };
  input?: { shape: string };
  output?: { shape: string };
  errors?: { shape: string }[];
}

export interface ServiceModel {
  metadata: { protocol: string; apiVersion: string; endpointPrefix: string; signingName?: string };
  operations: Record<string, Operation>;
  shapes: Record<string, Shape>;
}

export interface HttpRequestRecord {
  method: string;
  /** The raw (still percent-encoded) path. */
  path: string;
  query: Record<string, string>;
  body: unknown;
}

/** botocore's data folder inside the tools' virtualenv. */
export function botocoreDataDir(): string {
  const lib = path.join(repoRoot, '.tools', 'venv', 'lib');
  const python = existsSync(lib) ? readdirSync(lib).find((d) => d.startsWith('python')) : undefined;
  const dir = python && path.join(lib, python, 'site-packages', 'botocore', 'data');
  if (!dir || !existsSync(dir)) {
    throw new Error(`botocore is not installed in ${lib}; run \`npm run setup\` first`);
  }
  return dir;
}

/** The newest API version of a service's model (`bedrock`, `bedrock-runtime`, `s3`). */
export function loadServiceModel(service: string): ServiceModel {
  const serviceDir = path.join(botocoreDataDir(), service);
  const version = readdirSync(serviceDir).sort().at(-1);
  if (!version) throw new Error(`botocore has no model for ${service}`);
  const file = path.join(serviceDir, version, 'service-2.json');
  const raw = existsSync(file) ? readFileSync(file) : gunzipSync(readFileSync(`${file}.gz`));
  return JSON.parse(raw.toString('utf8')) as ServiceModel;
}

/** The URI labels (decoded) of `rawPath` when it matches the operation's requestUri path template. */
export function matchUriPath(operation: Operation, rawPath: string): Record<string, string> | undefined {
  const [template] = operation.http.requestUri.split('?');
  const names: string[] = [];
  const source = template!
    .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
    .replace(/\\?\{([^}]+?)(\\\+)?\}/g, (_, name: string, greedy) => {
      names.push(name);
      return greedy ? '(.+)' : '([^/]+)';
    });
  const match = new RegExp(`^${source}$`).exec(rawPath);
  return match ? Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(match[i + 1]!)])) : undefined;
}

/** The model's operation served at this method and path, with its URI labels (decoded). */
export function matchOperation(
  model: ServiceModel,
  method: string,
  rawPath: string,
): { operation: Operation; labels: Record<string, string> } | undefined {
  for (const operation of Object.values(model.operations)) {
    if (operation.http.method !== method) continue;
    const labels = matchUriPath(operation, rawPath);
    if (labels) return { operation, labels };
  }
  return undefined;
}

/** Every way the request breaks the operation's input shape; empty when it is valid. */
export function requestProblems(model: ServiceModel, request: HttpRequestRecord): string[] {
  const matched = matchOperation(model, request.method, request.path);
  if (!matched)
    return [`no operation of ${model.metadata.endpointPrefix} at ${request.method} ${request.path}`];
  const { operation, labels } = matched;
  const problems: string[] = [];
  const input = operation.input ? model.shapes[operation.input.shape]! : { type: 'structure', members: {} };
  const bodyMembers: Record<string, MemberRef> = {};
  const bodyRequired: string[] = [];
  for (const [name, ref] of Object.entries(input.members ?? {})) {
    const wireName = ref.locationName ?? name;
    const required = input.required?.includes(name) ?? false;
    if (ref.location === 'uri') {
      const value = labels[wireName];
      if (value === undefined) problems.push(`${operation.name}: URI label ${wireName} missing`);
      else problems.push(...shapeProblems(model, ref.shape, value, `${operation.name}.${name}`));
    } else if (ref.location === 'querystring') {
      const value = request.query[wireName];
      if (value === undefined) {
        if (required) problems.push(`${operation.name}.${name}: required query parameter missing`);
      } else {
        problems.push(
          ...shapeProblems(model, ref.shape, fromQuery(model, ref.shape, value), `${operation.name}.${name}`),
        );
      }
    } else if (ref.location === undefined) {
      bodyMembers[wireName] = ref;
      if (required) bodyRequired.push(wireName);
    }
  }
  const hasBody =
    request.body !== undefined && !(isObject(request.body) && Object.keys(request.body).length === 0);
  if (Object.keys(bodyMembers).length === 0) {
    if (hasBody) problems.push(`${operation.name}: a body was sent to an operation that takes none`);
    return problems;
  }
  problems.push(
    ...structureProblems(
      model,
      { type: 'structure', members: bodyMembers, required: bodyRequired },
      request.body ?? {},
      operation.name,
    ),
  );
  return problems;
}

/** Every way a JSON response body breaks the operation's output shape. */
export function responseProblems(model: ServiceModel, operationName: string, body: unknown): string[] {
  const operation = model.operations[operationName];
  if (!operation) return [`no operation ${operationName}`];
  if (!operation.output) return [];
  return shapeProblems(model, operation.output.shape, body, operationName);
}

export function fromQuery(model: ServiceModel, shapeName: string, value: string): unknown {
  const type = model.shapes[shapeName]!.type;
  if (type === 'integer' || type === 'long' || type === 'float' || type === 'double') return Number(value);
  if (type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function shapeProblems(model: ServiceModel, shapeName: string, value: unknown, at: string): string[] {
  const shape = model.shapes[shapeName];
  if (!shape) return [`${at}: unknown shape ${shapeName}`];
  switch (shape.type) {
    case 'structure':
      return structureProblems(model, shape, value, at);
    case 'list':
      if (!Array.isArray(value)) return [`${at}: expected a list`];
      return [
        ...rangeProblems(shape, value.length, at, 'length'),
        ...value.flatMap((v, i) => shapeProblems(model, shape.member!.shape, v, `${at}[${i}]`)),
      ];
    case 'map':
      if (!isObject(value)) return [`${at}: expected a map`];
      return Object.entries(value).flatMap(([k, v]) => [
        ...shapeProblems(model, shape.key!.shape, k, `${at} key ${k}`),
        ...shapeProblems(model, shape.value!.shape, v, `${at}.${k}`),
      ]);
    case 'string': {
      if (typeof value !== 'string') return [`${at}: expected a string, got ${JSON.stringify(value)}`];
      const problems = rangeProblems(shape, value.length, at, 'length');
      if (shape.enum && !shape.enum.includes(value))
        problems.push(`${at}: ${value} is not one of ${shape.enum.join(', ')}`);
      if (shape.pattern && !new RegExp(`^(?:${shape.pattern})$`).test(value)) {
        problems.push(`${at}: ${JSON.stringify(value)} does not match ${shape.pattern}`);
      }
      return problems;
    }
    case 'integer':
    case 'long':
      if (typeof value !== 'number' || !Number.isInteger(value)) return [`${at}: expected an integer`];
      return rangeProblems(shape, value, at, 'value');
    case 'float':
    case 'double':
      if (typeof value !== 'number') return [`${at}: expected a number`];
      return rangeProblems(shape, value, at, 'value');
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${at}: expected a boolean`];
    case 'timestamp':
      if (shape.timestampFormat === 'iso8601' || typeof value === 'string') {
        return typeof value === 'string' && !Number.isNaN(Date.parse(value))
          ? []
          : [`${at}: expected an ISO 8601 time`];
      }
      return typeof value === 'number' ? [] : [`${at}: expected epoch seconds`];
    case 'blob':
      return typeof value === 'string' ? [] : [`${at}: expected base64 text`];
    case 'document':
      return [];
    default:
      return [`${at}: shape type ${shape.type} is not checked`];
  }
}

function structureProblems(model: ServiceModel, shape: Shape, value: unknown, at: string): string[] {
  if (!isObject(value)) return [`${at}: expected an object`];
  const members = shape.members ?? {};
  const byWireName = new Map(Object.entries(members).map(([name, ref]) => [ref.locationName ?? name, ref]));
  const problems: string[] = [];
  for (const name of shape.required ?? []) {
    const wireName = members[name]?.locationName ?? name;
    if (value[wireName] === undefined || value[wireName] === null)
      problems.push(`${at}.${wireName}: required`);
  }
  const set = Object.keys(value).filter((k) => value[k] !== undefined && value[k] !== null);
  if (shape.union && set.length !== 1)
    problems.push(`${at}: a union needs exactly one member, got ${set.length}`);
  for (const key of set) {
    const ref = byWireName.get(key);
    if (!ref) problems.push(`${at}.${key}: not a member of the shape`);
    else if (ref.location === undefined)
      problems.push(...shapeProblems(model, ref.shape, value[key], `${at}.${key}`));
  }
  return problems;
}

function rangeProblems(shape: Shape, n: number, at: string, what: 'length' | 'value'): string[] {
  const problems: string[] = [];
  if (shape.min !== undefined && n < shape.min) problems.push(`${at}: ${what} ${n} is below ${shape.min}`);
  if (shape.max !== undefined && n > shape.max) problems.push(`${at}: ${what} ${n} is above ${shape.max}`);
  return problems;
}
