//! One generated institution: its identity, licence and background (registration, approved
//! site, qualified teachers, supervised account), and the helpers that build its courses and
//! money events.
//!
//! **Invariant:** the background alone raises no finding: a subject institution is registered
//! non-profit under a `52` code, every teacher is hired legally, and the account is open before
//! any fee is collected.

use jiff::civil::Date;
use tutorwatch_events::escrow::{FeeCollected, SupervisedAccountOpened};
use tutorwatch_events::ids::{
    AccountId, BankId, CertificateNo, ContractId, CourseId, LessonId, LicenceNo, SiteId,
    StudentRef, TeacherId, Text,
};
use tutorwatch_events::kinds::{Category, GradeBand, LicensedModes, Mode, Subject};
use tutorwatch_events::registry::{
    InspectionRecorded, InstitutionRegistered, Site, TeacherHired, DEFAULT_TIME_ZONE,
};
use tutorwatch_events::schedule::{CoursePublished, Session};
use tutorwatch_events::{CreditCode, EventId, Fen, RegionCode, UtcTime};

use crate::clock::local;
use crate::emit::{Emitter, Who};
use crate::GenError;

/// The banks that supervise accounts in the generated city.
pub(crate) const BANKS: [&str; 4] = ["icbc-sg", "ccb-sg", "boc-sg", "abc-sg"];

pub(crate) fn token<T: TryFrom<String>>(text: String) -> Result<T, GenError>
where
    T::Error: std::fmt::Display,
{
    T::try_from(text).map_err(|e| GenError::Token(e.to_string()))
}

pub(crate) fn text(value: &str) -> Result<Text, GenError> {
    Text::parse(value).map_err(|e| GenError::Token(e.to_string()))
}

/// A credit code, valid by format and checksum: `prefix` (`52` civil affairs, `91` enterprise),
/// the registering region and a serial number.
pub(crate) fn credit_code(
    prefix: &str,
    region: RegionCode,
    serial: u32,
) -> Result<CreditCode, GenError> {
    let body = format!("{prefix}{region}{:09}", serial % 1_000_000_000);
    let unchecked =
        CreditCode::parse(&format!("{body}0")).map_err(|e| GenError::Token(e.to_string()))?;
    CreditCode::parse(&format!("{body}{}", unchecked.expected_check_char()))
        .map_err(|e| GenError::Token(e.to_string()))
}

/// What an institution is licensed for.
#[derive(Debug, Clone)]
pub(crate) struct Licence {
    pub category: Category,
    pub subjects: Vec<Subject>,
    pub modes: LicensedModes,
    pub non_profit: bool,
    pub approved_on: Date,
    /// The credit code's prefix.
    pub prefix: &'static str,
}

impl Licence {
    /// A subject institution licensed for both modes, non-profit, approved in 2020.
    pub(crate) fn subject() -> Self {
        Self {
            category: Category::Subject,
            subjects: vec![
                Subject::Mathematics,
                Subject::Chinese,
                Subject::ForeignLanguage,
            ],
            modes: LicensedModes::Both,
            non_profit: true,
            approved_on: jiff::civil::date(2020, 3, 1),
            prefix: "52",
        }
    }

    /// A non-subject (arts and sports) company licensed for both modes.
    pub(crate) fn non_subject() -> Self {
        Self {
            category: Category::NonSubject,
            subjects: vec![Subject::Music, Subject::FineArts, Subject::Sports],
            modes: LicensedModes::Both,
            non_profit: false,
            approved_on: jiff::civil::date(2021, 5, 10),
            prefix: "91",
        }
    }
}

/// A teacher on the staff, with the subject they are qualified for.
#[derive(Debug, Clone)]
pub(crate) struct Staff {
    pub id: TeacherId,
    pub subject: Subject,
}

/// A generated institution.
#[derive(Debug, Clone)]
pub(crate) struct Inst {
    pub who: Who,
    /// Its number in the city, for ids.
    pub n: u32,
    pub licence: Licence,
    pub site: SiteId,
    pub account: AccountId,
    pub staff: Vec<Staff>,
    courses: u32,
    contracts: u32,
}

