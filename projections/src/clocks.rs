//! Producers' clocks: for each producer (an institution, a bank, a registry, an officer), the
//! latest instant its own events prove has passed. "Time has passed" is judged by the clock of
//! the producer whose action is awaited, never by a maximum over the whole log, so one
//! producer's dates (a backlog, a wrong clock, an event dated 2030) cannot move another's
//! deadlines.
//!
//! **Invariant:** a clock only moves forward (an older date never moves it back), there is one
//! per producer that has sent an event, and it is a pure fold of the log in order.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tutorwatch_events::{Event, LoggedEvent, Producer, UtcTime};

use crate::facts::start_of_day;

/// The latest instant each producer's events prove has passed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProducerClocks {
    clocks: BTreeMap<Producer, UtcTime>,
}

impl ProducerClocks {
    /// What `event` proves has passed at its producer: its `occurred_at`, and for a bank's
    /// balance statement for day d, the end of day d in `time_zone` (the institution's).
    pub fn proven_by(event: &LoggedEvent, time_zone: &str) -> UtcTime {
        let envelope = &event.envelope;
        let mut proven = envelope.occurred_at;
        if let Event::DailyBalanceStated(statement) = &envelope.event {
            if let Some(end) = statement
                .date
                .tomorrow()
                .ok()
                .and_then(|d| start_of_day(time_zone, d))
            {
                proven = proven.max(end);
            }
        }
        proven
    }

    /// Moves `producer`'s clock to `at` unless it is already later; returns the clock.
    pub fn advance(&mut self, producer: &Producer, at: UtcTime) -> UtcTime {
        match self.clocks.get_mut(producer) {
            Some(clock) => {
                *clock = (*clock).max(at);
                *clock
            }
            None => {
                self.clocks.insert(producer.clone(), at);
                at
            }
        }
    }

    /// `producer`'s clock (`None` before its first event).
    pub fn get(&self, producer: &Producer) -> Option<UtcTime> {
        self.clocks.get(producer).copied()
    }

    /// How many producers have a clock.
    pub fn len(&self) -> usize {
        self.clocks.len()
    }

    /// Whether no producer has a clock yet.
    pub fn is_empty(&self) -> bool {
        self.clocks.is_empty()
    }
}
