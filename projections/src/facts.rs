//! What the log says about institutions and courses: registration, licence state, sites,
//! teachers, supervised accounts, course plans, delivered lessons and prices charged, and each
//! producer's clock (see `clocks`). The rule projections read these facts; only the projector
//! updates them, before the rules see an event.
//!
//! **Invariant:** facts are a pure fold of the log in order; nothing here judges anything.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Date, DateTime};
use serde::{Deserialize, Serialize};
use tutorwatch_events::ids::{
    AccountId, BankId, CourseId, LessonId, SiteId, StudentRef, TeacherId,
};
use tutorwatch_events::kinds::{Category, GradeBand, LicensedModes, Mode, Subject};
use tutorwatch_events::registry::{RevocationGrounds, DEFAULT_TIME_ZONE};
use tutorwatch_events::schedule::{LessonDelivered, Session, UndeclaredCourse};
use tutorwatch_events::{CreditCode, Event, Fen, LoggedEvent, RegionCode, UtcTime};

use crate::clocks::ProducerClocks;
use crate::sizes::StatePart;
use tutorwatch_findings::{shown_change, Evidence, ShownChange};

/// The evidence reference of a logged event.
pub fn evidence(event: &LoggedEvent) -> Evidence {
    Evidence {
        event_id: event.envelope.event_id,
        seq: event.seq,
    }
}

/// `at` in the time zone named `time_zone` (Asia/Shanghai when the name is unknown).
pub fn local_time(time_zone: &str, at: UtcTime) -> DateTime {
    let zone = jiff::tz::TimeZone::get(time_zone)
        .or_else(|_| jiff::tz::TimeZone::get(DEFAULT_TIME_ZONE))
        .unwrap_or_else(|_| jiff::tz::TimeZone::fixed(jiff::tz::offset(8)));
    zone.to_datetime(at.timestamp())
}

/// An institution's registration, as last registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// The registered name, as the public lists show it.
    pub name: String,
    /// The licence (permit) number.
    pub licence_no: String,
    pub category: Category,
    pub subjects: Vec<Subject>,
    pub modes: LicensedModes,
    pub non_profit: bool,
    pub approved_on: Date,
    pub time_zone: String,
    pub evidence: Evidence,
}

/// Where the licence stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LicenceState {
    Active,
    Suspended {
        until: Option<Date>,
        by: Evidence,
    },
    /// Ended: revoked as a penalty, surrendered or lapsed (`grounds`).
    Revoked {
        by: Evidence,
        grounds: RevocationGrounds,
    },
}

/// A change of an institution's licence and when the registry made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenceChange {
    pub at: UtcTime,
    pub state: LicenceState,
}

/// Whether an institution may operate on a given day, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Licensed,
    /// Never registered, or acting before its approval date.
    Unlicensed,
    Suspended(Evidence),
    Revoked(Evidence),
}

/// A teacher on an institution's staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Teacher {
    pub subjects: Vec<Subject>,
    pub qualified: bool,
    pub in_service_school_teacher: bool,
    pub located_abroad: bool,
    /// Employed full time for teaching or research (STAFF_RATIO_CLASS counts only these).
    pub full_time: bool,
    pub hired: Evidence,
}

/// What the log says about one institution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Institution {
    /// Where it is supervised: the region of its registration (before one, of the latest event
    /// about it). Findings are filed under it.
    pub region: RegionCode,
    pub registration: Option<Registration>,
    pub licence: LicenceState,
    /// Every change of the licence, dated by when the registry made it (its `occurred_at`), in
    /// that order: a lesson is judged by the standing on its own date, whenever it is reported.
    /// Grows only with registry acts on this institution.
    pub licence_history: Vec<LicenceChange>,
    pub sites: BTreeSet<SiteId>,
    pub teachers: BTreeMap<TeacherId, Teacher>,
    pub open_accounts: BTreeSet<AccountId>,
    /// The bank that holds each supervised account ever opened (kept after closing).
    pub account_banks: BTreeMap<AccountId, BankId>,
    /// Per-lesson prices it has published or charged, per course.
    pub prices: BTreeMap<CourseId, BTreeSet<Fen>>,
    /// Each site's teaching floor area as last inspected (FLOOR_AREA_PER_STUDENT).
    pub floor_areas: BTreeMap<SiteId, InspectedArea>,
    /// The offline lessons delivered at each site, by start: who was there at the same time.
    /// Grows with the delivered lessons, as the courses' own `delivered` does.
    pub site_lessons: BTreeMap<SiteId, SiteLessons>,
    /// The online lessons each student attended (by the learner key the institution sent), by
    /// start: a student's breaks are judged across courses. Grows with the delivered lessons.
    pub learner_lessons: BTreeMap<StudentRef, LearnerLessons>,
}

