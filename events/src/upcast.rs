//! The upcasting path: how payloads written under an older schema version of an event type are
//! read into today's type.
//!
//! Every payload on the wire and in the log carries its type's numeric code and the version it was
//! written at. The catalogue decodes the current version directly and sends anything else here.
//! When a type's fields change, the procedure is:
//! 1. copy the old struct into a `legacy` module here as `<Type>V<n>` (with its serde derives);
//! 2. bump the version in the catalogue and change the live struct;
//! 3. add a match arm below that decodes `<Type>V<n>` and converts it into the live struct,
//!    filling new fields with what the old producers meant (documented per field).
//!
//! The log is never rewritten: old entries stay as they were written and are upcast on every read,
//! so the hash chain stays valid and a replay sees the same facts.
//!
//! Every event type is at version 1 today, so there is nothing to upcast yet and any other version
//! is refused with a typed error instead of being guessed at.

use crate::catalog::Event;
use crate::codec::DecodeError;

/// Decodes a postcard payload of an older (or newer, unknown) version.
pub(crate) fn postcard_payload(
    code: u16,
    version: u16,
    _bytes: &[u8],
) -> Result<Event, DecodeError> {
    Err(DecodeError::UnsupportedVersion { code, version })
}

/// Decodes JSON data of an older (or newer, unknown) version.
pub(crate) fn json_data(
    code: u16,
    version: u16,
    _data: serde_json::Value,
) -> Result<Event, DecodeError> {
    Err(DecodeError::UnsupportedVersion { code, version })
}
