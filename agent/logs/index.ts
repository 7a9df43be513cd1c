/**
 * @module agent/logs — the agent's half of `swarmctl service logs`: reads the containers' JSON-lines logs
 * (with their rotated files) and publishes them to the manager's log broker for each subscription.
 */
export { ContainerLogReader, type ContainerLogRecord } from './container-log-reader.js';
export { type LocalTaskLog, LogPublisher, type LogPublisherOptions } from './log-publisher.js';
