/**
 * The toolkit's own Kafka client, on the shared wire codec (`lib/kafka/protocol/`):
 * connections (TLS, SASL), cluster metadata, the producer (idempotent, transactional) and
 * admin. The consumer side lives beside it (`fetch.ts`, `consumer.ts`).
 *
 * @module
 */
export { type ConnectionOptions, type ConnectSecurity, KafkaConnection } from "./connection.ts";
export { Cluster, type ClusterOptions } from "./cluster.ts";
export { check, errorInfo, isKafkaError, KafkaClientError } from "./errors.ts";
export { keyPartition, murmur2 } from "./partitioner.ts";
export {
  Producer,
  type ProducerOptions,
  type ProducerRecord,
  type RecordBytes,
  type RecordHeaders,
} from "./producer.ts";
export {
  type GroupMetadata,
  TransactionalProducer,
  type TransactionalProducerOptions,
  type TransactionState,
  type TxnOffset,
} from "./transaction.ts";
export { Admin, type NewTopic, type OffsetSpec, type PartitionOffset } from "./admin.ts";
