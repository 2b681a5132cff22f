import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.io.FileInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The end-to-end suite's Kafka client. Every mode reads a client properties
 * file (bootstrap servers, SSL stores) and prints one result line:
 *   OK ...                         on success, exit 0
 *   FAILED <class>: <message> | <cause class>: <cause message> ...   exit 1
 *
 *   setup <props> <topic> <principal> [<replicas>]
 *                                       create the topic (one partition per broker, replication 3;
 *                                       or the partitions <replicas> names, "3,0,1;0,1,3" = partition 0
 *                                       led by node 3 and so on, with min.insync.replicas 3, so that an
 *                                       acks=all write needs every replica) and let <principal> write,
 *                                       read and describe it
 *   grant-broker <props> <principal>    let <principal> act as a broker (CLUSTER_ACTION on the cluster):
 *                                       how a broker whose principal the others' super.users lack joins
 *   roundtrip <props> <topic>           produce one message to every partition (so to every
 *                                       broker that leads one) and consume them all back
 *   stream <props> <topic> <stop-file>  produce a numbered record every 50 ms (acks=all, idempotent) and
 *                                       consume them, until <stop-file> exists; then wait up to 60 s for
 *                                       the consumer to catch up and print OK with the counts, or FAILED
 *                                       with the numbers produced (acknowledged) but never consumed and
 *                                       the sends that failed. Prints "PROGRESS produced=<n> acked=<n>
 *                                       consumed=<n>" every second, for the caller to see it flowing.
 */
public final class E2eClient {
  public static void main(String[] args) {
    try {
      Properties props = new Properties();
      try (FileInputStream in = new FileInputStream(args[1])) {
        props.load(in);
      }
      switch (args[0]) {
        case "setup" -> setup(props, args[2], args[3], args.length > 4 ? args[4] : null);
        case "grant-broker" -> grantBroker(props, args[2]);
        case "roundtrip" -> roundtrip(props, args[2]);
        case "stream" -> stream(props, args[2], Path.of(args[3]));
        default -> throw new IllegalArgumentException("unknown mode " + args[0]);
      }
      System.exit(0);
    } catch (Throwable t) {
      StringBuilder line = new StringBuilder("FAILED ");
      for (Throwable c = t; c != null; c = c.getCause()) {
        if (c != t) line.append(" | ");
        line.append(c.getClass().getName()).append(": ").append(String.valueOf(c.getMessage()).replace('\n', ' '));
      }
      System.out.println(line);
      System.exit(1);
    }
  }

