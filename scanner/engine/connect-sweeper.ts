/**
 * The hot path: TCP connect probes for one thread. Shaped by measurement (see the README's design notes):
 * connections go through raw libuv handles (connector.ts), timeouts live in intrusive lists ordered by start time
 * (one list per attempt number, since retries back off), one interval timer expires list heads after pending
 * I/O has been read, and every connected attempt is closed with a reset so no TIME_WAIT is left behind.
 */
import { performance } from 'node:perf_hooks';
import { Connection, Connector, ConnectorKind, createConnector, ERRNO } from './connector.js';
import { DeadlineList, Linked } from './deadline-list.js';
import { RttEstimator } from './rtt.js';
import type { PortState } from '../../model/port.js';
import type { HostResult, PortResult, SweepCounters, SweepTuning } from './types.js';
import { emptyCounters } from './types.js';

interface HostState {
  readonly address: string;
  readonly ipv6: boolean;
  nextPort: number;
  inflight: number;
  remaining: number;
  queued: boolean;
  retryPorts: number[];
  retryAttempts: number[];
  results: PortResult[];
}

interface Attempt extends Connection, Linked<Attempt> {
  readonly host: HostState;
  readonly portIndex: number;
  readonly attempt: number;
  readonly startedAt: number;
}

/**
 * An attempt unanswered for this long is taken to be waiting on silence (a filtered port, or a long round trip)
 * and stops counting against the base concurrency: on real networks that lets in-flight grow to rate x RTT, and
 * on filtered estates it keeps the timeouts of silent hosts from serialising the sweep.
 */
const STALE_MS = 50;

/** libuv statuses (negative errno) for the named errors this platform has. */
function statuses(...names: string[]): Set<number> {
  const table = ERRNO as Record<string, number | undefined>;
  return new Set(names.map((n) => table[n]).filter((n): n is number => n !== undefined).map((n) => -n));
}

const REFUSED = -ERRNO.ECONNREFUSED;
/** The handshake completed, then the service reset or closed it before we looked: open. */
const OPEN_AFTER_ALL = new Set([-ERRNO.ECONNRESET, -ERRNO.EPIPE]);
/** Kernel answers that say "nothing will ever listen here" without being a refusal. */
const UNREACHABLE = statuses('EHOSTUNREACH', 'ENETUNREACH', 'EACCES', 'EPERM', 'EHOSTDOWN', 'ENETDOWN');
/** Local shortages: the attempt says nothing about the target and is made again. */
const LOCAL_SHORTAGE = statuses('EMFILE', 'ENFILE', 'EADDRNOTAVAIL', 'ENOBUFS', 'EAGAIN');
const TIMED_OUT = -ERRNO.ETIMEDOUT;
const ERRNO_NAME = new Map(Object.entries(ERRNO).map(([name, n]) => [-n, name]));

export interface SweeperEvents {
  /** A host whose ports are all decided (or the sweep stopped), with at least one reportable port. */
  onHost(result: HostResult): void;
  /** Every host whose ports are all decided, reportable or not (what an interrupted scan covered). */
  onSwept?(address: string): void;
}

export class ConnectSweeper {
  readonly counters: SweepCounters = emptyCounters();
  readonly connectorKind: ConnectorKind;
  private readonly tuning: SweepTuning;
  private readonly events: SweeperEvents;
  private readonly addresses: Iterator<string>;
  private readonly report: Record<PortState, boolean>;
  private readonly connector: Connector<Attempt>;
  private readonly rtt: RttEstimator;
  /** lists[k] holds attempts number k + 1 */
  private readonly lists: DeadlineList<Attempt>[];
  private readonly launchable: HostState[] = [];
  private launchHead = 0;
  private readonly active = new Set<HostState>();
  private exhausted = false;
  private stopped = false;
  private inflight = 0;
  /** Stale attempts allowed on top of `concurrency` (they wait on silence and cost no CPU). */
  private staleAllowance = 0;
  private ticker: NodeJS.Timeout | null = null;
  private expiryQueued = false;
  private rateTimer: NodeJS.Timeout | null = null;
  private tokens: number;
  private tokensAt = performance.now();
  private finish!: () => void;
  private readonly finished: Promise<void>;

