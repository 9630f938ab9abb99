//! Projections end to end: a small scenario published over a real nats-server, projected by the
//! running service, read back with `tutorwatch findings` and `lists`, and checked against a fresh
//! `tutorwatch replay`; then what a relaxed policy would change, with `replay --diff`.

use std::collections::BTreeSet;
use std::process::{Command, Output};
use std::time::Duration;

use jiff::civil::Date;
use tutorwatch_events::escrow::{FeeCollected, SupervisedAccountOpened};
use tutorwatch_events::ids::{
    AccountId, BankId, ContractId, CourseId, LessonId, LicenceNo, SiteId, StudentRef, TeacherId,
    Text,
};
use tutorwatch_events::kinds::{Category, GradeBand, LicensedModes, Mode, Subject};
use tutorwatch_events::registry::{InstitutionRegistered, Site, TeacherHired};
use tutorwatch_events::schedule::{CoursePublished, CourseRescheduled, LessonDelivered, Session};
use tutorwatch_events::{CreditCode, Envelope, Event, EventId, Fen, Producer, RegionCode, UtcTime};

use crate::helpers::*;

const CODE: &str = "52440200MJL123454R";
const REGION: &str = "440200";

fn t(text: &str) -> UtcTime {
    UtcTime::parse(text).expect("RFC 3339 with an offset")
}

fn date(text: &str) -> Date {
    text.parse().expect("a date")
}

fn token<T: TryFrom<String>>(text: &str) -> T
where
    T::Error: std::fmt::Debug,
{
    T::try_from(text.to_owned()).expect("a valid token")
}

fn text(value: &str) -> Text {
    Text::parse(value).expect("valid text")
}

fn envelope(at: &str, event: impl Into<Event>) -> Envelope {
    let event = event.into();
    let institution = CreditCode::parse(CODE).expect("valid code");
    let region = RegionCode::parse(REGION).expect("valid region");
    let producer = match event.family() {
        tutorwatch_events::Family::Schedule => Producer::Institution(institution.clone()),
        tutorwatch_events::Family::Escrow => Producer::Bank(token("bank-1")),
        _ => Producer::Registry(region),
    };
    Envelope {
        event_id: EventId::new_v7(),
        institution,
        region,
        producer,
        occurred_at: t(at),
        event,
    }
}

fn session(lesson: &str, start: &str, end: &str) -> Session {
    Session {
        lesson: token(lesson),
        start: t(start),
        end: t(end),
    }
}

/// The course's three lessons, with lesson l1 ending at `l1_end`: l2 ends one second after
/// 21:00; l3 lasts exactly 30 minutes and ends well before 21:00, which is legal.
fn plan(l1_end: &str) -> Vec<Session> {
    vec![
        session("l1", "2025-09-09T19:00:00+08:00", l1_end),
        session(
            "l2",
            "2025-09-10T20:31:00+08:00",
            "2025-09-10T21:00:01+08:00",
        ),
        session(
            "l3",
            "2025-09-11T19:00:00+08:00",
            "2025-09-11T19:30:00+08:00",
        ),
    ]
}

/// The scenario, and the ids of the events that must prove each finding.
struct Scenario {
    events: Vec<Envelope>,
    long_lesson_plan: EventId,
    late_end_plan: EventId,
    reschedule: EventId,
    fee_outside_escrow: EventId,
}

