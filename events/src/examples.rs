//! One well-formed example of every event type, built from a few parameters.
//!
//! Tests across the workspace (round trips, ingest, the crash test) use these instead of
//! hand-writing events, so that a new event type is covered everywhere by adding it here once.

use jiff::civil::Date;

use crate::advertising::{AdChannel, AdvertisementObserved, SchoolCarrier};
use crate::catalog::{Event, EVENT_TYPES};
use crate::credit_code::CreditCode;
use crate::envelope::{Envelope, Producer};
use crate::escrow::{
    DailyBalanceStated, FeeCollected, FundsReleased, RefundPaid, RefundRequested,
    RiskReserveDeposited, SupervisedAccountClosed, SupervisedAccountOpened,
};
use crate::ids::{
    AccountId, AdId, BankId, CertificateNo, ContractId, CourseId, EventId, FindingId, LessonId,
    LicenceNo, OfficerId, SiteId, StudentRef, TeacherId, Text,
};
use crate::kinds::{Category, GradeBand, LicensedModes, Mode, Subject};
use crate::money::Fen;
use crate::region::RegionCode;
use crate::registry::{
    InspectionRecorded, InstitutionRegistered, LicenceRestored, LicenceRevoked, LicenceSuspended,
    Site, SiteAdded, TeacherHired, TeacherLeft, DEFAULT_TIME_ZONE,
};
use crate::schedule::{
    CourseCancelled, CoursePriceChanged, CoursePublished, CourseRescheduled, LessonDelivered,
    Session,
};
use crate::supervision::{CaseAction, OfficerActed, PenaltyKind};
use crate::time::UtcTime;

/// The synthetic credit code from the rule catalogue (valid by both checks; 440200 = 韶关市).
pub const SAMPLE_CREDIT_CODE: &str = "52440200MJL123454R";
/// The region of the sample institution.
pub const SAMPLE_REGION: &str = "440200";

/// A synthetic credit code, valid by both checks, for institution number `n` of a generated
/// population (registered by civil affairs in the sample region, so it starts `52440200`).
pub fn synthetic_credit_code(n: u32) -> CreditCode {
    let body = format!("{}{:09}", &SAMPLE_CREDIT_CODE[..8], n % 1_000_000_000);
    let unchecked = parse(CreditCode::parse(&format!("{body}0")));
    parse(CreditCode::parse(&format!(
        "{body}{}",
        unchecked.expected_check_char()
    )))
}

/// The knobs an example is built from.
#[derive(Debug, Clone)]
pub struct ExampleParams {
    pub event_id: EventId,
    pub institution: CreditCode,
    pub region: RegionCode,
    /// When the example's lesson starts (and the event occurs).
    pub at: UtcTime,
    /// Lesson length, in seconds (at least 1).
    pub lesson_seconds: i64,
    /// An amount of money, in fen (at least 1).
    pub amount_fen: u64,
    /// A suffix for the ids the example names.
    pub tag: String,
}

impl ExampleParams {
    /// Sensible defaults: the sample institution, a 30-minute lesson at 19:00 Beijing time.
    pub fn new(event_id: EventId) -> Self {
        Self {
            event_id,
            institution: parse(CreditCode::parse(SAMPLE_CREDIT_CODE)),
            region: parse(RegionCode::parse(SAMPLE_REGION)),
            at: parse(UtcTime::parse("2025-09-01T11:00:00Z")),
            lesson_seconds: 30 * 60,
            amount_fen: 300_000,
            tag: "a1".to_owned(),
        }
    }
}

fn parse<T, E: std::fmt::Debug>(result: Result<T, E>) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("example values are valid by construction: {error:?}"),
    }
}

fn token<T: TryFrom<String>>(prefix: &str, tag: &str) -> T
where
    T::Error: std::fmt::Debug,
{
    parse(T::try_from(format!("{prefix}-{tag}")))
}

/// The bank every example escrow event comes from.
pub const SAMPLE_BANK: &str = "bank-1";

/// The API token handle example case actions are recorded with.
pub const SAMPLE_API_TOKEN: &str = "0000examples";

/// The subject an example is published on: its producer's own, or, for a case action (which
/// only the service sends), the service's API subject for [`SAMPLE_API_TOKEN`]. Tests and the
/// benchmark publish on servers without permissions, standing in for the service there.
pub fn subject_of(envelope: &Envelope) -> String {
    let identity = crate::Identity::own(&envelope.producer, envelope.region);
    if envelope.event.family() == crate::Family::Supervision {
        envelope.subject_as(&crate::Sender {
            identity,
            api_token: Some(parse(crate::ids::TokenId::parse(SAMPLE_API_TOKEN))),
        })
    } else {
        envelope.subject()
    }
}

