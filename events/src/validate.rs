//! Validation of decoded events: typed errors that name the field at fault.
//!
//! Parsing the newtypes already enforces formats (credit codes, region codes, tokens, text
//! limits). What is left for validation are the rules that span fields (an end before its start),
//! amounts that must be positive, collection sizes, and the credit-code checksum, which depends on
//! configuration (the list of legacy codes that fail it but are legally valid). Free text that
//! people read is checked here too (`display_text`): bidi controls and invisible text are
//! refused before an event is accepted, never when a logged one is decoded.

use std::collections::BTreeSet;

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory as _};

use crate::credit_code::CreditCode;
use crate::ids::{Text, TEXT_CHARS_MAX};

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
    #[error("{0} is not a region of GB/T 2260 (table: {dataset})", dataset = crate::gbt2260::DATASET)]
    UnknownRegion(String),
    /// Disagrees with another field or with itself; `en` and `zh` say how.
    #[error("{en}")]
    Inconsistent { en: String, zh: String },
    #[error("contains the bidirectional control {}, which can make text display in another order than it is stored", code_point(*.0))]
    BidiControl(char),
    #[error("contains the invisible control or format character {}", code_point(*.0))]
    InvisibleCharacter(char),
    #[error("has nothing visible: only whitespace or invisible characters")]
    NothingVisible,
    #[error("is {0} characters long once normalised (NFC), the most is {TEXT_CHARS_MAX}")]
    TooLongNormalised(usize),
}

impl Problem {
    /// A field that disagrees with another, said in Chinese and in English.
    pub fn inconsistent(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Problem::Inconsistent {
            en: en.into(),
            zh: zh.into(),
        }
    }

    /// What is wrong, in Chinese (the `Display` is English).
    pub fn text_zh(&self) -> String {
        match self {
            Problem::CreditCodeChecksum { code, expected } => format!(
                "统一社会信用代码 {code} 校验位不符（应为 {expected}），且不在配置的历史代码中"
            ),
            Problem::EndNotAfterStart { start, end } => {
                format!("结束时间 {end} 不晚于开始时间 {start}")
            }
            Problem::NotPositive => "必须大于零".to_owned(),
            Problem::TooMany { count, max } => format!("有 {count} 项，最多 {max} 项"),
            Problem::Empty => "不能为空".to_owned(),
            Problem::UnknownRegion(code) => format!(
                "{code} 不是 GB/T 2260 中的行政区划（数据集：{}）",
                crate::gbt2260::DATASET
            ),
            Problem::Inconsistent { zh, .. } => zh.clone(),
            Problem::BidiControl(c) => format!(
                "含有双向控制字符 {}，可能使文字显示顺序与存储顺序不同",
                code_point(*c)
            ),
            Problem::InvisibleCharacter(c) => {
                format!("含有不可见的控制或格式字符 {}", code_point(*c))
            }
            Problem::NothingVisible => "没有可见内容：只有空白或不可见字符".to_owned(),
            Problem::TooLongNormalised(n) => {
                format!("规范化（NFC）后长 {n} 个字符，最多 {TEXT_CHARS_MAX} 个")
            }
        }
    }
}

/// `U+202E`: how a code point is named in messages.
fn code_point(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
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
    /// The error in Chinese: the field and what is wrong with it.
    pub fn message_zh(&self) -> String {
        format!("{}：{}", self.field, self.problem.text_zh())
    }

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

/// Checks that a region code names a division of the GB/T 2260 table.
pub fn known_region(field: &str, region: &crate::region::RegionCode) -> Validation {
    if crate::gbt2260::knows(*region) {
        return Ok(());
    }
    Err(ValidationError::new(
        field,
        Problem::UnknownRegion(region.to_string()),
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

/// Whether `c` reorders text on screen: the embeddings, overrides and isolates (U+202A–U+202E,
/// U+2066–U+2069) and the implicit marks (U+200E, U+200F, U+061C).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Whether `c` is a control or format character (categories Cc, Cf: zero-width spaces and
/// joiners, the BOM, soft hyphens, tags) or a line or paragraph separator (Zl, Zp).
fn is_invisible_control(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    )
}

/// Whether `c` shows nothing by itself: whitespace, and the default-ignorable code points that
/// are letters or marks (Hangul fillers, the combining grapheme joiner, variation selectors,
/// Khmer inherent vowels, Mongolian variation selectors), and the blank Braille pattern.
fn is_blank(c: char) -> bool {
    c.is_whitespace()
        || is_invisible_control(c)
        || matches!(
            c,
            '\u{034F}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FFA0}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// Checks free text that reaches a public page or an officer's screen (names, addresses, titles,
/// reasons, notes, ad text): no bidi controls, no other control or format characters, and, when
/// there is any text, something visible. `Text` is already NFC (parsing normalises); its length
/// is checked again here because normalising can, rarely, lengthen it.
///
/// This is validation, not parsing, so entries already in the log keep decoding.
pub fn display_text(field: &str, text: &Text) -> Validation {
    let text = text.as_str();
    if let Some(c) = text.chars().find(|&c| is_bidi_control(c)) {
        return Err(ValidationError::new(field, Problem::BidiControl(c)));
    }
    if let Some(c) = text.chars().find(|&c| is_invisible_control(c)) {
        return Err(ValidationError::new(field, Problem::InvisibleCharacter(c)));
    }
    if !text.is_empty() && text.chars().all(is_blank) {
        return Err(ValidationError::new(field, Problem::NothingVisible));
    }
    let chars = text.chars().count();
    if chars > TEXT_CHARS_MAX {
        return Err(ValidationError::new(
            field,
            Problem::TooLongNormalised(chars),
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
