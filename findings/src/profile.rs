//! What readers are shown of an institution and its plans, as the projection store keeps them:
//! its profile (where it is supervised, what the registry recorded, its licence, how many sites,
//! teachers and supervised accounts it has) and each course's planned lessons, for the
//! timetable. The projector derives both from its facts; the store writes them with each batch
//! that touches them, so the institution record, the feed's jurisdiction check and the console
//! read committed rows and never the running projector.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tutorwatch_events::ids::CourseId;
use tutorwatch_events::kinds::{Category, Subject};
use tutorwatch_events::schedule::Session;
use tutorwatch_events::{CreditCode, Event, RegionCode};

/// What the registry recorded of an institution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredAs {
    /// The registered name, as the public lists show it.
    pub name: String,
    /// The licence (permit) number.
    pub licence_no: String,
    pub category: Category,
    pub subjects: Vec<Subject>,
    pub non_profit: bool,
    pub approved_on: Date,
    /// The IANA time zone it was registered with.
    pub time_zone: String,
}

/// Where an institution's licence stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LicenceStanding {
    Active,
    Suspended,
    /// Ended: revoked as a penalty, surrendered or lapsed.
    Revoked,
}

/// An institution as readers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstitutionProfile {
    pub institution: CreditCode,
    /// Where it is supervised: its registration's region (before one, the latest event's).
    pub region: RegionCode,
    /// `None` while the registry never registered it.
    pub registration: Option<RegisteredAs>,
    pub licence: LicenceStanding,
    pub sites: u32,
    pub teachers: u32,
    pub open_supervised_accounts: u32,
}

/// One published course's plan, for the timetable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedCourse {
    pub institution: CreditCode,
    pub course: CourseId,
    pub subject: Subject,
    pub online: bool,
    pub cancelled: bool,
    /// Its planned lessons, as last published or rescheduled.
    pub sessions: Vec<Session>,
}

/// What an event may change of the rows readers are shown (see [`shown_change`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShownChange<'a> {
    /// It sets fields of its institution's profile (registration, licence standing, sites,
    /// teachers, supervised accounts).
    ProfileFields,
    /// It publishes, reschedules or cancels this course, changing its plan.
    Plan(&'a CourseId),
    Nothing,
}

/// What `event` may change of its institution's profile or of a course's plan, by its type
/// alone (an institution seen for the first time, or whose region moves, gets a new profile
/// whatever the type: the facts tell that).
pub fn shown_change(event: &Event) -> ShownChange<'_> {
    match event {
        Event::InstitutionRegistered(_)
        | Event::LicenceSuspended(_)
        | Event::LicenceRevoked(_)
        | Event::LicenceRestored(_)
        | Event::SiteAdded(_)
        | Event::TeacherHired(_)
        | Event::TeacherLeft(_)
        | Event::SupervisedAccountOpened(_)
        | Event::SupervisedAccountClosed(_) => ShownChange::ProfileFields,
        Event::CoursePublished(c) => ShownChange::Plan(&c.course),
        Event::CourseRescheduled(c) => ShownChange::Plan(&c.course),
        Event::CourseCancelled(c) => ShownChange::Plan(&c.course),
        // Listed, not `_`: a new event type makes the compiler ask what it changes.
        Event::InspectionRecorded(_)
        | Event::CoursePriceChanged(_)
        | Event::LessonDelivered(_)
        | Event::FeeCollected(_)
        | Event::FundsReleased(_)
        | Event::RefundRequested(_)
        | Event::RefundPaid(_)
        | Event::DailyBalanceStated(_)
        | Event::RiskReserveDeposited(_)
        | Event::AdvertisementObserved(_)
        | Event::OfficerActed(_) => ShownChange::Nothing,
    }
}
