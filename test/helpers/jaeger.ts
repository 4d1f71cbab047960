/** Reads traces back from Jaeger's query API (`/api/traces`), as the tracing tests check them. */

interface JaegerTag {
  key: string;
  value: unknown;
}

interface RawSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; spanID: string }[];
  tags: JaegerTag[];
  processID: string;
}

interface RawTrace {
  traceID: string;
  spans: RawSpan[];
  processes: Record<string, { serviceName: string }>;
}

export interface TraceSpan {
  id: string;
  name: string;
  service: string;
  parentId?: string;
  tags: Record<string, unknown>;
}

export interface Trace {
  id: string;
  spans: TraceSpan[];
}

export async function findTraces(queryUrl: string, service: string): Promise<Trace[]> {
  const res = await fetch(
    `${queryUrl}/api/traces?service=${encodeURIComponent(service)}&limit=100&lookback=1h`,
  );
  if (!res.ok) return [];
  const { data } = (await res.json()) as { data: RawTrace[] | null };
  return (data ?? []).map((trace) => ({
    id: trace.traceID,
    spans: trace.spans.map((span) => ({
      id: span.spanID,
      name: span.operationName,
      service: trace.processes[span.processID]?.serviceName ?? '?',
      parentId: span.references.find((r) => r.refType === 'CHILD_OF')?.spanID,
      tags: Object.fromEntries(span.tags.map((t) => [t.key, t.value])),
    })),
  }));
}

/** The span and its ancestors, the root last. */
export function ancestry(trace: Trace, span: TraceSpan): TraceSpan[] {
  const byId = new Map(trace.spans.map((s) => [s.id, s]));
  const chain = [span];
  for (let s = span; s.parentId && byId.has(s.parentId);) {
    s = byId.get(s.parentId)!;
    chain.push(s);
  }
  return chain;
}
