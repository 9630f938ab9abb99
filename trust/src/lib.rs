//! Who may send what. One policy decides whether a sender may have an event accepted, from the
//! sender's proven identity (the NATS credentials' subject prefix, or the API token) and the
//! log's facts at append time — never from a projection that may lag. Ingest calls it inside the
//! log's append (the decision that counts); the HTTP API calls it first for a quick, typed answer.
//!
//! # Layout
//! - `policy`: the rules, as one function over (sender, event, facts, clock).
//! - `facts`: the facts the policy owns and keeps beside the log's entries (registered regions,
//!   account holders), how accepted events change them, and the key-value interface they live
//!   behind.
//! - `refusal`: the typed reasons, with the field at fault and a stable code.
//! - `settings`: the clock skew allowed.

mod facts;
mod policy;
mod refusal;
mod settings;

#[cfg(test)]
mod tests;

pub use facts::{AccountFact, FactKv, FactRead, Facts, FactsError, InstitutionFact, Scratch};
pub use policy::{authorise, check_sender, record_facts, Verdict};
pub use refusal::{Refusal, RefusalCode};
pub use settings::TrustSettings;
