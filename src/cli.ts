#!/usr/bin/env -S node --max-semi-space-size=2
import { Command, CommanderError } from 'commander';
import { dryRunGenerate, generateCommand, runGenerate } from './commands/generate.js';
import { runVerify, verifyCommand, type RawVerifyOptions } from './commands/verify.js';
import { inspectCommand, runInspect, type RawInspectOptions } from './commands/inspect.js';
import { probeCommand, runProbe, type RawProbeOptions } from './commands/probe.js';
import {
  applyCommand,
  EXIT_CHANGES,
  planCommand,
  runApply,
  runLifecyclePlan,
  type RawLifecycleOptions,
} from './commands/apply.js';
import { hasChanges } from './plans/diff.js';
import { describePhase, rotateCommand, runRotate, type RawRotateOptions } from './commands/rotate-ca.js';
import type { Phase } from './model/state.js';
import { VERSION } from './version.js';

const NEXT_STEP: Record<Phase, string> = {
  start: "Roll the brokers (and update clients' truststores), then run rotate-ca reissue.",
  reissue: 'Roll the brokers and give clients their new keystores, then run rotate-ca finish.',
  finish: 'Roll the brokers: the old CA is no longer trusted anywhere.',
};
import { CancelledError, OutputError, StepError, ToolMissingError, UsageError } from './errors.js';
import { cancelReadsOn } from './runner/cancel.js';
import type { RawGenerateOptions } from './options/params.js';
import {
  formatAftermath,
  formatChanges,
  formatFailure,
  formatFindings,
  formatInspected,
  formatProbe,
  formatSummary,
  makeChalk,
  progressPrinter,
  summaryJson,
} from './report/ui.js';

/**
 * The only place that prints errors and sets the exit code:
 * 0 success, 1 a step failed (or a tool is missing, or the output could not be swapped in),
 * 2 bad usage, 3 a bug, 130/143/129 interrupted by SIGINT/SIGTERM/SIGHUP.
 */
const EXIT_HELP = `
Exit codes:
  0    success
  1    a step failed, a tool is missing, or the output could not be written
  2    bad usage: an option, variable or input file broke a rule; nothing was touched
  3    a bug in kafka-mtls
  130  interrupted (SIGINT, Ctrl-C); nothing was touched
  143  terminated (SIGTERM); nothing was touched
  129  hung up (SIGHUP); nothing was touched
A signal that arrives once the new directory is being swapped in lets the swap finish.`;

/** The signals that cancel a run; each exits with its own code (SIGNAL_EXIT_CODES). */
const HANDLED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

