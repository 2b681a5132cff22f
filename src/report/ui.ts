import { Chalk, type ChalkInstance } from 'chalk';
import { principalOf } from '../model/cluster.js';
import type { Change } from '../plans/diff.js';
import type { GenerateResult } from '../output/staged-run.js';
import type { Aftermath, StepFailure } from '../errors.js';
import type { StepRecord } from '../runner/record.js';
import type { RunEvent } from '../runner/runner.js';
import type { VerifyResult } from '../commands/verify.js';
import type { Inspected } from '../commands/inspect.js';
import type { ProbeResult } from '../commands/probe.js';
import type { CertInfo } from '../pki/x509.js';

/** The only chalk import: every colour decision is made here. NO_COLOR (https://no-color.org) turns colour off. */
export function makeChalk(env: NodeJS.ProcessEnv, isTTY: boolean): ChalkInstance {
  const off =
    (env.NO_COLOR !== undefined && env.NO_COLOR !== '') || env.TERM === 'dumb' || (!isTTY && !env.FORCE_COLOR);
  return new Chalk({ level: off ? 0 : 1 });
}

function ms(n: number | undefined): string {
  if (n === undefined) return '';
  return n < 1000 ? `${n} ms` : `${(n / 1000).toFixed(1)} s`;
}

/**
 * One line per finished step; with verbose, each step's command and output
 * lines as they come, every line prefixed by its step (`[broker-0.sign] …`) and
 * written whole, so that steps running at once never share a line.
 */
export function progressPrinter(c: ChalkInstance, write: (s: string) => void, verbose: boolean): (e: RunEvent) => void {
  return (e) => {
    if (e.kind === 'start') {
      if (verbose) write(c.dim(`[${e.step.id}] $ ${e.command}`) + '\n');
      return;
    }
    if (e.kind === 'output') {
      if (verbose) write(c.dim(`[${e.step.id}] ${e.line}`) + '\n');
      return;
    }
    write(formatRecord(c, e.record) + '\n');
  };
}

export function formatRecord(c: ChalkInstance, r: StepRecord): string {
  const mark = r.outcome === 'ok' ? c.green('✓') : r.outcome === 'failed' ? c.red('✗') : c.yellow('-');
  const detail = r.detail ? c.dim(`  ${r.detail}`) : '';
  const suffix = r.outcome === 'cancelled' ? c.yellow(' (cancelled)') : '';
  return `${mark} ${r.id.padEnd(20)} ${r.title}${suffix} ${c.dim(ms(r.durationMs))}${detail}`;
}

export function formatSummary(c: ChalkInstance, r: GenerateResult): string {
  const storeDetail = r.records.map((x) => /^(PKCS12|JKS):/i.exec(x.detail ?? '')?.[1]).find(Boolean);
  const lines = [
    '',
    c.bold(`Made ${r.plan.outputs.length} files in ${r.params.out}`) +
      ` (${r.plan.steps.length} steps in ${ms(r.durationMs)}${storeDetail ? `, stores ${storeDetail}` : ''})`,
  ];
  if (r.keytool?.fallback) lines.push(c.yellow('note: ') + `keytool ran one JVM per step: ${r.keytool.fallback}`);
  if (r.backup) lines.push(`The previous files are kept in ${r.backup}`);
  lines.push(`Journal of this run: ${r.journal}`);
  lines.push('', 'SSL principals (Kafka ACLs and super.users name these):');
  const width = Math.max(...r.cluster.identities.map((i) => i.alias.length));
  for (const who of r.cluster.identities) lines.push(`  ${who.alias.padEnd(width)}  ${principalOf(who.subject)}`);
  if (r.plan.usage?.length) lines.push('', ...r.plan.usage);
  return lines.join('\n') + '\n';
}

