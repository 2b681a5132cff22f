/**
 * Where the user's Kafka is: the kafka-configs to run and the jars beside it (Kafka's distribution keeps
 * bin/kafka-configs.sh and libs/*.jar side by side), found before anything is staged so that a missing Kafka is
 * named before the directory changes.
 */
import { readdir, realpath } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ToolMissingError, UsageError } from '../errors.js';
import type { ReloadRequest } from '../options/reload.js';
import { isExecutable, locate } from '../runner/tools.js';

export interface KafkaTools {
  /** The kafka-configs to run, as found (a path). */
  readonly kafkaConfigs: string;
  /** Kafka's jars, for the pre-flight. */
  readonly libs: string;
}

/** The names Kafka's distribution (kafka-configs.sh) and packages such as Confluent's (kafka-configs) use. */
const NAMES = ['kafka-configs.sh', 'kafka-configs'];

export async function findKafka(request: ReloadRequest, env: NodeJS.ProcessEnv): Promise<KafkaTools> {
  let found: string | undefined;
  if (request.kafkaConfigs !== undefined) {
    found = await locate(
      request.kafkaConfigs.includes('/') ? resolve(request.kafkaConfigs) : request.kafkaConfigs,
      env,
    );
    if (found === undefined)
      throw new UsageError('--kafka-configs', `${request.kafkaConfigs} is not an executable file or a command on PATH`);
  } else {
    for (const name of NAMES) found ??= await locate(name, env);
    if (found === undefined)
      throw new ToolMissingError(
        'kafka-configs',
        'neither kafka-configs.sh nor kafka-configs is on PATH',
        "pass --kafka-configs <Kafka's bin/kafka-configs.sh>, or put Kafka's bin/ on PATH",
      );
  }
  // A symlink on PATH (/usr/local/bin/kafka-configs.sh) points into the distribution, whose libs are beside bin/.
  const real = await realpath(found).catch(() => found);
  const libs = request.kafkaLibs !== undefined ? resolve(request.kafkaLibs) : join(dirname(real), '..', 'libs');
  const option = request.kafkaLibs !== undefined ? '--kafka-libs' : '--kafka-configs';
  const jars = await readdir(libs).catch(() => undefined);
  if (!jars?.some((j) => /^kafka-clients-.*\.jar$/.test(j)))
    throw new UsageError(
      option,
      `${libs} holds no kafka-clients-*.jar, which the pre-flight needs: give Kafka's libs directory with --kafka-libs`,
    );
  if (!(await isExecutable(found))) throw new UsageError('--kafka-configs', `${found} is not executable`);
  return { kafkaConfigs: found, libs };
}