  constructor(addresses: Iterable<string>, tuning: SweepTuning, events: SweeperEvents) {
    this.tuning = tuning;
    this.events = events;
    this.addresses = addresses[Symbol.iterator]();
    this.report = { open: true, closed: tuning.reportStates.includes('closed'), filtered: tuning.reportStates.includes('filtered') };
    this.connector = createConnector<Attempt>((a, status) => this.completed(a, status), tuning.connector);
    this.connectorKind = this.connector.kind;
    this.rtt = new RttEstimator(tuning.minTimeoutMs, tuning.timeoutMs);
    this.lists = Array.from({ length: tuning.retries + 1 }, () => new DeadlineList<Attempt>());
    this.tokens = Math.min(tuning.ratePerSec, Math.max(1, tuning.ratePerSec / 20));
    this.finished = new Promise((resolve) => (this.finish = resolve));
  }

  /** Runs until every address is swept or `stop()` is called. */
  run(): Promise<void> {
    const tickMs = Math.min(50, Math.max(2, Math.floor(this.tuning.minTimeoutMs / 4)));
    this.ticker = setInterval(() => {
      // Expire after the poll phase, so answers already waiting are counted before their attempt is timed out.
      if (!this.expiryQueued) {
        this.expiryQueued = true;
        setImmediate(() => {
          this.expiryQueued = false;
          this.expire();
        });
      }
    }, tickMs);
    this.pump();
    return this.finished;
  }

