#!/usr/bin/env -S node --max-semi-space-size=2
/**
 * commander wiring, and the only place that prints errors and sets the exit code:
 * 0 success, 1 a step failed (or a tool is missing, or the output could not be swapped in),
 * 2 bad usage, 3 a bug, 130/143/129 interrupted by SIGINT/SIGTERM/SIGHUP; plan's 10, expiry's 1, 4 and 5 and the
 * commands' own 1s come from their actions, through CommandIo.exitWith.
 */
import { setMaxListeners } from 'node:events';
import { Command, CommanderError } from 'commander';
import { EXIT_HELP, generateCommand } from './commands/generate.js';
import { verifyCommand } from './commands/verify.js';
import { inspectCommand } from './commands/inspect.js';
import { probeCommand } from './commands/probe.js';
import { planCommand } from './commands/plan.js';
import { applyCommand } from './commands/apply.js';
import { rotateCommand } from './commands/rotate-ca.js';
import { explainCommand } from './commands/explain.js';
import { expiryCommand } from './commands/expiry.js';
import { CancelledError, OutputError, StepError, TextfileError, ToolMissingError, UsageError } from './errors.js';
import { failureJson, formatError } from './report/failure.js';
import type { CommandIo } from './report/io.js';
import { makeChalk } from './report/style.js';
import { VERSION } from './version.js';

/** The signals that cancel a run; each exits with its own code (SIGNAL_EXIT_CODES). */
const HANDLED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const out = (s: string) => process.stdout.write(s);
const err = (s: string) => process.stderr.write(s);
/** stderr's colours (stdout's are CommandIo's). */
const ce = makeChalk(process.env, process.stderr.isTTY === true);

/** What one run of the program knows beyond its commands: the first signal, --json, the exit code so far. */
interface Run {
  received?: NodeJS.Signals;
  json: boolean;
  exitCode: number;
}

async function main(argv: string[]): Promise<number> {
  // --json: every failure is reported on stdout as JSON too, even one commander finds before any action runs.
  const run: Run = { json: argv.slice(2).includes('--json'), exitCode: 0 };
  const abort = new AbortController();
  // Every running tool listens on this one signal (execa's cancelSignal), and verify reads many stores at once:
  // more than Node's default of 10 listeners is expected, not a leak (each is removed when its process ends).
  setMaxListeners(0, abort.signal);
  const onSignal = (signal: NodeJS.Signals) => {
    // The first signal decides the exit code; the abort's reason carries its name to whoever stops.
    run.received ??= signal;
    abort.abort(signal);
  };
  // 'on', not 'once': a second Ctrl-C must not end the process before the work directory is removed.
  for (const s of HANDLED_SIGNALS) process.on(s, onSignal);
  // Option and file reading, and the commands that only look (verify, inspect, probe), stop on it too: it
  // travels with the environment in CommandIo, to each command and on to the readers.
  const io = commandIo(run, abort.signal);
  try {
    await program(io).parseAsync(argv);
    if (run.received) io.note(`${run.received} arrived after the point of no return: the command completed.`);
  } catch (caught) {
    run.exitCode = report(named(caught, run.received), run.json);
  } finally {
    for (const s of HANDLED_SIGNALS) process.off(s, onSignal);
  }
  return run.exitCode;
}

/** stdout and stderr with their colours, the warnings (each once), and the run's --json and exit code. */
function commandIo(run: Run, signal: AbortSignal): CommandIo {
  // Each warning once per run, however many parts of the command find the same thing.
  const warned = new Set<string>();
  return {
    env: process.env,
    signal,
    out,
    c: makeChalk(process.env, process.stdout.isTTY === true),
    warn: (line) => {
      if (warned.has(line)) return;
      warned.add(line);
      err(ce.yellow('warning: ') + line + '\n');
    },
    note: (text) => err(`${ce.yellow('note:')} ${text}\n`),
    jsonFailures: (on) => (run.json = on),
    exitWith: (code) => (run.exitCode = code),
  };
}

/** The program and its commands; each command's help and action are in its own file. */
function program(io: CommandIo): Command {
  const root = new Command('kafka-mtls')
    .description('TLS material for an Apache Kafka cluster secured with mutual TLS')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (s) => err(s) })
    .addHelpText('after', EXIT_HELP);
  for (const make of [
    generateCommand,
    verifyCommand,
    inspectCommand,
    probeCommand,
    planCommand,
    applyCommand,
    rotateCommand,
    explainCommand,
    expiryCommand,
  ])
    root.addCommand(make(io).exitOverride());
  return root;
}

/** A run stopped by the runner knows only that it was cancelled: the signal is ours to name. */
function named(e: unknown, received: NodeJS.Signals | undefined): unknown {
  return e instanceof CancelledError && !e.signal && received ? new CancelledError(e.aftermath, received) : e;
}

/** The failure on stderr (and on stdout as JSON with --json); its exit code. */
function report(e: unknown, json: boolean): number {
  const exitCode = exitCodeOf(e);
  const text = formatError(ce, e);
  if (text) err(text);
  if (json && exitCode !== 0) out(JSON.stringify(failureJson(e, exitCode), null, 2) + '\n');
  return exitCode;
}

function exitCodeOf(e: unknown): number {
  if (e instanceof CommanderError) {
    // Help and --version also arrive here, with exit code 0; commander has printed its one-line message already.
    const done = e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version';
    return done ? 0 : 2;
  }
  const known = [UsageError, StepError, CancelledError, ToolMissingError, OutputError, TextfileError];
  if (known.some((k) => e instanceof k)) return (e as { exitCode: number }).exitCode;
  return 3;
}

// A reader that stops early (`kafka-mtls generate --dry-run | head`) is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

process.exitCode = await main(process.argv);
