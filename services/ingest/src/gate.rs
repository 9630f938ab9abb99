//! Ingest's admission gate: the trust policy, judged inside the log's append against the facts
//! as of each event's place in the log, and the rule that an id already held by another producer
//! is a conflict, not a duplicate; and the facts an entry the log already holds establishes, for
//! rebuilding the facts when a log is restored from its entries (`tutorwatch log salvage`).

use tutorwatch_events::{Envelope, LogRecord, Sender, UtcTime};
use tutorwatch_log::{FactsOverlay, Gate, LogError};
use tutorwatch_trust::{authorise, record_facts, FactKv, FactsError, Refusal, TrustSettings};

/// The facts overlay of one append, as the policy's key-value interface.
struct OverlayKv<'a, 't>(&'a mut FactsOverlay<'t>);

impl FactKv for OverlayKv<'_, '_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, FactsError> {
        self.0.get(key).map_err(|e| FactsError(Box::new(e)))
    }

    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.0.put(key, value);
    }
}

/// Judges one batch: `offered[i]` is offer `i`'s envelope and its proven sender.
pub(crate) struct PolicyGate<'b> {
    pub offered: &'b [(Envelope, Sender)],
    pub received_at: UtcTime,
    pub settings: &'b TrustSettings,
}

impl Gate for PolicyGate<'_> {
    type Refusal = Refusal;

    fn is_retry(&mut self, index: usize, stored: &LogRecord) -> Result<bool, LogError> {
        let stored = stored.envelope().map_err(|e| LogError::Corrupt {
            seq: stored.seq,
            reason: e.to_string(),
        })?;
        Ok(stored.producer == self.offered[index].0.producer)
    }

    fn admit(
        &mut self,
        index: usize,
        facts: &mut FactsOverlay<'_>,
    ) -> Result<Result<(), Refusal>, LogError> {
        let (envelope, sender) = &self.offered[index];
        authorise(
            sender,
            envelope,
            self.received_at,
            self.settings,
            &mut OverlayKv(facts),
        )
        .map_err(|e| LogError::Gate(Box::new(e)))
    }
}

/// Records the facts the logged entry `record` establishes, as its acceptance did: the facts
/// callback of [`tutorwatch_log::EventLog::restore`].
pub fn record_entry_facts(
    record: &LogRecord,
    facts: &mut FactsOverlay<'_>,
) -> Result<(), LogError> {
    let envelope = record.envelope().map_err(|e| LogError::Corrupt {
        seq: record.seq,
        reason: e.to_string(),
    })?;
    record_facts(&envelope, &mut OverlayKv(facts)).map_err(|e| LogError::Gate(Box::new(e)))
}