/// A student's online lessons.
pub type LearnerLessons = LessonsByStart<LearnerLesson>;

/// An online lesson a student attended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LearnerLesson {
    pub end: UtcTime,
    pub evidence: Evidence,
}

/// A site's teaching floor area and the inspection that measured it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InspectedArea {
    pub square_metres: u32,
    pub evidence: Evidence,
}

/// Lessons by start, then by course and lesson (a lesson reported again with the same start
/// replaces its earlier report): a site's offline lessons, a student's online ones.
pub type LessonsByStart<T> = BTreeMap<UtcTime, BTreeMap<(CourseId, LessonId), T>>;

/// A site's offline lessons.
pub type SiteLessons = LessonsByStart<SiteLesson>;

/// Files what is known of delivered lesson `l` under its start, course and lesson.
fn file_lesson<T>(lessons: &mut LessonsByStart<T>, l: &LessonDelivered, what: T) {
    lessons
        .entry(l.start)
        .or_default()
        .insert((l.course.clone(), l.lesson.clone()), what);
}

/// An offline lesson at a site: when, and how many students attended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteLesson {
    pub end: UtcTime,
    pub attendees: u32,
    pub evidence: Evidence,
}

impl Institution {
    fn new(region: RegionCode) -> Self {
        Self {
            region,
            registration: None,
            licence: LicenceState::Active,
            licence_history: Vec::new(),
            sites: BTreeSet::new(),
            teachers: BTreeMap::new(),
            open_accounts: BTreeSet::new(),
            account_banks: BTreeMap::new(),
            prices: BTreeMap::new(),
            floor_areas: BTreeMap::new(),
            site_lessons: BTreeMap::new(),
            learner_lessons: BTreeMap::new(),
        }
    }

    /// The time zone its events are judged in: its region's civil time (the zone it declared at
    /// registration is not trusted: a Guangdong institution declaring `Europe/London` would
    /// otherwise escape the evening cut-offs).
    pub fn time_zone(&self) -> &'static str {
        self.region.civil_time_zone()
    }

    /// Records the licence state just set as a change made at `at`, in date order (a registry's
    /// backdated act lands where it belongs; acts at the same instant keep log order), and makes
    /// the current state the latest-dated act's.
    fn record_licence_change(&mut self, at: UtcTime) {
        let position = self
            .licence_history
            .partition_point(|change| change.at <= at);
        self.licence_history.insert(
            position,
            LicenceChange {
                at,
                state: self.licence.clone(),
            },
        );
        // The licence stands as the latest-dated act left it, whatever order acts arrived in.
        if let Some(latest) = self.licence_history.last() {
            self.licence = latest.state.clone();
        }
    }

    /// The registry's revocation as a penalty, if that is where its licence stands now (the
    /// black list's registry act; a licence surrendered or lapsed is not).
    pub fn revoked_as_penalty(&self) -> Option<Evidence> {
        match &self.licence {
            LicenceState::Revoked {
                by,
                grounds: RevocationGrounds::Penalty,
            } => Some(*by),
            _ => None,
        }
    }

    /// Whether it may operate on local date `date`, by the licence as it stands now.
    pub fn standing(&self, date: Date) -> Standing {
        self.standing_under(&self.licence, date)
    }

    /// Whether it could operate at `at` (local date `date`), by the licence as it stood then:
    /// the last change the registry made at or before `at`.
    pub fn standing_at(&self, at: UtcTime, date: Date) -> Standing {
        let then = self
            .licence_history
            .iter()
            .rev()
            .find(|change| change.at <= at)
            .map_or(&LicenceState::Active, |change| &change.state);
        self.standing_under(then, date)
    }

    fn standing_under(&self, licence: &LicenceState, date: Date) -> Standing {
        let Some(registration) = &self.registration else {
            return Standing::Unlicensed;
        };
        if date < registration.approved_on {
            return Standing::Unlicensed;
        }
        match licence {
            LicenceState::Active => Standing::Licensed,
            LicenceState::Suspended { until, by } => match until {
                Some(until) if date > *until => Standing::Licensed,
                _ => Standing::Suspended(*by),
            },
            LicenceState::Revoked { by, .. } => Standing::Revoked(*by),
        }
    }
}

