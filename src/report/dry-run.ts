/** `generate --dry-run`: a plan as the bash script that does what the run does, step by step. */
import { resolve } from 'node:path';
import { planDirs, type Plan, type Step, type Tool } from '../runner/step.js';
import { describeAction } from '../runner/runner.js';
import { quoteArg } from '../runner/command.js';
import { PASSWORD_VARIABLE, type SecretSource } from '../model/secret-names.js';
import { SCRIPT_DEFAULTS } from '../model/defaults.js';
import { emptyPasswordError, SCRIPT_DEFAULT_PASSWORD_WARNING } from '../options/password.js';

export interface ScriptOptions {
  readonly tools: Readonly<Record<Tool, string>>;
  readonly defaultOut: string;
  readonly header: string;
  /** Every variable the plan's steps read, and where the run got its value (as the options found it). */
  readonly secrets: ReadonlyMap<string, SecretSource>;
  /**
   * kafka-mtls.json as the run writes it, certificates as STATE_MARK placeholders the script fills in,
   * and the CA certificate whose fingerprint each leaf's issuerSha256 records.
   */
  readonly state?: { readonly template: string; readonly caCert: string };
}

/**
 * `"@@KAFKA_MTLS_CERT file@@"` (the CA) or `"@@KAFKA_MTLS_LEAF file@@"` in a state template;
 * `@@KAFKA_MTLS_NOW@@` the time.
 */
export const STATE_MARK = {
  now: '@@KAFKA_MTLS_NOW@@',
  ca: (f: string) => `@@KAFKA_MTLS_CERT ${f}@@`,
  leaf: (f: string) => `@@KAFKA_MTLS_LEAF ${f}@@`,
};

/**
 * A plan as a bash script a user can read, run and cut short to bisect a
 * failure: every step's command in order, the templates as heredocs, and
 * secrets only as the environment variables the tools read them from, taken
 * where the run takes them. It ends as the run does: kafka-mtls.json written,
 * scratch removed, public files opened up.
 */
export function planToScript(plan: Plan, opts: ScriptOptions): string {
  const delimiter = uniqueDelimiter(plan, opts.state?.template ?? '');
  const lines = [
    '#!/usr/bin/env bash',
    ...opts.header.split('\n').map(comment),
    '#',
    comment(`Run: bash this-script [DIR]   (DIR must not exist yet; default ${commentValue(opts.defaultOut)})`),
    'set -euo pipefail',
    ...[...opts.secrets].flatMap(([name, source]) => secretLines(name, source)),
    `out=\${1:-${quoteArg(opts.defaultOut)}}`,
    'umask 077   # the directory and every file start private, as in the run',
    'mkdir "$out"   # fails if it exists: this script never overwrites',
    'cd "$out"',
    ...planDirs(plan).map((d) => `mkdir -p ${quoteArg(d)}`),
    '',
  ];
  for (const step of plan.steps) lines.push(...stepLines(step, opts.tools, delimiter), '');
  if (opts.state) lines.push(...stateLines(opts.state, opts.tools.openssl, delimiter), '');
  lines.push(
    '# Remove what only the run needed (unencrypted leaf keys, bundles), and open up the public files.',
    ...plan.scratch.map((d) => `rm -rf ${quoteArg(d)}`),
    ...plan.outputs.filter((o) => !o.private).map((o) => `chmod 644 ${quoteArg(o.path)}`),
    ...(opts.state ? ['chmod 644 kafka-mtls.json'] : []),
    'echo "done: $(pwd)"',
    '',
  );
  return lines.join('\n');
}

/** Every secret variable a plan's steps read, in the order they first appear. */
export function planSecretEnv(plan: Plan): string[] {
  const names = new Set<string>();
  for (const { action: a } of plan.steps) {
    if (a.kind === 'exec') for (const n of a.secretEnv ?? []) names.add(n);
    if (a.kind === 'write-secret') for (const e of a.entries) names.add(e.secretEnv);
    if (a.kind === 'secret-manifest') for (const e of a.entries) if ('secretEnv' in e) names.add(e.secretEnv);
    if (a.kind === 'write') for (const x of a.fill ?? []) names.add(x.secretEnv);
  }
  return [...names];
}