/// A course as planned, for the helpers that deliver and charge it.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub course: CourseId,
    pub subject: Subject,
    pub mode: Mode,
    pub teachers: Vec<TeacherId>,
    pub site: Option<SiteId>,
    pub price: Fen,
    pub class_size: u32,
    pub sessions: Vec<Session>,
    /// The title it is published under (`None`: the subject's name and the course id).
    pub title: Option<String>,
    /// The description it is published with, if any.
    pub description: Option<String>,
}

impl Plan {
    /// The local dates of the first and last lesson.
    pub(crate) fn period(&self) -> (Date, Date) {
        let date = |t: &UtcTime| crate::clock_local_date(*t);
        let first = self
            .sessions
            .first()
            .map_or(crate::clock::TERM_START, |s| date(&s.start));
        let last = self.sessions.last().map_or(first, |s| date(&s.start));
        (first, last)
    }
}

impl Inst {
    /// An institution numbered `n` in `region`, not yet registered.
    pub(crate) fn new(
        em: &mut Emitter,
        n: u32,
        region: RegionCode,
        licence: Licence,
    ) -> Result<Self, GenError> {
        let code = credit_code(licence.prefix, region, n)?;
        let bank = BANKS[usize::try_from(em.pick(0, 3)).unwrap_or(0)];
        Ok(Self {
            who: Who {
                code,
                region,
                bank: token::<BankId>(bank.to_owned())?,
            },
            n,
            licence,
            site: token(format!("site-{n}-1"))?,
            account: token(format!("acct-{n}-1"))?,
            staff: Vec::new(),
            courses: 0,
            contracts: 0,
        })
    }

    /// Registers it (2025-08-20), hires one qualified teacher per licensed subject and opens
    /// its supervised account. Returns the registration's id.
    pub(crate) fn background(&mut self, em: &mut Emitter) -> Result<EventId, GenError> {
        let day = jiff::civil::date(2025, 8, 20);
        let registered = self.register(em, local(day, 9, 0, 0, 0)?)?;
        for (i, subject) in self.licence.subjects.clone().into_iter().enumerate() {
            let at = local(day, 10, minute_of(i), 0, 0)?;
            self.hire(em, at, subject, true)?;
        }
        // Inspected: half its staff teach full time (the limit), and its site has room for 66
        // students at once.
        let teachers = u32::try_from(self.licence.subjects.len())
            .unwrap_or(1)
            .max(1);
        let inspection = InspectionRecorded {
            staff_total: 2 * teachers,
            full_time_teaching_staff: teachers,
            site: Some(self.site.clone()),
            floor_area_m2: Some(200),
        };
        em.emit(&self.who, local(day, 10, 50, 0, 0)?, inspection);
        let opened = SupervisedAccountOpened {
            account: self.account.clone(),
            bank: self.who.bank.clone(),
        };
        em.emit(&self.who, local(day, 11, 0, 0, 0)?, opened);
        Ok(registered)
    }

    /// The registration event alone.
    pub(crate) fn register(&self, em: &mut Emitter, at: UtcTime) -> Result<EventId, GenError> {
        let name = match self.licence.category {
            Category::Subject => format!("韶关市第{}培训学校", self.n),
            Category::NonSubject => format!("韶关市第{}艺体培训有限公司", self.n),
        };
        let event = InstitutionRegistered {
            name: text(&name)?,
            region: self.who.region,
            category: self.licence.category,
            subjects: self.licence.subjects.clone(),
            modes: self.licence.modes,
            non_profit: self.licence.non_profit,
            licence: token::<LicenceNo>(format!("lic-{}", self.n))?,
            approved_on: self.licence.approved_on,
            approved_sites: vec![Site {
                id: self.site.clone(),
                address: text(&format!("韶关市浈江区风度中路{}号", self.n))?,
            }],
            time_zone: text(DEFAULT_TIME_ZONE)?,
        };
        Ok(em.emit(&self.who, at, event))
    }

