//! The unified social credit code (统一社会信用代码, GB 32100) that identifies an institution.
//!
//! Parsing checks the format only (rule USCC_FORMAT); the check character (rule USCC_CHECKSUM) is
//! verified by [`CreditCode::checksum_is_valid`], because some legally valid early codes fail it and
//! the list of those is configuration (see `ValidationContext`), not something a parser can know.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::region::RegionCode;

/// The 31 characters a credit code may use, in the order that gives each its value (no I, O, S, V, Z).
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights 3^(i-1) mod 31 for the first 17 characters.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Length of every credit code, in characters.
pub const CREDIT_CODE_LEN: usize = 18;

/// An 18-character unified social credit code whose format has been checked, held inside the
/// value as its 18 ASCII bytes (no allocation of its own).
///
/// It orders as its text does (byte by byte), compared as three big-endian integers: the
/// projector keys most of its maps by institution, and comparing codes was a third of its fold's
/// instructions while they were held as strings.
///
/// **Invariant:** exactly 18 characters of the credit-code alphabet, characters 3 to 8 digits.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CreditCode([u8; CREDIT_CODE_LEN]);

impl CreditCode {
    /// The code as three big-endian integers, which order as its bytes do.
    #[inline]
    fn order_key(&self) -> (u64, u64, u16) {
        let [a0, a1, a2, a3, a4, a5, a6, a7, b0, b1, b2, b3, b4, b5, b6, b7, c0, c1] = self.0;
        (
            u64::from_be_bytes([a0, a1, a2, a3, a4, a5, a6, a7]),
            u64::from_be_bytes([b0, b1, b2, b3, b4, b5, b6, b7]),
            u16::from_be_bytes([c0, c1]),
        )
    }
}

impl Ord for CreditCode {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        self.order_key().cmp(&other.order_key())
    }
}

impl PartialOrd for CreditCode {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Why a string is not a credit code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error("a credit code has 18 characters, this one has {0}")]
    Length(usize),
    #[error("character {position} ({found:?}) is not one of 0-9 A-H J-N P Q R T U W X Y")]
    Character { position: usize, found: char },
    #[error("characters 3 to 8 are the registering authority's region code and must be digits; character {position} is {found:?}")]
    RegionDigits { position: usize, found: char },
}

fn value_of(byte: u8) -> Option<u32> {
    ALPHABET
        .iter()
        .position(|&c| c == byte)
        .and_then(|i| u32::try_from(i).ok())
}

impl CreditCode {
    /// Checks the format (rule USCC_FORMAT) and keeps the code. Lower case is folded to upper case.
    pub fn parse(text: &str) -> Result<Self, CreditCodeError> {
        let code = text.trim().to_ascii_uppercase();
        let chars = code.chars().count();
        if chars != CREDIT_CODE_LEN {
            return Err(CreditCodeError::Length(chars));
        }
        for (index, found) in code.chars().enumerate() {
            let position = index + 1;
            if (3..=8).contains(&position) {
                if !found.is_ascii_digit() {
                    return Err(CreditCodeError::RegionDigits { position, found });
                }
            } else if !found.is_ascii() || value_of(found as u8).is_none() {
                return Err(CreditCodeError::Character { position, found });
            }
        }
        // Every character was checked to be ASCII above, so the text is exactly 18 bytes.
        let bytes = <[u8; CREDIT_CODE_LEN]>::try_from(code.as_bytes())
            .map_err(|_| CreditCodeError::Length(code.len()))?;
        Ok(Self(bytes))
    }

    /// The check character the first 17 characters call for (rule USCC_CHECKSUM).
    pub fn expected_check_char(&self) -> char {
        let sum: u32 = self
            .0
            .iter()
            .copied()
            .take(17)
            .zip(WEIGHTS)
            .map(|(byte, weight)| value_of(byte).unwrap_or(0) * weight)
            .sum();
        let check = (31 - sum % 31) % 31;
        char::from(ALPHABET[check as usize])
    }

    /// Whether the 18th character matches the checksum of the first 17.
    pub fn checksum_is_valid(&self) -> bool {
        self.as_str().ends_with(self.expected_check_char())
    }

