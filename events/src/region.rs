//! Administrative division codes (GB/T 2260, rule ADMIN_DIV_CODE) and their hierarchy.
//!
//! A code is six digits: province, prefecture, county. Trailing `00` pairs mean "the whole level
//! above", so `440000` is Guangdong, `440200` is Shaoguan and `440203` one district in it. Retired
//! codes stay well-formed: the registry changes, old events do not.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Province prefixes that GB/T 2260 assigns.
const PROVINCE_PREFIXES: &[u8] = &[
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

/// A six-digit administrative division code.
///
/// **Invariant:** six ASCII digits, the first two a province prefix GB/T 2260 assigns.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode([u8; 6]);

/// Why a string is not a region code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionCodeError {
    #[error("a region code has 6 digits, this one is {0:?}")]
    Shape(String),
    #[error("{0} is not a province prefix of GB/T 2260")]
    Province(String),
}

/// The level a region code names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionLevel {
    Province,
    Prefecture,
    County,
}

impl RegionCode {
    /// Parses six digits with a known province prefix.
    pub fn parse(text: &str) -> Result<Self, RegionCodeError> {
        let bytes = text.as_bytes();
        if bytes.len() != 6 || !bytes.iter().all(u8::is_ascii_digit) {
            return Err(RegionCodeError::Shape(text.to_owned()));
        }
        let province = (bytes[0] - b'0') * 10 + (bytes[1] - b'0');
        if !PROVINCE_PREFIXES.contains(&province) {
            return Err(RegionCodeError::Province(text[..2].to_owned()));
        }
        let mut digits = [0u8; 6];
        digits.copy_from_slice(bytes);
        Ok(Self(digits))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // The invariant says these are ASCII digits, which are valid UTF-8.
        std::str::from_utf8(&self.0).unwrap_or("000000")
    }

    /// Which level of the hierarchy this code names.
    pub fn level(&self) -> RegionLevel {
        if &self.0[2..] == b"0000" {
            RegionLevel::Province
        } else if &self.0[4..] == b"00" {
            RegionLevel::Prefecture
        } else {
            RegionLevel::County
        }
    }

    /// Whether `other` lies within this region (a region contains itself).
    pub fn contains(&self, other: &RegionCode) -> bool {
        match self.level() {
            RegionLevel::Province => self.0[..2] == other.0[..2],
            RegionLevel::Prefecture => self.0[..4] == other.0[..4],
            RegionLevel::County => self == other,
        }
    }

    /// The prefecture this region is or belongs to; `None` for a province.
    pub fn prefecture(&self) -> Option<RegionCode> {
        if self.level() == RegionLevel::Province {
            return None;
        }
        let mut digits = *b"000000";
        digits[..4].copy_from_slice(&self.0[..4]);
        Some(RegionCode(digits))
    }

    /// The province this region belongs to.
    pub fn province(&self) -> RegionCode {
        let mut digits = *b"000000";
        digits[..2].copy_from_slice(&self.0[..2]);
        RegionCode(digits)
    }

    /// The civil time the region keeps, as an IANA zone: the whole of the mainland keeps Beijing
    /// time (Asia/Shanghai); Taiwan (71), Hong Kong (81) and Macao (82) keep their own zones, all
    /// UTC+8. Institutions are judged in their region's civil time, whatever zone they declare.
    pub fn civil_time_zone(&self) -> &'static str {
        match &self.0[..2] {
            b"71" => "Asia/Taipei",
            b"81" => "Asia/Hong_Kong",
            b"82" => "Asia/Macau",
            _ => "Asia/Shanghai",
        }
    }

    /// The local date at `at` in the region's civil time.
    pub fn local_date(&self, at: crate::time::UtcTime) -> jiff::civil::Date {
        let zone = jiff::tz::TimeZone::get(self.civil_time_zone())
            .unwrap_or_else(|_| jiff::tz::TimeZone::fixed(jiff::tz::offset(8)));
        zone.to_datetime(at.timestamp()).date()
    }

    /// Whether `zone` names the region's civil time (its IANA name or one of that name's links).
    pub fn keeps_time_zone(&self, zone: &str) -> bool {
        let civil = self.civil_time_zone();
        zone == civil
            || (civil == "Asia/Shanghai"
                && matches!(
                    zone,
                    "PRC" | "Asia/Chongqing" | "Asia/Chungking" | "Asia/Harbin"
                ))
    }
}

impl TryFrom<String> for RegionCode {
    type Error = RegionCodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<RegionCode> for String {
    fn from(value: RegionCode) -> Self {
        value.as_str().to_owned()
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegionCode({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> RegionCode {
        RegionCode::parse(text).expect("valid region code")
    }

    #[test]
    fn a_region_names_its_prefecture_and_province() {
        assert_eq!(code("440203").prefecture(), Some(code("440200")));
        assert_eq!(code("440200").prefecture(), Some(code("440200")));
        assert_eq!(code("440000").prefecture(), None);
        assert_eq!(code("440203").province(), code("440000"));
    }

    #[test]
    fn levels_follow_the_trailing_zeros() {
        assert_eq!(code("440000").level(), RegionLevel::Province);
        assert_eq!(code("440200").level(), RegionLevel::Prefecture);
        assert_eq!(code("440203").level(), RegionLevel::County);
    }

    #[test]
    fn a_province_sees_its_cities_and_a_district_only_itself() {
        assert!(code("440000").contains(&code("440203")));
        assert!(code("440200").contains(&code("440203")));
        assert!(!code("440200").contains(&code("440303")));
        assert!(code("440203").contains(&code("440203")));
        assert!(!code("440203").contains(&code("440204")));
        assert!(!code("440203").contains(&code("440200")));
    }

    #[test]
    fn malformed_codes_are_rejected() {
        assert!(matches!(
            RegionCode::parse("4402"),
            Err(RegionCodeError::Shape(_))
        ));
        assert!(matches!(
            RegionCode::parse("44020a"),
            Err(RegionCodeError::Shape(_))
        ));
        assert!(matches!(
            RegionCode::parse("990000"),
            Err(RegionCodeError::Province(_))
        ));
        assert!(matches!(
            RegionCode::parse("４40200"),
            Err(RegionCodeError::Shape(_))
        ));
    }
}