/// Identifies a course: the institution and its own course id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CourseKey {
    pub institution: CreditCode,
    pub course: CourseId,
}

/// A lesson that took place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveredLesson {
    pub start: UtcTime,
    pub end: UtcTime,
    pub evidence: Evidence,
}

/// A published course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Course {
    /// The title it was published under (empty for a lesson of no published course).
    pub title: String,
    /// Its published description (empty when it has none).
    pub description: String,
    pub subject: Subject,
    pub grade_band: GradeBand,
    pub mode: Mode,
    pub site: Option<SiteId>,
    pub teachers: Vec<TeacherId>,
    pub price_per_lesson: Fen,
    pub class_size_max: u32,
    pub sessions: Vec<Session>,
    /// The event that set the current plan (its lessons or its price).
    pub plan: Evidence,
    pub cancelled: Option<Evidence>,
    /// When the cancellation happened (its `occurred_at`): a lesson starting after it was not
    /// declared.
    pub cancelled_at: Option<UtcTime>,
    pub delivered: BTreeMap<LessonId, DeliveredLesson>,
}

impl Course {
    /// The course a lesson of no published course says it taught (`LessonDelivered::undeclared`),
    /// to judge that lesson by: no plan, no price, the lesson's own site, teachers and class.
    pub fn undeclared(what: UndeclaredCourse, lesson: &LessonDelivered, by: Evidence) -> Course {
        Course {
            title: String::new(),
            description: String::new(),
            subject: what.subject,
            grade_band: what.grade_band,
            mode: what.mode,
            site: lesson.site.clone(),
            teachers: lesson.teachers.clone(),
            price_per_lesson: Fen::new(0),
            class_size_max: lesson.attendees,
            sessions: Vec::new(),
            plan: by,
            cancelled: None,
            cancelled_at: None,
            delivered: BTreeMap::new(),
        }
    }

    /// The category the course's subject puts it in.
    pub fn category(&self) -> Category {
        self.subject.category()
    }
}

/// Whether an institution's region becomes the one `event`'s envelope names. The region belongs
/// to the registration: once registered, only a registration moves it, whatever region other
/// events name (the trust policy refuses those; old logs may hold them). The facts and a
/// partitioned fold's zones (`crate::partition`) both follow this.
pub(crate) fn region_follows(registered: bool, event: &Event) -> bool {
    !registered || matches!(event, Event::InstitutionRegistered(_))
}

/// The shared facts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    pub institutions: BTreeMap<CreditCode, Institution>,
    pub courses: BTreeMap<CourseKey, Course>,
    /// The latest instant each producer's events prove has passed (this event included).
    pub clocks: ProducerClocks,
}

impl Facts {
    /// Takes in the facts of another partition of a fold split by institution
    /// (`crate::partition`): its institutions and courses, which no partition shares. Every
    /// partition saw every event's producer, so their clocks are the same.
    pub(crate) fn absorb(&mut self, other: Facts) {
        crate::partition::append_disjoint(&mut self.institutions, other.institutions);
        crate::partition::append_disjoint(&mut self.courses, other.courses);
        assert!(
            self.clocks == other.clocks,
            "the partitions of a fold saw different producers' clocks"
        );
    }

    /// The size of each part of the facts: the institutions (and, within them, the lessons kept
    /// per site and per learner, and the prices), the courses (and their delivered lessons), and
    /// the producers' clocks.
    pub(crate) fn sizes(&self) -> Vec<StatePart> {
        let institutions = self.institutions.values();
        let site_lessons: Vec<_> = institutions.clone().map(|i| &i.site_lessons).collect();
        let learner_lessons: Vec<_> = institutions.clone().map(|i| &i.learner_lessons).collect();
        let prices: Vec<_> = institutions.map(|i| &i.prices).collect();
        let delivered: Vec<_> = self.courses.values().map(|c| &c.delivered).collect();
        vec![
            StatePart::measure(
                "institutions",
                self.institutions.len(),
                "institutions",
                &self.institutions,
            ),
            StatePart::measure(
                "institutions.site_lessons",
                site_lessons
                    .iter()
                    .flat_map(|s| s.values())
                    .map(|at| at.len())
                    .sum(),
                "offline lessons",
                &site_lessons,
            ),
            StatePart::measure(
                "institutions.learner_lessons",
                learner_lessons
                    .iter()
                    .flat_map(|l| l.values())
                    .flat_map(|l| l.values())
                    .map(|at| at.len())
                    .sum(),
                "lessons attended",
                &learner_lessons,
            ),
            StatePart::measure(
                "institutions.prices",
                prices
                    .iter()
                    .flat_map(|p| p.values())
                    .map(|set| set.len())
                    .sum(),
                "prices",
                &prices,
            ),
            StatePart::measure("courses", self.courses.len(), "courses", &self.courses),
            StatePart::measure(
                "courses.delivered",
                delivered.iter().map(|d| d.len()).sum(),
                "delivered lessons",
                &delivered,
            ),
            StatePart::measure("clocks", self.clocks.len(), "producers", &self.clocks),
        ]
    }

