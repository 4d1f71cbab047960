/**
 * S3 requests checked against botocore's `s3` service model (REST-XML), as botocore.ts checks Bedrock's REST-JSON
 * ones: the operation is found by method, path template and the query literals of its requestUri (`?list-type=2`,
 * `?uploads`), then the URI labels, query parameters, headers and body are checked against its input shape.
 * Operations that share a template (PutObject and UploadPart) are told apart the way S3 does it, by their query
 * members: a request is valid when one of the candidate operations accepts it.
 *
 * What is checked: every query parameter is a member of the operation (or one of its requestUri literals, or the
 * `x-id=<operation>` the AWS SDK adds from the Smithy model's requestUri); required members are present; header and
 * query values match their shapes (types, enums, patterns, lengths); an `x-amz-` header is a member of the operation
 * unless it belongs to the protocol (signing, chunked uploads); an XML payload has the payload member's root
 * element and its shape; an operation without a payload gets no body. Other HTTP headers (Host, Content-Length of a
 * bodiless request, User-Agent…) are the transport's and are not checked.
 */
import { fromQuery, loadServiceModel, matchUriPath, shapeProblems } from './botocore';
import type { MemberRef, Operation, ServiceModel, Shape } from './botocore';

/** One request as a server (or a recording proxy in front of it) received it. */
export interface S3RequestRecord {
  method: string;
  /** The raw (still percent-encoded) path, path-style: `/<bucket>/<key>`. */
  path: string;
  query: Record<string, string>;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** The body as UTF-8 text (an XML payload); undefined when it was too large to keep. */
  body?: string;
  bodyBytes: number;
}

/** x-amz- headers of SigV4 signing and aws-chunked uploads, members of no operation. */
const PROTOCOL_HEADERS = new Set([
  'x-amz-date',
  'x-amz-content-sha256',
  'x-amz-security-token',
  'x-amz-user-agent',
  'x-amz-decoded-content-length',
  'x-amz-trailer',
]);

interface Candidate {
  operation: Operation;
  labels: Record<string, string>;
  literals: Record<string, string>;
}

function uriLiterals(requestUri: string): Record<string, string> {
  const query = requestUri.split('?')[1];
  if (!query) return {};
  return Object.fromEntries(
    query.split('&').map((part) => {
      const [k, v = ''] = part.split('=');
      return [k!, v];
    }),
  );
}

/** The operations served at this method and path whose requestUri's query literals the request carries. */
function candidates(model: ServiceModel, request: S3RequestRecord): Candidate[] {
  // The AWS SDK writes a bucket's own path as `/<bucket>/`: an empty key, which S3 reads as the bucket itself (a key
  // has at least one character).
  const path = /^\/[^/]+\/$/.test(request.path) ? request.path.slice(0, -1) : request.path;
  const found: Candidate[] = [];
  for (const operation of Object.values(model.operations)) {
    if (operation.http.method !== request.method) continue;
    const labels = matchUriPath(operation, path);
    if (!labels) continue;
    const literals = uriLiterals(operation.http.requestUri);
    if (Object.entries(literals).some(([k, v]) => request.query[k] !== v)) continue;
    found.push({ operation, labels, literals });
  }
  return found;
}

/** The name of the operation the model finds for this request (the one that accepts it, if any). */
export function s3OperationOf(model: ServiceModel, request: S3RequestRecord): string | undefined {
  return best(model, request)?.operation.operation.name;
}

function best(model: ServiceModel, request: S3RequestRecord) {
  const checked = candidates(model, request).map((operation) => ({
    operation,
    problems: operationProblems(model, operation, request),
  }));
  return checked.sort((a, b) => a.problems.length - b.problems.length)[0];
}

/** Every way the request breaks the s3 model; empty when some operation at its method and path accepts it. */
export function s3RequestProblems(model: ServiceModel, request: S3RequestRecord): string[] {
  const found = best(model, request);
  if (!found) {
    const query = new URLSearchParams(request.query).toString();
    return [`no operation of s3 at ${request.method} ${request.path}${query ? `?${query}` : ''}`];
  }
  return found.problems;
}

/** Every captured request's problems, against botocore's s3 model. */
export function s3Problems(requests: readonly S3RequestRecord[]): string[] {
  const model = loadServiceModel('s3');
  return requests.flatMap((r) => s3RequestProblems(model, r));
}

