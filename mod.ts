/**
 * `@sa/toolkit`: stream processing on Kafka in TypeScript, in the spirit of Quix Streams.
 *
 * - {@link Application} connects to a broker, declares topics and runs dataframes.
 * - {@link StreamingDataFrame} is a lazy, typed, branchable pipeline over a topic.
 * - {@link defineApp} declares an app module that `sa run` and `sa up` can run.
 * - {@link TestApp} and {@link testDataFrame} run pipelines without a broker.
 * - {@link Source}s bring data in (HTTP, WebSocket, MQTT); {@link BatchingSink}s write it out.
 * - Realtime ML (episode 4): {@link activityFeatures}, {@link trainModel}, {@link inference}
 *   with a hot-swapping {@link ModelRegistry}, {@link KpiTracker}, {@link assignVariant}.
 *
 * @example
 * ```ts
 * import { Application, defineApp } from "@sa/toolkit";
 *
 * export default defineApp({
 *   name: "double",
 *   variables: [
 *     { name: "input", inputType: "InputTopic", defaultValue: "numbers", required: true },
 *     { name: "output", inputType: "OutputTopic", defaultValue: "doubled", required: true },
 *   ],
 *   async main(vars, signal) {
 *     const app = new Application({ consumerGroup: "double" });
 *     app.dataframe(app.topic<{ n: number }>(vars.input!))
 *       .apply((v) => ({ n: v.n * 2 }))
 *       .toTopic(app.topic(vars.output!));
 *     await app.run({ signal });
 *   },
 * });
 * ```
 *
 * @module
 */

export {
  type AppDefinition,
  type AppVariable,
  type AppVars,
  defineApp,
  type VariableInputType,
} from "./lib/stream/define_app.ts";
export {
  Application,
  type ApplicationOptions,
  type ConsumerTuning,
  DEAD_LETTER_HEADERS,
  type ErrorCallback,
  type RunOptions,
} from "./lib/stream/application.ts";
export {
  type TimestampExtractor,
  Topic,
  type TopicConfig,
  type TopicOptions,
} from "./lib/stream/topic.ts";
export type {
  Deserializer,
  FormatName,
  SerializationContext,
  Serializer,
} from "./lib/stream/serializers.ts";
export {
  type ApplyOptions,
  type CallbackOptions,
  type Plain,
  type PrintOptions,
  StreamingDataFrame,
  type ToTopicOptions,
  type WithMeta,
  type WithMetaState,
  type WithState,
} from "./lib/stream/dataframe/dataframe.ts";
export type { PrintTableOptions } from "./lib/stream/dataframe/print_table.ts";
export type { GroupByOptions } from "./lib/stream/dataframe/group_by.ts";
export type {
  MessageHeaders,
  Row,
  Sink,
  SinkContext,
  StepContext,
  TransformStep,
} from "./lib/stream/types.ts";
export type {
  State,
  StateBackend,
  StateBackendEnv,
  StateSetOptions,
  StorePartition,
} from "./lib/stream/state/types.ts";
export {
  type Aggregator,
  Collect,
  type Collector,
  Count,
  Earliest,
  First,
  Last,
  Latest,
  Max,
  Mean,
  Min,
  Reduce,
  Sum,
  type WindowAggregation,
} from "./lib/stream/windows/aggregations.ts";
export {
  type AggResultOf,
  type AggWindow,
  type FinalOptions,
  type ValueWindow,
  Window,
  type WindowConfig,
  WindowDefinition,
} from "./lib/stream/windows/definitions.ts";
export type { Duration } from "./lib/stream/windows/duration.ts";
export type { LateRecord, OnLate } from "./lib/stream/windows/window.ts";
export { type ProduceMessage, Producer } from "./lib/stream/kafka/producer.ts";
export {
  ColumnError,
  ConfigurationError,
  type MessageOrigin,
  ProcessingError,
  ProducerError,
  SerializationError,
  StreamError,
} from "./lib/stream/errors.ts";
export {
  type ProducedRow,
  type PushOptions,
  TestApp,
  type TestAppOptions,
  testDataFrame,
} from "./lib/stream/testing.ts";
export type { LogLevel } from "./lib/stream/types.ts";
export type {
  SaslCredentials,
  SaslMechanism,
  SecurityProtocol,
  SslFiles,
} from "./lib/stream/kafka/security.ts";
export type {
  Source,
  SourceContext,
  SourceMessage,
  SourceState,
} from "./lib/stream/sources/source.ts";
export {
  HttpSource,
  type HttpSourceOptions,
  type HttpSourceStats,
} from "./lib/stream/sources/http_source.ts";
export {
  MqttSource,
  type MqttSourceOptions,
  type MqttSourceStats,
} from "./lib/stream/sources/mqtt_source.ts";
export { BatchingSink, SinkBatch, type SinkItem } from "./lib/stream/sinks/batching_sink.ts";
export { SinkBackpressureError } from "./lib/stream/sinks/backpressure.ts";
export {
  InfluxDBSink,
  type InfluxDBSinkOptions,
  type InfluxDBSinkStats,
} from "./lib/stream/sinks/influxdb.ts";
// Serving (docs/streaming-http.md): the app's HTTP server, views and run observers.
export type { AppHttpOptions, RouteHandler } from "./lib/serve/app_http.ts";
export { type RunObserver, RunObservers } from "./lib/stream/observe.ts";
export type { ViewOptions } from "./lib/stream/views/view.ts";
export {
  type SessionStats,
  type TopicStreamOptions,
  TopicStreams,
} from "./lib/serve/topic_stream.ts";
export { type LiveChartOptions, liveChartPage } from "./lib/serve/live_chart_page.ts";
export {
  type AccelSample,
  activityFeatures,
  computeFeatures,
  type DeviceReading,
  deviceReadings,
  FEATURE_NAMES,
  type FeatureRow,
  type SensorLoggerMessage,
  type SensorLoggerReading,
} from "./lib/ml/features.ts";
export { type LabelSegment, labelSegments } from "./lib/ml/labels.ts";
export type { Classifier } from "./lib/ml/classifier.ts";
export type {
  ClassMetrics,
  DeploymentRecord,
  LoadedModel,
  ModelRecord,
  TrainingMetrics,
  Variant,
} from "./lib/ml/model_record.ts";
export type { FeatureBaseline } from "./lib/ml/drift.ts";
export { trainModel, type TrainOptions } from "./lib/ml/training.ts";
export type { Examples } from "./lib/ml/dataset.ts";
export { commaList, type TrainPlan } from "./lib/ml/train_job.ts";
export { runTrainService, type TrainServiceOptions } from "./lib/ml/train_service.ts";
export {
  ModelRegistry,
  type Refusal,
  type ServingSet,
  type ServingVariant,
} from "./lib/ml/registry.ts";
export { watchModels } from "./lib/ml/model_watch.ts";
export type { TopicFollower } from "./lib/ml/topic_reader.ts";
export {
  type Alert,
  inference,
  type InferenceCounters,
  type InferenceOptions,
  type InferenceStreams,
  type Prediction,
} from "./lib/ml/inference.ts";
export { assignVariant } from "./lib/ml/ab.ts";
export type { DriftReading } from "./lib/ml/drift.ts";
export { type KpiRecord, KpiTracker, type LatencyStats } from "./lib/ml/kpis.ts";
export { kpiLine, type KpiService, kpiService, type KpiTopics } from "./lib/ml/kpi_service.ts";
export { type ProportionTest, twoProportionTest } from "./lib/ml/ab_report.ts";