fn scenario() -> Scenario {
    let registered = envelope(
        "2025-08-01T09:00:00+08:00",
        InstitutionRegistered {
            name: text("韶关市某某培训学校"),
            region: RegionCode::parse(REGION).expect("valid region"),
            category: Category::Subject,
            subjects: vec![Subject::Mathematics],
            modes: LicensedModes::Both,
            non_profit: true,
            licence: token::<LicenceNo>("lic-1"),
            approved_on: date("2020-03-01"),
            approved_sites: vec![Site {
                id: token::<SiteId>("site-1"),
                address: text("浈江区风度中路1号"),
            }],
            time_zone: text("Asia/Shanghai"),
        },
    );
    let teacher = envelope(
        "2025-08-02T09:00:00+08:00",
        TeacherHired {
            teacher: token::<TeacherId>("t-1"),
            subjects: vec![Subject::Mathematics],
            qualification: Some(token("cert-1")),
            in_service_school_teacher: false,
            located_abroad: false,
            full_time: true,
        },
    );
    let account = envelope(
        "2025-08-03T09:00:00+08:00",
        SupervisedAccountOpened {
            account: token::<AccountId>("acct-1"),
            bank: token::<BankId>("bank-1"),
        },
    );
    // Tuesday to Thursday of a school week in September 2025: no holiday, no vacation.
    let course = envelope(
        "2025-09-01T10:00:00+08:00",
        CoursePublished {
            course: token::<CourseId>("math-5"),
            title: text("五年级数学"),
            description: None,
            subject: Subject::Mathematics,
            grade_band: GradeBand::Primary,
            mode: Mode::Online,
            site: None,
            teachers: vec![token("t-1")],
            price_per_lesson: Fen::yuan(80),
            class_size_max: 30,
            // l1 runs 31 minutes, over the cap.
            sessions: plan("2025-09-09T19:31:00+08:00"),
        },
    );
    // Before lesson l1, the plan is fixed: l1 becomes 30 minutes, so its finding is withdrawn.
    let reschedule = envelope(
        "2025-09-05T10:00:00+08:00",
        CourseRescheduled {
            course: token("math-5"),
            sessions: plan("2025-09-09T19:30:00+08:00"),
        },
    );
    let delivered = envelope(
        "2025-09-11T19:31:00+08:00",
        LessonDelivered {
            course: token("math-5"),
            lesson: token::<LessonId>("l3"),
            start: t("2025-09-11T19:00:00+08:00"),
            end: t("2025-09-11T19:30:00+08:00"),
            site: None,
            teachers: vec![token("t-1")],
            attendees: 12,
            undeclared: None,
            learners: Vec::new(),
        },
    );
    let fee = envelope(
        "2025-09-02T15:00:00+08:00",
        FeeCollected {
            contract: token::<ContractId>("c-1"),
            student: token::<StudentRef>("stu-7f3a"),
            course: Some(token("math-5")),
            amount: Fen::yuan(1_600),
            lessons: 20,
            service_start: date("2025-09-01"),
            service_end: date("2025-11-30"),
            supervised_account: None,
            training_loan: false,
        },
    );
    Scenario {
        long_lesson_plan: course.event_id,
        late_end_plan: course.event_id,
        reschedule: reschedule.event_id,
        fee_outside_escrow: fee.event_id,
        events: vec![
            registered, teacher, account, course, fee, reschedule, delivered,
        ],
    }
}

fn tutorwatch(args: &[&str]) -> Output {
    Command::new(binary())
        .args(args)
        .output()
        .expect("Failed to run tutorwatch")
}

fn json_of(output: &Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "tutorwatch failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("stdout is JSON")
}

fn evidence_ids(finding: &serde_json::Value) -> BTreeSet<String> {
    finding["evidence"]
        .as_array()
        .expect("evidence is a list")
        .iter()
        .map(|e| e["event_id"].as_str().expect("an event id").to_owned())
        .collect()
}

