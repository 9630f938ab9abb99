//! The JetStream topology ingest needs: the inbound stream, the dead-letter stream and the durable
//! pull consumer. Created when missing, checked when present.

use async_nats::jetstream::consumer::{pull, AckPolicy, DeliverPolicy};
use async_nats::jetstream::stream::{self, StorageType};
use async_nats::jetstream::Context;
use tutorwatch_events::{DLQ_PREFIX, SUBJECT_PREFIX};

use crate::error::IngestError;
use crate::settings::IngestSettings;

/// The streams and consumer ingest reads from and writes to.
#[derive(Debug)]
pub struct Topology {
    pub inbound: stream::Stream,
    pub dead_letters: stream::Stream,
    pub consumer: async_nats::jetstream::consumer::PullConsumer,
}

async fn ensure_stream(
    js: &Context,
    config: stream::Config,
) -> Result<stream::Stream, IngestError> {
    let name = config.name.clone();
    let wanted_subjects = config.subjects.clone();
    let mut stream = js
        .get_or_create_stream(config)
        .await
        .map_err(IngestError::jetstream)?;
    let info = stream.info().await.map_err(IngestError::jetstream)?;
    for subject in &wanted_subjects {
        if !info.config.subjects.contains(subject) {
            return Err(IngestError::StreamMismatch {
                stream: name,
                problem: format!("it is bound to {:?}, not {subject:?}", info.config.subjects),
            });
        }
    }
    if info.config.storage != StorageType::File {
        return Err(IngestError::StreamMismatch {
            stream: name,
            problem: "it is kept in memory; ingest needs file storage".into(),
        });
    }
    Ok(stream)
}

/// The durable consumer ingest reads the inbound stream with, delivering from `deliver_policy`.
fn consumer_config(settings: &IngestSettings, deliver_policy: DeliverPolicy) -> pull::Config {
    pull::Config {
        durable_name: Some(settings.consumer.clone()),
        deliver_policy,
        ack_policy: AckPolicy::Explicit,
        ack_wait: settings.ack_wait(),
        max_ack_pending: settings.max_ack_pending,
        filter_subject: format!("{SUBJECT_PREFIX}.>"),
        ..Default::default()
    }
}

/// Where the inbound stream stood when ingest was rewound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rewound {
    /// The first and last message the stream still holds (0 when it holds none).
    pub first_seq: u64,
    pub last_seq: u64,
    /// Where the next `serve` starts reading.
    pub start_seq: u64,
}

/// Makes the next ingest read the inbound stream again from `start_seq` (the first message the
/// stream still holds when `None`), by replacing the durable consumer: what the log already holds
/// is dropped there as a duplicate, the rest is appended. Run it with ingest stopped.
pub async fn rewind(
    js: &Context,
    settings: &IngestSettings,
    start_seq: Option<u64>,
) -> Result<Rewound, IngestError> {
    let mut inbound = js
        .get_stream(&settings.stream)
        .await
        .map_err(IngestError::jetstream)?;
    let (first_seq, last_seq) = {
        let info = inbound.info().await.map_err(IngestError::jetstream)?;
        (info.state.first_sequence, info.state.last_sequence)
    };
    let start_seq = start_seq.unwrap_or(first_seq).max(1);
    if inbound.consumer_info(&settings.consumer).await.is_ok() {
        inbound
            .delete_consumer(&settings.consumer)
            .await
            .map_err(IngestError::jetstream)?;
    }
    inbound
        .create_consumer(consumer_config(
            settings,
            DeliverPolicy::ByStartSequence {
                start_sequence: start_seq,
            },
        ))
        .await
        .map_err(IngestError::jetstream)?;
    Ok(Rewound {
        first_seq,
        last_seq,
        start_seq,
    })
}

/// Creates or checks the streams and the durable consumer.
pub async fn ensure_topology(
    js: &Context,
    settings: &IngestSettings,
) -> Result<Topology, IngestError> {
    let inbound = ensure_stream(
        js,
        stream::Config {
            name: settings.stream.clone(),
            subjects: vec![format!("{SUBJECT_PREFIX}.>")],
            storage: StorageType::File,
            duplicate_window: settings.duplicate_window(),
            max_age: settings.stream_max_age(),
            ..Default::default()
        },
    )
    .await?;
    let dead_letters = ensure_stream(
        js,
        stream::Config {
            name: settings.dlq_stream.clone(),
            subjects: vec![format!("{DLQ_PREFIX}.>")],
            storage: StorageType::File,
            duplicate_window: settings.duplicate_window(),
            max_age: settings.stream_max_age(),
            ..Default::default()
        },
    )
    .await?;
    let config = |deliver_policy| consumer_config(settings, deliver_policy);
    let mut consumer = inbound
        .get_or_create_consumer(&settings.consumer, config(DeliverPolicy::All))
        .await
        .map_err(IngestError::jetstream)?;
    // Messages delivered before a crash or a store failure and never acked would be redelivered
    // only after their ack wait, behind newer ones, and the log would hold them out of publish
    // order. Restarting the consumer at its ack floor delivers them again in stream order; the
    // ones already in the log are dropped there as duplicates.
    let info = consumer
        .info()
        .await
        .map_err(IngestError::jetstream)?
        .clone();
    if info.num_ack_pending > 0 {
        let start_sequence = info.ack_floor.stream_sequence + 1;
        tracing::info!(
            unacked = info.num_ack_pending,
            start_sequence,
            "restarting the consumer at its ack floor so unacked messages come back in order"
        );
        inbound
            .delete_consumer(&settings.consumer)
            .await
            .map_err(IngestError::jetstream)?;
        consumer = inbound
            .create_consumer(config(DeliverPolicy::ByStartSequence { start_sequence }))
            .await
            .map_err(IngestError::jetstream)?;
    }
    Ok(Topology {
        inbound,
        dead_letters,
        consumer,
    })
}
