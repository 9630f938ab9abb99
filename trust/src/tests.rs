//! The policy's matrix: every kind of sender, every family, own and other institution, region and
//! account, judged against facts built by the policy itself from a legal history.

use std::collections::BTreeMap;

use tutorwatch_events::examples::{example, legal_order, sample_bank, ExampleParams};
use tutorwatch_events::ids::{AccountId, BankId, OfficerId, TokenId};
use tutorwatch_events::{
    CreditCode, Envelope, Event, EventId, Family, Identity, Producer, RegionCode, Sender, UtcTime,
};

use crate::{authorise, record_facts, FactKv, FactsError, RefusalCode, TrustSettings};

#[derive(Debug, Default)]
struct Memory(BTreeMap<Vec<u8>, Vec<u8>>);

impl FactKv for Memory {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, FactsError> {
        Ok(self.0.get(key).cloned())
    }
    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.0.insert(key, value);
    }
}

fn region(code: &str) -> RegionCode {
    RegionCode::parse(code).expect("region")
}

fn own() -> CreditCode {
    CreditCode::parse(tutorwatch_events::examples::SAMPLE_CREDIT_CODE).expect("code")
}

fn received() -> UtcTime {
    UtcTime::parse("2025-09-01T12:00:00Z").expect("time")
}

fn of_type(name: &str) -> Envelope {
    let index = tutorwatch_events::EVENT_TYPES
        .iter()
        .position(|t| t.name == name)
        .expect("a known type");
    example(index, &ExampleParams::new(EventId::new_v7()))
}

fn judge(memory: &mut Memory, sender: &Sender, envelope: &Envelope) -> Result<(), RefusalCode> {
    authorise(
        sender,
        envelope,
        received(),
        &TrustSettings::default(),
        memory,
    )
    .expect("memory facts never fail")
    .map_err(|r| r.code)
}

/// Facts after the registry registered the sample institution and bank-1 opened its account.
fn registered() -> Memory {
    let mut memory = Memory::default();
    for name in ["registry.institution_registered", "escrow.account_opened"] {
        let envelope = of_type(name);
        let sender = Sender::direct(Identity::own(&envelope.producer, envelope.region));
        assert_eq!(judge(&mut memory, &sender, &envelope), Ok(()), "{name}");
    }
    memory
}

fn api(identity: Identity) -> Sender {
    Sender {
        identity,
        api_token: Some(TokenId::parse("0123456789ab").expect("token id")),
    }
}

#[test]
fn a_legal_history_is_accepted_from_its_own_senders() {
    let mut memory = Memory::default();
    for index in legal_order() {
        let envelope = example(index, &ExampleParams::new(EventId::new_v7()));
        let identity = Identity::own(&envelope.producer, envelope.region);
        let sender = if envelope.event.family() == Family::Supervision {
            api(identity)
        } else {
            Sender::direct(identity)
        };
        assert_eq!(
            judge(&mut memory, &sender, &envelope),
            Ok(()),
            "{}",
            envelope.event.event_type()
        );
    }
}

#[test]
fn every_kind_of_sender_sends_only_its_own_family_as_itself() {
    let senders = [
        Identity::Institution(own()),
        Identity::Bank(sample_bank()),
        Identity::Registry(region("440200")),
        Identity::Officer {
            officer: OfficerId::parse("officer-a1").expect("id"),
            region: region("440200"),
        },
    ];
    for identity in senders {
        for index in legal_order() {
            let envelope = example(index, &ExampleParams::new(EventId::new_v7()));
            let mut memory = registered();
            let speaks_as_itself = identity.may_speak_as(&envelope.producer);
            let verdict = judge(&mut memory, &api(identity.clone()), &envelope);
            assert_eq!(
                verdict.is_ok(),
                speaks_as_itself,
                "{identity} sending {}",
                envelope.event.event_type()
            );
        }
    }
}

#[test]
fn the_operator_speaks_for_anyone_but_case_actions_need_the_api() {
    let mut memory = registered();
    let fee = of_type("escrow.fee_collected");
    assert_eq!(
        judge(&mut memory, &Sender::direct(Identity::Admin), &fee),
        Ok(())
    );
    let acted = of_type("supervision.officer_acted");
    assert_eq!(
        judge(&mut memory, &Sender::direct(Identity::Admin), &acted),
        Err(RefusalCode::Unauthorised)
    );
    assert_eq!(judge(&mut memory, &api(Identity::Admin), &acted), Ok(()));
}

#[test]
fn an_unknown_institution_is_refused_for_everyone_but_its_registry() {
    for name in [
        "schedule.course_published",
        "escrow.fee_collected",
        "advertising.ad_observed",
        "registry.licence_suspended",
    ] {
        let mut memory = Memory::default();
        let envelope = of_type(name);
        assert_eq!(
            judge(&mut memory, &Sender::direct(Identity::Admin), &envelope),
            Err(RefusalCode::Unauthorised),
            "{name}"
        );
    }
}

