/**
 * The probe contract and its runner. A probe only speaks its protocol through the connections the runner gives
 * it; the runner owns the time budget (one deadline, one abort signal), closes every connection, and turns any
 * failure into an outcome. `runProbe` never throws.
 */
import { ProbeConnection } from './connection.js';
import type { Evidence, ProbeOutcome } from '../../model/evidence.js';
import { ProbeError } from './outcome.js';

export interface ProbeContext {
  readonly host: string;
  readonly port: number;
  /** performance.now() time by which the probe must be done. */
  readonly deadline: number;
  readonly signal: AbortSignal;
  /** What earlier probes saw on this port (the banner probe's raw bytes, for one). */
  readonly previous: ReadonlyMap<string, ProbeOutcome & { raw?: Buffer }>;
  /** Opens a connection to the target; the runner closes it. */
  connect(options?: { maxBytes?: number }): Promise<ProbeConnection>;
  /** Time left, in ms. */
  remainingMs(): number;
}

export interface ProbeResult {
  readonly evidence: Evidence[];
  /** Raw bytes later probes may reuse (the banner). Kept in memory only. */
  readonly raw?: Buffer;
}

export interface Probe {
  readonly name: string;
  /** One line on what it does, for docs and `--help`. */
  readonly description: string;
  /** Speaks its protocol; throws ProbeError with a status for anything but success. */
  run(ctx: ProbeContext): Promise<ProbeResult>;
}

export interface RunOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly previous?: ReadonlyMap<string, ProbeOutcome & { raw?: Buffer }>;
}

export async function runProbe(probe: Probe, host: string, port: number, options: RunOptions): Promise<ProbeOutcome & { raw?: Buffer }> {
  const started = performance.now();
  const deadline = started + options.timeoutMs;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), options.timeoutMs);
  // AbortSignal.any follows the scan's signal without adding a listener to it: a listener per probe piled up
  // hundreds on the one signal a scan shares (a MaxListenersExceededWarning on every large scan).
  const signal = options.signal ? AbortSignal.any([options.signal, abort.signal]) : abort.signal;
  const connections: ProbeConnection[] = [];
  const ctx: ProbeContext = {
    host, port, deadline, signal, previous: options.previous ?? new Map(),
    remainingMs: () => Math.max(0, deadline - performance.now()),
    async connect(o = {}) {
      const c = await ProbeConnection.open({ host, port, deadline, signal, maxBytes: o.maxBytes });
      connections.push(c);
      return c;
    },
  };
  const elapsed = () => Math.round((performance.now() - started) * 100) / 100;
  try {
    const result = await probe.run(ctx);
    return { probe: probe.name, port, status: 'success', evidence: result.evidence, elapsedMs: elapsed(), raw: result.raw };
  } catch (err) {
    const status = err instanceof ProbeError ? err.status : signal.aborted ? 'timeout' : 'protocol-error';
    const message = err instanceof Error ? err.message : String(err);
    return { probe: probe.name, port, status, evidence: [], error: message.slice(0, 300), elapsedMs: elapsed() };
  } finally {
    clearTimeout(timer);
    for (const c of connections) c.close();
  }
}

/** Printable text of raw bytes: control characters other than tab become `\xNN`, at most `max` characters. */
export function printable(raw: Buffer, max = 512): string {
  let out = '';
  for (const byte of raw.subarray(0, max)) {
    out += byte === 9 || (byte >= 32 && byte < 127) ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}
