/**
 * One error base class for the whole project. `status` comes from a fixed vocabulary so callers can branch
 * on it; `context` carries what is needed to understand the failure and is never allowed to hold a secret.
 */
export type ErrorStatus = 'bad-input' | 'runtime' | 'store' | 'interrupted';

export class SurveyorError extends Error {
  readonly status: ErrorStatus;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(status: ErrorStatus, message: string, context: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.context = context;
  }

  /** Process exit code for this error: 2 for bad user input, 130 when the user interrupted, 1 otherwise. */
  get exitCode(): number {
    return this.status === 'bad-input' ? 2 : this.status === 'interrupted' ? 130 : 1;
  }
}

/** Bad user input (targets, ports, options). The message names the offending token and why it is wrong. */
export class InputError extends SurveyorError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('bad-input', message, context);
  }
}

/** Builds an InputError for one token: `bad target "10.0.0.0/33": prefix length 33 is out of range 0-32`. */
export function badToken(kind: string, token: string, why: string, where?: string): InputError {
  const at = where ? ` (${where})` : '';
  return new InputError(`bad ${kind} "${token}"${at}: ${why}`, { kind, token, where });
}
