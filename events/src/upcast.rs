//! The upcasting path: how payloads written under an older schema version of an event type are
//! read into today's type.
//!
//! Every payload on the wire and in the log carries its type's numeric code and the version it was
//! written at. The catalogue decodes the current version directly and sends anything else here.
//! When a type's fields change, the procedure is:
//! 1. copy the old struct into a `legacy` module here as `<Type>V<n>` (with its serde derives);
//! 2. bump the version in the catalogue and change the live struct;
//! 3. add a match arm below that decodes `<Type>V<n>` and converts it into the live struct,
//!    filling new fields with what the old producers meant (documented per field).
//!
//! The log is never rewritten: old entries stay as they were written and are upcast on every read,
//! so the hash chain stays valid and a replay sees the same facts.
//!
//! Upcast today:
//! - `registry.licence_revoked` version 1 (no `grounds`): every version-1 event was a revocation
//!   (吊销), the penalty, so it is read as `grounds: penalty`.
//! - `schedule.lesson_delivered` version 1 (no `undeclared`): read with `undeclared: None`, which
//!   is what a version-1 producer said (nothing beyond the course id); versions 1 and 2 (no
//!   `learners`) are read with no learner keys, which is what they said (a count, not who).
//! - `registry.teacher_hired` version 1 (no `full_time`): read as full time, the lenient reading
//!   of a hire that said nothing of it (STAFF_RATIO_CLASS counts it).
//! - `schedule.course_published` version 1 (no `description`): read with `description: None`,
//!   which is what a version-1 producer said (a title only).
//! - `escrow.refund_requested` version 1 (no `lessons`): read with `lessons: None`, which is what a
//!   version-1 producer said (an amount, not which lessons it was for), so only its date is judged.
//!
//! Any other version is refused with a typed error instead of being guessed at.

use crate::catalog::Event;
use crate::codec::DecodeError;
use crate::escrow::RefundRequested;
use crate::registry::{LicenceRevoked, RevocationGrounds, TeacherHired};
use crate::schedule::{CoursePublished, LessonDelivered};

/// The older versions' structs, as they were written.
mod legacy {
    use serde::{Deserialize, Serialize};

    use crate::ids::{CertificateNo, ContractId, CourseId, LessonId, SiteId, TeacherId, Text};
    use crate::kinds::{GradeBand, Mode, Subject};
    use crate::money::Fen;
    use crate::schedule::{Session, UndeclaredCourse};
    use crate::time::UtcTime;

    /// `registry.licence_revoked` version 1.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct LicenceRevokedV1 {
        pub(crate) reason: Text,
    }

    /// `registry.teacher_hired` version 1.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct TeacherHiredV1 {
        pub(crate) teacher: TeacherId,
        pub(crate) subjects: Vec<Subject>,
        pub(crate) qualification: Option<CertificateNo>,
        pub(crate) in_service_school_teacher: bool,
        pub(crate) located_abroad: bool,
    }

    /// `schedule.course_published` version 1.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct CoursePublishedV1 {
        pub(crate) course: CourseId,
        pub(crate) title: Text,
        pub(crate) subject: Subject,
        pub(crate) grade_band: GradeBand,
        pub(crate) mode: Mode,
        pub(crate) site: Option<SiteId>,
        pub(crate) teachers: Vec<TeacherId>,
        pub(crate) price_per_lesson: Fen,
        pub(crate) class_size_max: u32,
        pub(crate) sessions: Vec<Session>,
    }

    /// `schedule.lesson_delivered` version 2.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct LessonDeliveredV2 {
        pub(crate) course: CourseId,
        pub(crate) lesson: LessonId,
        pub(crate) start: UtcTime,
        pub(crate) end: UtcTime,
        pub(crate) site: Option<SiteId>,
        pub(crate) teachers: Vec<TeacherId>,
        pub(crate) attendees: u32,
        #[serde(default)]
        pub(crate) undeclared: Option<UndeclaredCourse>,
    }

    /// `schedule.lesson_delivered` version 1.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct LessonDeliveredV1 {
        pub(crate) course: CourseId,
        pub(crate) lesson: LessonId,
        pub(crate) start: UtcTime,
        pub(crate) end: UtcTime,
        pub(crate) site: Option<SiteId>,
        pub(crate) teachers: Vec<TeacherId>,
        pub(crate) attendees: u32,
    }

    /// `escrow.refund_requested` version 1.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct RefundRequestedV1 {
        pub(crate) contract: ContractId,
        pub(crate) amount: Fen,
    }
}

pub(crate) use legacy::{
    CoursePublishedV1, LessonDeliveredV1, LessonDeliveredV2, LicenceRevokedV1, RefundRequestedV1,
    TeacherHiredV1,
};

/// The catalogue code of `registry.licence_revoked`.
const LICENCE_REVOKED: u16 = 3;
/// The catalogue code of `registry.teacher_hired`.
const TEACHER_HIRED: u16 = 6;
/// The catalogue code of `schedule.course_published`.
const COURSE_PUBLISHED: u16 = 20;
/// The catalogue code of `schedule.lesson_delivered`.
const LESSON_DELIVERED: u16 = 23;
/// The catalogue code of `escrow.refund_requested`.
const REFUND_REQUESTED: u16 = 44;