/**
 * One variable, declared: its own value when set, else where the run took it from. The script's PASSWORD, set or
 * not when the plan was made, is read as the script runs, with the run's default and its refusal of an empty one.
 */
function secretLines(name: string, source: SecretSource): string[] {
  if (source.kind === 'generated')
    return [`export ${name}="$(openssl rand -base64 18 | tr '+/' '-_')"   # --generate-passwords`];
  if (source.kind === 'file') {
    // As the run reads it (src/options/password.ts): one line end, LF or CR LF, is the file's; $(< file) would
    // keep the CR of a Windows file in the password, and accept a second line or an empty file.
    const path = resolve(source.path);
    const file = quoteArg(path);
    const refuse = (rule: string) => `echo ${quoteArg(`error: ${commentValue(path)}: ${rule}`)} >&2; exit 2`;
    return [
      `if [[ -z \${${name}:-} ]]; then   ${comment(`as the run: the file ${commentValue(path)}`)}`,
      `  IFS= read -r -d '' ${name} < ${file} || true`,
      `  if [[ $${name} == *$'\\n' ]]; then ${name}=\${${name}%$'\\n'}; ${name}=\${${name}%$'\\r'}; fi`,
      `  if [[ $${name} == *[$'\\r\\n']* ]]; then ${refuse('must hold the password on a single line')}; fi`,
      `  if [[ -z $${name} ]]; then ${refuse('must not be empty; it holds no password')}; fi`,
      'fi',
      `export ${name}`,
    ];
  }
  const script = source.kind === 'default' || (source.variable === PASSWORD_VARIABLE && source.option === undefined);
  const from = source.kind === 'default' ? PASSWORD_VARIABLE : source.variable;
  if (from === name) return [`: "\${${name}:?set ${name}}"`, `export ${name}`];
  const warning = quoteArg(`warning: ${SCRIPT_DEFAULT_PASSWORD_WARNING}`);
  const orElse = script
    ? `  else echo ${warning} >&2; ${name}=${quoteArg(SCRIPT_DEFAULTS.password)}`
    : `  else echo ${quoteArg(`set ${name} or ${from}`)} >&2; exit 2`;
  // Set but empty is the run's usage error (PASSWORD=$(cat missing-file)), never a request for the default.
  const refuseEmpty = script
    ? [`  elif [[ -n \${${from}+set} ]]; then echo ${quoteArg(`error: ${emptyPasswordError().message}`)} >&2; exit 2`]
    : [];
  return [
    `if [[ -z \${${name}:-} ]]; then`,
    `  if [[ -n \${${from}:-} ]]; then ${name}=$${from}`,
    ...refuseEmpty,
    orElse,
    '  fi',
    'fi',
    `export ${name}`,
  ];
}

/**
 * kafka-mtls.json, as the run writes it: the description from the template,
 * and each certificate's facts (subject, serial, fingerprint, expiry, key
 * size, SANs) read back with openssl, as the run reads them.
 */
