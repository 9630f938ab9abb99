//! Tests of the projections, built from small event helpers: a [`Log`] hands out sequences and
//! deterministic event ids, so every test (and every replay) sees the same log.

mod ads;
mod catalogue;
mod funds;
mod inspections;
mod lessons;
mod lists;
mod partition;
mod replay;

use jiff::civil::Date;
use tutorwatch_events::escrow::{
    DailyBalanceStated, FeeCollected, FundsReleased, RefundPaid, RefundRequested,
    SupervisedAccountClosed, SupervisedAccountOpened,
};
use tutorwatch_events::ids::{
    AccountId, BankId, CertificateNo, ContractId, CourseId, LessonId, LicenceNo, OfficerId, SiteId,
    StudentRef, TeacherId, Text,
};
use tutorwatch_events::kinds::{Category, GradeBand, LicensedModes, Mode, Subject};
use tutorwatch_events::registry::{InstitutionRegistered, Site, TeacherHired};
use tutorwatch_events::schedule::{CoursePublished, LessonDelivered, Session};
use tutorwatch_events::supervision::{CaseAction, OfficerActed};
use tutorwatch_events::{
    CreditCode, Envelope, Event, EventId, Family, Fen, LoggedEvent, Producer, RegionCode, UtcTime,
};

use crate::policy::Policy;
use crate::projector::{Booked, Projector};
use tutorwatch_findings::{Finding, RuleId};

pub const CODE: &str = "52440200MJL123454R";
/// A valid enterprise ("91") code, for for-profit institutions.
pub const FOR_PROFIT_CODE: &str = "91350100M000100Y43";
pub const REGION: &str = "440200";

pub fn code(text: &str) -> CreditCode {
    CreditCode::parse(text).expect("valid credit code")
}

pub fn region(text: &str) -> RegionCode {
    RegionCode::parse(text).expect("valid region")
}

pub fn t(text: &str) -> UtcTime {
    UtcTime::parse(text).expect("RFC 3339 with offset")
}

pub fn date(text: &str) -> Date {
    text.parse().expect("valid date")
}

pub fn text(value: &str) -> Text {
    Text::parse(value).expect("valid text")
}

macro_rules! tok {
    ($ty:ident, $value:expr) => {
        $ty::parse($value).expect("valid token")
    };
}
pub(crate) use tok;

/// Builds a log of events about one institution (or others), with sequential seqs.
#[derive(Debug)]
pub struct Log {
    pub institution: CreditCode,
    pub region: RegionCode,
    pub events: Vec<LoggedEvent>,
}

impl Log {
    pub fn new() -> Self {
        Self::for_institution(CODE, REGION)
    }

    pub fn for_institution(credit_code: &str, region_code: &str) -> Self {
        Self {
            institution: code(credit_code),
            region: region(region_code),
            events: Vec::new(),
        }
    }

    /// Appends an event that occurred (and was recorded) at `at`, sent by its family's usual
    /// producer (the institution, bank-1, the region's registry, officer-1).
    pub fn push(&mut self, at: &str, event: impl Into<Event>) -> LoggedEvent {
        let event = event.into();
        let producer = match event.family() {
            Family::Schedule => Producer::Institution(self.institution.clone()),
            Family::Escrow => bank("bank-1"),
            Family::Registry => Producer::Registry(self.region),
            Family::Advertising | Family::Supervision => {
                Producer::Officer(tok!(OfficerId, "officer-1"))
            }
        };
        self.push_by(producer, at, event)
    }

    /// Appends an event that occurred (and was recorded) at `at`, sent by `producer`.
    pub fn push_by(
        &mut self,
        producer: Producer,
        at: &str,
        event: impl Into<Event>,
    ) -> LoggedEvent {
        let event = event.into();
        let seq = self.events.len() as u64 + 1;
        let hash =
            seq ^ u64::from_str_radix(&self.institution.as_str()[10..16], 36).unwrap_or(0) << 20;
        let logged = LoggedEvent {
            seq,
            recorded_at: t(at),
            envelope: Envelope {
                event_id: EventId::from_uuid(uuid::Uuid::from_u64_pair(hash, seq)),
                institution: self.institution.clone(),
                region: self.region,
                producer,
                occurred_at: t(at),
                event,
            },
        };
        self.events.push(logged.clone());
        logged
    }

    /// Registers the institution: subject, both modes, non-profit, one site, one account.
    pub fn licensed_subject_institution(&mut self) {
        self.licensed_subject_institution_with_teacher(true);
    }