impl From<TeacherHiredV1> for TeacherHired {
    fn from(old: TeacherHiredV1) -> Self {
        TeacherHired {
            teacher: old.teacher,
            subjects: old.subjects,
            qualification: old.qualification,
            in_service_school_teacher: old.in_service_school_teacher,
            located_abroad: old.located_abroad,
            full_time: true,
        }
    }
}

impl From<CoursePublishedV1> for CoursePublished {
    fn from(old: CoursePublishedV1) -> Self {
        CoursePublished {
            course: old.course,
            title: old.title,
            description: None,
            subject: old.subject,
            grade_band: old.grade_band,
            mode: old.mode,
            site: old.site,
            teachers: old.teachers,
            price_per_lesson: old.price_per_lesson,
            class_size_max: old.class_size_max,
            sessions: old.sessions,
        }
    }
}

impl From<RefundRequestedV1> for RefundRequested {
    fn from(old: RefundRequestedV1) -> Self {
        RefundRequested {
            contract: old.contract,
            amount: old.amount,
            lessons: None,
        }
    }
}

/// Version 1 is version 2 without `undeclared`.
impl From<LessonDeliveredV1> for LessonDeliveredV2 {
    fn from(old: LessonDeliveredV1) -> Self {
        LessonDeliveredV2 {
            course: old.course,
            lesson: old.lesson,
            start: old.start,
            end: old.end,
            site: old.site,
            teachers: old.teachers,
            attendees: old.attendees,
            undeclared: None,
        }
    }
}

impl From<LessonDeliveredV1> for LessonDelivered {
    fn from(old: LessonDeliveredV1) -> Self {
        LessonDeliveredV2::from(old).into()
    }
}

impl From<LessonDeliveredV2> for LessonDelivered {
    fn from(old: LessonDeliveredV2) -> Self {
        LessonDelivered {
            course: old.course,
            lesson: old.lesson,
            start: old.start,
            end: old.end,
            site: old.site,
            teachers: old.teachers,
            attendees: old.attendees,
            undeclared: old.undeclared,
            learners: Vec::new(),
        }
    }
}

impl From<LicenceRevokedV1> for LicenceRevoked {
    fn from(old: LicenceRevokedV1) -> Self {
        LicenceRevoked {
            reason: old.reason,
            grounds: RevocationGrounds::Penalty,
        }
    }
}

/// Decodes a postcard payload of an older (or newer, unknown) version.
pub(crate) fn postcard_payload(
    code: u16,
    version: u16,
    bytes: &[u8],
) -> Result<Event, DecodeError> {
    match (code, version) {
        (LICENCE_REVOKED, 1) => postcard::from_bytes::<LicenceRevokedV1>(bytes)
            .map(|old| Event::LicenceRevoked(old.into()))
            .map_err(|e| DecodeError::Payload(e.to_string())),
        (TEACHER_HIRED, 1) => postcard::from_bytes::<TeacherHiredV1>(bytes)
            .map(|old| Event::TeacherHired(old.into()))
            .map_err(|e| DecodeError::Payload(e.to_string())),
        (COURSE_PUBLISHED, 1) => postcard::from_bytes::<CoursePublishedV1>(bytes)
            .map(|old| Event::CoursePublished(old.into()))
            .map_err(|e| DecodeError::Payload(e.to_string())),
        (LESSON_DELIVERED, 1) => postcard::from_bytes::<LessonDeliveredV1>(bytes)
            .map(|old| Event::LessonDelivered(old.into()))
            .map_err(|e| DecodeError::Payload(e.to_string())),
        (LESSON_DELIVERED, 2) => postcard::from_bytes::<LessonDeliveredV2>(bytes)
            .map(|old| Event::LessonDelivered(old.into()))
            .map_err(|e| DecodeError::Payload(e.to_string())),
        (REFUND_REQUESTED, 1) => postcard::from_bytes::<RefundRequestedV1>(bytes)
            .map(|old| Event::RefundRequested(old.into()))
            .map_err(|e| DecodeError::Payload(e.to_string())),
        _ => Err(DecodeError::UnsupportedVersion { code, version }),
    }
}

/// Decodes JSON data of an older (or newer, unknown) version.
pub(crate) fn json_data(
    code: u16,
    version: u16,
    data: serde_json::Value,
) -> Result<Event, DecodeError> {
    match (code, version) {
        (LICENCE_REVOKED, 1) => crate::catalog::decode_json::<LicenceRevokedV1>(data)
            .map(|old| Event::LicenceRevoked(old.into())),
        (TEACHER_HIRED, 1) => crate::catalog::decode_json::<TeacherHiredV1>(data)
            .map(|old| Event::TeacherHired(old.into())),
        (COURSE_PUBLISHED, 1) => crate::catalog::decode_json::<CoursePublishedV1>(data)
            .map(|old| Event::CoursePublished(old.into())),
        (LESSON_DELIVERED, 1) => crate::catalog::decode_json::<LessonDeliveredV1>(data)
            .map(|old| Event::LessonDelivered(old.into())),
        (LESSON_DELIVERED, 2) => crate::catalog::decode_json::<LessonDeliveredV2>(data)
            .map(|old| Event::LessonDelivered(old.into())),
        (REFUND_REQUESTED, 1) => crate::catalog::decode_json::<RefundRequestedV1>(data)
            .map(|old| Event::RefundRequested(old.into())),
        _ => Err(DecodeError::UnsupportedVersion { code, version }),
    }
}
