//! Ingest settings, with the defaults a single-node deployment wants.

use std::time::Duration;

use serde::Deserialize;
use tutorwatch_log::EVENTS_PER_APPEND_MAX;

/// The largest `batch_max` ingest takes: a batch may grow past `batch_max` by up to one more
/// pull chunk (of `batch_max`), and the log takes at most `EVENTS_PER_APPEND_MAX` events in one
/// append.
pub const BATCH_MAX_LIMIT: usize = EVENTS_PER_APPEND_MAX / 2;

/// Why ingest settings cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IngestSettingsError {
    #[error("ingest.batch_max must be from 1 to {BATCH_MAX_LIMIT}, not {0}")]
    BatchMax(usize),
}

/// How ingest talks to JetStream. Every limit is named and explained.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestSettings {
    /// The inbound stream, bound to `tw.in.>`.
    pub stream: String,
    /// The dead-letter stream, bound to `tw.dlq.>`.
    pub dlq_stream: String,
    /// The durable pull consumer's name; a restart resumes where it left off.
    pub consumer: String,
    /// The most messages handled (and appended in one sled batch) at once. A batch may exceed it
    /// by less than one pull chunk; the log refuses batches over `EVENTS_PER_APPEND_MAX`.
    /// Larger batches share one flush among more events; smaller ones do less work at a time,
    /// and under a load that keeps every core busy the feed's queries wait less for it: in the
    /// 1M-event bench on two cores, 200 instead of 1,000 took the feed's p99 latency from about
    /// 50 ms to 25-30 ms, live ingest's rate down by a fifth and catch-up's by a third (README,
    /// benchmark). The default keeps the throughput.
    pub batch_max: usize,
    /// How long, in milliseconds, a batch waits for more messages once it has some. Each batch
    /// costs one flush, so waiting a little under load buys much larger batches; an idle
    /// event waits at most this long.
    pub batch_linger_ms: u64,
    /// How long JetStream remembers a `Nats-Msg-Id` to drop duplicate publishes, in seconds.
    /// The log's own id index drops duplicates forever; this only saves the work.
    pub duplicate_window_secs: u64,
    /// How long the inbound stream keeps messages, in seconds (the log keeps them for good).
    pub stream_max_age_secs: u64,
    /// How long an unacknowledged message waits before JetStream redelivers it, in seconds.
    pub ack_wait_secs: u64,
    /// The most unacknowledged messages the consumer hands out; bounds ingest's memory.
    pub max_ack_pending: i64,
    /// Fault injection for the crash test: wait this long between making a batch durable and
    /// acknowledging it, to widen the window a crash must survive. Always 0 in production.
    pub fault_ack_delay_ms: u64,
}

impl Default for IngestSettings {
    fn default() -> Self {
        Self {
            stream: "TW_IN".into(),
            dlq_stream: "TW_DLQ".into(),
            consumer: "tutorwatch-ingest".into(),
            batch_max: 1_000,
            batch_linger_ms: 2,
            duplicate_window_secs: 2 * 60 * 60,
            stream_max_age_secs: 30 * 24 * 60 * 60,
            ack_wait_secs: 30,
            max_ack_pending: 20_000,
            fault_ack_delay_ms: 0,
        }
    }
}

impl IngestSettings {
    /// Checks the limits that have a range (`batch_max`).
    pub fn check(&self) -> Result<(), IngestSettingsError> {
        if !(1..=BATCH_MAX_LIMIT).contains(&self.batch_max) {
            return Err(IngestSettingsError::BatchMax(self.batch_max));
        }
        Ok(())
    }

    pub(crate) fn duplicate_window(&self) -> Duration {
        Duration::from_secs(self.duplicate_window_secs)
    }
    pub(crate) fn stream_max_age(&self) -> Duration {
        Duration::from_secs(self.stream_max_age_secs)
    }
    pub(crate) fn batch_linger(&self) -> Duration {
        Duration::from_millis(self.batch_linger_ms)
    }
    pub(crate) fn ack_wait(&self) -> Duration {
        Duration::from_secs(self.ack_wait_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_batch_max(batch_max: usize) -> IngestSettings {
        IngestSettings {
            batch_max,
            ..IngestSettings::default()
        }
    }

    #[test]
    fn batch_max_must_leave_room_for_one_more_pull_chunk_within_an_append() {
        assert_eq!(IngestSettings::default().check(), Ok(()));
        assert_eq!(with_batch_max(1).check(), Ok(()));
        assert_eq!(with_batch_max(BATCH_MAX_LIMIT).check(), Ok(()));
        assert_eq!(
            with_batch_max(0).check(),
            Err(IngestSettingsError::BatchMax(0))
        );
        assert_eq!(
            with_batch_max(BATCH_MAX_LIMIT + 1).check(),
            Err(IngestSettingsError::BatchMax(BATCH_MAX_LIMIT + 1))
        );
        assert_eq!(
            with_batch_max(0).check().map_err(|e| e.to_string()),
            Err("ingest.batch_max must be from 1 to 5000, not 0".to_owned())
        );
    }
}
