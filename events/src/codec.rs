//! The wire formats: canonical postcard with a leading format byte, and JSON for producers that
//! cannot speak postcard.
//!
//! Postcard layout (format byte `0x01`): the byte, then a postcard `WireEnvelope` whose `payload`
//! is the postcard encoding of the event's own struct. Carrying the type code and version beside
//! the payload is what lets an older version be upcast (see `upcast`) instead of misread.
//!
//! JSON layout: `{"event_id", "type", "version"?, "institution", "region", "producer",
//! "occurred_at", "data"}`. Unknown fields are refused everywhere, and every error names the field.

use serde::{Deserialize, Serialize};

use crate::catalog::{event_type_by_name, Event};
use crate::credit_code::CreditCode;
use crate::envelope::{Envelope, Producer};
use crate::ids::EventId;
use crate::region::RegionCode;
use crate::time::UtcTime;
use crate::validate::ValidationError;

/// The first byte of every postcard-encoded envelope this build writes.
pub const WIRE_FORMAT_V1: u8 = 0x01;
/// The largest encoded event accepted, in bytes. Larger payloads are refused before decoding.
pub const EVENT_BYTES_MAX: usize = 256 * 1024;

/// Why bytes are not an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("the payload is empty")]
    Empty,
    #[error("the payload is {0} bytes, the most is {EVENT_BYTES_MAX}")]
    TooLarge(usize),
    #[error("unknown wire format byte {0:#04x} (this build reads {WIRE_FORMAT_V1:#04x})")]
    UnknownFormat(u8),
    #[error("the envelope does not decode: {0}")]
    Envelope(String),
    #[error("the event data does not decode: {0}")]
    Payload(String),
    #[error("unknown event type code {0}")]
    UnknownEventCode(u16),
    #[error("unknown event type {0:?}")]
    UnknownEventType(String),
    #[error("event type code {code} has no schema version {version} this build can read")]
    UnsupportedVersion { code: u16, version: u16 },
    #[error("{field}: {message}")]
    Json { field: String, message: String },
    #[error("the envelope carries {0} bytes after the event")]
    TrailingBytes(usize),
}

impl DecodeError {
    /// The error in Chinese (a JSON parser's own message is kept as it is, in parentheses).
    pub fn message_zh(&self) -> String {
        match self {
            DecodeError::Empty => "内容为空".to_owned(),
            DecodeError::TooLarge(n) => format!("内容 {n} 字节，最多 {EVENT_BYTES_MAX} 字节"),
            DecodeError::UnknownFormat(b) => {
                format!("未知的格式字节 {b:#04x}（本版本读取 {WIRE_FORMAT_V1:#04x}）")
            }
            DecodeError::Envelope(e) => format!("事件信封无法解析（{e}）"),
            DecodeError::Payload(e) => format!("事件数据无法解析（{e}）"),
            DecodeError::UnknownEventCode(code) => format!("未知的事件类型代码 {code}"),
            DecodeError::UnknownEventType(name) => format!("未知的事件类型 {name:?}"),
            DecodeError::UnsupportedVersion { code, version } => {
                format!("事件类型代码 {code} 没有本版本可读取的第 {version} 版")
            }
            DecodeError::Json { field, message } => format!("{field}：无法读取（{message}）"),
            DecodeError::TrailingBytes(n) => format!("事件之后多出 {n} 字节"),
        }
    }

    /// The field at fault, when the error is about one.
    pub fn field(&self) -> Option<&str> {
        match self {
            DecodeError::Json { field, .. } => Some(field),
            DecodeError::UnknownEventType(_) => Some("type"),
            _ => None,
        }
    }
}

/// A payload that decoded but did not validate, or did not decode: what ingest dead-letters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RejectReason {
    #[error("undecodable: {0}")]
    Decode(#[from] DecodeError),
    #[error("invalid: {0}")]
    Invalid(#[from] ValidationError),
}

#[derive(Serialize, Deserialize)]
struct WireEnvelope<'a> {
    event_id: EventId,
    code: u16,
    version: u16,
    institution: CreditCode,
    region: RegionCode,
    producer: Producer,
    occurred_at: UtcTime,
    #[serde(borrow)]
    payload: &'a [u8],
}

