//! Why an event is refused: a stable code (the dead letter's reason starts with it, the HTTP
//! problem's status follows from it), the field at fault and a sentence for the sender.

use std::fmt;

/// The kinds of refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalCode {
    /// The sender may not send this event (identity, jurisdiction, ownership of a fact).
    Unauthorised,
    /// The event claims a time too far ahead of when it was received.
    FutureDated,
}

impl RefusalCode {
    /// The code as written in dead letters: `unauthorised`, `future_dated`.
    pub fn as_str(self) -> &'static str {
        match self {
            RefusalCode::Unauthorised => "unauthorised",
            RefusalCode::FutureDated => "future_dated",
        }
    }
}

/// A refusal: nothing of the event is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {reason} (field {field})", code.as_str())]
pub struct Refusal {
    pub code: RefusalCode,
    /// The field at fault, in the wire format's terms (`producer`, `region`, `data.account`).
    pub field: &'static str,
    /// Why, in English (dead letters carry this).
    pub reason: String,
    /// Why, in Chinese (what an HTTP caller reads unless it asks for English).
    pub reason_zh: String,
}

impl Refusal {
    pub(crate) fn unauthorised(
        field: &'static str,
        (zh, en): (impl fmt::Display, impl fmt::Display),
    ) -> Self {
        Self {
            code: RefusalCode::Unauthorised,
            field,
            reason: en.to_string(),
            reason_zh: zh.to_string(),
        }
    }

    pub(crate) fn future_dated(
        field: &'static str,
        (zh, en): (impl fmt::Display, impl fmt::Display),
    ) -> Self {
        Self {
            code: RefusalCode::FutureDated,
            field,
            reason: en.to_string(),
            reason_zh: zh.to_string(),
        }
    }
}
