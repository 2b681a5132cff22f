import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from './cli.js';

/** Kafka 4.1.1's jars, as scripts/fetch-kafka.sh leaves them. */
export const KAFKA_LIB = join(ROOT, '.cache/kafka/lib');

/**
 * Kafka's distribution layout under dir/kafka: bin/kafka-configs.sh beside libs/ (a link to KAFKA_LIB), the script
 * running ConfigCommand as Kafka's own does, with $KAFKA_OPTS; returns the script's path.
 */
export async function kafkaDistribution(dir: string): Promise<string> {
  await mkdir(join(dir, 'kafka/bin'), { recursive: true });
  await symlink(KAFKA_LIB, join(dir, 'kafka/libs'));
  const script = join(dir, 'kafka/bin/kafka-configs.sh');
  await writeFile(
    script,
    '#!/bin/sh\nexec java $KAFKA_OPTS -cp "$(dirname "$0")/../libs/*" kafka.admin.ConfigCommand "$@"\n',
  );
  await chmod(script, 0o755);
  return script;
}
