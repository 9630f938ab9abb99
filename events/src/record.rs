//! The record the log stores for each accepted event.
//!
//! The log keeps the producer's canonical bytes untouched (so the hash chain covers exactly what
//! was accepted) next to the sequence, the time it was recorded, who sent it (the proven sender:
//! the NATS credentials' identity, or the API token that wrote it) and the chained hashes.
//!
//! Two formats are read: `0x01` (before senders were recorded; `sender` is `None`) and `0x02`,
//! which every new entry is written in.

use serde::{Deserialize, Serialize};

use crate::codec::{decode, DecodeError};
use crate::envelope::Envelope;
use crate::sender::Sender;
use crate::time::UtcTime;

/// The first byte of log records written before senders were recorded (read, never written).
pub const RECORD_FORMAT_V1: u8 = 0x01;
/// The first byte of every log record this build writes.
pub const RECORD_FORMAT_V2: u8 = 0x02;

/// Length of the chained hashes, in bytes.
pub const HASH_BYTES: usize = 32;

/// The layout a record is stored in; the hash chain's formula follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordFormat {
    /// `0x01`: no sender; the hash does not cover one.
    V1,
    /// `0x02`: the sender is stored and covered by the hash.
    V2,
}

/// One entry of the log, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    /// The layout the record is stored in (new records: `V2`).
    pub format: RecordFormat,
    /// Position in the log, from 1, without gaps.
    pub seq: u64,
    /// When the log accepted the event (the log's clock, UTC).
    pub recorded_at: UtcTime,
    /// The previous entry's hash (all zeros for the first entry).
    pub prev_hash: [u8; HASH_BYTES],
    /// Hash over `prev_hash`, `seq`, `recorded_at`, `sender` (format 2) and `event`.
    pub hash: [u8; HASH_BYTES],
    /// Who sent the event, as the transport proved it (`None` in format-1 entries, and for
    /// events appended without a sender, e.g. by tests and benchmarks).
    pub sender: Option<Sender>,
    /// The canonical wire encoding of the envelope.
    pub event: Vec<u8>,
}

/// The format-1 layout (no sender). The event is borrowed both ways: from the record when
/// encoding, from the stored bytes when decoding.
#[derive(Serialize, Deserialize)]
struct RecordV1<'a> {
    seq: u64,
    recorded_at: UtcTime,
    prev_hash: [u8; HASH_BYTES],
    hash: [u8; HASH_BYTES],
    event: &'a [u8],
}

/// The format-2 layout.
#[derive(Serialize, Deserialize)]
struct RecordV2<'a> {
    seq: u64,
    recorded_at: UtcTime,
    prev_hash: [u8; HASH_BYTES],
    hash: [u8; HASH_BYTES],
    sender: Option<Sender>,
    event: &'a [u8],
}

/// A stored record read in place: the event's bytes are borrowed from the buffer. For scanning
/// raw storage (`tutorwatch log salvage`), where most candidate offsets are not records and
/// copying what a random length prefix claims would dominate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecordRef<'a> {
    pub format: RecordFormat,
    pub seq: u64,
    pub recorded_at: UtcTime,
    pub prev_hash: [u8; HASH_BYTES],
    pub hash: [u8; HASH_BYTES],
    pub sender: Option<Sender>,
    pub event: &'a [u8],
}

impl<'a> LogRecordRef<'a> {
    /// Reads the record at the start of `bytes`, which may go on past it, without copying its
    /// event, and says how many bytes it took (for finding records in raw storage files when the
    /// database cannot be opened: `tutorwatch log salvage`). Never panics, whatever the bytes.
    pub fn decode_prefix(bytes: &'a [u8]) -> Result<(LogRecordRef<'a>, usize), RecordError> {
        let (&format, rest) = bytes.split_first().ok_or(RecordError::Empty)?;
        let decode_error = |e: postcard::Error| RecordError::Decode(e.to_string());
        let taken = |left: &[u8]| bytes.len() - left.len();
        match format {
            RECORD_FORMAT_V1 => {
                let (r, left): (RecordV1<'a>, _) =
                    postcard::take_from_bytes(rest).map_err(decode_error)?;
                let record = LogRecordRef {
                    format: RecordFormat::V1,
                    seq: r.seq,
                    recorded_at: r.recorded_at,
                    prev_hash: r.prev_hash,
                    hash: r.hash,
                    sender: None,
                    event: r.event,
                };
                Ok((record, taken(left)))
            }
            RECORD_FORMAT_V2 => {
                let (r, left): (RecordV2<'a>, _) =
                    postcard::take_from_bytes(rest).map_err(decode_error)?;
                let record = LogRecordRef {
                    format: RecordFormat::V2,
                    seq: r.seq,
                    recorded_at: r.recorded_at,
                    prev_hash: r.prev_hash,
                    hash: r.hash,
                    sender: r.sender,
                    event: r.event,
                };
                Ok((record, taken(left)))
            }
            other => Err(RecordError::UnknownFormat(other)),
        }
    }

    /// The record, owning its event.
    pub fn to_owned_record(&self) -> LogRecord {
        LogRecord {
            format: self.format,
            seq: self.seq,
            recorded_at: self.recorded_at,
            prev_hash: self.prev_hash,
            hash: self.hash,
            sender: self.sender.clone(),
            event: self.event.to_vec(),
        }
    }
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
    /// Encodes the record for storage, in its own format.
    pub fn encode(&self) -> Vec<u8> {
        let encoded = match self.format {
            RecordFormat::V1 => {
                assert!(
                    self.sender.is_none(),
                    "a format-1 record cannot carry a sender"
                );
                let record = RecordV1 {
                    seq: self.seq,
                    recorded_at: self.recorded_at,
                    prev_hash: self.prev_hash,
                    hash: self.hash,
                    event: &self.event,
                };
                postcard::to_extend(&record, vec![RECORD_FORMAT_V1])
            }
            RecordFormat::V2 => {
                let record = RecordV2 {
                    seq: self.seq,
                    recorded_at: self.recorded_at,
                    prev_hash: self.prev_hash,
                    hash: self.hash,
                    sender: self.sender.clone(),
                    event: &self.event,
                };
                postcard::to_extend(&record, vec![RECORD_FORMAT_V2])
            }
        };
        encoded.expect("postcard serialises a record into a Vec without fail")
    }

    /// The bytes of `sender` the hash chain covers in format 2: its postcard encoding.
    pub fn sender_bytes(sender: &Option<Sender>) -> Vec<u8> {
        postcard::to_allocvec(sender).expect("postcard serialises a sender into a Vec without fail")
    }

    /// Decodes a stored record of either format. Never panics, whatever the bytes.
    pub fn decode(bytes: &[u8]) -> Result<LogRecord, RecordError> {
        Self::decode_prefix(bytes).map(|(record, _)| record)
    }

    /// Decodes the record at the start of `bytes`, which may go on past it, and says how many
    /// bytes it took. Never panics, whatever the bytes.
    pub fn decode_prefix(bytes: &[u8]) -> Result<(LogRecord, usize), RecordError> {
        LogRecordRef::decode_prefix(bytes).map(|(record, taken)| (record.to_owned_record(), taken))
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