    /// The registering authority's region (characters 3 to 8), as written in the code.
    pub fn registering_region(&self) -> &str {
        &self.as_str()[2..8]
    }

    /// Whether the code says "registered by civil affairs as a private non-enterprise unit" (prefix
    /// 52), which is what a non-profit subject-training institution is expected to carry.
    pub fn is_civil_affairs_non_enterprise(&self) -> bool {
        self.0.starts_with(b"52")
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // The invariant says these are ASCII characters, which are valid UTF-8.
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// Whether the registering region is a well-formed region code (it may be a retired one).
    pub fn registering_region_is_well_formed(&self) -> bool {
        RegionCode::parse(self.registering_region()).is_ok()
    }
}

impl TryFrom<String> for CreditCode {
    type Error = CreditCodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CreditCode> for String {
    fn from(value: CreditCode) -> Self {
        value.as_str().to_owned()
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CreditCode({})", self.as_str())
    }
}

impl AsRef<str> for CreditCode {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standards_worked_example_checks_out() {
        let code = CreditCode::parse("91350100M000100Y43").expect("well-formed");
        assert_eq!(code.expected_check_char(), '3');
        assert!(code.checksum_is_valid());
    }

    #[test]
    fn a_code_encodes_as_the_string_it_holds() {
        let code = CreditCode::parse("91350100M000100Y43").expect("well-formed");
        crate::ids::assert_encodes_as_its_text(&code, "91350100M000100Y43");
    }

    #[test]
    fn the_synthetic_example_from_the_rules_is_valid() {
        let code = CreditCode::parse("52440200MJL123454R").expect("well-formed");
        assert!(code.checksum_is_valid());
        assert!(code.is_civil_affairs_non_enterprise());
        assert_eq!(code.registering_region(), "440200");
    }

    #[test]
    fn a_forum_code_reported_as_failing_actually_passes() {
        let code = CreditCode::parse("9131000063159284XQ").expect("well-formed");
        assert!(code.checksum_is_valid());
    }

    #[test]
    fn known_legacy_codes_are_well_formed_but_fail_the_checksum() {
        for text in ["91350100M0001TGQXM", "91350211M0000XUF46"] {
            let code = CreditCode::parse(text).expect("well-formed");
            assert!(!code.checksum_is_valid(), "{text}");
        }
    }

    #[test]
    fn a_changed_check_character_fails() {
        let code = CreditCode::parse("52440200MJL123454Q").expect("well-formed");
        assert!(!code.checksum_is_valid());
    }

    #[test]
    fn format_errors_name_what_is_wrong() {
        assert_eq!(
            CreditCode::parse("5244020"),
            Err(CreditCodeError::Length(7))
        );
        assert_eq!(
            CreditCode::parse("52440200MJL12345IR"),
            Err(CreditCodeError::Character {
                position: 17,
                found: 'I'
            })
        );
        assert_eq!(
            CreditCode::parse("524402A0MJL123454R"),
            Err(CreditCodeError::RegionDigits {
                position: 7,
                found: 'A'
            })
        );
    }

    #[test]
    fn codes_order_as_their_text_does() {
        let texts = [
            "52440200MJL123454R",
            "52440200MJL123454Q",
            "91350100M000100Y43",
            "12440200MJL123454R",
            "52440200MJL12345AR",
            "52440200MJL123454Y",
            "5244020000000000A0",
            "524402000000000000",
        ];
        let codes: Vec<CreditCode> = texts
            .iter()
            .map(|t| CreditCode::parse(t).expect("well-formed"))
            .collect();
        for (a, code_a) in texts.iter().zip(&codes) {
            for (b, code_b) in texts.iter().zip(&codes) {
                assert_eq!(code_a.cmp(code_b), a.cmp(b), "{a} against {b}");
            }
        }
    }

    #[test]
    fn lower_case_is_folded() {
        let code = CreditCode::parse("52440200mjl123454r").expect("well-formed");
        assert_eq!(code.as_str(), "52440200MJL123454R");
    }
}
