//! Instants in UTC.
//!
//! On the wire and in the log an instant is stored as nanoseconds since the Unix epoch, so nothing
//! is lost and the encoding is compact. In JSON it is RFC 3339 text that must carry an explicit
//! offset (`Z` or `+08:00`): a time without a zone is refused, never guessed.

use std::fmt;

use jiff::Timestamp;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant, stored in UTC.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcTime(Timestamp);

impl UtcTime {
    /// Wraps a jiff timestamp.
    pub fn from_timestamp(timestamp: Timestamp) -> Self {
        Self(timestamp)
    }

    /// The current time. Only edges (ingest, producers) call this; projections never do.
    pub fn now() -> Self {
        Self(Timestamp::now())
    }

    /// Parses RFC 3339 text with an explicit offset.
    pub fn parse(text: &str) -> Result<Self, jiff::Error> {
        text.parse::<Timestamp>().map(Self)
    }

    /// The jiff timestamp.
    pub fn timestamp(&self) -> Timestamp {
        self.0
    }

    /// Nanoseconds since the Unix epoch.
    pub fn as_nanos(&self) -> i128 {
        self.0.as_nanosecond()
    }

    /// From nanoseconds since the Unix epoch.
    pub fn from_nanos(nanos: i128) -> Result<Self, jiff::Error> {
        Timestamp::from_nanosecond(nanos).map(Self)
    }

    /// Whole seconds from `earlier` to `self` (negative if `earlier` is later).
    pub fn seconds_since(&self, earlier: &UtcTime) -> i64 {
        self.0.as_second() - earlier.0.as_second()
    }
}

impl Serialize for UtcTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(&self.0)
        } else {
            serializer.serialize_i128(self.as_nanos())
        }
    }
}

impl<'de> Deserialize<'de> for UtcTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            let text = String::deserialize(deserializer)?;
            UtcTime::parse(&text).map_err(|e| {
                D::Error::custom(format!(
                    "{text:?} is not an RFC 3339 time with an explicit offset: {e}"
                ))
            })
        } else {
            let nanos = i128::deserialize(deserializer)?;
            UtcTime::from_nanos(nanos).map_err(D::Error::custom)
        }
    }
}

impl fmt::Display for UtcTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for UtcTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UtcTime({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_required_and_normalised_to_utc() {
        let t = UtcTime::parse("2025-09-01T20:30:00+08:00").expect("has an offset");
        assert_eq!(t.to_string(), "2025-09-01T12:30:00Z");
        assert!(UtcTime::parse("2025-09-01T20:30:00").is_err());
    }

    #[test]
    fn json_refuses_a_time_without_a_zone() {
        let err = serde_json::from_str::<UtcTime>("\"2025-09-01 20:30\"").expect_err("no zone");
        assert!(err.to_string().contains("explicit offset"), "{err}");
    }

    #[test]
    fn postcard_keeps_nanoseconds() {
        let t = UtcTime::from_nanos(1_700_000_000_123_456_789).expect("in range");
        let bytes = postcard::to_allocvec(&t).expect("encodes");
        let back: UtcTime = postcard::from_bytes(&bytes).expect("decodes");
        assert_eq!(back, t);
    }
}