/// Encodes an envelope in the canonical postcard format.
pub fn encode(envelope: &Envelope) -> Vec<u8> {
    let payload = envelope.event.encode_payload();
    let info = envelope.event.info();
    let wire = WireEnvelope {
        event_id: envelope.event_id,
        code: info.code,
        version: info.version,
        institution: envelope.institution.clone(),
        region: envelope.region,
        producer: envelope.producer.clone(),
        occurred_at: envelope.occurred_at,
        payload: &payload,
    };
    let mut out = Vec::with_capacity(payload.len() + 96);
    out.push(WIRE_FORMAT_V1);
    // Serialising into a growable Vec cannot fail for this struct (see catalog::encode_payload).
    match postcard::to_extend(&wire, out) {
        Ok(bytes) => bytes,
        Err(_) => unreachable!("postcard serialises WireEnvelope into a Vec"),
    }
}

/// Decodes the canonical postcard format. Never panics, whatever the bytes.
pub fn decode(bytes: &[u8]) -> Result<Envelope, DecodeError> {
    let (&format, rest) = bytes.split_first().ok_or(DecodeError::Empty)?;
    if bytes.len() > EVENT_BYTES_MAX {
        return Err(DecodeError::TooLarge(bytes.len()));
    }
    if format != WIRE_FORMAT_V1 {
        return Err(DecodeError::UnknownFormat(format));
    }
    let (wire, trailing): (WireEnvelope<'_>, &[u8]) =
        postcard::take_from_bytes(rest).map_err(|e| DecodeError::Envelope(e.to_string()))?;
    if !trailing.is_empty() {
        return Err(DecodeError::TrailingBytes(trailing.len()));
    }
    let event = Event::decode_payload(wire.code, wire.version, wire.payload)?;
    Ok(Envelope {
        event_id: wire.event_id,
        institution: wire.institution,
        region: wire.region,
        producer: wire.producer,
        occurred_at: wire.occurred_at,
        event,
    })
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonEnvelope {
    event_id: EventId,
    #[serde(rename = "type")]
    event_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<u16>,
    institution: CreditCode,
    region: RegionCode,
    producer: Producer,
    occurred_at: UtcTime,
    data: serde_json::Value,
}

/// Decodes the JSON format. Errors name the field at fault, e.g. `data.sessions[0].end`.
pub fn decode_json(bytes: &[u8]) -> Result<Envelope, DecodeError> {
    if bytes.len() > EVENT_BYTES_MAX {
        return Err(DecodeError::TooLarge(bytes.len()));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(DecodeError::Empty);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let json: JsonEnvelope = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        DecodeError::Json {
            field: if path == "." {
                "(envelope)".into()
            } else {
                path
            },
            message: e.into_inner().to_string(),
        }
    })?;
    de.end().map_err(|e| DecodeError::Json {
        field: "(envelope)".into(),
        message: e.to_string(),
    })?;
    let info = event_type_by_name(&json.event_type)
        .ok_or_else(|| DecodeError::UnknownEventType(json.event_type.chars().take(64).collect()))?;
    let version = json.version.unwrap_or(info.version);
    let event = Event::decode_json(info.name, version, json.data)?;
    Ok(Envelope {
        event_id: json.event_id,
        institution: json.institution,
        region: json.region,
        producer: json.producer,
        occurred_at: json.occurred_at,
        event,
    })
}

/// Encodes an envelope as JSON (what a non-Rust producer would send).
pub fn encode_json(envelope: &Envelope) -> Result<Vec<u8>, serde_json::Error> {
    let info = envelope.event.info();
    let json = JsonEnvelope {
        event_id: envelope.event_id,
        event_type: info.name.to_owned(),
        version: Some(info.version),
        institution: envelope.institution.clone(),
        region: envelope.region,
        producer: envelope.producer.clone(),
        occurred_at: envelope.occurred_at,
        data: envelope.event.to_json_data()?,
    };
    serde_json::to_vec(&json)
}
