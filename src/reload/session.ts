/**
 * A reload from start to end for apply and rotate-ca: the options read before anything is staged, the plan and
 * Kafka's pre-flight once the new stores are made (before the swap), the alters after it.
 */
import { posix, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { Identity } from '../model/cluster.js';
import type { Deployment } from '../model/deployment.js';
import { brokerStores, type Layout } from '../model/layouts.js';
import {
  checkBrokerAliases,
  parseReloadOptions,
  type RawReloadOptions,
  type ReloadRequest,
} from '../options/reload.js';
import {
  buildReloadPlan,
  type BrokerChange,
  type PreflightResult,
  type ReloadOutcome,
  type ReloadPlan,
} from '../plans/reload.js';
import type { Change } from '../plans/diff.js';
import type { Exec } from '../runner/exec.js';
import type { RunParams } from '../options/params.js';
import type { SecretEnv } from '../secrets.js';
import { findKafka, type KafkaTools } from './kafka.js';
import { changedBrokers, hintFor, kafkaConfigs, preflight, runReloadPlan } from './run.js';
import { adminSettings, type AdminSettings, type BrokerSecrets } from './admin.js';
import {
  describeAllArgs,
  describedOrThrow,
  effectiveLocation,
  matchBrokerIds,
  unknownBroker,
  type DescribedBroker,
} from './discover.js';

/** What a command's run reports of the reload: the plan, and with --reload what was done. */
export interface ReloadReport {
  readonly plan: ReloadPlan;
  readonly done?: { readonly preflight: PreflightResult; readonly outcome: ReloadOutcome };
}

/** The directory's facts a reload needs. */
export interface ReloadTarget {
  /** The output directory. */
  readonly dir: string;
  readonly layout: Layout;
  readonly deployment: Deployment;
  readonly brokers: readonly Identity[];
  readonly passwords: BrokerSecrets;
  readonly keytool: string;
}

/** The facts a reload needs, from what apply and plan read of the directory, for the brokers given. */
export function reloadTarget(
  read: { readonly dir: string; readonly params: RunParams; readonly secrets: SecretEnv },
  brokers: readonly Identity[],
): ReloadTarget {
  const { params } = read;
  return {
    dir: read.dir,
    layout: params.layout,
    deployment: params.deployment,
    brokers: brokers.filter((i) => i.role === 'broker'),
    passwords: { generated: params.generatePasswords, password: params.password, secrets: read.secrets },
    keytool: params.tools.keytool,
  };
}

export class ReloadSession {
  private plan?: ReloadPlan;
  private checked?: PreflightResult;
  private changes: readonly BrokerChange[] = [];
  private admin?: AdminSettings;
  private described: readonly DescribedBroker[] = [];

  private constructor(
    readonly request: ReloadRequest,
    private readonly kafka: KafkaTools | undefined,
    private readonly target: ReloadTarget,
    private readonly deps: { readonly env: NodeJS.ProcessEnv; readonly signal?: AbortSignal; readonly exec?: Exec },
  ) {}

  /** The options checked and, with --reload, Kafka found: before anything is staged. */
  static async open(
    raw: RawReloadOptions,
    target: ReloadTarget,
    deps: { readonly env: NodeJS.ProcessEnv; readonly signal?: AbortSignal; readonly exec?: Exec },
  ): Promise<ReloadSession> {
    const request = parseReloadOptions(raw);
    checkBrokerAliases(
      request,
      target.brokers.map((b) => b.alias),
    );
    const kafka = request.run ? await findKafka(request, deps.env) : undefined;
    return new ReloadSession(request, kafka, target, deps);
  }

  private settings() {
    return {
      kafkaConfigs: this.kafka?.kafkaConfigs ?? this.request.kafkaConfigs ?? 'kafka-configs.sh',
      bootstrapServer: this.request.bootstrapServer,
      commandConfig: this.request.commandConfig !== undefined ? resolve(this.request.commandConfig) : undefined,
      listeners: this.request.listeners,
      brokerIds: this.request.brokerIds,
      layout: this.target.layout,
      deployment: this.target.deployment,
      outDir: resolve(this.target.dir),
    };
  }

  /** plan (apply's dry run): the plan for what apply would reissue or make anew. */
  planForChanges(changes: readonly Change[]): ReloadPlan {
    const written = new Set(changes.filter((c) => c.kind === 'recreate').map((c) => c.alias));
    for (const who of this.target.brokers)
      if (changes.some((c) => c.alias === who.alias && c.kind === 'reissue'))
        written.add(brokerStores(this.target.layout, who).keystore);
    return this.planFor(written);
  }

  /** --dry-run: the plan for the files a plan would write (relative to the directory). */
  planFor(written: ReadonlySet<string>): ReloadPlan {
    const changes = this.target.brokers
      .map((who) => {
        const f = brokerStores(this.target.layout, who);
        return { who, keystoreChanged: written.has(f.keystore), truststoreChanged: written.has(f.truststore) };
      })
      .filter((c) => c.keystoreChanged || c.truststoreChanged);
    return buildReloadPlan(changes, this.settings());
  }

  /**
   * StagedRun's beforeSwap: what changed and the plan; with --reload, the cluster asked who its brokers are and
   * which files they read, and Kafka's verdict on the new stores. What fails here leaves the directory as it was.
   */
  readonly beforeSwap = async (work: string): Promise<void> => {
    this.changes = await changedBrokers(this.target.dir, work, this.target.brokers, this.target.layout);
    this.plan = buildReloadPlan(this.changes, this.settings());
    const kafka = this.kafka;
    if (!kafka || this.plan.alters.length === 0) return;
    try {
      this.admin ??= await adminSettings(
        this.request.commandConfig,
        this.target.dir,
        this.target.brokers[0]!,
        this.target.layout,
        this.target.passwords,
      );
      // Kafka's verdict first: a refusal is named before anything is asked of the cluster.
      this.checked = await preflight({
        before: resolve(this.target.dir),
        after: resolve(work),
        target: this.target.dir,
        layout: this.target.layout,
        changes: this.changes,
        plan: this.plan,
        kafka,
        keytool: this.target.keytool,
        request: this.request,
        passwords: this.target.passwords,
        signal: this.deps.signal,
        exec: this.deps.exec,
      });
      this.plan = await this.discovered(kafka, this.admin);
    } catch (e) {
      await this.admin?.cleanup();
      throw e;
    }
  };

  /**
   * The plan with the cluster's own answers: each broker's node id (unless --broker-id), its inter-broker listener
   * (unless --listener), and a check that each listener altered reads the very file the plan names.
   */
  private async discovered(kafka: KafkaTools, admin: AdminSettings): Promise<ReloadPlan> {
    const args = describeAllArgs({ bootstrapServer: this.request.bootstrapServer, commandConfig: admin.path });
    const ctx = { ...this.deps, kafka, target: this.target.dir };
    const out = await kafkaConfigs(ctx, args);
    const described = describedOrThrow(out, kafka.kafkaConfigs, args, admin.secrets, this.target.dir, hintFor);
    this.described = described;
    const found = matchBrokerIds(this.target.brokers, described);
    const ids = new Map(this.request.brokerIds);
    for (const c of this.changes) {
      if (ids.has(c.who.alias)) continue;
      const id = found.get(c.who.alias);
      if (id === undefined) throw unknownBroker(c.who, described);
      ids.set(c.who.alias, id);
    }
    const inter = described.map((b) => b.settings.get('inter.broker.listener.name')).find((l) => l && l !== 'null');
    const plan = buildReloadPlan(this.changes, {
      ...this.settings(),
      brokerIds: ids,
      listeners: this.request.listeners ?? (inter ? [inter] : undefined),
      listenersFrom: this.request.listeners ? 'option' : inter ? 'cluster' : 'directory',
    });
    checkSameFiles(plan, described);
    return plan;
  }

  /** After the swap: the plan printed, or with --reload run. */
  async afterSwap(backup: string | undefined): Promise<ReloadReport | undefined> {
    const plan = this.plan;
    if (!plan) return undefined;
    if (!this.kafka || plan.alters.length === 0) return { plan };
    try {
      const outcome = await runReloadPlan({
        target: this.target.dir,
        env: this.deps.env,
        backup,
        plan,
        kafka: this.kafka,
        admin: this.admin!,
        held: new Map(
          plan.alters.map((a) => [a.id, this.described.find((b) => b.id === a.brokerId)?.settings.get(a.key)]),
        ),
        signal: this.deps.signal,
        exec: this.deps.exec,
      });
      return { plan, done: { preflight: this.checked!, outcome } };
    } finally {
      await this.admin?.cleanup();
    }
  }
}

/**
 * Each listener the plan alters reads the file the plan sets (normalised: the respelled path is the same file):
 * setting a listener to a file it does not read would move it onto another store, not reload it.
 */
function checkSameFiles(plan: ReloadPlan, described: readonly DescribedBroker[]): void {
  for (const a of plan.alters) {
    const b = described.find((d) => d.id === a.brokerId);
    if (!b) throw new UsageError('--broker-id', `the cluster lists no broker ${a.brokerId} (for ${a.broker})`);
    const reads = effectiveLocation(b, a.listener, a.store);
    if (reads !== posix.normalize(a.value))
      throw new UsageError(
        '--reload',
        `broker ${a.brokerId}'s listener ${a.listener} reads its ${a.store} from ${reads ?? '(none set)'}, not from ` +
          `${a.value}: the reload would move it onto another file. Give the path the brokers see with --mount-path, ` +
          'or --listener for a listener that reads this file',
      );
  }
}
