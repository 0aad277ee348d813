/**
 * Round-trip estimate and retransmission timeout as TCP computes them (RFC 6298 2.2-2.3: SRTT, RTTVAR,
 * RTO = SRTT + 4 RTTVAR), bounded by the scan's minimum and maximum timeouts. Before the first sample the
 * timeout is the maximum; retry k waits 2^(k-1) times as long (RFC 6298 5.5 backoff), still bounded.
 */
export class RttEstimator {
  private srtt = 0;
  private rttvar = 0;
  private samples = 0;

  constructor(
    private readonly minTimeoutMs: number,
    private readonly maxTimeoutMs: number,
  ) {}

  sample(rttMs: number): void {
    if (this.samples++ === 0) {
      this.srtt = rttMs;
      this.rttvar = rttMs / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - rttMs);
      this.srtt = 0.875 * this.srtt + 0.125 * rttMs;
    }
  }

  /** Timeout for attempt number `attempt` (1 for the first). */
  timeoutMs(attempt: number): number {
    const base = this.samples === 0 ? this.maxTimeoutMs : Math.max(this.minTimeoutMs, this.srtt + 4 * this.rttvar);
    return Math.min(this.maxTimeoutMs, base * 2 ** (attempt - 1));
  }
}
