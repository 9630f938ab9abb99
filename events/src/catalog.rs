//! The event catalogue: one table that gives every event type its stable numeric code, its dotted
//! name, its family and its current schema version, and from which the `Event` enum and its codec
//! dispatch are generated.
//!
//! **Invariant:** a code, once used, keeps its meaning forever. A type whose fields change gets a
//! new version; older versions stay decodable through `upcast` (see that module).

use serde::{de::DeserializeOwned, Serialize};

use crate::advertising::AdvertisementObserved;
use crate::codec::DecodeError;
use crate::escrow::{
    DailyBalanceStated, FeeCollected, FundsReleased, RefundPaid, RefundRequested,
    RiskReserveDeposited, SupervisedAccountClosed, SupervisedAccountOpened,
};
use crate::registry::{
    InspectionRecorded, InstitutionRegistered, LicenceRestored, LicenceRevoked, LicenceSuspended,
    SiteAdded, TeacherHired, TeacherLeft,
};
use crate::schedule::{
    CourseCancelled, CoursePriceChanged, CoursePublished, CourseRescheduled, LessonDelivered,
};
use crate::supervision::OfficerActed;
use crate::upcast;
use crate::validate::{Validate, Validation};

/// The producer-facing groups of events; each has its own NATS subjects and dead-letter subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    Registry,
    Schedule,
    Escrow,
    Advertising,
    Supervision,
}

impl Family {
    /// Every family.
    pub const ALL: [Family; 5] = [
        Family::Registry,
        Family::Schedule,
        Family::Escrow,
        Family::Advertising,
        Family::Supervision,
    ];

    /// The family's name, as used in subjects and event type names.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Registry => "registry",
            Family::Schedule => "schedule",
            Family::Escrow => "escrow",
            Family::Advertising => "advertising",
            Family::Supervision => "supervision",
        }
    }

    /// The family with this name.
    pub fn from_name(name: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

/// What the catalogue knows about one event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventTypeInfo {
    pub code: u16,
    pub name: &'static str,
    pub family: Family,
    pub version: u16,
}

impl Validate for TeacherLeft {}
impl Validate for SupervisedAccountOpened {}
impl Validate for SupervisedAccountClosed {}
impl Validate for DailyBalanceStated {}

fn decode_current<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    postcard::from_bytes(bytes).map_err(|e| DecodeError::Payload(e.to_string()))
}

/// Decodes JSON `data` as `T`, naming the field at fault (also for `upcast`'s older versions).
pub(crate) fn decode_json<T: DeserializeOwned>(data: serde_json::Value) -> Result<T, DecodeError> {
    serde_path_to_error::deserialize(data).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            "data".to_owned()
        } else {
            format!("data.{path}")
        };
        DecodeError::Json {
            field,
            message: e.into_inner().to_string(),
        }
    })
}

fn encode_payload<T: Serialize>(data: &T) -> Vec<u8> {
    // postcard only fails on types it cannot represent (unsized sequences, `serialize_str` of a
    // non-UTF-8 `collect_str`), and no event type has those; the round-trip tests cover every
    // type. An empty payload would be stored and hashed as if it were the event, so a failure
    // must stop here rather than be papered over.
    postcard::to_allocvec(data).expect("postcard encodes every event type (round-trip tested)")
}

