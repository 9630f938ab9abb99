//! The most recent refusals, by event id, so that a writer waiting for its event (the HTTP API)
//! learns at once that ingest refused it instead of waiting for a log entry that never comes.
//! Bounded: the oldest are forgotten past `REFUSALS_REMEMBERED` (the dead-letter stream keeps
//! them all).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use tokio::sync::watch;
use tutorwatch_events::{EventId, Producer};

/// How many refusals are remembered; beyond that the oldest are forgotten.
pub const REFUSALS_REMEMBERED: usize = 10_000;

/// Why ingest refused an event: a stable code and the sentence for the sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// `unauthorised`, `future_dated`, `conflict`, or `invalid` (did not decode or validate).
    pub code: &'static str,
    /// The field at fault, where there is one.
    pub field: Option<&'static str>,
    pub reason: String,
    /// The same in Chinese.
    pub reason_zh: String,
    /// The producer the refused event named (who may be told why).
    pub producer: Producer,
}

#[derive(Debug, Default)]
struct Memory {
    by_id: HashMap<EventId, Refused>,
    order: VecDeque<EventId>,
}

/// Recent refusals, shared between ingest and the API.
#[derive(Debug)]
pub struct RecentRefusals {
    memory: Mutex<Memory>,
    changed: watch::Sender<u64>,
}

impl Default for RecentRefusals {
    fn default() -> Self {
        Self {
            memory: Mutex::new(Memory::default()),
            changed: watch::channel(0).0,
        }
    }
}

impl RecentRefusals {
    pub(crate) fn record(&self, id: EventId, refused: Refused) {
        {
            let mut memory = match self.memory.lock() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            if memory.by_id.insert(id, refused).is_none() {
                memory.order.push_back(id);
            }
            while memory.order.len() > REFUSALS_REMEMBERED {
                if let Some(oldest) = memory.order.pop_front() {
                    memory.by_id.remove(&oldest);
                }
            }
        }
        self.changed.send_modify(|n| *n += 1);
    }

    /// Why `id` was refused, if it was recently.
    pub fn get(&self, id: &EventId) -> Option<Refused> {
        let memory = match self.memory.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        memory.by_id.get(id).cloned()
    }

    /// A receiver that changes each time a refusal is recorded.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_are_forgotten_past_the_limit() {
        let refusals = RecentRefusals::default();
        let ids: Vec<EventId> = (0..=REFUSALS_REMEMBERED)
            .map(|_| EventId::new_v7())
            .collect();
        for id in &ids {
            refusals.record(
                *id,
                Refused {
                    code: "unauthorised",
                    field: None,
                    reason: "no".into(),
                    reason_zh: "否".into(),
                    producer: Producer::Registry(
                        tutorwatch_events::RegionCode::parse("440200").expect("region"),
                    ),
                },
            );
        }
        assert_eq!(refusals.get(&ids[0]), None);
        assert!(refusals.get(&ids[1]).is_some());
        assert!(refusals.get(&ids[REFUSALS_REMEMBERED]).is_some());
    }
}
