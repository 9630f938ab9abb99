//! Identifier newtypes and bounded text.
//!
//! Every identifier that producers choose is a short token of `[A-Za-z0-9._:-]`, so it can appear in
//! a NATS subject, a URL or a log line without escaping. Free text is bounded too. Parsing is the
//! only way to build one, so a value of these types is always within its limits. Identifiers are
//! held in a [`CompactString`]: one of up to 24 bytes (most are) lives inside the value, with no
//! allocation of its own, which matters for the millions of them the projector keeps.

use std::fmt;

use compact_str::CompactString;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization as _;
use uuid::Uuid;

/// The longest identifier token, in bytes.
pub const TOKEN_BYTES_MAX: usize = 64;
/// The longest free-text field (names, addresses, reasons, notes), in characters.
pub const TEXT_CHARS_MAX: usize = 500;

/// Why a string is not an identifier token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("must not be empty")]
    Empty,
    #[error("is {0} bytes long, the most is {TOKEN_BYTES_MAX}")]
    TooLong(usize),
    #[error("has {0:?}, only letters, digits and . _ : - are allowed")]
    Character(char),
}

fn check_token(text: &str) -> Result<(), TokenError> {
    if text.is_empty() {
        return Err(TokenError::Empty);
    }
    if text.len() > TOKEN_BYTES_MAX {
        return Err(TokenError::TooLong(text.len()));
    }
    match text
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-')))
    {
        Some(c) => Err(TokenError::Character(c)),
        None => Ok(()),
    }
}

macro_rules! token_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(CompactString);

        impl $name {
            /// Checks the token rules and keeps the value.
            pub fn parse(text: &str) -> Result<Self, TokenError> {
                check_token(text)?;
                Ok(Self(CompactString::from(text)))
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = TokenError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                check_token(&value)?;
                Ok(Self(CompactString::from(value)))
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0.into_string()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

token_id!(
    /// A course, as the institution names it.
    CourseId
);
token_id!(
    /// One planned lesson of a course.
    LessonId
);
token_id!(
    /// An approved teaching site of an institution.
    SiteId
);
token_id!(
    /// A teacher, as the institution names them (never a person's name or national id).
    TeacherId
);
token_id!(
    /// A training contract between an institution and a family.
    ContractId
);
token_id!(
    /// A supervised (escrow) account.
    AccountId
);
token_id!(
    /// An API token's public handle (the first hex digits of its hash), recorded with each event
    /// written through the HTTP API.
    TokenId
);
token_id!(
    /// An escrow bank.
    BankId
);
token_id!(
    /// A market-supervision or education officer.
    OfficerId
);
token_id!(
    /// An institution's school-running licence (办学许可证) number.
    LicenceNo
);
token_id!(
    /// A teacher qualification certificate (教师资格证) number.
    CertificateNo
);
token_id!(
    /// An advertisement an inspector observed.
    AdId
);

/// A pseudonymous reference to a student, chosen by the institution or bank.
///
/// Tutorwatch stores no names or contact data: a reference that is all digits and as long as a
/// phone or identity-card number is refused, so a careless producer cannot slip one in.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StudentRef(CompactString);

/// Why a string is not a pseudonymous student reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StudentRefError {
    #[error("student reference {0}")]
    Token(#[from] TokenError),
    #[error("looks like a phone or identity number; send a pseudonymous reference instead")]
    LooksPersonal,
}

impl StudentRef {
    /// Checks the reference and keeps it.
    pub fn parse(text: &str) -> Result<Self, StudentRefError> {
        check_token(text)?;
        let digits = text.chars().filter(char::is_ascii_digit).count();
        if digits >= 11 && digits + 1 >= text.len() {
            return Err(StudentRefError::LooksPersonal);
        }
        Ok(Self(CompactString::from(text)))
    }

    /// The reference as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for StudentRef {
    type Error = StudentRefError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<StudentRef> for String {
    fn from(value: StudentRef) -> Self {
        value.0.into_string()
    }
}

impl fmt::Debug for StudentRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StudentRef({})", self.0)
    }
}

impl fmt::Display for StudentRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Free text of at most [`TEXT_CHARS_MAX`] characters, with no control characters, kept in
/// Unicode normalisation form C (NFC).
///
/// Parsing (and so deserialising, from JSON or postcard) normalises, so text that differs only in
/// how it is composed (`é` as one code point or as `e` + U+0301) is stored, compared and shown as
/// one. Parsing never refuses more than it did before normalisation was added: an entry already
/// in the log decodes as it always did. What readers must not be shown (bidi controls, invisible
/// text) is refused by validation, before an event is accepted (`validate::display_text`).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Text(String);

/// Why a string is not acceptable free text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("is {0} characters long, the most is {TEXT_CHARS_MAX}")]
    TooLong(usize),
    #[error("contains a control character")]
    Control,
}

