import { readFile } from 'node:fs/promises';
import { connect } from 'node:tls';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type ISocketFactory } from 'kafkajs';

/**
 * A non-Java client on the PEM files of `generate --emit pem`: kafkajs
 * produces one message per partition and consumes them back. Node cannot use
 * the JVM's hosts file, so every broker name is dialled at 127.0.0.1 while TLS
 * still sends and verifies the broker's own name.
 */
export async function kafkajsRoundtrip(o: {
  bootstrap: string;
  ca: string;
  cert: string;
  key: string;
  topic: string;
  partitions: number;
  timeoutMs?: number;
}): Promise<string> {
  const ssl = {
    ca: [await readFile(o.ca, 'utf8')],
    cert: await readFile(o.cert, 'utf8'),
    key: await readFile(o.key, 'utf8'),
    rejectUnauthorized: true,
  };
  const socketFactory: ISocketFactory = ({ host, port, ssl: tlsOptions, onConnect }) => {
    const socket = connect({ ...(tlsOptions as object), host: '127.0.0.1', port, servername: host }, onConnect);
    socket.setKeepAlive(true, 60_000);
    return socket;
  };
  const kafka = new Kafka({
    clientId: 'e2e-kafkajs',
    brokers: o.bootstrap.split(','),
    ssl,
    socketFactory,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 10_000,
    requestTimeout: 15_000,
  });
  const run = randomUUID();
  const producer = kafka.producer();
  await producer.connect();
  const partitions = o.partitions;
  try {
    await producer.send({
      topic: o.topic,
      acks: -1,
      messages: Array.from({ length: partitions }, (_, i) => ({ key: run, value: `${run}-${i}`, partition: i })),
    });
  } finally {
    await producer.disconnect();
  }
  const consumer = kafka.consumer({ groupId: `e2e-kafkajs-${run}` });
  const seen = new Set<string>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: o.topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`consumed ${seen.size} of ${partitions} messages in time`)),
        o.timeoutMs ?? 60_000,
      );
      void consumer.run({
        eachMessage: async ({ message }) => {
          if (message.key?.toString() === run) seen.add(message.value!.toString());
          if (seen.size === partitions) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return `OK kafkajs produced and consumed ${seen.size} messages`;
}
