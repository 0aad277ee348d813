/**
 * The progress of a scan on stderr: one line redrawn in place on a terminal, fitted to its width; elsewhere (a log
 * file, a pipe) a plain line every `--stats-every` interval, so the log of a long job shows life. A scan has three
 * phases with their own counts, rate and ETA: the sweep (probes), fingerprinting and enumeration (hosts); both of
 * the latter start while the sweep runs, and take over the line once it ends.
 */
import type { SweepCounters } from '../scanner/engine/types.js';

/** Hosts queued for a phase after the sweep (fingerprinting, enumeration) and done, and when the first came. */
export interface HostPhase {
  readonly queued: number;
  readonly done: number;
  /** performance.now() of the first host queued. */
  readonly startedMs: number;
}

/** Everything the line shows; times are performance.now() values. */
export interface ProgressState {
  readonly nowMs: number;
  readonly startedMs: number;
  readonly hostsTotal: number;
  readonly probesTotal: number;
  readonly counters: SweepCounters;
  /** When the sweep ended; undefined while it runs. */
  readonly sweptMs?: number;
  readonly fingerprint?: HostPhase;
  readonly enumerate?: HostPhase;
}

/** A piece of the line: pieces of lower priority (a higher number) are left out first when the line is too wide. */
interface Piece {
  readonly text: string;
  readonly priority: number;
}

/**
 * The progress line for `columns` columns (Infinity: the whole line, for a log). The current phase comes first
 * with its counts, then rate and ETA; the other phases follow in short; a bar fills what room is left.
 */
export function formatProgress(s: ProgressState, columns: number): string {
  const c = s.counters;
  const sweeping = s.sweptMs === undefined;
  const sweepSeconds = ((s.sweptMs ?? s.nowMs) - s.startedMs) / 1000;
  const pieces: Piece[] = [];
  let fraction: number;
  if (sweeping) {
    fraction = s.probesTotal ? Math.min(1, c.probesDone / s.probesTotal) : 1;
    const rate = sweepSeconds > 0 ? c.probesDone / sweepSeconds : 0;
    const eta = rate > 0 ? (s.probesTotal - c.probesDone) / rate : NaN;
    pieces.push({ text: `sweep ${percent(fraction)}`, priority: 0 });
    pieces.push({ text: `hosts ${fmt(c.hostsDone)}/${fmt(s.hostsTotal)}`, priority: 1 });
    pieces.push({ text: `ETA ${Number.isFinite(eta) ? formatDuration(eta) : '?'}`, priority: 2 });
    pieces.push({ text: `${fmt(Math.round(rate))} probes/s`, priority: 4 });
    pieces.push({ text: `open ${fmt(c.open)}`, priority: 3 });
    pieces.push({ text: `probes ${fmt(c.probesDone)}/${fmt(s.probesTotal)}`, priority: 6 });
    for (const [name, phase] of [['fingerprinted', s.fingerprint], ['enumerated', s.enumerate]] as const) {
      if (phase?.queued) pieces.push({ text: `${name} ${fmt(phase.done)}/${fmt(phase.queued)}`, priority: 5 });
    }
  } else {
    // The sweep is over: the phase with hosts left leads, with its own rate and ETA.
    const phases = ([['fingerprint', s.fingerprint], ['enumerate', s.enumerate]] as const).filter(([, p]) => p && p.queued > 0) as Array<[string, HostPhase]>;
    const current = phases.find(([, p]) => p.done < p.queued) ?? phases[phases.length - 1];
    if (current) {
      const [name, p] = current;
      fraction = Math.min(1, p.done / p.queued);
      const seconds = (s.nowMs - p.startedMs) / 1000;
      const rate = seconds > 0 ? p.done / seconds : 0;
      const eta = rate > 0 ? (p.queued - p.done) / rate : NaN;
      pieces.push({ text: `${name} ${percent(fraction)}`, priority: 0 });
      pieces.push({ text: `hosts ${fmt(p.done)}/${fmt(p.queued)}`, priority: 1 });
      pieces.push({ text: `ETA ${Number.isFinite(eta) ? formatDuration(eta) : '?'}`, priority: 2 });
      pieces.push({ text: `${rate.toFixed(rate < 10 ? 1 : 0)} hosts/s`, priority: 4 });
      for (const [other, q] of phases) if (other !== name) pieces.push({ text: `${other} ${fmt(q.done)}/${fmt(q.queued)}`, priority: 3 });
    } else {
      fraction = 1;
      pieces.push({ text: 'sweep 100%', priority: 0 });
    }
    pieces.push({ text: `swept ${fmt(c.hostsDone)} hosts in ${formatDuration(sweepSeconds)}, ${fmt(c.open)} open`, priority: 5 });
  }
  return fit(pieces, fraction, columns);
}

