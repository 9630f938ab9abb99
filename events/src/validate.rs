//! Validation of decoded events: typed errors that name the field at fault.
//!
//! Parsing the newtypes already enforces formats (credit codes, region codes, tokens, text
//! limits). What is left for validation are the rules that span fields (an end before its start),
//! amounts that must be positive, collection sizes, and the credit-code checksum, which depends on
//! configuration (the list of legacy codes that fail it but are legally valid).

use std::collections::BTreeSet;

use crate::credit_code::CreditCode;

/// The most lesson sessions one course event may carry.
pub const SESSIONS_PER_COURSE_MAX: usize = 1_000;
/// The most items in any other list field (sites, teachers, subjects).
pub const LIST_ITEMS_MAX: usize = 200;

/// Configuration that validation needs.
#[derive(Debug, Clone, Default)]
pub struct ValidationContext {
    /// Credit codes that fail the checksum but are legally valid (rule USCC_LEGACY_EXCEPTIONS).
    pub legacy_credit_codes: BTreeSet<CreditCode>,
}

impl ValidationContext {
    /// A context that accepts the given legacy codes.
    pub fn with_legacy_codes(codes: impl IntoIterator<Item = CreditCode>) -> Self {
        Self {
            legacy_credit_codes: codes.into_iter().collect(),
        }
    }
}

/// What is wrong with a field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("credit code {code} fails its checksum (expected check character {expected:?}) and is not a configured legacy code")]
    CreditCodeChecksum { code: String, expected: char },
    #[error("ends at {end}, which is not after its start {start}")]
    EndNotAfterStart { start: String, end: String },
    #[error("must be more than zero")]
    NotPositive,
    #[error("has {count} items, the most is {max}")]
    TooMany { count: usize, max: usize },
    #[error("must not be empty")]
    Empty,
    #[error("{0}")]
    Inconsistent(String),
}

/// A field that failed validation, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct ValidationError {
    /// The field's path, e.g. `data.sessions[3].end`.
    pub field: String,
    /// What is wrong with it.
    pub problem: Problem,
}

impl ValidationError {
    /// An error for `field`.
    pub fn new(field: impl Into<String>, problem: Problem) -> Self {
        Self {
            field: field.into(),
            problem,
        }
    }
}

/// The result of validating one thing.
pub type Validation = Result<(), ValidationError>;

/// Checks the credit code's checksum, unless it is a configured legacy code.
pub fn credit_code(field: &str, code: &CreditCode, ctx: &ValidationContext) -> Validation {
    if code.checksum_is_valid() || ctx.legacy_credit_codes.contains(code) {
        return Ok(());
    }
    Err(ValidationError::new(
        field,
        Problem::CreditCodeChecksum {
            code: code.to_string(),
            expected: code.expected_check_char(),
        },
    ))
}

/// Checks that a count is more than zero.
pub fn positive(field: &str, value: u64) -> Validation {
    if value == 0 {
        return Err(ValidationError::new(field, Problem::NotPositive));
    }
    Ok(())
}

/// Checks a list's length against `max`, and that it is not empty when `required`.
pub fn list_len<T>(field: &str, items: &[T], max: usize, required: bool) -> Validation {
    if required && items.is_empty() {
        return Err(ValidationError::new(field, Problem::Empty));
    }
    if items.len() > max {
        return Err(ValidationError::new(
            field,
            Problem::TooMany {
                count: items.len(),
                max,
            },
        ));
    }
    Ok(())
}

/// Checks that `end` is strictly after `start`.
pub fn ordered<T: PartialOrd + std::fmt::Display>(field: &str, start: &T, end: &T) -> Validation {
    if end <= start {
        return Err(ValidationError::new(
            field,
            Problem::EndNotAfterStart {
                start: start.to_string(),
                end: end.to_string(),
            },
        ));
    }
    Ok(())
}

/// Rules within one event's data that formats alone cannot express.
pub trait Validate {
    /// Checks the data; the default has nothing more to check.
    fn validate(&self) -> Validation {
        Ok(())
    }
}
