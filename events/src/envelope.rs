//! The envelope every event travels in: who it concerns, who sent it, when it happened.

use serde::{Deserialize, Serialize};

use crate::catalog::Event;
use crate::credit_code::CreditCode;
use crate::ids::{BankId, EventId, OfficerId};
use crate::region::RegionCode;
use crate::sender::{Identity, Sender};
use crate::time::UtcTime;
use crate::validate::{
    credit_code, known_region, Problem, Validation, ValidationContext, ValidationError,
};

/// Who sent an event.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Producer {
    /// The institution itself (schedules, delivered lessons).
    Institution(CreditCode),
    /// A supervising bank (escrow events).
    Bank(BankId),
    /// The registry of the education bureau of a region.
    Registry(RegionCode),
    /// An inspector or officer (advertisements observed, case actions).
    Officer(OfficerId),
}

/// An event with its envelope, as a producer sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// Chosen by the producer (UUID v7); the idempotency key from NATS to the log.
    pub event_id: EventId,
    /// The institution the event concerns.
    pub institution: CreditCode,
    /// The region the event concerns (where the institution is supervised).
    pub region: RegionCode,
    pub producer: Producer,
    /// The producer's clock, in UTC.
    pub occurred_at: UtcTime,
    pub event: Event,
}

impl Envelope {
    /// Validates the envelope and its event: typed errors that name the field at fault. Who may
    /// send what (an institution only about itself, …) is the trust policy's to judge, not
    /// validation's.
    pub fn validate(&self, ctx: &ValidationContext) -> Validation {
        credit_code("institution", &self.institution, ctx)?;
        known_region("region", &self.region)?;
        if let Event::InstitutionRegistered(registered) = &self.event {
            if registered.region != self.region {
                return Err(ValidationError::new(
                    "data.region",
                    Problem::inconsistent(
                        format!(
                            "登记地区 {} 与事件信封的地区 {} 不同",
                            registered.region, self.region
                        ),
                        format!(
                            "registered region {} differs from the envelope's region {}",
                            registered.region, self.region
                        ),
                    ),
                ));
            }
        }
        self.event.validate()
    }

    /// The NATS subject this event is published on by its producer, with the producer's own
    /// credentials (an officer's jurisdiction taken to be the event's region):
    /// `tw.in.<sender>.<family>.<institution>` (see `sender`).
    pub fn subject(&self) -> String {
        self.subject_as(&Sender::direct(Identity::own(&self.producer, self.region)))
    }

    /// The NATS subject this event is published on by `sender`.
    pub fn subject_as(&self, sender: &Sender) -> String {
        sender.subject(self.event.family(), &self.institution)
    }
}
