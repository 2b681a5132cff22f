import { planDirs, type Plan, type Step, type Tool } from './runner/step.js';
import { describeAction } from './runner/runner.js';
import { quoteArg } from './runner/command.js';

/**
 * A plan as a bash script a user can read, run and cut short to bisect a
 * failure: every step's command in order, the templates as heredocs, and the
 * password only as the environment variable the tools read it from.
 */
export function planToScript(
  plan: Plan,
  opts: { tools: Readonly<Record<Tool, string>>; passwordEnv: string; defaultOut: string; header: string; generatedEnv?: readonly string[] },
): string {
  const delimiter = uniqueDelimiter(plan);
  const lines = [
    '#!/usr/bin/env bash',
    ...opts.header.split('\n').map((l) => `# ${l}`.trimEnd()),
    '#',
    `# Run: ${opts.passwordEnv}=... bash this-script [DIR]   (DIR must not exist yet; default ${opts.defaultOut})`,
    'set -euo pipefail',
    ...(opts.generatedEnv?.length
      ? [
          '# --generate-passwords: a random password per keystore, and one for the truststores.',
          ...opts.generatedEnv.map((v) => `export ${v}="$(openssl rand -base64 18 | tr '+/' '-_')"`),
        ]
      : [`: "\${${opts.passwordEnv}:?set ${opts.passwordEnv} to the store password}"`, `export ${opts.passwordEnv}`]),
    `out=\${1:-${quoteArg(opts.defaultOut)}}`,
    'mkdir "$out"   # fails if it exists: this script never overwrites',
    'cd "$out"',
    'umask 077',
    ...planDirs(plan).map((d) => `mkdir -p ${quoteArg(d)}`),
    '',
  ];
  for (const step of plan.steps) lines.push(...stepLines(step, opts.tools, delimiter), '');
  lines.push(
    '# Remove what only the run needed (unencrypted leaf keys, bundles), and open up the public files.',
    ...plan.scratch.map((d) => `rm -rf ${quoteArg(d)}`),
    ...plan.outputs.filter((o) => !o.private).map((o) => `chmod 644 ${quoteArg(o.path)}`),
    'echo "done: $(pwd)"',
    '',
  );
  return lines.join('\n');
}

function stepLines(step: Step, tools: Readonly<Record<Tool, string>>, delimiter: string): string[] {
  const head = `# ${step.id}: ${step.title}`;
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

/** A heredoc delimiter that no template line equals. */
function uniqueDelimiter(plan: Plan): string {
  const contents = plan.steps.flatMap((s) => (s.action.kind === 'write' ? s.action.content.split('\n') : []));
  let d = 'KAFKA_MTLS_EOF';
  while (contents.includes(d)) d += '_';
  return d;
}
