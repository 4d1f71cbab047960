/**
 * Calls to an endpoint's replicas (`baseUrls`): several servers of the same model. A model server caches the
 * prompts it has evaluated (Ollama's slots, vLLM's and SGLang's prefix caches, llama.cpp's `cache_prompt`), and a
 * conversation's prompts are append-only (each turn's starts with the last one's), so a conversation side whose
 * calls all go to one replica has everything but the new tokens evaluated already there.
 *
 * The rule:
 * - `affinity` (the default) ranks the replicas by rendezvous hashing of the call's key (the conversation id and
 *   side) with each replica's URL, and calls the first; `round-robin` takes them in turn, whatever the key.
 * - A replica is skipped for a call while it is full (its `maxConcurrentCalls` in flight from this process) or
 *   ejected; when every replica is, the call goes to the first in its order anyway (the server queues it).
 * - A call a replica fails as a server (no connection, a timeout, a 5xx or 429) goes on to the next replica, within
 *   the same deadline; a refusal (another 4xx) or the caller's cancellation ends it there.
 * - A replica that fails EJECT_AFTER_FAILURES calls in a row is ejected for EJECT_MS, doubling with each ejection
 *   in a row up to MAX_EJECT_MS; after that one call is let through, and the first success takes it back in.
 *
 * No Node built-ins; the clock is injected, so tests drive ejections.
 */
import {
  DeadlineExceededError,
  httpStatusOf,
  isAbortError,
  isConnectionError,
  isTimeoutError,
  isUpstreamError,
  isUpstreamTimeout,
} from '../contracts/errors';

/** One replica of an endpoint's model server. */
export interface EndpointReplica {
  url: string;
  /** Calls in flight at this replica, per worker process, past which a call goes to the next replica; 0: no limit. */
  maxConcurrentCalls: number;
}

/**
 * How a call picks among an endpoint's replicas: `affinity` keeps each conversation side on one replica (the one
 * holding its prompt's prefix in cache), `round-robin` takes them in turn (what a plain load balancer does).
 */
export const REPLICA_ROUTINGS = ['affinity', 'round-robin'] as const;
export type ReplicaRouting = (typeof REPLICA_ROUTINGS)[number];

/** Where a call to an endpoint with replicas goes; ignored by a client of one server. */
export interface ReplicaRoute {
  /** The conversation side the call is for: calls with the same key go to the same replica while it serves. */
  routeKey?: string;
  /** Told which replica (its position in `baseUrls`) answered. */
  onReplica?: (index: number) => void;
}

export const EJECT_AFTER_FAILURES = 3;
export const EJECT_MS = 30_000;
export const MAX_EJECT_MS = 5 * 60_000;

/** What a replica has done, for metrics. */
export interface ReplicaStats {
  /** Its position in the endpoint's `baseUrls`, from 0 (a metric label: URLs are not shown). */
  index: number;
  calls: number;
  errors: number;
  inFlight: number;
  ejected: boolean;
}

interface ReplicaState<C> extends ReplicaStats {
  url: string;
  client: C;
  maxConcurrentCalls: number;
  failuresInRow: number;
  ejections: number;
  ejectedUntil: number;
}

export interface ReplicaSet<C> {
  /**
   * `call` on the replica the key routes to, then the next ones while replicas fail; the replica that answered is
   * passed to `served`.
   */
  call<T>(key: string, call: (client: C) => Promise<T>, served?: (index: number) => void): Promise<T>;
  /** The replicas in the order a call with this key tries them (skipping none). */
  order(key: string): number[];
  stats(): ReplicaStats[];
  readonly size: number;
}

export function createReplicaSet<C>(
  replicas: readonly (EndpointReplica & { client: C })[],
  routing: ReplicaRouting = 'affinity',
  now: () => number = Date.now,
): ReplicaSet<C> {
  const states: ReplicaState<C>[] = replicas.map((r, index) => ({
    ...r,
    index,
    calls: 0,
    errors: 0,
    inFlight: 0,
    ejected: false,
    failuresInRow: 0,
    ejections: 0,
    ejectedUntil: 0,
  }));
  let turn = 0;

  function order(key: string): number[] {
    if (routing === 'round-robin') {
      const first = turn++ % states.length;
      return states.map((_, i) => (first + i) % states.length);
    }
    return states
      .map((s) => ({ index: s.index, score: rendezvousScore(key, s.url) }))
      .sort((a, b) => b.score - a.score || a.index - b.index)
      .map((s) => s.index);
  }

  function available(s: ReplicaState<C>): boolean {
    const full = s.maxConcurrentCalls > 0 && s.inFlight >= s.maxConcurrentCalls;
    return !full && s.ejectedUntil <= now();
  }

  function failed(s: ReplicaState<C>): void {
    s.errors++;
    s.failuresInRow++;
    // Let through after an ejection, a failure ejects it again at once, for longer.
    const probe = s.ejections > 0 && s.ejectedUntil !== 0;
    if (s.failuresInRow >= EJECT_AFTER_FAILURES || probe) {
      s.ejectedUntil = now() + Math.min(MAX_EJECT_MS, EJECT_MS * 2 ** s.ejections);
      s.ejections++;
      s.ejected = true;
    }
  }

  function succeeded(s: ReplicaState<C>): void {
    s.failuresInRow = 0;
    s.ejections = 0;
    s.ejectedUntil = 0;
    s.ejected = false;
  }

  return {
    size: states.length,
    order,
    stats: () =>
      states.map(({ index, calls, errors, inFlight, ejectedUntil }) => ({
        index,
        calls,
        errors,
        inFlight,
        ejected: ejectedUntil > now(),
      })),
    async call(key, call, served) {
      const ranked = order(key).map((i) => states[i]!);
      const open = ranked.filter(available);
      const tries = open.length > 0 ? open : ranked.slice(0, 1);
      let lastError: unknown;
      for (const s of tries) {
        s.calls++;
        s.inFlight++;
        try {
          const result = await call(s.client);
          succeeded(s);
          served?.(s.index);
          return result;
        } catch (err) {
          if (!isServerFailure(err)) throw err;
          failed(s);
          // Out of time: the next replica could not answer either; the caller's retry starts afresh.
          if (isTimeoutError(err) || isUpstreamTimeout(err)) throw err;
          lastError = err;
        } finally {
          s.inFlight--;
        }
      }
      throw lastError;
    },
  };
}

/**
 * The failure of a server rather than of the request: what another replica may not have. A cancellation (the
 * caller gave up) is neither.
 */
export function isServerFailure(err: unknown): boolean {
  if (isAbortError(err) || err instanceof DeadlineExceededError) return false;
  if (isConnectionError(err) || isTimeoutError(err)) return true;
  if (isUpstreamError(err)) return err.retryable;
  const status = httpStatusOf(err);
  return status !== undefined && (status >= 500 || status === 429 || status === 408);
}

/** Highest random weight: each replica's score for the key; the order only changes for keys of a replica gone. */
export function rendezvousScore(key: string, url: string): number {
  return fnv1a64(`${key}\u0000${url}`);
}

/** FNV-1a over UTF-16 code units, 52 bits kept (a safe integer): stable across processes and versions. */
function fnv1a64(text: string): number {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = BigInt.asUintN(64, hash * 0x100000001b3n);
  }
  return Number(hash >> 12n);
}
