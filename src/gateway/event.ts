import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import type { Request } from 'express';

export interface EventOptions {
  stage: string;
  requestId: string;
  now: Date;
  /** Media types API Gateway base64-encodes for the Lambda (the API's `binaryMediaTypes`). */
  binaryMediaTypes: readonly string[];
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The REST API (payload v1) proxy event API Gateway would send the Lambda for this request. */
export function toRestProxyEvent(req: Request, body: Buffer, options: EventOptions): APIGatewayProxyEvent {
  const sourceIp = normaliseIp(req.socket.remoteAddress);
  const { headers, multiValueHeaders } = collectHeaders(req.rawHeaders, sourceIp, req.socket.localPort);
  const url = new URL(req.originalUrl, 'http://gateway.local');
  const binary = isBinary(req.get('content-type'), options.binaryMediaTypes);
  const path = url.pathname;
  return {
    resource: path,
    path,
    httpMethod: req.method,
    headers,
    multiValueHeaders,
    ...collectQuery(url.searchParams),
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: undefined,
      domainName: req.get('host') ?? 'localhost',
      domainPrefix: (req.get('host') ?? 'localhost').split('.')[0],
      extendedRequestId: options.requestId,
      httpMethod: req.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp,
        user: null,
        userAgent: req.get('user-agent') ?? null,
        userArn: null,
      },
      path: `/${options.stage}${path}`,
      protocol: `HTTP/${req.httpVersion}`,
      requestId: options.requestId,
      requestTime: formatRequestTime(options.now),
      requestTimeEpoch: options.now.getTime(),
      resourceId: 'local',
      resourcePath: path,
      stage: options.stage,
    },
    // API Gateway sends a null body when there is none, base64 for binary media types, UTF-8 text otherwise.
    body: body.length === 0 ? null : binary ? body.toString('base64') : body.toString('utf8'),
    isBase64Encoded: body.length > 0 && binary,
  };
}

/** Enough of the Lambda context for handlers that read ids and the remaining time. */
export function createLambdaContext(requestId: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  const unsupported = () => {
    throw new Error('The local gateway supports promise-returning handlers only');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'llm-generate-local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:llm-generate-local',
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/llm-generate-local',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

export function isBinary(contentType: string | undefined, binaryMediaTypes: readonly string[]): boolean {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (!mediaType) return false;
  const [type] = mediaType.split('/');
  return binaryMediaTypes.some((t) => t === '*/*' || t === mediaType || t === `${type}/*`);
}

function collectHeaders(rawHeaders: string[], sourceIp: string, port: number | undefined) {
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    (multiValueHeaders[name] ??= []).push(rawHeaders[i + 1]!);
  }
  multiValueHeaders['X-Forwarded-For'] = [sourceIp];
  multiValueHeaders['X-Forwarded-Port'] = [String(port ?? 80)];
  multiValueHeaders['X-Forwarded-Proto'] = ['http'];
  // Like API Gateway: `headers` keeps the last value of a repeated header, `multiValueHeaders` all of them.
  const headers = Object.fromEntries(Object.entries(multiValueHeaders).map(([k, v]) => [k, v[v.length - 1]]));
  return { headers, multiValueHeaders };
}

function collectQuery(params: URLSearchParams) {
  if ([...params.keys()].length === 0) {
    return { queryStringParameters: null, multiValueQueryStringParameters: null };
  }
  const multi: Record<string, string[]> = {};
  for (const [k, v] of params) (multi[k] ??= []).push(v);
  const single = Object.fromEntries(Object.entries(multi).map(([k, v]) => [k, v[v.length - 1]]));
  return { queryStringParameters: single, multiValueQueryStringParameters: multi };
}

function normaliseIp(address: string | undefined): string {
  if (!address) return '127.0.0.1';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** API Gateway's `requestTime`, e.g. `25/Nov/2025:11:19:00 +0000`. */
function formatRequestTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}
