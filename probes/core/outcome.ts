import type { ProbeStatus } from '../../model/evidence.js';

/** A failure with a status, thrown inside probes and turned into an outcome by `runProbe`. */
export class ProbeError extends Error {
  constructor(readonly status: Exclude<ProbeStatus, 'success'>, message: string) {
    super(message);
    this.name = 'ProbeError';
  }
}