macro_rules! catalog {
    ($( $code:literal => $variant:ident, $name:literal, $family:ident, version $version:literal; )*) => {
        /// Every event Tutorwatch accepts.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Event {
            $( $variant($variant), )*
        }

        /// The catalogue, in code order.
        pub const EVENT_TYPES: &[EventTypeInfo] = &[
            $( EventTypeInfo { code: $code, name: $name, family: Family::$family, version: $version }, )*
        ];

        $(
            impl From<$variant> for Event {
                fn from(data: $variant) -> Self {
                    Event::$variant(data)
                }
            }
        )*

        impl Event {
            /// The catalogue entry of this event's type.
            pub fn info(&self) -> EventTypeInfo {
                match self {
                    $( Event::$variant(_) => EventTypeInfo {
                        code: $code, name: $name, family: Family::$family, version: $version,
                    }, )*
                }
            }

            /// The dotted type name, e.g. `schedule.course_published`.
            pub fn event_type(&self) -> &'static str {
                self.info().name
            }

            /// The schema version this build writes for the event's type.
            pub fn event_version(&self) -> u16 {
                self.info().version
            }

            /// The family the event belongs to.
            pub fn family(&self) -> Family {
                self.info().family
            }

            /// Checks the rules within the event's data.
            pub fn validate(&self) -> Validation {
                match self {
                    $( Event::$variant(data) => data.validate(), )*
                }
            }

            pub(crate) fn encode_payload(&self) -> Vec<u8> {
                match self {
                    $( Event::$variant(data) => encode_payload(data), )*
                }
            }

            pub(crate) fn to_json_data(&self) -> Result<serde_json::Value, serde_json::Error> {
                match self {
                    $( Event::$variant(data) => serde_json::to_value(data), )*
                }
            }

            /// Decodes a postcard payload of type `code` written at `version`.
            pub(crate) fn decode_payload(code: u16, version: u16, bytes: &[u8]) -> Result<Event, DecodeError> {
                match code {
                    $( $code => {
                        if version == $version {
                            decode_current::<$variant>(bytes).map(Event::$variant)
                        } else {
                            upcast::postcard_payload(code, version, bytes)
                        }
                    } )*
                    _ => Err(DecodeError::UnknownEventCode(code)),
                }
            }

            /// Decodes the JSON `data` of type `name` written at `version`.
            pub(crate) fn decode_json(name: &str, version: u16, data: serde_json::Value) -> Result<Event, DecodeError> {
                match name {
                    $( $name => {
                        if version == $version {
                            decode_json::<$variant>(data).map(Event::$variant)
                        } else {
                            upcast::json_data($code, version, data)
                        }
                    } )*
                    _ => Err(DecodeError::UnknownEventType(name.chars().take(64).collect())),
                }
            }
        }
    };
}

catalog! {
    1 => InstitutionRegistered, "registry.institution_registered", Registry, version 1;
    2 => LicenceSuspended, "registry.licence_suspended", Registry, version 1;
    3 => LicenceRevoked, "registry.licence_revoked", Registry, version 2;
    4 => LicenceRestored, "registry.licence_restored", Registry, version 1;
    5 => SiteAdded, "registry.site_added", Registry, version 1;
    6 => TeacherHired, "registry.teacher_hired", Registry, version 2;
    7 => TeacherLeft, "registry.teacher_left", Registry, version 1;
    8 => InspectionRecorded, "registry.inspection_recorded", Registry, version 1;
    20 => CoursePublished, "schedule.course_published", Schedule, version 2;
    21 => CourseRescheduled, "schedule.course_rescheduled", Schedule, version 1;
    22 => CourseCancelled, "schedule.course_cancelled", Schedule, version 1;
    23 => LessonDelivered, "schedule.lesson_delivered", Schedule, version 3;
    24 => CoursePriceChanged, "schedule.course_price_changed", Schedule, version 1;
    40 => SupervisedAccountOpened, "escrow.account_opened", Escrow, version 1;
    41 => SupervisedAccountClosed, "escrow.account_closed", Escrow, version 1;
    42 => FeeCollected, "escrow.fee_collected", Escrow, version 1;
    43 => FundsReleased, "escrow.funds_released", Escrow, version 1;
    44 => RefundRequested, "escrow.refund_requested", Escrow, version 2;
    45 => RefundPaid, "escrow.refund_paid", Escrow, version 1;
    46 => DailyBalanceStated, "escrow.daily_balance", Escrow, version 1;
    47 => RiskReserveDeposited, "escrow.risk_reserve_deposited", Escrow, version 1;
    60 => AdvertisementObserved, "advertising.ad_observed", Advertising, version 1;
    80 => OfficerActed, "supervision.officer_acted", Supervision, version 1;
}

/// The catalogue entry with this dotted name.
pub fn event_type_by_name(name: &str) -> Option<EventTypeInfo> {
    EVENT_TYPES.iter().copied().find(|t| t.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_names_start_with_their_family() {
        let mut codes = std::collections::BTreeSet::new();
        let mut names = std::collections::BTreeSet::new();
        for info in EVENT_TYPES {
            assert!(codes.insert(info.code), "code {} twice", info.code);
            assert!(names.insert(info.name), "name {} twice", info.name);
            let family = info.name.split('.').next().unwrap_or_default();
            assert_eq!(family, info.family.as_str(), "{}", info.name);
        }
    }
}
