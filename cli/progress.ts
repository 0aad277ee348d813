/** A one-line progress display on stderr, drawn only when stderr is a terminal. */
import type { SweepCounters } from '../scanner/engine/types.js';

export class ProgressLine {
  private readonly started = performance.now();
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly hostsTotal: number,
    private readonly probesTotal: number,
  ) {}

  static forStream(stream: NodeJS.WriteStream, enabled: boolean, hostsTotal: number, probesTotal: number): ProgressLine | null {
    return enabled && stream.isTTY ? new ProgressLine(stream, hostsTotal, probesTotal) : null;
  }

  /** Hosts queued for fingerprinting and done, shown after the sweep figures. */
  fingerprint: { queued: number; done: number } | null = null;

  update(c: SweepCounters): void {
    const seconds = (performance.now() - this.started) / 1000;
    const rate = seconds > 0 ? c.probesDone / seconds : 0;
    const fraction = this.probesTotal ? Math.min(1, c.probesDone / this.probesTotal) : 1;
    const eta = rate > 0 ? (this.probesTotal - c.probesDone) / rate : NaN;
    const width = 20;
    const filled = Math.round(fraction * width);
    const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
    const text =
      `[${bar}] ${(fraction * 100).toFixed(0).padStart(3)}%  hosts ${fmt(c.hostsDone)}/${fmt(this.hostsTotal)}` +
      `  probes ${fmt(c.probesDone)}/${fmt(this.probesTotal)}  open ${fmt(c.open)}  ${fmt(Math.round(rate))}/s` +
      `  ETA ${Number.isFinite(eta) ? formatDuration(eta) : '?'}` +
      (this.fingerprint && this.fingerprint.queued ? `  fingerprinted ${fmt(this.fingerprint.done)}/${fmt(this.fingerprint.queued)}` : '');
    const columns = this.stream.columns || 120;
    this.stream.write(`\r${text.slice(0, columns - 1)}\x1b[K`);
    this.drawn = true;
  }

  clear(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
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