async function main(argv: string[]): Promise<number> {
  const out = (s: string) => process.stdout.write(s);
  const err = (s: string) => process.stderr.write(s);
  const c = makeChalk(process.env, process.stdout.isTTY === true);
  const ce = makeChalk(process.env, process.stderr.isTTY === true);

  const note = (text: string) => err(`${ce.yellow('note:')} ${text}\n`);
  const abort = new AbortController();
  // The first signal decides the exit code; the abort's reason carries its name to whoever stops.
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    received ??= signal;
    abort.abort(signal);
  };
  // 'on', not 'once': a second Ctrl-C must not end the process before the work directory is removed.
  for (const s of HANDLED_SIGNALS) process.on(s, onSignal);
  // Option and file reading, and the commands that only look (verify, inspect, probe), stop on it too.
  cancelReadsOn(abort.signal);

  // Each warning once per run, however many parts of the command find the same thing.
  const warned = new Set<string>();
  const warn = (line: string) => {
    if (warned.has(line)) return;
    warned.add(line);
    err(ce.yellow('warning: ') + line + '\n');
  };

  let exitCode = 0;
  // --json: every failure is reported on stdout as JSON too, even one commander finds before any action runs.
  let json = argv.slice(2).includes('--json');
  const program = new Command('kafka-mtls')
    .description('TLS material for an Apache Kafka cluster secured with mutual TLS')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (s) => err(s) })
    .addHelpText('after', EXIT_HELP);

  const generate = generateCommand()
    .exitOverride()
    .addHelpText(
      'after',
      `
Examples:
  kafka-mtls generate                                   # ./certs, as mtls-kafka.sh
  PASSWORD=s3cret-pw KAFKA_BROKER_COUNT=5 kafka-mtls generate
  kafka-mtls generate --password-file pw.txt --brokers 5 --san IP:10.0.0.7 --out /work/certs
${EXIT_HELP}`,
    )
    .action(async (opts: RawGenerateOptions & { dryRun?: boolean; json?: boolean }) => {
      if (opts.dryRun) {
        out(await dryRunGenerate(opts, { env: process.env }));
        return;
      }
      json = opts.json === true;
      const result = await runGenerate(opts, {
        env: process.env,
        signal: abort.signal,
        onNote: note,
        warn,
        onEvent: json ? undefined : progressPrinter(c, out, opts.verbose === true),
      });
      out(json ? JSON.stringify(summaryJson(result), null, 2) + '\n' : formatSummary(c, result));
    });
  program.addCommand(generate);

  const verify = verifyCommand()
    .exitOverride()
    .addHelpText(
      'after',
      `
Examples:
  kafka-mtls verify                      # ./certs, password from PASSWORD
  kafka-mtls verify /work/certs --password-file pw.txt --host 'kafka-{i}.example.com'

Exit codes:
  0    every check passed (warnings allowed)
  1    a check failed
  2    bad usage`,
    )
    .action(async (dir: string, opts: RawVerifyOptions) => {
      const result = await runVerify(dir, opts, { env: process.env, warn });
      out(opts.json ? JSON.stringify(result, null, 2) + '\n' : formatFindings(c, result));
      if (result.failed) exitCode = 1;
    });
  program.addCommand(verify);

  const inspect = inspectCommand()
    .exitOverride()
    .addHelpText(
      'after',
      `
Examples:
  kafka-mtls inspect certs/ca.crt certs/ca-request-mtls-kafka-0
  PASSWORD=... kafka-mtls inspect certs/mtls-kafka-0.keystore.jks --json

Exit codes:
  0    every file was read
  1    a file could not be read (not a known kind, or a wrong password)
  2    bad usage`,
    )
    .action(async (files: string[], opts: RawInspectOptions) => {
      const items = await runInspect(files, opts, { env: process.env, warn });
      out(opts.json ? JSON.stringify(items, null, 2) + '\n' : formatInspected(c, items));
      if (items.some((i) => i.kind === 'unreadable')) exitCode = 1;
    });
  program.addCommand(inspect);

  const probe = probeCommand()
    .exitOverride()
    .addHelpText(
      'after',
      `
Examples:
  kafka-mtls probe mtls-kafka-0.mtls-kafka-headless:9093 --ca certs/ca.crt
  PASSWORD=... kafka-mtls probe kafka-1-external:19093 --ca certs/kafka.client.truststore.jks --client certs/mtls-kafka-client.keystore.jks

Exit codes:
  0    every TLS version the server speaks accepted us: with --client, mutual TLS works;
       without --client, the listener lets a client without a certificate in (it does not enforce mTLS)
  1    anything else: the outcome per version says what, and the hint what to do
  2    bad usage: nothing was connected to
  130  interrupted`,
    )
    .action(async (target: string, opts: RawProbeOptions) => {
      const result = await runProbe(target, opts, { env: process.env, signal: abort.signal, warn });
      out(opts.json ? JSON.stringify(result, null, 2) + '\n' : formatProbe(c, result));
      if (!result.ok) exitCode = 1;
    });
  program.addCommand(probe);

  const plan = planCommand()
    .exitOverride()
    .addHelpText(
      'after',
      `
Examples:
  kafka-mtls plan --brokers 5                  # ./certs made with 3: two to create
  kafka-mtls plan --config cluster.yaml --renew-before 60 --json

Exit codes:
  0    nothing would change
  10   something would change (apply would do it)
  1    a tool is missing
  2    bad usage, or the directory holds no kafka-mtls.json`,
    )
    .action(async (opts: RawLifecycleOptions) => {
      const r = await runLifecyclePlan(opts, { env: process.env, warn });
      out(
        opts.json
          ? JSON.stringify({ dir: r.params.out, ca: r.current.ca.subject, changes: r.changes }, null, 2) + '\n'
          : formatChanges(c, r.params.out, r.current.ca.subject, r.changes),
      );
      if (hasChanges(r.changes)) exitCode = EXIT_CHANGES;
    });
  program.addCommand(plan);

  const apply = applyCommand()
    .exitOverride()
    .addHelpText(
      'after',
      `
Examples:
  PASSWORD=... kafka-mtls apply --brokers 5    # adds mtls-kafka-3 and -4, signed by the existing CA

Exit codes:
  0    applied, or nothing to do (the directory is untouched)
  1    a step failed: nothing was changed
  2    bad usage, the directory holds no kafka-mtls.json, or a store does not open with its password
  130  interrupted: nothing was changed`,
    )
    .action(async (opts: RawLifecycleOptions) => {
      json = opts.json === true;
      const r = await runApply(opts, {
        env: process.env,
        signal: abort.signal,
        onNote: note,
        warn,
        onEvent: json ? undefined : progressPrinter(c, out, opts.verbose === true),
      });
      if (json)
        out(
          JSON.stringify({ changes: r.changes, ...(r.run ? summaryJson(r.run) : { ok: true, out: null }) }, null, 2) +
            '\n',
        );
      else if (!r.run) out('Nothing to do: every certificate is kept as it is.\n');
      else
        out(
          formatChanges(c, r.run.params.out, '', r.changes).split('\n').slice(1).join('\n') + formatSummary(c, r.run),
        );
    });
  program.addCommand(apply);

  const rotate = rotateCommand()
    .exitOverride()
    .addHelpText(
      'after',
      `
Runbook (one rolling restart of the brokers after each phase):
  kafka-mtls rotate-ca start     # new CA in every truststore; roll brokers and clients' truststores
  kafka-mtls rotate-ca reissue   # every certificate from the new CA; roll brokers, give clients their new keystores
  kafka-mtls rotate-ca finish    # old CA out of the truststores; roll again

Exit codes:
  0    the phase was applied (or, with --dry-run, shown)
  1    a step failed: nothing was changed
  2    bad usage, the phase is out of order, or a store does not open with its password
  130  interrupted: nothing was changed`,
    )
    .action(async (phase: string, opts: RawRotateOptions) => {
      json = opts.json === true;
      const r = await runRotate(phase, opts, {
        env: process.env,
        signal: abort.signal,
        onNote: note,
        warn: opts.dryRun ? undefined : warn,
        onEvent: json || opts.dryRun ? undefined : progressPrinter(c, out, opts.verbose === true),
      });
      if (opts.dryRun)
        out(describePhase(r, { openssl: opts.openssl ?? 'openssl', keytool: opts.keytool ?? 'keytool' }));
      else if (json) out(JSON.stringify({ phase: r.phase, ...summaryJson(r.run!) }, null, 2) + '\n');
      else out(formatSummary(c, r.run!) + `rotate-ca ${r.phase} done. ${NEXT_STEP[r.phase as Phase]}\n`);
    });
  program.addCommand(rotate);

  try {
    await program.parseAsync(argv);
    if (received) note(`${received} arrived after the point of no return: the command completed.`);
  } catch (caught) {
    // A run stopped by the runner knows only that it was cancelled: the signal is ours to name.
    const e =
      caught instanceof CancelledError && !caught.signal && received
        ? new CancelledError(caught.aftermath, received)
        : caught;
    exitCode = report(e, err, ce);
    if (json && exitCode !== 0) out(JSON.stringify(failureJson(e, exitCode), null, 2) + '\n');
  } finally {
    for (const s of HANDLED_SIGNALS) process.off(s, onSignal);
  }
  return exitCode;
}

