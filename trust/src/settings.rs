//! The policy's settings: how far ahead of the receiving clock a producer's clock may run.

use serde::Deserialize;

/// `[trust]` in the settings file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrustSettings {
    /// An event's `occurred_at` (or a statement's date) may be at most this many seconds ahead
    /// of the time it is received; later ones are refused as future-dated. Default 300.
    pub clock_skew_max_s: u32,
}

impl Default for TrustSettings {
    fn default() -> Self {
        Self {
            clock_skew_max_s: 300,
        }
    }
}