  /** Stops launching, abandons attempts in flight and reports partial hosts. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const list of this.lists) {
      for (let a = list.head; a; a = a.next) this.connector.abort(a);
      list.head = null;
    }
    this.inflight = 0;
    for (const host of this.active) {
      const ports = host.results.filter((r) => this.report[r.state]);
      if (ports.length > 0) this.events.onHost({ address: host.address, ports: sortPorts(ports), complete: false });
    }
    this.active.clear();
    this.done();
  }

  private done(): void {
    if (this.ticker) clearInterval(this.ticker);
    if (this.rateTimer) clearTimeout(this.rateTimer);
    this.ticker = this.rateTimer = null;
    this.finish();
  }

  private nextLaunchable(): HostState | null {
    if (this.launchHead < this.launchable.length) {
      const host = this.launchable[this.launchHead++]!;
      if (this.launchHead > 4096 && this.launchHead * 2 > this.launchable.length) {
        this.launchable.splice(0, this.launchHead);
        this.launchHead = 0;
      }
      host.queued = false;
      return host;
    }
    if (this.exhausted) return null;
    const next = this.addresses.next();
    if (next.done) {
      this.exhausted = true;
      return null;
    }
    const host: HostState = {
      address: next.value,
      ipv6: next.value.includes(':'),
      nextPort: 0,
      inflight: 0,
      remaining: this.tuning.ports.length,
      queued: false,
      retryPorts: [],
      retryAttempts: [],
      results: [],
    };
    this.active.add(host);
    return host;
  }

  private requeue(host: HostState): void {
    if (host.queued || host.inflight >= this.tuning.perHost) return;
    if (host.nextPort < this.tuning.ports.length || host.retryPorts.length > 0) {
      host.queued = true;
      this.launchable.push(host);
    }
  }

  private takeToken(): boolean {
    const rate = this.tuning.ratePerSec;
    if (rate <= 0) return true;
    const now = performance.now();
    this.tokens = Math.min(Math.max(1, rate / 20), this.tokens + ((now - this.tokensAt) * rate) / 1000);
    this.tokensAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    if (!this.rateTimer) {
      const waitMs = Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / rate));
      this.rateTimer = setTimeout(() => {
        this.rateTimer = null;
        this.pump();
      }, waitMs);
    }
    return false;
  }

  private pump(): void {
    const limit = this.tuning.concurrency + this.staleAllowance;
    while (!this.stopped && this.inflight < limit) {
      if (!this.takeToken()) return;
      const host = this.nextLaunchable();
      if (!host) {
        if (this.tuning.ratePerSec > 0) this.tokens += 1; // the token was not spent
        break;
      }
      if (host.retryPorts.length > 0) this.launch(host, host.retryPorts.pop()!, host.retryAttempts.pop()!);
      else this.launch(host, host.nextPort++, 1);
      this.requeue(host);
    }
    if (this.exhausted && this.inflight === 0 && this.launchHead >= this.launchable.length && !this.stopped) {
      this.stopped = true;
      this.done();
    }
  }

  private launch(host: HostState, portIndex: number, attempt: number): void {
    const a: Attempt = { host, portIndex, attempt, startedAt: performance.now(), conn: null, prev: null, next: null };
    this.lists[attempt - 1]!.append(a);
    host.inflight++;
    this.inflight++;
    this.connector.start(a, host.address, this.tuning.ports[portIndex]!, host.ipv6);
  }

  private completed(a: Attempt, status: number): void {
    if (status === 0) {
      this.connector.reset(a);
      this.settle(a, 'open');
    } else if (status === REFUSED) this.settle(a, 'closed');
    else if (OPEN_AFTER_ALL.has(status)) this.settle(a, 'open');
    else if (UNREACHABLE.has(status)) this.settle(a, 'filtered', ERRNO_NAME.get(status));
    else if (LOCAL_SHORTAGE.has(status)) this.settle(a, 'again');
    else if (status === TIMED_OUT) this.settle(a, a.attempt <= this.tuning.retries ? 'retry' : 'filtered');
    else this.settle(a, 'filtered', ERRNO_NAME.get(status) ?? `errno ${status}`);
  }

  private settle(a: Attempt, state: PortState | 'retry' | 'again', reason?: string): void {
    this.lists[a.attempt - 1]!.remove(a);
    const host = a.host;
    host.inflight--;
    this.inflight--;
    const elapsedMs = performance.now() - a.startedAt;
    if (state === 'retry' || state === 'again') {
      if (state === 'retry') this.counters.retries++;
      host.retryPorts.push(a.portIndex);
      host.retryAttempts.push(state === 'retry' ? a.attempt + 1 : a.attempt);
    } else {
      if (state !== 'filtered') this.rtt.sample(elapsedMs);
      this.counters.probesDone++;
      this.counters[state]++;
      if (this.report[state]) {
        const rttMs = Math.round(elapsedMs * 1000) / 1000;
        const port = this.tuning.ports[a.portIndex]!;
        host.results.push(reason ? { port, state, rttMs, attempts: a.attempt, reason } : { port, state, rttMs, attempts: a.attempt });
      }
      if (--host.remaining === 0) {
        this.active.delete(host);
        this.counters.hostsDone++;
        if (host.results.length > 0) this.events.onHost({ address: host.address, ports: sortPorts(host.results), complete: true });
        this.events.onSwept?.(host.address); // after onHost: a listener knows by then whether the host waits for more
      }
    }
    this.requeue(host);
    this.pump();
  }

  private expire(): void {
    if (this.stopped) return;
    const now = performance.now();
    let staleBefore = now - STALE_MS;
    let stale = 0;
    const room = this.tuning.maxInflight - this.tuning.concurrency;
    for (let k = 0; k < this.lists.length; k++) {
      const list = this.lists[k]!;
      const expiredBefore = now - this.rtt.timeoutMs(k + 1);
      while (list.head && list.head.startedAt <= expiredBefore) {
        const a = list.head;
        this.connector.abort(a);
        this.settle(a, a.attempt <= this.tuning.retries ? 'retry' : 'filtered');
        if (this.stopped) return;
      }
      for (let a = list.head; a && a.startedAt < staleBefore && stale < room; a = a.next) stale++;
    }
    const grew = stale > this.staleAllowance;
    this.staleAllowance = stale;
    if (grew) this.pump();
  }
}

function sortPorts(ports: PortResult[]): PortResult[] {
  return ports.sort((x, y) => x.port - y.port);
}