const SEPARATOR = '  ';
const BAR_MIN = 10;
const BAR_MAX = 30;

/** The pieces of highest priority that fit in `columns - 1` (the last column stays free: no wrap), in order. */
function fit(pieces: readonly Piece[], fraction: number, columns: number): string {
  const room = columns - 1;
  const width = (list: readonly Piece[]) => list.reduce((n, p, i) => n + p.text.length + (i ? SEPARATOR.length : 0), 0);
  let kept = [...pieces];
  for (let priority = Math.max(...pieces.map((p) => p.priority)); priority > 0 && width(kept) > room; priority--) {
    kept = kept.filter((p) => p.priority < priority);
  }
  let text = kept.map((p) => p.text).join(SEPARATOR);
  if (text.length > room) return text.slice(0, Math.max(0, room));
  const spare = room - text.length - SEPARATOR.length - 2;
  if (spare >= BAR_MIN && Number.isFinite(columns)) {
    const barWidth = Math.min(BAR_MAX, spare);
    const filled = Math.round(fraction * barWidth);
    text = `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]${SEPARATOR}${text}`;
  }
  return text;
}

function percent(fraction: number): string {
  return `${Math.floor(fraction * 100)}%`;
}

/**
 * Follows a scan's events and shows them: redrawn in place on a terminal (`live`), or a plain line every
 * `everyMs` elsewhere.
 */
export class ProgressLine {
  private readonly startedMs = performance.now();
  private counters: SweepCounters = { probesDone: 0, hostsDone: 0, open: 0, closed: 0, filtered: 0, retries: 0 };
  private sweptMs: number | undefined;
  private fingerprint: HostPhase | undefined;
  private enumerate: HostPhase | undefined;
  private drawn = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly hostsTotal: number,
    private readonly probesTotal: number,
    private readonly live: boolean,
    everyMs: number,
  ) {
    this.timer = setInterval(() => this.draw(), everyMs);
    this.timer.unref();
  }

  /**
   * A live line on a terminal (unless `enabled` is false), redrawn five times a second; elsewhere a line every
   * `statsEveryMs` when it is given; otherwise none.
   */
  static forStream(stream: NodeJS.WriteStream, enabled: boolean, hostsTotal: number, probesTotal: number, statsEveryMs?: number): ProgressLine | null {
    if (stream.isTTY) return enabled ? new ProgressLine(stream, hostsTotal, probesTotal, true, 200) : null;
    return statsEveryMs ? new ProgressLine(stream, hostsTotal, probesTotal, false, statsEveryMs) : null;
  }

  update(c: SweepCounters): void {
    this.counters = c;
  }

  swept(c: SweepCounters): void {
    this.counters = c;
    this.sweptMs ??= performance.now();
  }

  fingerprints(queued: number, done: number): void {
    this.fingerprint = { queued, done, startedMs: this.fingerprint?.startedMs ?? performance.now() };
  }

  enumerations(queued: number, done: number): void {
    this.enumerate = { queued, done, startedMs: this.enumerate?.startedMs ?? performance.now() };
  }

  state(): ProgressState {
    return {
      nowMs: performance.now(), startedMs: this.startedMs, hostsTotal: this.hostsTotal, probesTotal: this.probesTotal,
      counters: this.counters, sweptMs: this.sweptMs, fingerprint: this.fingerprint, enumerate: this.enumerate,
    };
  }

  private draw(): void {
    if (this.live) {
      this.stream.write(`\r${formatProgress(this.state(), this.stream.columns || 80)}\x1b[K`);
      this.drawn = true;
    } else {
      const elapsed = formatDuration((performance.now() - this.startedMs) / 1000);
      this.stream.write(`stats: ${elapsed} elapsed  ${formatProgress(this.state(), Infinity)}\n`);
    }
  }

  /** Wipes a live line (before other output); a plain line stays. */
  clear(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }

  /** No more lines. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.clear();
  }
}

export function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${Math.round(seconds % 60).toString().padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${(m % 60).toString().padStart(2, '0')}m`;
}