function report(e: unknown, err: (s: string) => void, c: ReturnType<typeof makeChalk>): number {
  if (e instanceof CommanderError) {
    // Help and --version also arrive here, with exit code 0.
    if (e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
    return 2; // commander has printed its one-line message already
  }
  if (e instanceof UsageError) {
    err(`${c.red('error:')} ${e.message}\n`);
    return e.exitCode;
  }
  if (e instanceof StepError) {
    err(formatFailure(c, e.failure, e.aftermath));
    return e.exitCode;
  }
  if (e instanceof CancelledError) {
    err(
      `${c.yellow(`cancelled${e.signal ? ` (${e.signal})` : ''}.`)} ${e.aftermath ? formatAftermath(e.aftermath) : 'Nothing was touched.'}\n`,
    );
    return e.exitCode;
  }
  if (e instanceof ToolMissingError || e instanceof OutputError) {
    // The message says what is wrong, the hint what to do: each once.
    err(`${c.red('error:')} ${e.message}\n`);
    if (e.hint) err(`${c.cyan('hint:')} ${e.hint}\n`);
    if (e instanceof OutputError && e.aftermath) err(`${formatAftermath(e.aftermath)}\n`);
    return e.exitCode;
  }
  err(
    `${c.red('bug:')} kafka-mtls failed unexpectedly; please report this with the output below.\n${(e as Error)?.stack ?? String(e)}\n`,
  );
  return 3;
}

/**
 * What --json prints on stdout for a failure, whatever its kind, in one shape:
 * { ok: false, exitCode, failure: { kind, message, ... }, target?, keptWork? }.
 * A failed step's kind says how it failed (exit-code, timed-out, ...) beside its stepId.
 */
function failureJson(e: unknown, exitCode: number): Record<string, unknown> {
  const head = { ok: false, exitCode };
  if (e instanceof StepError) return { ...head, failure: { ...e.failure, message: e.message }, ...e.aftermath };
  if (e instanceof CancelledError)
    return {
      ...head,
      failure: { kind: 'cancelled', signal: e.signal, message: 'cancelled: nothing was changed' },
      ...e.aftermath,
    };
  if (e instanceof CommanderError)
    return { ...head, failure: { kind: 'usage', message: e.message.replace(/^error: /, '') } };
  if (e instanceof UsageError)
    return { ...head, failure: { kind: 'usage', message: e.message, option: e.option, rule: e.rule } };
  if (e instanceof ToolMissingError)
    return { ...head, failure: { kind: 'tool-missing', message: e.message, tool: e.tool, hint: e.hint } };
  if (e instanceof OutputError)
    return {
      ...head,
      failure: { kind: 'output', message: e.message, hint: e.hint ?? null, phase: e.phase ?? null },
      ...e.aftermath,
    };
  return {
    ...head,
    failure: { kind: exitCode === 3 ? 'bug' : 'error', message: e instanceof Error ? e.message : String(e) },
  };
}

// A reader that stops early (`kafka-mtls generate --dry-run | head`) is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

process.exitCode = await main(process.argv);