    /// Hires a teacher for `subject` (with a qualification certificate when `qualified`).
    pub(crate) fn hire(
        &mut self,
        em: &mut Emitter,
        at: UtcTime,
        subject: Subject,
        qualified: bool,
    ) -> Result<(TeacherId, EventId), GenError> {
        let id: TeacherId = token(format!("t-{}-{}", self.n, self.staff.len() + 1))?;
        let qualification = if qualified {
            Some(token::<CertificateNo>(format!(
                "cert-{}-{}",
                self.n,
                self.staff.len() + 1
            ))?)
        } else {
            None
        };
        let event = TeacherHired {
            teacher: id.clone(),
            subjects: vec![subject],
            qualification,
            in_service_school_teacher: false,
            located_abroad: false,
            full_time: true,
        };
        let event_id = em.emit(&self.who, at, event);
        self.staff.push(Staff {
            id: id.clone(),
            subject,
        });
        Ok((id, event_id))
    }

    /// A qualified teacher of `subject`, if one is on the staff.
    pub(crate) fn teacher_for(&self, subject: Subject) -> Vec<TeacherId> {
        self.staff
            .iter()
            .find(|s| s.subject == subject)
            .map(|s| vec![s.id.clone()])
            .unwrap_or_default()
    }

    /// A fresh course id.
    pub(crate) fn next_course(&mut self) -> Result<CourseId, GenError> {
        self.courses += 1;
        token(format!("c-{}-{}", self.n, self.courses))
    }

    /// A fresh contract id and student reference.
    pub(crate) fn next_contract(&mut self) -> Result<(ContractId, StudentRef), GenError> {
        self.contracts += 1;
        Ok((
            token(format!("k-{}-{}", self.n, self.contracts))?,
            token(format!("stu-{}-{}", self.n, self.contracts))?,
        ))
    }

    /// A plan for a course of `subject` in `mode` with these (start, end) lessons.
    pub(crate) fn plan(
        &mut self,
        subject: Subject,
        mode: Mode,
        price: u64,
        lessons: &[(UtcTime, UtcTime)],
    ) -> Result<Plan, GenError> {
        let course = self.next_course()?;
        let sessions = lessons
            .iter()
            .enumerate()
            .map(|(i, (start, end))| {
                Ok(Session {
                    lesson: token::<LessonId>(format!("{course}-l{:02}", i + 1))?,
                    start: *start,
                    end: *end,
                })
            })
            .collect::<Result<Vec<_>, GenError>>()?;
        Ok(Plan {
            course,
            subject,
            mode,
            teachers: self.teacher_for(subject),
            site: (mode == Mode::Offline).then(|| self.site.clone()),
            price: Fen::new(price),
            class_size: 20,
            sessions,
            title: None,
            description: None,
        })
    }

    /// Publishes `plan` at `at` for `band`; returns the event id.
    pub(crate) fn publish(
        &self,
        em: &mut Emitter,
        at: UtcTime,
        plan: &Plan,
        band: GradeBand,
    ) -> Result<EventId, GenError> {
        let event = CoursePublished {
            course: plan.course.clone(),
            title: match &plan.title {
                Some(title) => text(title)?,
                None => text(&format!("{} {}", plan.subject.name_zh(), plan.course))?,
            },
            description: plan.description.as_deref().map(text).transpose()?,
            subject: plan.subject,
            grade_band: band,
            mode: plan.mode,
            site: plan.site.clone(),
            teachers: plan.teachers.clone(),
            price_per_lesson: plan.price,
            class_size_max: plan.class_size,
            sessions: plan.sessions.clone(),
        };
        Ok(em.emit(&self.who, at, event))
    }

    /// A legal fee for the whole of `plan` into the supervised account, collected at `at`.
    pub(crate) fn fee_for(&mut self, plan: &Plan) -> Result<FeeCollected, GenError> {
        let (contract, student) = self.next_contract()?;
        let lessons = u32::try_from(plan.sessions.len()).unwrap_or(u32::MAX);
        let (start, end) = plan.period();
        Ok(FeeCollected {
            contract,
            student,
            course: Some(plan.course.clone()),
            amount: Fen::new(plan.price.get() * u64::from(lessons)),
            lessons,
            service_start: start,
            service_end: end,
            supervised_account: Some(self.account.clone()),
            training_loan: false,
        })
    }
}

/// The minute past the hour for the `i`th hire of the day.
fn minute_of(i: usize) -> i8 {
    i8::try_from(i % 60).unwrap_or(0)
}
