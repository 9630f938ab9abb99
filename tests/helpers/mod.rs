//! Test harness: private nats-servers, tutorwatch processes, publishing and waiting helpers.

mod nats;
mod publish;
mod service;
mod tokens;
mod wait;

pub use nats::NatsServer;
pub use publish::{publish_all, Publisher};
pub use service::{binary, Service};
pub use tokens::issue_token;
pub use wait::wait_until;

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("Failed to bind port 0");
    listener
        .local_addr()
        .expect("Failed to read the bound port")
        .port()
}

use std::collections::BTreeSet;
use std::path::Path;

use tutorwatch_events::examples::{stream, SAMPLE_CREDIT_CODE};
use tutorwatch_events::{CreditCode, Envelope, EventId};
use tutorwatch_log::EventLog;

/// `n` distinct, valid events about the sample institution, cycling through every event type.
pub fn sample_events(n: usize) -> Vec<Envelope> {
    let institution = CreditCode::parse(SAMPLE_CREDIT_CODE).expect("the sample code is valid");
    stream(n, |_| institution.clone())
}

/// Every event id in the log in `data_dir`, in log order, after checking the log's hash chain.
/// The service must be stopped (the directory is locked while it runs).
pub fn logged_ids(data_dir: &Path) -> Vec<EventId> {
    let log = EventLog::open(&data_dir.join("log")).expect("Failed to open the log");
    let report = log.verify(|_| {}).expect("Failed to verify the log");
    assert_eq!(report.first_bad, None, "the log's hash chain is broken");
    let records = log
        .read_from(1, usize::MAX)
        .expect("Failed to read the log");
    for (i, record) in records.iter().enumerate() {
        assert_eq!(record.seq, i as u64 + 1, "sequences must have no gaps");
    }
    records
        .iter()
        .map(|r| {
            r.envelope()
                .expect("Failed to decode a logged event")
                .event_id
        })
        .collect()
}

/// Checks that `ids` has no repeats and returns them as a set.
pub fn distinct(ids: &[EventId]) -> BTreeSet<EventId> {
    let set: BTreeSet<EventId> = ids.iter().copied().collect();
    assert_eq!(set.len(), ids.len(), "the log holds an event twice");
    set
}

/// Whether the ingest consumer has nothing pending or unacknowledged.
pub async fn ingest_drained(js: &async_nats::jetstream::Context) -> bool {
    let Ok(stream) = js.get_stream("TW_IN").await else {
        return false;
    };
    let Ok(mut consumer) = stream
        .get_consumer::<async_nats::jetstream::consumer::pull::Config>("tutorwatch-ingest")
        .await
    else {
        return false;
    };
    match consumer.info().await {
        Ok(info) => info.num_pending == 0 && info.num_ack_pending == 0,
        Err(_) => false,
    }
}