#[test]
fn the_region_belongs_to_the_registration() {
    let mut memory = registered();
    let mut schedule = of_type("schedule.course_published");
    schedule.region = region("110101");
    let institution = Sender::direct(Identity::Institution(own()));
    assert_eq!(
        judge(&mut memory, &institution, &schedule),
        Err(RefusalCode::Unauthorised)
    );

    // Another province's registry can neither revoke nor re-register it.
    let mut revoked = of_type("registry.licence_revoked");
    revoked.region = region("110000");
    revoked.producer = Producer::Registry(region("110000"));
    let beijing = Sender::direct(Identity::Registry(region("110000")));
    assert_eq!(
        judge(&mut memory, &beijing, &revoked),
        Err(RefusalCode::Unauthorised)
    );
    let mut moved = of_type("registry.institution_registered");
    moved.region = region("110101");
    moved.producer = Producer::Registry(region("110000"));
    if let Event::InstitutionRegistered(r) = &mut moved.event {
        r.region = region("110101");
    }
    assert_eq!(
        judge(&mut memory, &beijing, &moved),
        Err(RefusalCode::Unauthorised)
    );

    // A registry cannot register outside its jurisdiction, nor outside the code's province.
    let mut memory = Memory::default();
    let mut elsewhere = of_type("registry.institution_registered");
    elsewhere.producer = Producer::Registry(region("440300"));
    let shenzhen = Sender::direct(Identity::Registry(region("440300")));
    assert_eq!(
        judge(&mut memory, &shenzhen, &elsewhere),
        Err(RefusalCode::Unauthorised)
    );
    let guangdong = Sender::direct(Identity::Registry(region("440000")));
    let mut in_province = of_type("registry.institution_registered");
    in_province.producer = Producer::Registry(region("440000"));
    assert_eq!(judge(&mut memory, &guangdong, &in_province), Ok(()));
}

#[test]
fn an_institution_sends_only_about_itself() {
    let mut memory = registered();
    let other = tutorwatch_events::examples::synthetic_credit_code(7);
    let mut about_other = of_type("schedule.course_cancelled");
    about_other.institution = other;
    let institution = Sender::direct(Identity::Institution(own()));
    let refusal = authorise(
        &institution,
        &about_other,
        received(),
        &TrustSettings::default(),
        &mut memory,
    )
    .expect("memory facts never fail")
    .expect_err("refused");
    assert_eq!(refusal.code, RefusalCode::Unauthorised);
}

#[test]
fn price_changes_and_inspections_are_judged_like_their_families() {
    let mut memory = registered();
    let price = of_type("schedule.course_price_changed");
    let inspection = of_type("registry.inspection_recorded");
    let institution = Sender::direct(Identity::Institution(own()));
    let registry = Sender::direct(Identity::Registry(region("440200")));
    assert_eq!(judge(&mut memory, &institution, &price), Ok(()));
    assert_eq!(judge(&mut memory, &registry, &inspection), Ok(()));
    // Another institution may not reprice the course, nor an institution record its own
    // inspection, nor a bank either.
    let other = Sender::direct(Identity::Institution(
        tutorwatch_events::examples::synthetic_credit_code(7),
    ));
    assert_eq!(
        judge(&mut memory, &other, &price),
        Err(RefusalCode::Unauthorised)
    );
    let mut self_inspected = inspection.clone();
    self_inspected.producer = Producer::Institution(own());
    assert_eq!(
        judge(&mut memory, &institution, &self_inspected),
        Err(RefusalCode::Unauthorised)
    );
    let bank = Sender::direct(Identity::Bank(sample_bank()));
    assert_eq!(
        judge(&mut memory, &bank, &price),
        Err(RefusalCode::Unauthorised)
    );
    // A registry outside the institution's region, or an event naming another region.
    let mut beijing_inspection = inspection.clone();
    beijing_inspection.producer = Producer::Registry(region("110000"));
    let beijing = Sender::direct(Identity::Registry(region("110000")));
    assert_eq!(
        judge(&mut memory, &beijing, &beijing_inspection),
        Err(RefusalCode::Unauthorised)
    );
    let mut elsewhere = price.clone();
    elsewhere.region = region("110101");
    assert_eq!(
        judge(&mut memory, &institution, &elsewhere),
        Err(RefusalCode::Unauthorised)
    );
    // Dated an hour ahead of its receipt.
    let mut future = price;
    future.occurred_at = UtcTime::parse("2025-09-01T13:00:00Z").expect("time");
    assert_eq!(
        judge(&mut memory, &institution, &future),
        Err(RefusalCode::FutureDated)
    );
}

