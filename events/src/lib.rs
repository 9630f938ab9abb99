//! Tutorwatch's domain events: the envelope, the five event families, their validation and their
//! wire formats. Pure: no I/O, no clocks read except by the `UtcTime::now` that edges call.
//!
//! **Architecture Invariant:** this is the only crate that defines types that are serialised into
//! the log or onto the wire. Everything persisted goes through `codec` (events) or `record` (log
//! entries), each with a leading format byte.
//!
//! # Layout
//! - `catalog`: the table of event types (code, name, family, version) and the `Event` enum.
//! - `envelope`: who an event concerns and who sent it; `sender`: proven identities and the
//!   inbound subjects that carry them; `codec`: postcard and JSON encodings;
//!   `upcast`: reading older schema versions; `record`: the log's stored entry.
//! - `registry`, `schedule`, `escrow`, `advertising`, `supervision`: the event families.
//! - `credit_code`, `region`, `ids`, `money`, `time`, `kinds`: the value types they are made of;
//!   `gbt2260`: the table of administrative divisions region codes are checked against.
//! - `validate`: typed errors that name the field at fault.

pub mod advertising;
pub mod catalog;
pub mod codec;
pub mod credit_code;
pub mod envelope;
pub mod escrow;
pub mod examples;
pub mod gbt2260;
pub mod ids;
pub mod kinds;
pub mod money;
#[cfg(feature = "openapi")]
mod openapi;
pub mod record;
pub mod region;
pub mod registry;
pub mod schedule;
pub mod sender;
pub mod supervision;
pub mod time;
mod upcast;
pub mod validate;

#[cfg(test)]
mod tests;

pub use catalog::{event_type_by_name, Event, EventTypeInfo, Family, EVENT_TYPES};
pub use codec::{decode, decode_json, encode, encode_json, DecodeError, RejectReason};
pub use credit_code::CreditCode;
pub use envelope::{Envelope, Producer};
pub use ids::EventId;
pub use money::Fen;
pub use record::{LogRecord, LogRecordRef, LoggedEvent};
pub use region::RegionCode;
pub use sender::{Identity, Sender, SubjectError};
pub use time::UtcTime;
pub use validate::{ValidationContext, ValidationError};

/// Every inbound event subject starts with this: `tw.in.<sender>.<family>.<institution>`.
pub const SUBJECT_PREFIX: &str = "tw.in";
/// Dead letters go to `tw.dlq.<family>`.
pub const DLQ_PREFIX: &str = "tw.dlq";

/// Decodes a payload in the format its content type names (JSON or postcard) and validates it.
pub fn decode_and_validate(
    bytes: &[u8],
    json: bool,
    ctx: &ValidationContext,
) -> Result<Envelope, RejectReason> {
    let envelope = if json {
        decode_json(bytes)?
    } else {
        decode(bytes)?
    };
    envelope.validate(ctx)?;
    Ok(envelope)
}