    /// The same, its one maths teacher full time or not.
    pub fn licensed_subject_institution_with_teacher(&mut self, full_time: bool) {
        self.push(
            "2025-01-02T09:00:00+08:00",
            registration(Category::Subject, LicensedModes::Both, true),
        );
        self.push(
            "2025-01-02T10:00:00+08:00",
            TeacherHired {
                teacher: tok!(TeacherId, "t-1"),
                subjects: vec![Subject::Mathematics],
                qualification: Some(tok!(CertificateNo, "cert-1")),
                in_service_school_teacher: false,
                located_abroad: false,
                full_time,
            },
        );
        self.push(
            "2025-01-02T11:00:00+08:00",
            SupervisedAccountOpened {
                account: tok!(AccountId, "acct-1"),
                bank: tok!(BankId, "bank-1"),
            },
        );
    }
}

/// A bank as a producer.
pub fn bank(id: &str) -> Producer {
    Producer::Bank(tok!(BankId, id))
}

pub fn registration(
    category: Category,
    modes: LicensedModes,
    non_profit: bool,
) -> InstitutionRegistered {
    let subjects = match category {
        Category::Subject => vec![Subject::Mathematics, Subject::ForeignLanguage],
        Category::NonSubject => vec![Subject::Music, Subject::Sports],
    };
    InstitutionRegistered {
        name: text("韶关市某某培训学校"),
        region: region(REGION),
        category,
        subjects,
        modes,
        non_profit,
        licence: tok!(LicenceNo, "lic-1"),
        approved_on: date("2020-03-01"),
        approved_sites: vec![Site {
            id: tok!(SiteId, "site-1"),
            address: text("韶关市浈江区风度中路1号"),
        }],
        time_zone: text("Asia/Shanghai"),
    }
}

pub fn session(lesson: &str, start: &str, end: &str) -> Session {
    Session {
        lesson: tok!(LessonId, lesson),
        start: t(start),
        end: t(end),
    }
}

pub fn course(
    id: &str,
    subject: Subject,
    band: GradeBand,
    mode: Mode,
    sessions: Vec<Session>,
) -> CoursePublished {
    CoursePublished {
        course: tok!(CourseId, id),
        title: text("课程"),
        description: None,
        subject,
        grade_band: band,
        mode,
        site: (mode == Mode::Offline).then(|| tok!(SiteId, "site-1")),
        teachers: vec![tok!(TeacherId, "t-1")],
        price_per_lesson: Fen::yuan(100),
        class_size_max: 30,
        sessions,
    }
}

pub fn delivered(course: &str, lesson: &str, start: &str, end: &str) -> LessonDelivered {
    LessonDelivered {
        course: tok!(CourseId, course),
        lesson: tok!(LessonId, lesson),
        start: t(start),
        end: t(end),
        site: None,
        teachers: vec![tok!(TeacherId, "t-1")],
        attendees: 10,
        undeclared: None,
        learners: Vec::new(),
    }
}

pub fn fee(contract: &str, amount: Fen, lessons: u32, start: &str, end: &str) -> FeeCollected {
    FeeCollected {
        contract: tok!(ContractId, contract),
        student: tok!(StudentRef, "stu-1"),
        course: None,
        amount,
        lessons,
        service_start: date(start),
        service_end: date(end),
        supervised_account: Some(tok!(AccountId, "acct-1")),
        training_loan: false,
    }
}

pub fn release(contract: &str, amount: Fen, lessons: u32) -> FundsReleased {
    FundsReleased {
        account: tok!(AccountId, "acct-1"),
        contract: tok!(ContractId, contract),
        amount,
        lessons,
    }
}

pub fn refund_requested(contract: &str, amount: Fen) -> RefundRequested {
    RefundRequested {
        contract: tok!(ContractId, contract),
        amount,
        lessons: None,
    }
}

pub fn refund_paid(contract: &str, amount: Fen) -> RefundPaid {
    RefundPaid {
        contract: tok!(ContractId, contract),
        account: Some(tok!(AccountId, "acct-1")),
        amount,
    }
}

pub fn balance(day: &str, amount: Fen) -> DailyBalanceStated {
    DailyBalanceStated {
        account: tok!(AccountId, "acct-1"),
        date: date(day),
        balance: amount,
    }
}

pub fn account_closed() -> SupervisedAccountClosed {
    SupervisedAccountClosed {
        account: tok!(AccountId, "acct-1"),
    }
}

pub fn officer(finding: &Finding, action: CaseAction) -> OfficerActed {
    OfficerActed {
        finding: finding.id,
        officer: tok!(OfficerId, "officer-1"),
        action,
        note: text("note"),
    }
}

pub fn policy() -> Policy {
    Policy::national().expect("the shipped policy is valid")
}

/// Runs a log through a fresh projector.
pub fn run(events: &[LoggedEvent]) -> Booked {
    let mut projector = Booked::new(policy());
    for event in events {
        projector.apply(event);
    }
    projector
}

/// The findings of a rule, in id order.
pub fn of_rule(projector: &Booked, rule: RuleId) -> Vec<Finding> {
    projector
        .findings()
        .filter(|f| f.rule == rule)
        .cloned()
        .collect()
}