    /// The institution an event concerns (after [`Facts::apply`] it always exists).
    pub fn institution(&self, code: &CreditCode) -> Option<&Institution> {
        self.institutions.get(code)
    }

    /// A course of an institution.
    pub fn course(&self, institution: &CreditCode, course: &CourseId) -> Option<&Course> {
        self.courses.get(&CourseKey {
            institution: institution.clone(),
            course: course.clone(),
        })
    }

    /// Folds one event into the facts. Returns whether it may have changed the institution's
    /// profile (what readers are shown of it, [`Facts::profile`]): the institution is new, its
    /// region moved, or the event is one that sets a profile's fields.
    pub fn apply(&mut self, event: &LoggedEvent) -> bool {
        let envelope = &event.envelope;
        let by = evidence(event);
        let code = envelope.institution.clone();
        let mut profile_changed =
            matches!(shown_change(&envelope.event), ShownChange::ProfileFields);
        let institution = self.institutions.entry(code.clone()).or_insert_with(|| {
            profile_changed = true;
            Institution::new(envelope.region)
        });
        if region_follows(institution.registration.is_some(), &envelope.event) {
            profile_changed |= institution.region != envelope.region;
            institution.region = envelope.region;
        }
        self.clocks.advance(
            &envelope.producer,
            ProducerClocks::proven_by(event, institution.time_zone()),
        );
        let key = |course: &CourseId| CourseKey {
            institution: code.clone(),
            course: course.clone(),
        };
        match &envelope.event {
            Event::InstitutionRegistered(r) => {
                institution.registration = Some(Registration {
                    name: r.name.as_str().to_owned(),
                    licence_no: r.licence.as_str().to_owned(),
                    category: r.category,
                    subjects: r.subjects.clone(),
                    modes: r.modes,
                    non_profit: r.non_profit,
                    approved_on: r.approved_on,
                    time_zone: r.time_zone.as_str().to_owned(),
                    evidence: by,
                });
                institution.licence = LicenceState::Active;
                institution.record_licence_change(envelope.occurred_at);
                institution.sites = r.approved_sites.iter().map(|s| s.id.clone()).collect();
            }
            Event::LicenceSuspended(s) => {
                institution.licence = LicenceState::Suspended { until: s.until, by };
                institution.record_licence_change(envelope.occurred_at);
            }
            Event::LicenceRevoked(r) => {
                institution.licence = LicenceState::Revoked {
                    by,
                    grounds: r.grounds,
                };
                institution.record_licence_change(envelope.occurred_at);
            }
            // A restoration lifts a suspension and, if it comes after a revocation (an appeal),
            // the revocation too.
            Event::LicenceRestored(_) => {
                institution.licence = LicenceState::Active;
                institution.record_licence_change(envelope.occurred_at);
            }
            Event::SiteAdded(s) => {
                institution.sites.insert(s.site.id.clone());
            }
            Event::InspectionRecorded(inspection) => {
                if let (Some(site), Some(square_metres)) =
                    (&inspection.site, inspection.floor_area_m2)
                {
                    institution.floor_areas.insert(
                        site.clone(),
                        InspectedArea {
                            square_metres,
                            evidence: by,
                        },
                    );
                }
            }
            Event::TeacherHired(t) => {
                institution.teachers.insert(
                    t.teacher.clone(),
                    Teacher {
                        subjects: t.subjects.clone(),
                        qualified: t.qualification.is_some(),
                        in_service_school_teacher: t.in_service_school_teacher,
                        located_abroad: t.located_abroad,
                        full_time: t.full_time,
                        hired: by,
                    },
                );
            }
            Event::TeacherLeft(t) => {
                institution.teachers.remove(&t.teacher);
            }
            Event::CoursePublished(c) => {
                institution
                    .prices
                    .entry(c.course.clone())
                    .or_default()
                    .insert(c.price_per_lesson);
                let delivered = self
                    .courses
                    .remove(&key(&c.course))
                    .map(|old| old.delivered)
                    .unwrap_or_default();
                self.courses.insert(
                    key(&c.course),
                    Course {
                        title: c.title.as_str().to_owned(),
                        description: c
                            .description
                            .as_ref()
                            .map(|d| d.as_str().to_owned())
                            .unwrap_or_default(),
                        subject: c.subject,
                        grade_band: c.grade_band,
                        mode: c.mode,
                        site: c.site.clone(),
                        teachers: c.teachers.clone(),
                        price_per_lesson: c.price_per_lesson,
                        class_size_max: c.class_size_max,
                        sessions: c.sessions.clone(),
                        plan: by,
                        cancelled: None,
                        cancelled_at: None,
                        delivered,
                    },
                );
            }
            Event::CourseRescheduled(c) => {
                if let Some(course) = self.courses.get_mut(&key(&c.course)) {
                    course.sessions = c.sessions.clone();
                    course.plan = by;
                }
            }
            Event::CoursePriceChanged(c) => {
                if let Some(course) = self.courses.get_mut(&key(&c.course)) {
                    institution
                        .prices
                        .entry(c.course.clone())
                        .or_default()
                        .insert(c.price_per_lesson);
                    course.price_per_lesson = c.price_per_lesson;
                    course.plan = by;
                }
            }
            Event::CourseCancelled(c) => {
                if let Some(course) = self.courses.get_mut(&key(&c.course)) {
                    course.cancelled = Some(by);
                    course.cancelled_at = Some(envelope.occurred_at);
                }
            }
            Event::LessonDelivered(l) => {
                let course = self.courses.get(&key(&l.course));
                let site = l.site.as_ref().or(course.and_then(|c| c.site.as_ref()));
                match course.map(|c| c.mode).or(l.undeclared.map(|u| u.mode)) {
                    Some(Mode::Online) => {
                        for learner in &l.learners {
                            let lessons = institution
                                .learner_lessons
                                .entry(learner.clone())
                                .or_default();
                            file_lesson(
                                lessons,
                                l,
                                LearnerLesson {
                                    end: l.end,
                                    evidence: by,
                                },
                            );
                        }
                    }
                    Some(Mode::Offline) => {
                        if let Some(site) = site {
                            let lessons = institution.site_lessons.entry(site.clone()).or_default();
                            let lesson = SiteLesson {
                                end: l.end,
                                attendees: l.attendees,
                                evidence: by,
                            };
                            file_lesson(lessons, l, lesson);
                        }
                    }
                    None => {}
                }
                if let Some(course) = self.courses.get_mut(&key(&l.course)) {
                    course.delivered.insert(
                        l.lesson.clone(),
                        DeliveredLesson {
                            start: l.start,
                            end: l.end,
                            evidence: by,
                        },
                    );
                }
            }
            Event::SupervisedAccountOpened(a) => {
                institution.open_accounts.insert(a.account.clone());
                institution
                    .account_banks
                    .insert(a.account.clone(), a.bank.clone());
            }
            Event::SupervisedAccountClosed(a) => {
                institution.open_accounts.remove(&a.account);
            }
            Event::FeeCollected(f) => {
                if let (Some(course), Some(lessons)) =
                    (&f.course, std::num::NonZeroU64::new(u64::from(f.lessons)))
                {
                    if f.amount.get() % lessons.get() == 0 {
                        institution
                            .prices
                            .entry(course.clone())
                            .or_default()
                            .insert(Fen::new(f.amount.get() / lessons.get()));
                    }
                }
            }
            Event::FundsReleased(_)
            | Event::RefundRequested(_)
            | Event::RefundPaid(_)
            | Event::DailyBalanceStated(_)
            | Event::RiskReserveDeposited(_)
            | Event::AdvertisementObserved(_)
            | Event::OfficerActed(_) => {}
        }
        profile_changed
    }
}

/// The instant local `date` begins in the time zone named `time_zone`.
pub fn start_of_day(time_zone: &str, date: Date) -> Option<UtcTime> {
    let zone = jiff::tz::TimeZone::get(time_zone)
        .or_else(|_| jiff::tz::TimeZone::get(DEFAULT_TIME_ZONE))
        .ok()?;
    zone.to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
        .ok()
        .map(UtcTime::from_timestamp)
}
