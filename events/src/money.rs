//! Money as integer fen (分, 1/100 yuan). There are no floats anywhere in Tutorwatch's money path.

use std::fmt;
use std::iter::Sum;

use serde::{Deserialize, Serialize};

/// An amount of money in fen. Never negative: a debit is a different event, not a negative amount.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fen(u64);

/// Arithmetic on fen left the range of `u64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("money arithmetic overflowed")]
pub struct MoneyOverflow;

impl Fen {
    /// No money.
    pub const ZERO: Fen = Fen(0);

    /// An amount of fen.
    pub const fn new(fen: u64) -> Self {
        Self(fen)
    }

    /// Whole yuan, as fen.
    pub const fn yuan(yuan: u64) -> Self {
        Self(yuan * 100)
    }

    /// The amount in fen.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// Whether the amount is zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self + other`, or an error on overflow.
    pub fn checked_add(self, other: Fen) -> Result<Fen, MoneyOverflow> {
        self.0.checked_add(other.0).map(Fen).ok_or(MoneyOverflow)
    }

    /// `self - other`, or `None` when `other` is larger.
    pub fn checked_sub(self, other: Fen) -> Option<Fen> {
        self.0.checked_sub(other.0).map(Fen)
    }

    /// `self - other`, floored at zero.
    pub fn saturating_sub(self, other: Fen) -> Fen {
        Fen(self.0.saturating_sub(other.0))
    }

    /// `self + other`, capped at the largest amount (for running totals that only warn).
    pub fn saturating_add(self, other: Fen) -> Fen {
        Fen(self.0.saturating_add(other.0))
    }

    /// `self * factor`, or an error on overflow.
    pub fn checked_mul(self, factor: u64) -> Result<Fen, MoneyOverflow> {
        self.0.checked_mul(factor).map(Fen).ok_or(MoneyOverflow)
    }
}

impl Sum for Fen {
    fn sum<I: Iterator<Item = Fen>>(iter: I) -> Self {
        iter.fold(Fen::ZERO, Fen::saturating_add)
    }
}

impl fmt::Display for Fen {
    /// Shows yuan with two decimals, e.g. `¥1234.05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "¥{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl fmt::Debug for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fen({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_as_yuan_with_two_decimals() {
        assert_eq!(Fen::new(123_405).to_string(), "¥1234.05");
        assert_eq!(Fen::yuan(5000).to_string(), "¥5000.00");
    }

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(
            Fen::new(u64::MAX).checked_add(Fen::new(1)),
            Err(MoneyOverflow)
        );
        assert_eq!(Fen::new(1).checked_sub(Fen::new(2)), None);
        assert_eq!(Fen::new(1).saturating_sub(Fen::new(2)), Fen::ZERO);
    }
}
