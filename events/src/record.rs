//! The record the log stores for each accepted event.
//!
//! The log keeps the producer's canonical bytes untouched (so the hash chain covers exactly what
//! was accepted) next to the sequence, the time it was recorded and the chained hashes.

use serde::{Deserialize, Serialize};

use crate::codec::{decode, DecodeError};
use crate::envelope::Envelope;
use crate::time::UtcTime;

/// The first byte of every log record this build writes.
pub const RECORD_FORMAT_V1: u8 = 0x01;

/// Length of the chained hashes, in bytes.
pub const HASH_BYTES: usize = 32;

/// One entry of the log, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRecord {
    /// Position in the log, from 1, without gaps.
    pub seq: u64,
    /// When the log accepted the event (the log's clock, UTC).
    pub recorded_at: UtcTime,
    /// The previous entry's hash (all zeros for the first entry).
    pub prev_hash: [u8; HASH_BYTES],
    /// Hash over `prev_hash`, `seq`, `recorded_at` and `event`.
    pub hash: [u8; HASH_BYTES],
    /// The canonical wire encoding of the envelope.
    pub event: Vec<u8>,
}

/// Why stored bytes are not a log record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("the record is empty")]
    Empty,
    #[error("unknown record format byte {0:#04x}")]
    UnknownFormat(u8),
    #[error("the record does not decode: {0}")]
    Decode(String),
    #[error("the record's event does not decode: {0}")]
    Event(#[from] DecodeError),
}

impl LogRecord {
    /// Encodes the record for storage.
    pub fn encode(&self) -> Vec<u8> {
        let out = vec![RECORD_FORMAT_V1];
        match postcard::to_extend(self, out) {
            Ok(bytes) => bytes,
            Err(_) => unreachable!("postcard serialises LogRecord into a Vec"),
        }
    }

    /// Decodes a stored record. Never panics, whatever the bytes.
    pub fn decode(bytes: &[u8]) -> Result<LogRecord, RecordError> {
        let (&format, rest) = bytes.split_first().ok_or(RecordError::Empty)?;
        if format != RECORD_FORMAT_V1 {
            return Err(RecordError::UnknownFormat(format));
        }
        postcard::from_bytes(rest).map_err(|e| RecordError::Decode(e.to_string()))
    }

    /// Decodes the event the record carries.
    pub fn envelope(&self) -> Result<Envelope, RecordError> {
        Ok(decode(&self.event)?)
    }
}

/// An event as read back from the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedEvent {
    pub seq: u64,
    pub recorded_at: UtcTime,
    pub envelope: Envelope,
}

impl TryFrom<&LogRecord> for LoggedEvent {
    type Error = RecordError;
    fn try_from(record: &LogRecord) -> Result<Self, Self::Error> {
        Ok(LoggedEvent {
            seq: record.seq,
            recorded_at: record.recorded_at,
            envelope: record.envelope()?,
        })
    }
}
