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
    let config = |deliver_policy| pull::Config {
        durable_name: Some(settings.consumer.clone()),
        deliver_policy,
        ack_policy: AckPolicy::Explicit,
        ack_wait: settings.ack_wait(),
        max_ack_pending: settings.max_ack_pending,
        filter_subject: format!("{SUBJECT_PREFIX}.>"),
        ..Default::default()
    };
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
