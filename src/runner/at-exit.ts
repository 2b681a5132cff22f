/**
 * What must be undone however this process ends, but by SIGKILL: process.exit(), an uncaught exception, the
 * event loop running dry. `finally` blocks do not run in the first two, so the child process groups
 * (spawn.ts), the lock (output/lock.ts) and the single executable's class directory (keytool-host.ts) register
 * here, and one 'exit' listener undoes them.
 *
 * Synchronous only: Node runs no more of the event loop once 'exit' is emitted. Last registered, first run, as
 * nested `finally` blocks would: a child started under the lock is killed before the lock goes. Each runs once,
 * and one that throws does not keep the others from running: at exit there is no one to tell, and what it left
 * (a lock, a directory) is what a killed run leaves, which the next run finds and takes over.
 */

type Cleanup = () => void;

/** Entries, not the functions: one function registered twice is two cleanups, each unregistered on its own. */
const pending: Array<{ readonly cleanup: Cleanup }> = [];
let listening = false;

/** Runs `cleanup` when the process exits, unless the function returned is called first. */
export function atExit(cleanup: Cleanup): () => void {
  const entry = { cleanup };
  pending.push(entry);
  if (!listening) {
    listening = true;
    process.on('exit', runExitCleanups);
  }
  return () => {
    const i = pending.indexOf(entry);
    if (i >= 0) pending.splice(i, 1);
  };
}

/** The 'exit' listener: every cleanup still registered, last first, each taken off before it runs. */
export function runExitCleanups(): void {
  for (let entry = pending.pop(); entry; entry = pending.pop()) {
    try {
      entry.cleanup();
    } catch {
      // Nothing to tell at exit; the next cleanup still runs.
    }
  }
}
