/**
 * Standard output closed under a command (`surveyor assets | head -1`): the write fails with EPIPE. Without a
 * handler Node throws it as an uncaught exception with a stack trace; with this one, the command ends quietly
 * (a scan stops as interrupted, keeping what it found) and later writes are dropped.
 */
const closed = new AbortController();

/** Aborted when standard output is closed by its reader. */
export const stdoutClosed: AbortSignal = closed.signal;

export function watchStdout(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') {
      closed.abort(new Error('standard output was closed'));
      return;
    }
    throw err;
  });
}