/** What --json prints on success. */
export function summaryJson(r: GenerateResult): Record<string, unknown> {
  return {
    ok: true,
    out: r.params.out,
    backup: r.backup ?? null,
    journal: r.journal,
    storeType: r.params.storeType,
    durationMs: r.durationMs,
    files: r.plan.outputs.map((o) => o.path),
    principals: Object.fromEntries(r.cluster.identities.map((i) => [i.alias, principalOf(i.subject)])),
    layout: r.params.layout,
    keytool: r.keytool ?? null,
    usage: r.plan.usage ?? [],
    steps: r.records.map((x) => ({ id: x.id, outcome: x.outcome, durationMs: x.durationMs, detail: x.detail })),
  };
}

export function formatFailure(c: ChalkInstance, f: StepFailure, after: Aftermath): string {
  const lines = [
    `${c.red('✗')} ${c.bold(`step ${f.stepId} failed`)}: ${f.reason}`,
    `  step:      ${f.title}`,
    `  command:   ${f.command}`,
  ];
  if (f.exitCode !== undefined) lines.push(`  exit code: ${f.exitCode}`);
  if (f.outputTail.length > 0) {
    lines.push('  output:');
    for (const l of f.outputTail) lines.push(`    ${l}`);
  }
  if (f.hint) lines.push(`  ${c.cyan('hint:')}      ${f.hint}`);
  lines.push(formatAftermath(after));
  return lines.join('\n') + '\n';
}

export function formatAftermath(after: Aftermath): string {
  // A swap cut in the middle: the note says where both directories are.
  if (after.targetNote) return after.targetNote;
  const kept = after.workLeft
    ? `The work directory is left: ${after.workLeft}.`
    : after.keptWork
      ? `The work directory is kept for debugging: ${after.keptWork} (the run's journal is in its .kafka-mtls/; its .build/ holds unencrypted leaf keys: remove it when done)`
      : "The work directory was removed (--keep-work keeps it, with the run's journal).";
  return `Nothing in ${after.target} was changed. ${kept}`;
}

/** verify: one line per check, then a count. */
export function formatFindings(c: ChalkInstance, r: VerifyResult): string {
  const label = { pass: c.green('PASS'), warn: c.yellow('WARN'), fail: c.red('FAIL') } as const;
  const width = Math.max(...r.findings.map((f) => f.target.length), 10);
  const lines = r.findings.map((f) => `${label[f.status]}  ${f.target.padEnd(width)}  ${f.check}: ${f.message}`);
  const count = (s: string) => r.findings.filter((f) => f.status === s).length;
  lines.push('', `${r.dir}: ${count('pass')} passed, ${count('warn')} warnings, ${count('fail')} failed`);
  return lines.join('\n') + '\n';
}

function certLines(c: CertInfo, indent: string): string[] {
  const days = Math.floor((c.notAfter.getTime() - Date.now()) / 86_400_000);
  return [
    `${indent}subject:      ${c.subject}`,
    `${indent}issuer:       ${c.issuer}`,
    `${indent}serial:       ${c.serial}  (X.509 v${c.version})`,
    `${indent}validity:     ${c.notBefore.toISOString()} to ${c.notAfter.toISOString()} (${days < 0 ? `expired ${-days} days ago` : `${days} days left`})`,
    `${indent}key:          ${c.keyType} ${c.keyBits} bits, signed with ${c.signatureAlgorithm}`,
    `${indent}CA:           ${c.hasBasicConstraints ? (c.isCa ? 'yes (CA:TRUE)' : 'no (CA:FALSE)') : 'no basicConstraints'}`,
    `${indent}key usage:    ${c.keyUsage.join(', ') || '(none)'}`,
    `${indent}ext. usage:   ${c.extKeyUsage.join(', ') || '(none)'}`,
    `${indent}SANs:         ${c.sans.join(', ') || '(none)'}`,
    `${indent}SHA-256:      ${c.sha256}`,
  ];
}