impl Text {
    /// Checks the limits and keeps the text.
    pub fn parse(text: &str) -> Result<Self, TextError> {
        let chars = text.chars().count();
        if chars > TEXT_CHARS_MAX {
            return Err(TextError::TooLong(chars));
        }
        if text.chars().any(char::is_control) {
            return Err(TextError::Control);
        }
        // The limits are checked on the text as given, so normalising can never make a stored
        // entry fail to decode; validation checks the normalised length of new input.
        if unicode_normalization::is_nfc(text) {
            return Ok(Self(text.to_owned()));
        }
        Ok(Self(text.nfc().collect()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Text {
    type Error = TextError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Text> for String {
    fn from(value: Text) -> Self {
        value.0
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An event's id: a UUID chosen by the producer (v7 expected), and the idempotency key end to end.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventId(Uuid);

/// Orders as the id's 16 bytes do, compared as one big-endian integer: the projector keeps
/// millions of these as map keys and sorts them into every list reason.
impl Ord for EventId {
    #[inline]
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.as_u128().cmp(&other.0.as_u128())
    }
}

impl PartialOrd for EventId {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl EventId {
    /// A new time-ordered (v7) id, for producers written in Rust.
    pub fn new_v7() -> Self {
        Self(Uuid::now_v7())
    }

    /// Wraps an existing UUID.
    pub fn from_uuid(uuid: Uuid) -> Self {
        Self(uuid)
    }

    /// The UUID.
    pub fn as_uuid(&self) -> &Uuid {
        &self.0
    }

    /// The 16 bytes of the UUID, as used for keys.
    pub fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventId({})", self.0)
    }
}

impl std::str::FromStr for EventId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

/// A finding's id: derived by the projections from the finding's content, so a replay gives the
/// same id. Officers' case actions refer to findings by it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FindingId(Uuid);

/// Orders as the id's 16 bytes do, compared as one big-endian integer: the projector keeps
/// millions of these as map keys and sorts them into every list reason.
impl Ord for FindingId {
    #[inline]
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.as_u128().cmp(&other.0.as_u128())
    }
}

impl PartialOrd for FindingId {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl FindingId {
    /// Wraps the 16 bytes a projection derived.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(Uuid::from_bytes(bytes))
    }

    /// The UUID.
    pub fn as_uuid(&self) -> &Uuid {
        &self.0
    }
}

impl fmt::Display for FindingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for FindingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FindingId({})", self.0)
    }
}

/// Asserts that `value` encodes exactly as the string `text` and decodes back to itself: logs
/// and snapshots written when identifiers were `String`s must read back the same. For the
/// identifier tests of this crate.
#[cfg(test)]
pub(crate) fn assert_encodes_as_its_text<T>(value: &T, text: &str)
where
    T: Serialize + serde::de::DeserializeOwned + PartialEq + fmt::Debug,
{
    let encoded = postcard::to_allocvec(value).expect("encodes");
    assert_eq!(encoded, postcard::to_allocvec(text).expect("encodes"));
    assert_eq!(
        &postcard::from_bytes::<T>(&encoded).expect("decodes"),
        value
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn ids_order_as_their_bytes_do(
            a in any::<[u8; 16]>(),
            at in 0..16usize,
            byte in any::<u8>(),
        ) {
            // `b` is `a` with one byte changed, so the two share a prefix of any length.
            let mut b = a;
            b[at] = byte;
            let (finding_a, finding_b) = (FindingId::from_bytes(a), FindingId::from_bytes(b));
            prop_assert_eq!(finding_a.cmp(&finding_b), a.cmp(&b));
            let (event_a, event_b) = (
                EventId(Uuid::from_bytes(a)),
                EventId(Uuid::from_bytes(b)),
            );
            prop_assert_eq!(event_a.cmp(&event_b), a.cmp(&b));
        }
    }

    #[test]
    fn tokens_keep_to_their_alphabet_and_length() {
        assert!(CourseId::parse("math-g5.autumn:01").is_ok());
        assert_eq!(CourseId::parse(""), Err(TokenError::Empty));
        assert_eq!(CourseId::parse("a b"), Err(TokenError::Character(' ')));
        assert_eq!(CourseId::parse("数学"), Err(TokenError::Character('数')));
        assert_eq!(
            CourseId::parse(&"x".repeat(65)),
            Err(TokenError::TooLong(65))
        );
    }

    #[test]
    fn identifiers_encode_as_the_strings_they_hold_short_or_long() {
        // Logs and snapshots written when identifiers were `String`s must read back the same.
        let long = "x".repeat(TOKEN_BYTES_MAX);
        for text in ["c1", "math-g5.autumn:01", long.as_str()] {
            let id = CourseId::parse(text).expect("a token");
            assert_encodes_as_its_text(&id, text);
            assert_eq!(id.as_str(), text);
            assert_eq!(String::from(id), text);
        }
        let student = StudentRef::parse("stu-000042").expect("a reference");
        assert_encodes_as_its_text(&student, "stu-000042");
    }

    #[test]
    fn identifiers_order_as_their_text_does() {
        // Maps keyed by identifiers iterate in this order, and projections depend on it.
        let mut ids: Vec<CourseId> = ["b", "a-long-identifier-over-24-bytes", "B", "a", "a0"]
            .iter()
            .map(|t| CourseId::parse(t).expect("a token"))
            .collect();
        ids.sort();
        let texts: Vec<&str> = ids.iter().map(CourseId::as_str).collect();
        let mut expected = vec!["b", "a-long-identifier-over-24-bytes", "B", "a", "a0"];
        expected.sort_unstable();
        assert_eq!(texts, expected);
    }

    #[test]
    fn student_refs_that_look_like_phone_or_id_numbers_are_refused() {
        assert!(StudentRef::parse("stu-7f3a9c").is_ok());
        assert!(StudentRef::parse("S2025-0042").is_ok());
        assert_eq!(
            StudentRef::parse("13800138000"),
            Err(StudentRefError::LooksPersonal)
        );
        assert_eq!(
            StudentRef::parse("44020019900101123X"),
            Err(StudentRefError::LooksPersonal)
        );
    }

    #[test]
    fn text_is_bounded_and_has_no_control_characters() {
        assert!(Text::parse("韶关市浈江区某某培训学校").is_ok());
        assert_eq!(Text::parse("a\u{0}b"), Err(TextError::Control));
        assert_eq!(Text::parse(&"字".repeat(501)), Err(TextError::TooLong(501)));
    }

    #[test]
    fn text_is_kept_in_nfc_whichever_way_it_arrives() {
        let decomposed = "Caf\u{65}\u{301} 学校";
        let composed = "Caf\u{e9} 学校";
        let text = Text::parse(decomposed).expect("valid text");
        assert_eq!(text.as_str(), composed);
        assert_eq!(text, Text::parse(composed).expect("valid text"));
        let from_json: Text =
            serde_json::from_str(&serde_json::to_string(decomposed).expect("encodes"))
                .expect("decodes");
        assert_eq!(from_json.as_str(), composed);
        let postcard = postcard::to_allocvec(decomposed).expect("encodes");
        let from_postcard: Text = postcard::from_bytes(&postcard).expect("decodes");
        assert_eq!(from_postcard.as_str(), composed);
    }
}