#[test]
fn an_officer_reaches_only_institutions_in_their_jurisdiction() {
    let mut memory = registered();
    let ad = of_type("advertising.ad_observed");
    let Producer::Officer(officer) = ad.producer.clone() else {
        panic!("ads come from officers")
    };
    let outside = Sender::direct(Identity::Officer {
        officer: officer.clone(),
        region: region("440300"),
    });
    assert_eq!(
        judge(&mut memory, &outside, &ad),
        Err(RefusalCode::Unauthorised)
    );
    let province = Sender::direct(Identity::Officer {
        officer,
        region: region("440000"),
    });
    assert_eq!(judge(&mut memory, &province, &ad), Ok(()));
}

#[test]
fn accounts_belong_to_the_bank_that_opened_them() {
    let other_bank = BankId::parse("bank-2").expect("id");
    let intruder = Sender::direct(Identity::Bank(other_bank.clone()));

    // Re-opening bank-1's account in bank-2's name.
    let mut memory = registered();
    let mut reopen = of_type("escrow.account_opened");
    reopen.producer = Producer::Bank(other_bank.clone());
    if let Event::SupervisedAccountOpened(o) = &mut reopen.event {
        o.bank = other_bank.clone();
    }
    assert_eq!(
        judge(&mut memory, &intruder, &reopen),
        Err(RefusalCode::Unauthorised)
    );

    // A fee outside escrow from a bank with no account at the institution.
    let mut fee = of_type("escrow.fee_collected");
    fee.producer = Producer::Bank(other_bank.clone());
    if let Event::FeeCollected(f) = &mut fee.event {
        f.supervised_account = None;
    }
    assert_eq!(
        judge(&mut memory, &intruder, &fee),
        Err(RefusalCode::Unauthorised)
    );

    // Statements about an account the bank does not hold.
    let mut statement = of_type("escrow.daily_balance");
    statement.producer = Producer::Bank(other_bank);
    assert_eq!(
        judge(&mut memory, &intruder, &statement),
        Err(RefusalCode::Unauthorised)
    );

    // The holder may post a fee outside escrow (the escrow rules flag it) while its account is
    // open, and not after it closed it.
    let holder = Sender::direct(Identity::Bank(sample_bank()));
    let mut outside = of_type("escrow.fee_collected");
    if let Event::FeeCollected(f) = &mut outside.event {
        f.supervised_account = Some(AccountId::parse("acct-elsewhere").expect("id"));
    }
    assert_eq!(judge(&mut memory, &holder, &outside), Ok(()));
    let closed = of_type("escrow.account_closed");
    assert_eq!(judge(&mut memory, &holder, &closed), Ok(()));
    assert_eq!(
        judge(&mut memory, &holder, &outside),
        Err(RefusalCode::Unauthorised)
    );
}

#[test]
fn clocks_may_not_run_ahead_of_the_receiver() {
    let mut memory = registered();
    let bank = Sender::direct(Identity::Bank(sample_bank()));
    let mut fee = of_type("escrow.fee_collected");
    fee.occurred_at = UtcTime::parse("2025-09-01T12:05:00Z").expect("time");
    assert_eq!(judge(&mut memory, &bank, &fee), Ok(()), "at the skew");
    fee.occurred_at = UtcTime::parse("2025-09-01T12:05:01Z").expect("time");
    assert_eq!(
        judge(&mut memory, &bank, &fee),
        Err(RefusalCode::FutureDated)
    );
    let mut statement = of_type("escrow.daily_balance");
    if let Event::DailyBalanceStated(s) = &mut statement.event {
        s.date = "2025-09-02".parse().expect("date");
    }
    assert_eq!(
        judge(&mut memory, &bank, &statement),
        Err(RefusalCode::FutureDated)
    );
    if let Event::DailyBalanceStated(s) = &mut statement.event {
        s.date = "2025-09-01".parse().expect("date");
    }
    assert_eq!(judge(&mut memory, &bank, &statement), Ok(()));
}

#[test]
fn recording_an_accepted_history_gives_the_facts_judging_it_gave() {
    // The facts `log salvage` rebuilds from the entries (record_facts alone) are the facts the
    // policy kept while accepting them, account closing and re-opening included.
    let mut judged = Memory::default();
    let mut recorded = Memory::default();
    let mut history: Vec<Envelope> = legal_order()
        .into_iter()
        .map(|index| example(index, &ExampleParams::new(EventId::new_v7())))
        .collect();
    history.push(of_type("escrow.account_opened"));
    history.push(of_type("escrow.account_closed"));
    for envelope in &history {
        let identity = Identity::own(&envelope.producer, envelope.region);
        let sender = if envelope.event.family() == Family::Supervision {
            api(identity)
        } else {
            Sender::direct(identity)
        };
        assert_eq!(judge(&mut judged, &sender, envelope), Ok(()));
        record_facts(envelope, &mut recorded).expect("memory facts never fail");
        assert_eq!(recorded.0, judged.0, "{}", envelope.event.event_type());
    }
    assert!(!judged.0.is_empty());
}