#[tokio::test]
async fn a_published_scenario_is_projected_and_equals_a_fresh_replay() {
    let nats = NatsServer::start();
    let data = tempfile::tempdir().expect("tempdir");
    let mut service = Service::start(&nats.url(), data.path());
    service.wait_ready().await;
    let publisher = Publisher::connect(&nats.url()).await;
    let scenario = scenario();
    publish_all(&publisher, &scenario.events, |_| true, |i| i % 2 == 0).await;
    let count = scenario.events.len() as u64;
    wait_until(
        Duration::from_secs(30),
        "the scenario to be projected",
        || async {
            match service.get_json("/v1/log/stats").await {
                Some((_, stats)) => stats["projector"]["applied_seq"] == count,
                None => false,
            }
        },
    )
    .await;
    assert!(service.terminate().success(), "{}", service.stderr());
    let dir = data.path().to_string_lossy().into_owned();

    let all = json_of(&tutorwatch(&[
        "findings", "--data", &dir, "--limit", "1000",
    ]));
    let findings = all["findings"].as_array().expect("a list");
    let by_rule = |rule: &str| -> Vec<&serde_json::Value> {
        findings.iter().filter(|f| f["rule"] == rule).collect()
    };
    let rules: BTreeSet<&str> = findings
        .iter()
        .map(|f| f["rule"].as_str().expect("a rule id"))
        .collect();
    assert_eq!(
        rules,
        BTreeSet::from([
            "ONLINE_LESSON_MAX_30MIN",
            "ONLINE_END_BY_2100",
            "PREPAY_DEDICATED_ACCOUNT"
        ]),
        "{all:#}"
    );

    let long = by_rule("ONLINE_LESSON_MAX_30MIN");
    assert_eq!(long.len(), 1);
    assert!(evidence_ids(long[0]).contains(&scenario.long_lesson_plan.to_string()));
    assert_eq!(
        long[0]["status"], "withdrawn",
        "rescheduled before the lesson: {:#}",
        long[0]
    );
    let withdrawn_by: Vec<&str> = long[0]["status_events"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|e| e["event_id"].as_str())
        .collect();
    assert_eq!(withdrawn_by, vec![scenario.reschedule.to_string()]);

    let late = by_rule("ONLINE_END_BY_2100");
    assert_eq!(late.len(), 1);
    assert!(evidence_ids(late[0]).contains(&scenario.late_end_plan.to_string()));
    assert_eq!(late[0]["status"], "open");
    assert_eq!(late[0]["region"], REGION);
    assert_eq!(late[0]["institution"], CODE);
    let description = late[0]["description"].as_str().expect("a description");
    assert!(description.contains("21:00:01"), "{description}");

    let fee = by_rule("PREPAY_DEDICATED_ACCOUNT");
    assert_eq!(fee.len(), 1);
    assert!(evidence_ids(fee[0]).contains(&scenario.fee_outside_escrow.to_string()));

    // The feed by jurisdiction: the province sees it, another province does not.
    let province = json_of(&tutorwatch(&[
        "findings", "--data", &dir, "--region", "440000",
    ]));
    assert_eq!(
        province["findings"].as_array().map(Vec::len),
        Some(findings.len())
    );
    let elsewhere = json_of(&tutorwatch(&[
        "findings", "--data", &dir, "--region", "450000",
    ]));
    assert_eq!(elsewhere["findings"].as_array().map(Vec::len), Some(0));

    // Fees collected outside escrow put the institution on the black list, with the evidence.
    let lists = json_of(&tutorwatch(&["lists", "--data", &dir]));
    let entry = &lists["entries"][0];
    assert_eq!(entry["institution"], CODE);
    assert_eq!(entry["status"], "black", "{lists:#}");

    // The stored projections equal a fresh replay, and two replays agree byte for byte.
    let check = json_of(&tutorwatch(&["replay", "--data", &dir, "--check"]));
    assert_eq!(check["matches"], true, "{check:#}");
    // What readers are shown of the facts was compared too: the institution and its course.
    assert_eq!(check["profiles"]["matches"], true, "{check:#}");
    assert_eq!(check["profiles"]["stored_rows"], 1, "{check:#}");
    assert_eq!(check["plans"]["matches"], true, "{check:#}");
    assert!(
        check["plans"]["stored_rows"].as_u64() >= Some(1),
        "{check:#}"
    );
    let first = json_of(&tutorwatch(&["replay", "--data", &dir]));
    let second = json_of(&tutorwatch(&["replay", "--data", &dir]));
    assert_eq!(first, second);
    assert_eq!(first["digest"]["findings"], findings.len());
    // Split by institution into partitions or not, a replay prints the same.
    for partitions in ["1", "3"] {
        let split = json_of(&tutorwatch(&[
            "replay",
            "--data",
            &dir,
            "--partitions",
            partitions,
        ]));
        assert_eq!(split, first, "{partitions} partitions");
    }
    let refused = tutorwatch(&["replay", "--data", &dir, "--partitions", "0"]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("--partitions"), "{said}");

    // What if the online cap were 31 minutes and the end 21:00:01? Both lesson findings go.
    let national = include_str!("../projections/policy/national.toml");
    let relaxed = national
        .replace(
            "version = \"cn-national-2025.1\"",
            "version = \"what-if-relaxed\"",
        )
        .replace(
            "{ from = \"2021-07-24\", value = 1800 }",
            "{ from = \"2021-07-24\", value = 1860 }",
        )
        .replace(
            "online_end_local = [{ from = \"2019-07-01\", value = \"21:00:00\" }]",
            "online_end_local = [{ from = \"2019-07-01\", value = \"21:00:01\" }]",
        );
    assert_ne!(relaxed, national);
    let policy = data.path().join("relaxed.toml");
    std::fs::write(&policy, relaxed).expect("writes");
    let policy = policy.to_string_lossy().into_owned();
    let what_if = json_of(&tutorwatch(&[
        "replay", "--data", &dir, "--policy", &policy, "--diff",
    ]));
    let removed: BTreeSet<&str> = what_if["diff"]["removed"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|f| f["rule"].as_str().expect("a rule id"))
        .collect();
    assert_eq!(
        removed,
        BTreeSet::from(["ONLINE_LESSON_MAX_30MIN", "ONLINE_END_BY_2100"]),
        "{what_if:#}"
    );
    assert_eq!(what_if["diff"]["added"].as_array().map(Vec::len), Some(0));
}