  static void setup(Properties props, String topic, String principal, String replicas) throws Exception {
    NewTopic newTopic = new NewTopic(topic, 3, (short) 3);
    if (replicas != null) {
      Map<Integer, List<Integer>> assignment = new TreeMap<>();
      for (String partition : replicas.split(";")) {
        List<Integer> nodes = new ArrayList<>();
        for (String node : partition.split(",")) nodes.add(Integer.parseInt(node.trim()));
        assignment.put(assignment.size(), nodes);
      }
      newTopic = new NewTopic(topic, assignment).configs(Map.of("min.insync.replicas", "3"));
    }
    try (Admin admin = Admin.create(props)) {
      long deadline = System.currentTimeMillis() + 60_000;
      // Replication 3 needs its brokers registered and unfenced: retry until they are.
      while (true) {
        try {
          admin.createTopics(List.of(newTopic)).all().get();
          break;
        } catch (Exception e) {
          if (e.getCause() instanceof TopicExistsException) break;
          if (System.currentTimeMillis() > deadline) throw e;
          Thread.sleep(1000);
        }
      }
      String user = "User:" + principal;
      List<AclBinding> acls = new ArrayList<>();
      for (AclOperation op : List.of(AclOperation.WRITE, AclOperation.READ, AclOperation.DESCRIBE)) {
        acls.add(new AclBinding(new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL),
            new AccessControlEntry(user, "*", op, AclPermissionType.ALLOW)));
      }
      acls.add(new AclBinding(new ResourcePattern(ResourceType.GROUP, "e2e-", PatternType.PREFIXED),
          new AccessControlEntry(user, "*", AclOperation.READ, AclPermissionType.ALLOW)));
      admin.createAcls(acls).all().get();
      TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
      Set<Integer> leaders = new HashSet<>();
      for (TopicPartitionInfo p : d.partitions()) leaders.add(p.leader().id());
      System.out.println("OK topic " + topic + " partitions " + d.partitions().size() + " leaders " + leaders + " acl for " + user);
    }
  }

  static void grantBroker(Properties props, String principal) throws Exception {
    try (Admin admin = Admin.create(props)) {
      String user = "User:" + principal;
      admin.createAcls(List.of(new AclBinding(
          new ResourcePattern(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL),
          new AccessControlEntry(user, "*", AclOperation.CLUSTER_ACTION, AclPermissionType.ALLOW)))).all().get();
      System.out.println("OK cluster action for " + user);
    }
  }

  static void roundtrip(Properties props, String topic) throws Exception {
    String run = UUID.randomUUID().toString();
    Properties p = producerProps(props);
    Set<Integer> partitions = new HashSet<>();
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      int count = producer.partitionsFor(topic).size();
      for (int i = 0; i < count; i++) {
        RecordMetadata m = producer.send(new ProducerRecord<>(topic, i, run, run + "-" + i)).get();
        partitions.add(m.partition());
      }
    }
    Properties c = consumerProps(props, run);
    Set<String> seen = new HashSet<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
      consumer.subscribe(List.of(topic));
      long deadline = System.currentTimeMillis() + 30_000;
      while (seen.size() < partitions.size() && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
          if (run.equals(r.key())) seen.add(r.value());
        }
      }
    }
    if (seen.size() != partitions.size()) {
      throw new IllegalStateException("consumed " + seen.size() + " of " + partitions.size() + " messages");
    }
    System.out.println("OK produced and consumed " + seen.size() + " messages on partitions " + partitions);
  }

  /** A producer's settings: acks=all, string keys and values. */
  static Properties producerProps(Properties props) {
    Properties p = new Properties();
    p.putAll(props);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    return p;
  }

  /** A consumer's settings: its own group e2e-<run> (the ACL's prefix), from the earliest offset. */
  static Properties consumerProps(Properties props, String run) {
    Properties c = new Properties();
    c.putAll(props);
    c.put(ConsumerConfig.GROUP_ID_CONFIG, "e2e-" + run);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    return c;
  }

  static void stream(Properties props, String topic, Path stopFile) throws Exception {
    String run = UUID.randomUUID().toString();
    Properties p = producerProps(props);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    // A record may wait out a broker's blip: only a send that fails after this long counts as lost.
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000");
    Properties c = consumerProps(props, run);

    BitSet acked = new BitSet();
    BitSet consumed = new BitSet();
    AtomicInteger failedSends = new AtomicInteger();
    AtomicReference<String> firstSendError = new AtomicReference<>();
    AtomicReference<Throwable> consumerError = new AtomicReference<>();
    Object lock = new Object();
    int produced = 0;
    long stoppedAt;
    Thread consumerThread;
    AtomicInteger stopConsumer = new AtomicInteger();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c);
        KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      consumer.subscribe(List.of(topic));
      consumerThread = new Thread(() -> {
        try {
          while (stopConsumer.get() == 0) {
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
              if (!run.equals(r.key())) continue;
              synchronized (lock) {
                consumed.set(Integer.parseInt(r.value()));
              }
            }
          }
        } catch (Throwable t) {
          consumerError.set(t);
        }
      }, "stream-consumer");
      consumerThread.start();
      long nextProgress = System.currentTimeMillis();
      while (!Files.exists(stopFile) && consumerError.get() == null) {
        final int n = produced++;
        producer.send(new ProducerRecord<>(topic, run, Integer.toString(n)), (m, e) -> {
          synchronized (lock) {
            if (e == null) {
              acked.set(n);
            } else {
              failedSends.incrementAndGet();
              firstSendError.compareAndSet(null, n + ": " + e);
            }
          }
        });
        if (System.currentTimeMillis() >= nextProgress) {
          synchronized (lock) {
            System.out.println("PROGRESS produced=" + produced + " acked=" + acked.cardinality() + " consumed="
                + consumed.cardinality());
          }
          nextProgress += 1000;
        }
        Thread.sleep(50);
      }
      producer.flush();
      stoppedAt = System.currentTimeMillis();
      while (System.currentTimeMillis() < stoppedAt + 60_000 && consumerError.get() == null) {
        synchronized (lock) {
          BitSet missing = (BitSet) acked.clone();
          missing.andNot(consumed);
          if (missing.isEmpty()) break;
        }
        Thread.sleep(200);
      }
      stopConsumer.set(1);
      consumerThread.join(10_000);
    }
    if (consumerError.get() != null) throw new IllegalStateException("consumer failed", consumerError.get());
    BitSet missing = (BitSet) acked.clone();
    missing.andNot(consumed);
    String counts = "produced " + produced + " acked " + acked.cardinality() + " consumed " + consumed.cardinality();
    if (!missing.isEmpty() || failedSends.get() > 0 || acked.cardinality() != produced) {
      throw new IllegalStateException(counts + ", acked but never consumed " + missing.cardinality() + " "
          + missing.toString().substring(0, Math.min(200, missing.toString().length())) + ", failed sends "
          + failedSends.get() + (firstSendError.get() == null ? "" : " (first: " + firstSendError.get() + ")"));
    }
    System.out.println("OK stream " + counts + ", every record consumed");
  }
}
