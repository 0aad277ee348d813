/**
 * The hot path: TCP connect probes for one thread. Everything here is shaped by measurement (see the README's
 * design notes): event handlers are shared functions rather than closures, every timeout lives in one intrusive
 * list ordered by deadline (all attempts share one timeout, so appending keeps it sorted, and a finished attempt
 * unlinks itself in O(1)), one interval timer expires the list's head, and open sockets are closed with a reset
 * so no TIME_WAIT is left behind.
 */
import { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { HostResult, PortResult, PortState, SweepCounters, SweepTuning } from './types.js';
import { emptyCounters } from './types.js';

interface HostState {
  readonly address: string;
  nextPort: number;
  inflight: number;
  remaining: number;
  queued: boolean;
  retryPorts: number[];
  retryAttempts: number[];
  results: PortResult[];
}

interface Attempt {
  readonly owner: ConnectSweeper;
  host: HostState;
  portIndex: number;
  attempt: number;
  startedAt: number;
  deadline: number;
  socket: Socket | null;
  prev: Attempt | null;
  next: Attempt | null;
}

const ATTEMPT = Symbol('attempt');
/**
 * An attempt unanswered for this long is taken to be waiting on silence (a filtered port, or a long round trip)
 * and stops counting against the base concurrency: on real networks that is what lets in-flight grow to
 * rate x RTT, and on filtered estates it keeps the fixed timeout from serialising the silent hosts.
 */
const STALE_MS = 50;
type ProbeSocket = Socket & { [ATTEMPT]?: Attempt | null };

/** Kernel answers that say "nothing will ever listen here" without being a refusal. */
const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EACCES', 'EPERM', 'EHOSTDOWN', 'ENETDOWN']);
/** Local resource shortages: the attempt says nothing about the target and is simply made again. */
const LOCAL_SHORTAGE = new Set(['EMFILE', 'ENFILE', 'EADDRNOTAVAIL', 'ENOBUFS', 'EAGAIN']);

export interface SweeperEvents {
  /** A host whose ports are all decided (or the sweep stopped), with at least one reportable port. */
  onHost(result: HostResult): void;
}

export class ConnectSweeper {
  readonly counters: SweepCounters = emptyCounters();
  private readonly tuning: SweepTuning;
  private readonly events: SweeperEvents;
  private readonly addresses: Iterator<string>;
  private readonly report: Record<PortState, boolean>;
  private readonly launchable: HostState[] = [];
  private launchHead = 0;
  private readonly active = new Set<HostState>();
  private exhausted = false;
  private stopped = false;
  private inflight = 0;
  private head: Attempt | null = null;
  private tail: Attempt | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private rateTimer: NodeJS.Timeout | null = null;
  /** Attempts older than STALE_MS, allowed on top of `concurrency` (they wait on silence and cost no CPU). */
  private staleAllowance = 0;
  private tokens: number;
  private tokensAt = performance.now();
  private finish!: () => void;
  private readonly finished: Promise<void>;

  constructor(addresses: Iterable<string>, tuning: SweepTuning, events: SweeperEvents) {
    this.tuning = tuning;
    this.events = events;
    this.addresses = addresses[Symbol.iterator]();
    this.report = { open: true, closed: tuning.reportStates.includes('closed'), filtered: tuning.reportStates.includes('filtered') };
    this.tokens = Math.min(tuning.ratePerSec, Math.max(1, tuning.ratePerSec / 20));
    this.finished = new Promise((resolve) => (this.finish = resolve));
  }

  /** Runs until every address is swept or `stop()` is called. */
  run(): Promise<void> {
    const tickMs = Math.min(100, Math.max(5, Math.floor(this.tuning.timeoutMs / 8)));
    this.ticker = setInterval(() => this.expire(), tickMs);
    this.pump();
    return this.finished;
  }

  /** Stops launching, abandons attempts in flight and reports partial hosts. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (let a = this.head; a; a = a.next) {
      const socket = a.socket as ProbeSocket | null;
      if (socket) {
        socket[ATTEMPT] = null;
        socket.destroy();
      }
    }
    this.head = this.tail = null;
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

  private hasWork(host: HostState): boolean {
    return host.nextPort < this.tuning.ports.length || host.retryPorts.length > 0;
  }

  private requeue(host: HostState): void {
    if (!host.queued && host.inflight < this.tuning.perHost && this.hasWork(host)) {
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
    const { ports } = this.tuning;
    const limit = this.tuning.concurrency + this.staleAllowance;
    while (!this.stopped && this.inflight < limit) {
      if (!this.takeToken()) return;
      const host = this.nextLaunchable();
      if (!host) {
        if (this.tuning.ratePerSec > 0) this.tokens += 1; // the token was not spent
        break;
      }
      let portIndex: number;
      let attempt: number;
      if (host.retryPorts.length > 0) {
        portIndex = host.retryPorts.pop()!;
        attempt = host.retryAttempts.pop()!;
      } else {
        portIndex = host.nextPort++;
        attempt = 1;
      }
      this.launch(host, portIndex, attempt, ports[portIndex]!);
      this.requeue(host);
    }
    if (this.exhausted && this.inflight === 0 && this.launchHead >= this.launchable.length && !this.stopped) {
      this.stopped = true;
      this.done();
    }
  }

  private launch(host: HostState, portIndex: number, attempt: number, port: number): void {
    const now = performance.now();
    const a: Attempt = {
      owner: this,
      host, portIndex, attempt, startedAt: now, deadline: now + this.tuning.timeoutMs, socket: null, prev: this.tail, next: null,
    };
    if (this.tail) this.tail.next = a;
    else this.head = a;
    this.tail = a;
    host.inflight++;
    this.inflight++;
    const socket = new Socket() as ProbeSocket;
    socket[ATTEMPT] = a;
    a.socket = socket;
    socket.on('connect', onConnect);
    socket.on('error', onError);
    socket.connect(port, host.address);
  }

  private unlink(a: Attempt): void {
    if (a.prev) a.prev.next = a.next;
    else this.head = a.next;
    if (a.next) a.next.prev = a.prev;
    else this.tail = a.prev;
    a.prev = a.next = null;
    if (a.socket) (a.socket as ProbeSocket)[ATTEMPT] = null;
    a.socket = null;
    a.host.inflight--;
    this.inflight--;
  }

  /** @internal called by the shared socket handlers */
  settle(a: Attempt, state: PortState | 'retry' | 'again', reason?: string): void {
    this.unlink(a);
    const host = a.host;
    if (state === 'retry' || state === 'again') {
      if (state === 'retry') this.counters.retries++;
      host.retryPorts.push(a.portIndex);
      host.retryAttempts.push(state === 'retry' ? a.attempt + 1 : a.attempt);
    } else {
      const rttMs = Math.round((performance.now() - a.startedAt) * 1000) / 1000;
      this.counters.probesDone++;
      this.counters[state]++;
      if (this.report[state]) {
        const result: PortResult = reason
          ? { port: this.tuning.ports[a.portIndex]!, state, rttMs, attempts: a.attempt, reason }
          : { port: this.tuning.ports[a.portIndex]!, state, rttMs, attempts: a.attempt };
        host.results.push(result);
      }
      if (--host.remaining === 0) {
        this.active.delete(host);
        this.counters.hostsDone++;
        if (host.results.length > 0) this.events.onHost({ address: host.address, ports: sortPorts(host.results), complete: true });
      }
    }
    this.requeue(host);
    this.pump();
  }

  private expire(): void {
    const now = performance.now();
    while (this.head && this.head.deadline <= now) {
      const a = this.head;
      a.socket?.destroy();
      this.settle(a, a.attempt <= this.tuning.retries ? 'retry' : 'filtered');
    }
    const room = this.tuning.maxInflight - this.tuning.concurrency;
    if (room > 0) {
      const staleBefore = now - STALE_MS;
      let stale = 0;
      for (let a = this.head; a && a.startedAt < staleBefore && stale < room; a = a.next) stale++;
      const grew = stale > this.staleAllowance;
      this.staleAllowance = stale;
      if (grew) this.pump();
    }
  }

  /** @internal */
  timedOut(a: Attempt): PortState | 'retry' {
    return a.attempt <= this.tuning.retries ? 'retry' : 'filtered';
  }
}

function onConnect(this: ProbeSocket): void {
  const a = this[ATTEMPT];
  this.resetAndDestroy();
  if (a) a.owner.settle(a, 'open');
}

function onError(this: ProbeSocket, err: NodeJS.ErrnoException): void {
  const a = this[ATTEMPT];
  this.destroy();
  if (!a) return;
  const owner = a.owner;
  const code = err.code ?? 'EUNKNOWN';
  if (code === 'ECONNREFUSED') owner.settle(a, 'closed');
  // The handshake completed and the service reset it before the connect callback ran (an accept-and-drop
  // service, a TCP wrapper): the port is open.
  else if (code === 'ECONNRESET' || code === 'EPIPE') owner.settle(a, 'open');
  else if (UNREACHABLE.has(code)) owner.settle(a, 'filtered', code);
  else if (LOCAL_SHORTAGE.has(code)) owner.settle(a, 'again');
  else if (code === 'ETIMEDOUT') owner.settle(a, owner.timedOut(a));
  else owner.settle(a, 'filtered', code);
}

function sortPorts(ports: PortResult[]): PortResult[] {
  return ports.sort((x, y) => x.port - y.port);
}