/// The bank every example escrow event comes from.
pub fn sample_bank() -> BankId {
    parse(BankId::parse(SAMPLE_BANK))
}

/// The institution's one supervised account in the examples (held by [`sample_bank`]), so that a
/// stream of examples is one a bank could legally send.
fn account(p: &ExampleParams) -> AccountId {
    token::<AccountId>("acct", p.institution.as_str())
}

fn text(value: &str) -> Text {
    parse(Text::parse(value))
}

fn date(value: &str) -> Date {
    parse(value.parse::<Date>())
}

/// An example of the event type at `index` in the catalogue (wrapping around).
pub fn example(index: usize, p: &ExampleParams) -> Envelope {
    let info = EVENT_TYPES[index % EVENT_TYPES.len()];
    let tag = p.tag.as_str();
    let end = parse(UtcTime::from_nanos(
        p.at.as_nanos() + i128::from(p.lesson_seconds.max(1)) * 1_000_000_000,
    ));
    let amount = Fen::new(p.amount_fen.max(1));
    let session = Session {
        lesson: token::<LessonId>("lesson", tag),
        start: p.at,
        end,
    };
    let site = Site {
        id: token::<SiteId>("site", tag),
        address: text("韶关市浈江区风度中路1号"),
    };
    let event: Event = match info.code {
        1 => InstitutionRegistered {
            name: text("韶关市某某培训学校"),
            region: p.region,
            category: Category::Subject,
            subjects: vec![Subject::Mathematics, Subject::ForeignLanguage],
            modes: LicensedModes::Both,
            non_profit: true,
            licence: token::<LicenceNo>("lic", tag),
            approved_on: date("2020-03-01"),
            approved_sites: vec![site],
            time_zone: text(DEFAULT_TIME_ZONE),
        }
        .into(),
        2 => LicenceSuspended {
            reason: text("rectification ordered"),
            until: Some(date("2025-12-31")),
        }
        .into(),
        3 => LicenceRevoked {
            reason: text("operated while suspended"),
            grounds: crate::registry::RevocationGrounds::Penalty,
        }
        .into(),
        4 => LicenceRestored {
            note: text("rectified"),
        }
        .into(),
        5 => SiteAdded { site }.into(),
        6 => TeacherHired {
            teacher: token::<TeacherId>("t", tag),
            subjects: vec![Subject::Mathematics],
            qualification: Some(token::<CertificateNo>("cert", tag)),
            in_service_school_teacher: false,
            located_abroad: false,
            full_time: true,
        }
        .into(),
        7 => TeacherLeft {
            teacher: token::<TeacherId>("t", tag),
        }
        .into(),
        8 => InspectionRecorded {
            staff_total: 10,
            full_time_teaching_staff: 6,
            site: Some(token::<SiteId>("site", tag)),
            floor_area_m2: Some(200),
        }
        .into(),
        20 => CoursePublished {
            course: token::<CourseId>("course", tag),
            title: text("五年级数学"),
            description: Some(text("五年级数学同步课")),
            subject: Subject::Mathematics,
            grade_band: GradeBand::Primary,
            mode: Mode::Online,
            site: None,
            teachers: vec![token::<TeacherId>("t", tag)],
            price_per_lesson: amount,
            class_size_max: 30,
            sessions: vec![session],
        }
        .into(),
        21 => CourseRescheduled {
            course: token::<CourseId>("course", tag),
            sessions: vec![session],
        }
        .into(),
        22 => CourseCancelled {
            course: token::<CourseId>("course", tag),
            reason: text("too few students"),
        }
        .into(),
        24 => CoursePriceChanged {
            course: token::<CourseId>("course", tag),
            price_per_lesson: amount,
        }
        .into(),
        23 => LessonDelivered {
            course: token::<CourseId>("course", tag),
            lesson: token::<LessonId>("lesson", tag),
            start: p.at,
            end,
            site: None,
            teachers: vec![token::<TeacherId>("t", tag)],
            attendees: 12,
            undeclared: None,
            learners: vec![token::<StudentRef>("learner", tag)],
        }
        .into(),
        40 => SupervisedAccountOpened {
            account: account(p),
            bank: sample_bank(),
        }
        .into(),
        41 => SupervisedAccountClosed {
            account: account(p),
        }
        .into(),
        42 => FeeCollected {
            contract: token::<ContractId>("contract", tag),
            student: token::<StudentRef>("stu", tag),
            course: Some(token::<CourseId>("course", tag)),
            amount,
            lessons: 20,
            service_start: date("2025-09-01"),
            service_end: date("2025-11-30"),
            supervised_account: Some(account(p)),
            training_loan: false,
        }
        .into(),
        43 => FundsReleased {
            account: account(p),
            contract: token::<ContractId>("contract", tag),
            amount,
            lessons: 1,
        }
        .into(),
        44 => RefundRequested {
            contract: token::<ContractId>("contract", tag),
            amount,
            lessons: Some(5),
        }
        .into(),
        45 => RefundPaid {
            contract: token::<ContractId>("contract", tag),
            account: Some(account(p)),
            amount,
        }
        .into(),
        46 => DailyBalanceStated {
            account: account(p),
            date: date("2025-09-01"),
            balance: amount,
        }
        .into(),
        47 => RiskReserveDeposited {
            account: account(p),
            amount,
        }
        .into(),
        60 => AdvertisementObserved {
            ad: token::<AdId>("ad", tag),
            channel: AdChannel::PublicPlace,
            subject_training: true,
            aimed_at_minors: true,
            carrier: Some(SchoolCarrier::Workbook),
            course: Some(token::<CourseId>("course", tag)),
            claimed_former_price: Some(amount.saturating_add(Fen::new(1))),
            advertised_price: Some(amount),
            claimed_percent_off: Some(20),
            description: text("名师一对一，原价 300 元，限时 8 折"),
        }
        .into(),
        80 => OfficerActed {
            finding: FindingId::from_bytes([7; 16]),
            officer: token::<OfficerId>("officer", tag),
            action: CaseAction::Penalty {
                penalty: PenaltyKind::Fine,
                fine: Some(amount),
            },
            note: text("罚款"),
        }
        .into(),
        other => panic!("the examples do not cover event code {other}; add one"),
    };
    let producer = match event.family() {
        crate::Family::Schedule => Producer::Institution(p.institution.clone()),
        crate::Family::Escrow => Producer::Bank(sample_bank()),
        crate::Family::Registry => Producer::Registry(p.region),
        crate::Family::Advertising | crate::Family::Supervision => {
            Producer::Officer(token::<OfficerId>("officer", tag))
        }
    };
    Envelope {
        event_id: p.event_id,
        institution: p.institution.clone(),
        region: p.region,
        producer,
        occurred_at: p.at,
        event,
    }
}