/** The operations the requests were, by name (for a test to show what it checked). */
export function s3Operations(requests: readonly S3RequestRecord[]): Set<string> {
  const model = loadServiceModel('s3');
  return new Set(requests.map((r) => s3OperationOf(model, r) ?? `unknown ${r.method} ${r.path}`));
}

function operationProblems(model: ServiceModel, candidate: Candidate, request: S3RequestRecord): string[] {
  const { operation, labels, literals } = candidate;
  const name = operation.name;
  const input: Shape = operation.input ? model.shapes[operation.input.shape]! : { type: 'structure' };
  const members = Object.entries(input.members ?? {});
  const required = new Set(input.required ?? []);
  const problems: string[] = [];
  const byLocation = (location: MemberRef['location']) =>
    members.filter(([, ref]) => ref.location === location);

  for (const [member, ref] of byLocation('uri')) {
    const value = labels[ref.locationName ?? member];
    if (value === undefined) problems.push(`${name}: URI label ${ref.locationName ?? member} missing`);
    else problems.push(...shapeProblems(model, ref.shape, value, `${name}.${member}`));
  }

  const queryMembers = new Map(
    byLocation('querystring').map(([m, ref]) => [ref.locationName ?? m, [m, ref]]),
  );
  for (const [key, value] of Object.entries(request.query)) {
    if (key in literals || (key === 'x-id' && value === name)) continue;
    const found = queryMembers.get(key);
    if (!found) {
      problems.push(`${name}: query parameter ${key} is not a member`);
      continue;
    }
    const [member, ref] = found as [string, MemberRef];
    problems.push(
      ...shapeProblems(model, ref.shape, fromQuery(model, ref.shape, value), `${name}.${member}`),
    );
  }
  for (const [wireName, [member]] of queryMembers) {
    if (required.has(member as string) && request.query[wireName] === undefined)
      problems.push(`${name}.${member as string}: required query parameter ${wireName} missing`);
  }

  const headerMembers = new Map(
    byLocation('header').map(([m, ref]) => [(ref.locationName ?? m).toLowerCase(), [m, ref] as const]),
  );
  const prefixes = byLocation('headers').map(([, ref]) => (ref.locationName ?? '').toLowerCase());
  for (const [header, value] of Object.entries(request.headers)) {
    const found = headerMembers.get(header);
    if (found) {
      const [member, ref] = found;
      problems.push(
        ...shapeProblems(model, ref.shape, fromHeader(model, ref.shape, value), `${name}.${member}`),
      );
    } else if (
      header.startsWith('x-amz-') &&
      !PROTOCOL_HEADERS.has(header) &&
      !prefixes.some((p) => p && header.startsWith(p))
    ) {
      problems.push(`${name}: header ${header} is not a member`);
    }
  }
  for (const [header, [member]] of headerMembers) {
    if (required.has(member) && request.headers[header] === undefined)
      problems.push(`${name}.${member}: required header ${header} missing`);
  }

  problems.push(...payloadProblems(model, name, input, request));
  return problems;
}

function fromHeader(model: ServiceModel, shapeName: string, value: string): unknown {
  if (model.shapes[shapeName]!.type === 'list') return value.split(',').map((v) => v.trim());
  return fromQuery(model, shapeName, value);
}

function payloadProblems(
  model: ServiceModel,
  name: string,
  input: Shape,
  request: S3RequestRecord,
): string[] {
  const payload = input.payload;
  const ref = payload ? input.members?.[payload] : undefined;
  if (!payload || !ref) {
    return request.bodyBytes > 0 ? [`${name}: a body was sent to an operation that takes none`] : [];
  }
  const shape = model.shapes[ref.shape]!;
  if (shape.type !== 'structure') return []; // a blob or a string: any bytes
  if (request.bodyBytes === 0) {
    return input.required?.includes(payload) ? [`${name}.${payload}: required body missing`] : [];
  }
  if (request.body === undefined) return [`${name}: the XML body was too large to check`];
  let root: XmlElement;
  try {
    root = parseXml(request.body);
  } catch (err) {
    return [`${name}: the body is not XML: ${(err as Error).message}`];
  }
  const rootName = ref.locationName ?? payload;
  if (root.name !== rootName) return [`${name}: the body's root element is ${root.name}, not ${rootName}`];
  return xmlProblems(model, ref.shape, root, `${name}.${payload}`);
}

