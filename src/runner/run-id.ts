import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/**
 * What proves that a process was started by a kafka-mtls run: every child gets this run's id in its
 * environment (childEnv), and its children inherit it. A later run that finds a killed run's work directory
 * reads /proc/PID/environ of the processes inside it and stops only those that carry that run's id: a PID,
 * a working directory or a command name proves nothing (an operator's shell sits in the directory too).
 * Random, not secret: it names a run, as the work directory's name does (leftovers.ts workPrefix).
 */
export const RUN_ID_VARIABLE = 'KAFKA_MTLS_RUN_ID';

/** 16 hex digits, new for each kafka-mtls process. */
export const RUN_ID = randomBytes(8).toString('hex');

export const RUN_ID_PATTERN = /^[0-9a-f]{16}$/;

/**
 * The run id in a process's environment as it started (/proc/PID/environ), undefined when it has none, or
 * 'unreadable' when its environment cannot be read (another user's process, gone, no /proc).
 */
export async function runIdOf(pid: number): Promise<string | undefined | 'unreadable'> {
  let environ: string;
  try {
    environ = await readFile(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return 'unreadable';
  }
  const entry = environ.split('\0').find((v) => v.startsWith(`${RUN_ID_VARIABLE}=`));
  return entry?.slice(RUN_ID_VARIABLE.length + 1);
}