/// The order the example streams cycle through the event types in: the catalog's order, except
/// that the supervised account is closed after the bank's other events, so that every event of a
/// stream about one institution is one its sender may send (the registration first, the account
/// opened before it is used).
pub fn legal_order() -> Vec<usize> {
    let closed = EVENT_TYPES
        .iter()
        .position(|t| t.code == 41)
        .unwrap_or_else(|| unreachable!("the catalog has supervised_account_closed"));
    let last_escrow = EVENT_TYPES
        .iter()
        .rposition(|t| t.family == crate::Family::Escrow)
        .unwrap_or_else(|| unreachable!("the catalog has escrow events"));
    let mut order: Vec<usize> = (0..EVENT_TYPES.len()).filter(|&i| i != closed).collect();
    order.insert(last_escrow, closed);
    order
}

/// `count` events with fresh v7 ids, cycling through every event type in [`legal_order`], each
/// with its own ids (tag `e<i>`), about the institution `institution(i)`: the stream tests and
/// benchmarks publish. Each run of `EVENT_TYPES.len()` events from a multiple of it about one
/// institution is a legal history (see `legal_order`).
pub fn stream(count: usize, institution: impl Fn(usize) -> CreditCode) -> Vec<Envelope> {
    stream_range(0..count, institution).collect()
}

/// Events `range` of the same stream as [`stream`], generated lazily (for runs too long to hold
/// in memory): event `i` is the same type, with the same tag and institution, as `stream`'s `i`.
pub fn stream_range(
    range: std::ops::Range<usize>,
    institution: impl Fn(usize) -> CreditCode,
) -> impl Iterator<Item = Envelope> {
    let order = legal_order();
    range.map(move |i| {
        let mut params = ExampleParams::new(EventId::new_v7());
        params.tag = format!("e{i}");
        params.institution = institution(i);
        example(order[i % order.len()], &params)
    })
}

/// One example of every event type, in [`legal_order`], with fresh v7 ids.
pub fn one_of_each() -> Vec<Envelope> {
    legal_order()
        .into_iter()
        .map(|i| example(i, &ExampleParams::new(EventId::new_v7())))
        .collect()
}