/** inspect: one block per file. */
export function formatInspected(c: ChalkInstance, items: readonly Inspected[]): string {
  const lines: string[] = [];
  for (const it of items) {
    lines.push(
      c.bold(`${it.file}: ${it.kind === 'store' ? `${it.type} store, ${it.entries.length} entries` : it.kind}`),
    );
    if (it.kind === 'certificate')
      it.certs.forEach((cert, i) =>
        lines.push(...(it.certs.length > 1 ? [`  certificate ${i + 1}:`] : []), ...certLines(cert, '  ')),
      );
    if (it.kind === 'csr')
      lines.push(
        `  subject:      ${it.subject}`,
        `  key:          ${it.keyType} ${it.keyBits} bits`,
        `  SANs asked:   ${it.sans.join(', ') || '(none)'}`,
      );
    if (it.kind === 'private key')
      lines.push(`  key:          ${it.keyType} ${it.keyBits} bits${it.encrypted ? ', encrypted' : ', not encrypted'}`);
    if (it.kind === 'unreadable') lines.push(`  ${c.red(it.reason)}`);
    if (it.kind === 'store') {
      for (const e of it.entries) {
        lines.push(
          `  alias ${e.alias}: ${e.entryType}${e.entryType === 'PrivateKeyEntry' ? `, chain of ${e.certs.length}` : ''}`,
        );
        e.certs.forEach((cert, i) =>
          lines.push(...(e.certs.length > 1 ? [`    [${i}]`] : []), ...certLines(cert, '    ')),
        );
      }
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** probe: per protocol, the outcome in one line, then what the server presented and asked for, then the hint. */
export function formatProbe(c: ChalkInstance, p: ProbeResult): string {
  const lines = [c.bold(`${p.target} (SNI and verified name: ${p.servername})`)];
  const SERVER_CERT = {
    trusted: 'trusted (--ca)',
    untrusted: 'not trusted (--ca)',
    'not-checked': 'not checked (no --ca)',
  };
  for (const r of p.results) {
    const code = r.outcome.code;
    const mark = code === 'accepted' ? c.green('✓') : code === 'protocol-unsupported' ? c.dim('-') : c.red('✗');
    lines.push(`${mark} ${r.protocol}: ${r.outcome.sentence}`);
    if (r.cipher) lines.push(`    cipher ${r.cipher}`);
    r.chain.forEach((x, i) => lines.push(`    chain[${i}] ${x.subject}`, `             issued by ${x.issuer}`));
    if (r.serverCert) lines.push(`    server certificate: ${SERVER_CERT[r.serverCert]}`);
    if (r.clientCertRequested !== undefined) {
      lines.push(
        `    client certificate: ${r.clientCertRequested ? 'requested by the server' : 'not requested by the server'}`,
      );
    }
    if (r.outcome.hint) lines.push(`    ${c.cyan('hint:')} ${r.outcome.hint}`);
    if (r.also) lines.push(`    ${c.yellow('also:')} ${r.also.sentence}`, `    ${c.cyan('hint:')} ${r.also.hint}`);
  }
  return lines.join('\n') + '\n';
}

const CHANGE_MARK: Record<Change['kind'], string> = {
  create: '+',
  reissue: '~',
  recreate: '*',
  keep: '=',
  remove: '-',
};

/** `plan`'s report, and the head of `apply`'s: one line per identity. */
export function formatChanges(c: ChalkInstance, dir: string, caSubject: string, changes: readonly Change[]): string {
  const paint = { create: c.green, reissue: c.yellow, recreate: c.yellow, keep: c.dim, remove: c.red } as const;
  const width = Math.max(...changes.map((x) => x.alias.length));
  const lines = [`${dir}: CA ${caSubject} (kept)`];
  for (const x of changes) {
    const why = x.reasons.length > 0 ? `  ${x.reasons.join('; ')}` : '';
    lines.push(paint[x.kind](`  ${CHANGE_MARK[x.kind]} ${x.kind.padEnd(7)} ${x.alias.padEnd(width)}`) + why);
  }
  const count = (k: Change['kind']) => changes.filter((x) => x.kind === k).length;
  const recreate = count('recreate') > 0 ? `, ${count('recreate')} to recreate` : '';
  lines.push(
    `${count('create')} to create, ${count('reissue')} to reissue${recreate}, ${count('remove')} to remove, ${count('keep')} kept.`,
  );
  return lines.join('\n') + '\n';
}