interface XmlElement {
  name: string;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeText(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, entity: string) => {
    if (entity.startsWith('#x') || entity.startsWith('#X'))
      return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)));
    return ENTITIES[entity] ?? whole;
  });
}

/** The element tree of an XML document as the SDKs write request bodies: elements, attributes, text. */
export function parseXml(xml: string): XmlElement {
  const tokens = xml
    .replace(/<\?[\s\S]*?\?>/g, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .split(/(<[^>]+>)/)
    .filter((t) => t !== '');
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  for (const token of tokens) {
    if (!token.startsWith('<')) {
      if (stack.length) stack.at(-1)!.text += decodeText(token);
      else if (token.trim() !== '') throw new Error('text outside the root element');
      continue;
    }
    const closing = /^<\/([^\s>]+)\s*>$/.exec(token);
    if (closing) {
      const open = stack.pop();
      if (open?.name !== closing[1])
        throw new Error(`</${closing[1]}> closes ${open ? `<${open.name}>` : 'nothing'}`);
      continue;
    }
    const opening = /^<([^\s/>]+)[^>]*?(\/?)>$/.exec(token);
    if (!opening) throw new Error(`unreadable tag ${token}`);
    const element: XmlElement = { name: opening[1]!, children: [], text: '' };
    if (stack.length) stack.at(-1)!.children.push(element);
    else if (root) throw new Error('a second root element');
    else root = element;
    if (opening[2] !== '/') stack.push(element);
  }
  if (!root || stack.length) throw new Error('unclosed or missing root element');
  return root;
}

function xmlScalar(shape: Shape, text: string): unknown {
  if (shape.type === 'integer' || shape.type === 'long' || shape.type === 'float' || shape.type === 'double')
    return Number(text);
  if (shape.type === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  return text;
}

function xmlProblems(model: ServiceModel, shapeName: string, element: XmlElement, at: string): string[] {
  const shape = model.shapes[shapeName];
  if (!shape) return [`${at}: unknown shape ${shapeName}`];
  if (shape.type === 'list') {
    const item = shape.member!;
    const itemName = item.locationName ?? 'member';
    return element.children.flatMap((child, i) =>
      child.name === itemName
        ? xmlProblems(model, item.shape, child, `${at}[${i}]`)
        : [`${at}: <${child.name}> is not a list item (<${itemName}>)`],
    );
  }
  if (shape.type !== 'structure') {
    if (element.children.length) return [`${at}: expected text, got elements`];
    return shapeProblems(model, shapeName, xmlScalar(shape, element.text), at);
  }
  const problems: string[] = [];
  const members = Object.entries(shape.members ?? {});
  const known = new Set<string>();
  for (const [member, ref] of members) {
    const memberShape = model.shapes[ref.shape]!;
    const flattened = memberShape.type === 'list' && (ref.flattened ?? memberShape.flattened ?? false);
    const wireName = ref.locationName ?? (flattened ? (memberShape.member?.locationName ?? member) : member);
    known.add(wireName);
    const elements = element.children.filter((c) => c.name === wireName);
    if (elements.length === 0) {
      if (shape.required?.includes(member)) problems.push(`${at}.${member}: required`);
      continue;
    }
    if (flattened) {
      const item = memberShape.member!.shape;
      problems.push(
        ...elements.flatMap((e, i) => xmlProblems(model, item, e, `${at}.${member}[${i}]`)),
        ...rangeOf(memberShape, elements.length, `${at}.${member}`),
      );
    } else if (elements.length > 1) {
      problems.push(`${at}.${member}: given ${elements.length} times`);
    } else {
      problems.push(...xmlProblems(model, ref.shape, elements[0]!, `${at}.${member}`));
    }
  }
  for (const child of element.children) {
    if (!known.has(child.name)) problems.push(`${at}: <${child.name}> is not a member`);
  }
  return problems;
}

function rangeOf(shape: Shape, n: number, at: string): string[] {
  if (shape.min !== undefined && n < shape.min) return [`${at}: length ${n} is below ${shape.min}`];
  if (shape.max !== undefined && n > shape.max) return [`${at}: length ${n} is above ${shape.max}`];
  return [];
}
