//! The event sink: gives each event a seeded UUID v7 id, its producer and envelope, and at the
//! end orders every event by when it was sent (when it happened, unless a case sends it late).
//!
//! **Invariant:** the ids and the order depend only on the seed and the calls made, never on a
//! clock or on hash-map iteration order, so one seed always gives the same bytes.

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tutorwatch_events::envelope::Producer;
use tutorwatch_events::ids::{BankId, OfficerId};
use tutorwatch_events::{CreditCode, Envelope, Event, EventId, Family, RegionCode, UtcTime};

use crate::GenError;

/// Who an institution is, as the envelope needs it.
#[derive(Debug, Clone)]
pub(crate) struct Who {
    pub code: CreditCode,
    pub region: RegionCode,
    /// The bank that supervises its account (the producer of its escrow events).
    pub bank: BankId,
}

/// An event waiting for the final ordering.
#[derive(Debug)]
struct Pending {
    /// When it is sent: its place in the final order.
    sent: UtcTime,
    order: u64,
    envelope: Envelope,
}

/// Collects events and hands out seeded randomness.
#[derive(Debug)]
pub(crate) struct Emitter {
    pub rng: ChaCha8Rng,
    events: Vec<Pending>,
    officer: OfficerId,
}

impl Emitter {
    pub(crate) fn new(seed: u64) -> Result<Self, GenError> {
        Ok(Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            events: Vec::new(),
            officer: OfficerId::parse("insp-sg-01").map_err(|e| GenError::Token(e.to_string()))?,
        })
    }

    /// A number in `low..=high`.
    pub(crate) fn pick(&mut self, low: u64, high: u64) -> u64 {
        self.rng.gen_range(low..=high)
    }

    /// Whether a `permille`-in-1000 chance came up.
    pub(crate) fn chance(&mut self, permille: u64) -> bool {
        self.rng.gen_range(0..1000) < permille
    }

    /// Emits `event` about `who`, occurring (and sent) at `at`; returns its id.
    pub(crate) fn emit(&mut self, who: &Who, at: UtcTime, event: impl Into<Event>) -> EventId {
        self.emit_sent(who, at, at, event)
    }

    /// Emits `event` about `who`, occurring at `at` but sent at `sent` (a producer's backlog):
    /// it takes its place in the final order by `sent`; returns its id.
    pub(crate) fn emit_sent(
        &mut self,
        who: &Who,
        at: UtcTime,
        sent: UtcTime,
        event: impl Into<Event>,
    ) -> EventId {
        let event = event.into();
        let mut random = [0u8; 10];
        self.rng.fill_bytes(&mut random);
        let millis = u64::try_from(at.timestamp().as_millisecond()).unwrap_or(0);
        let id = EventId::from_uuid(
            uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid(),
        );
        let producer = match event.family() {
            Family::Schedule => Producer::Institution(who.code.clone()),
            Family::Escrow => Producer::Bank(who.bank.clone()),
            Family::Registry => Producer::Registry(who.region),
            Family::Advertising | Family::Supervision => Producer::Officer(self.officer.clone()),
        };
        let order = self.events.len() as u64;
        self.events.push(Pending {
            sent,
            order,
            envelope: Envelope {
                event_id: id,
                institution: who.code.clone(),
                region: who.region,
                producer,
                occurred_at: at,
                event,
            },
        });
        id
    }

    /// Every event, in the order they were sent (ties in the order they were emitted).
    pub(crate) fn finish(mut self) -> Vec<Envelope> {
        self.events.sort_by_key(|p| (p.sent, p.order));
        self.events.into_iter().map(|p| p.envelope).collect()
    }
}