function stateLines(state: { template: string; caCert: string }, openssl: string, delimiter: string): string[] {
  const o = quoteArg(openssl);
  return [
    '# kafka-mtls.json: what the directory holds, for kafka-mtls plan, apply and rotate-ca.',
    `cat > .kafka-mtls.json.in <<'${delimiter}'`,
    state.template.replace(/\n$/, ''),
    delimiter,
    'cert_record() {   # FILE [ISSUER_SHA256]: one certificate, as kafka-mtls.json records it',
    '  local f=$1 subject serial sha end bits sans',
    `  subject=$(${o} x509 -in "$f" -noout -subject -nameopt RFC2253); subject=\${subject#subject=}`,
    '  subject=${subject//\\\\/\\\\\\\\}; subject=${subject//\\"/\\\\\\"}',
    `  serial=$(${o} x509 -in "$f" -noout -serial); serial=\${serial#serial=}`,
    `  sha=$(${o} x509 -in "$f" -noout -fingerprint -sha256); sha=\${sha#*=}`,
    `  end=$(${o} x509 -in "$f" -noout -enddate); end=$(date -u -d "\${end#notAfter=}" +%Y-%m-%dT%H:%M:%S.000Z)`,
    `  bits=$(${o} x509 -in "$f" -noout -text | sed -n 's/.*Public-Key: (\\([0-9]*\\) bit).*/\\1/p')`,
    '  printf \'{"subject": "%s", "serial": "%s", "sha256": "%s", "notAfter": "%s", "keyBits": %s\' ' +
      '"$subject" "$serial" "$sha" "$end" "$bits"',
    '  if [[ $# -gt 1 ]]; then',
    `    sans=$(${o} x509 -in "$f" -noout -ext subjectAltName | sed -n '2s/^ *//p')`,
    '    printf \', "sans": [%s], "issuerSha256": "%s"\' "$(sed \'s/[^,][^,]*/"&"/g; s/" /"/g\' <<< "$sans")" "$2"',
    '  fi',
    "  printf '}'",
    '}',
    `ca_sha=$(${o} x509 -in ${quoteArg(state.caCert)} -noout -fingerprint -sha256); ca_sha=\${ca_sha#*=}`,
    'mark=\'^(.*)"@@KAFKA_MTLS_(NOW|CERT|LEAF) ?([^@]*)@@"(,?)$\'',
    'while IFS= read -r line; do',
    '  if [[ $line =~ $mark ]]; then',
    '    head=${BASH_REMATCH[1]} kind=${BASH_REMATCH[2]} file=${BASH_REMATCH[3]} tail=${BASH_REMATCH[4]}',
    '    case $kind in',
    '      NOW) value="\\"$(date -u +%Y-%m-%dT%H:%M:%S.000Z)\\"" ;;',
    '      CERT) value=$(cert_record "$file") ;;',
    '      LEAF) value=$(cert_record "$file" "$ca_sha") ;;',
    '    esac',
    '    line=$head$value$tail',
    '  fi',
    '  printf \'%s\\n\' "$line"',
    'done < .kafka-mtls.json.in > kafka-mtls.json',
    'rm .kafka-mtls.json.in',
  ];
}

function stepLines(step: Step, tools: Readonly<Record<Tool, string>>, delimiter: string): string[] {
  const head = comment(`${step.id}: ${step.title}`);
  const a = step.action;
  if (a.kind === 'write') {
    const lines = [head, `cat > ${quoteArg(a.path)} <<'${delimiter}'`, a.content.replace(/\n$/, ''), delimiter];
    for (const x of a.fill ?? []) {
      // The password, backslashes doubled for java.util.Properties, in place of the marker.
      lines.push(
        `pw=\${${x.secretEnv}//\\\\/\\\\\\\\}; text=$(cat ${quoteArg(a.path)})`,
        `printf '%s\\n' "\${text//${quoteArg(x.marker)}/$pw}" > ${quoteArg(a.path)}`,
      );
    }
    return lines;
  }
  return [head, describeAction(step, tools)];
}

/** A heredoc delimiter that no template line (nor the state's) equals. */
function uniqueDelimiter(plan: Plan, state: string): string {
  const contents = [
    ...plan.steps.flatMap((s) => (s.action.kind === 'write' ? s.action.content.split('\n') : [])),
    ...state.split('\n'),
  ];
  let d = 'KAFKA_MTLS_EOF';
  while (contents.includes(d)) d += '_';
  return d;
}

/** Control characters as bash's $'...' writes them: a newline or carriage return must not end a comment. */
const CONTROL = /\p{Cc}/gu;
const ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const escapeControl = (c: string) => {
  const code = c.codePointAt(0)!;
  return (
    ESCAPES[c] ??
    (code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`)
  );
};

/**
 * A value (a path, a name) as the script's comments show it: quoted for bash, and on one line whatever it
 * holds, so that text after a newline in --out cannot leave the comment and run. Paste-safe in bash.
 */
export function commentValue(value: string): string {
  if (!/\p{Cc}/u.test(value)) return quoteArg(value);
  return `$'${value.replace(/[\\']/g, '\\$&').replace(CONTROL, escapeControl)}'`;
}

/** One comment line, whatever its text holds: a control character left in it is escaped, never obeyed. */
function comment(text: string): string {
  return `# ${text.replace(CONTROL, escapeControl)}`.trimEnd();
}
