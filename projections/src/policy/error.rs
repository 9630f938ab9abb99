//! Why a policy file was refused. Every error names the key at fault.

/// A policy file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("policy key `{key}`: {message}")]
    Syntax { key: String, message: String },
    #[error("policy key `version` must not be empty")]
    EmptyVersion,
    #[error("policy key `regions.{key}`: not a GB/T 2260 region code: {message}")]
    Region { key: String, message: String },
    #[error("policy key `{key}`: entries must be in increasing `from` order, one per date")]
    Unordered { key: String },
    #[error("policy key `{key}`: the range ends ({to}) before it starts ({from})")]
    BackwardsRange {
        key: String,
        from: String,
        to: String,
    },
    #[error("policy key `{key}`: make-up working day {date} is not a Saturday or Sunday")]
    MakeupNotWeekend { key: String, date: String },
    #[error("policy key `{key}`: date {date} is not in year {year}")]
    WrongYear {
        key: String,
        date: String,
        year: i16,
    },
    #[error("policy key `calendar`: year {0} appears twice")]
    DuplicateYear(i16),
    #[error("policy key `{key}`: {message}")]
    Invalid { key: String, message: String },
}
