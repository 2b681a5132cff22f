/**
 * A reload from start to end for apply and rotate-ca: the options read before anything is staged, the plan and
 * Kafka's pre-flight once the new stores are made (before the swap), the alters after it.
 */
import { resolve } from 'node:path';
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
import { findKafka, type KafkaTools } from './kafka.js';
import { changedBrokers, preflight, runReloadPlan, type BrokerSecrets } from './run.js';

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

export class ReloadSession {
  private plan?: ReloadPlan;
  private checked?: PreflightResult;
  private changes: readonly BrokerChange[] = [];

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

  /** StagedRun's beforeSwap: what changed, the plan, and with --reload Kafka's verdict on it. */
  readonly beforeSwap = async (work: string): Promise<void> => {
    this.changes = await changedBrokers(this.target.dir, work, this.target.brokers, this.target.layout);
    this.plan = buildReloadPlan(this.changes, this.settings());
    if (!this.kafka || this.plan.alters.length === 0) return;
    this.checked = await preflight({
      before: resolve(this.target.dir),
      after: resolve(work),
      target: this.target.dir,
      layout: this.target.layout,
      changes: this.changes,
      plan: this.plan,
      kafka: this.kafka,
      keytool: this.target.keytool,
      request: this.request,
      passwords: this.target.passwords,
      signal: this.deps.signal,
      exec: this.deps.exec,
    });
  };

  /** After the swap: the plan printed, or with --reload run. */
  async afterSwap(backup: string | undefined): Promise<ReloadReport | undefined> {
    const plan = this.plan;
    if (!plan) return undefined;
    if (!this.kafka || plan.alters.length === 0) return { plan };
    const admin = this.target.brokers[0]!;
    const outcome = await runReloadPlan({
      target: this.target.dir,
      env: this.deps.env,
      backup,
      plan,
      kafka: this.kafka,
      admin: { who: admin, layout: this.target.layout, passwords: this.target.passwords },
      signal: this.deps.signal,
      exec: this.deps.exec,
    });
    return { plan, done: { preflight: this.checked!, outcome } };
  }
}
