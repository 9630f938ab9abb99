//! The authorisation policy: whether `sender` may have `envelope` accepted, given the log's facts
//! as of the event's place in the log and the time it was received. On acceptance the facts the
//! event establishes are written to the same facts (so the next event of the batch sees them).
//!
//! The rules, in the order they are checked:
//! 1. **Channel.** Case actions (`supervision`) enter only through the service's own identity:
//!    the HTTP API, which has checked the officer's jurisdiction over the finding.
//! 2. **Identity.** A sender speaks only as itself (its event's `producer`); the operator (admin)
//!    may speak as any producer.
//! 3. **Family.** Institutions send `schedule`, banks `escrow`, registries `registry`, officers
//!    `advertising` (and, through the API, `supervision`).
//! 4. **Clock.** `occurred_at` (and a balance statement's date) may not run ahead of the time the
//!    event is received by more than the configured skew.
//! 5. **Facts have owners.** An institution's region is set by its registration only, by a
//!    registry whose jurisdiction holds it, in the province its credit code was issued in; a
//!    re-registration (a transfer) needs a registry holding the current region too. Every other
//!    event must name the registered region, and an unregistered institution is refused for
//!    everyone but a registry registering it. Registries and officers act within their
//!    jurisdiction. An account belongs to the bank that opened it, for the institution it was
//!    opened for, forever; a bank posts only about accounts it holds, and about an institution
//!    only while it holds an open account there (a fee or refund through an account that is not
//!    a supervised one included: the escrow rules flag those).

use tutorwatch_events::ids::{AccountId, BankId};
use tutorwatch_events::{Envelope, Event, Family, Identity, Producer, RegionCode, Sender, UtcTime};

use crate::facts::{AccountFact, FactKv, Facts, FactsError, InstitutionFact};
use crate::refusal::Refusal;
use crate::settings::TrustSettings;

/// The policy's answer: accepted, or refused with the reason.
pub type Verdict = Result<(), Refusal>;

/// Judges `envelope` from `sender`, received at `received_at`, against the facts in `kv`; when
/// it is accepted, records the facts it establishes in `kv`.
pub fn authorise<K: FactKv + ?Sized>(
    sender: &Sender,
    envelope: &Envelope,
    received_at: UtcTime,
    settings: &TrustSettings,
    kv: &mut K,
) -> Result<Verdict, FactsError> {
    if let Err(refusal) = check_sender(sender, envelope) {
        return Ok(Err(refusal));
    }
    if let Err(refusal) = check_clock(envelope, received_at, settings) {
        return Ok(Err(refusal));
    }
    let verdict = check_facts(sender, envelope, &Facts::new(kv))?;
    if verdict.is_ok() {
        record_facts(envelope, kv)?;
    }
    Ok(verdict)
}

/// Records in `kv` the facts an accepted `envelope` establishes, without judging it: what
/// [`authorise`] does after accepting an event, and what rebuilds the facts from the entries a
/// log already holds (`tutorwatch log salvage`). Only three events set facts: a registration
/// (the institution's region), and an account's opening and closing (its holder and state).
pub fn record_facts<K: FactKv + ?Sized>(envelope: &Envelope, kv: &mut K) -> Result<(), FactsError> {
    let mut facts = Facts::new(kv);
    let code = &envelope.institution;
    match &envelope.event {
        Event::InstitutionRegistered(registered) => {
            facts.set_institution(
                code,
                &InstitutionFact {
                    region: registered.region,
                },
            );
        }
        Event::SupervisedAccountOpened(opened) => {
            let fact = AccountFact {
                bank: opened.bank.clone(),
                institution: code.clone(),
                open: true,
            };
            facts.set_account(&opened.account, &fact)?;
        }
        Event::SupervisedAccountClosed(closed) => {
            if let Some(held) = facts.account(&closed.account)? {
                let fact = AccountFact {
                    open: false,
                    ..held
                };
                facts.set_account(&closed.account, &fact)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Rules 1 to 3 alone (channel, identity, family): whether `sender` may send such an event at
/// all, whatever the facts. The API asks this before recognising a retry, so nobody "retries"
/// another producer's event.
pub fn check_sender(sender: &Sender, envelope: &Envelope) -> Verdict {
    let family = envelope.event.family();
    if family == Family::Supervision && sender.api_token.is_none() {
        return Err(Refusal::unauthorised(
            "type",
            (
                "案件处理（监管事件）只能通过 HTTP 接口提交",
                "case actions (supervision events) are accepted only through the HTTP API",
            ),
        ));
    }
    if !sender.identity.may_speak_as(&envelope.producer) {
        return Err(Refusal::unauthorised(
            "producer",
            (
                format!(
                    "{} 不能以{}的身份发送事件",
                    identity_name_zh(&sender.identity),
                    producer_name_zh(&envelope.producer)
                ),
                format!(
                    "{} may not send events as {}",
                    sender.identity,
                    producer_name(&envelope.producer)
                ),
            ),
        ));
    }
    let allowed = match &envelope.producer {
        Producer::Institution(_) => family == Family::Schedule,
        Producer::Bank(_) => family == Family::Escrow,
        Producer::Registry(_) => family == Family::Registry,
        Producer::Officer(_) => matches!(family, Family::Advertising | Family::Supervision),
    };
    if !allowed {
        return Err(Refusal::unauthorised(
            "type",
            (
                format!(
                    "{}不能发送 {} 类事件",
                    producer_name_zh(&envelope.producer),
                    family.as_str()
                ),
                format!(
                    "{} may not send {} events",
                    producer_name(&envelope.producer),
                    family.as_str()
                ),
            ),
        ));
    }
    Ok(())
}

fn producer_name_zh(producer: &Producer) -> String {
    match producer {
        Producer::Institution(code) => format!("机构 {code}"),
        Producer::Bank(bank) => format!("银行 {bank}"),
        Producer::Registry(region) => format!("登记机关 {region}"),
        Producer::Officer(officer) => format!("执法人员 {officer}"),
    }
}

fn identity_name_zh(identity: &Identity) -> String {
    match identity {
        Identity::Institution(code) => format!("机构 {code}"),
        Identity::Bank(bank) => format!("银行 {bank}"),
        Identity::Registry(region) => format!("登记机关 {region}"),
        Identity::Officer { officer, region } => format!("执法人员 {officer}（{region}）"),
        Identity::Admin => "管理员".to_owned(),
    }
}

fn producer_name(producer: &Producer) -> String {
    match producer {
        Producer::Institution(code) => format!("institution {code}"),
        Producer::Bank(bank) => format!("bank {bank}"),
        Producer::Registry(region) => format!("registry {region}"),
        Producer::Officer(officer) => format!("officer {officer}"),
    }
}

/// Rule 4: no producer's clock runs ahead of the receiving clock by more than the skew.
fn check_clock(envelope: &Envelope, received_at: UtcTime, settings: &TrustSettings) -> Verdict {
    let skew = i64::from(settings.clock_skew_max_s);
    let ahead = envelope.occurred_at.seconds_since(&received_at);
    if ahead > skew {
        return Err(Refusal::future_dated(
            "occurred_at",
            (
                format!(
                    "发生时间 {} 比收到事件的时间（{received_at}）晚 {ahead} 秒，最多允许晚 {skew} 秒",
                    envelope.occurred_at
                ),
                format!(
                    "occurred_at {} is {ahead} s ahead of the time the event was received ({received_at}); at most {skew} s is allowed",
                    envelope.occurred_at
                ),
            ),
        ));
    }
    if let Event::DailyBalanceStated(statement) = &envelope.event {
        // A statement date is a date in the region's civil time.
        let latest = received_at
            .timestamp()
            .checked_add(jiff::SignedDuration::from_secs(skew))
            .map(|t| envelope.region.local_date(UtcTime::from_timestamp(t)));
        if latest.is_ok_and(|latest| statement.date > latest) {
            return Err(Refusal::future_dated(
                "data.date",
                (
                    format!(
                        "{} 的余额对账单不能在当日之前发送（收到时间 {received_at}）",
                        statement.date
                    ),
                    format!(
                        "a balance statement dated {} cannot be sent before that day ({received_at} was received)",
                        statement.date
                    ),
                ),
            ));
        }
    }
    Ok(())
}

/// The supervised account an escrow event names, and the field naming it.
fn account_of(event: &Event) -> Option<(&AccountId, &'static str)> {
    match event {
        Event::SupervisedAccountOpened(e) => Some((&e.account, "data.account")),
        Event::SupervisedAccountClosed(e) => Some((&e.account, "data.account")),
        Event::FundsReleased(e) => Some((&e.account, "data.account")),
        Event::DailyBalanceStated(e) => Some((&e.account, "data.account")),
        Event::RiskReserveDeposited(e) => Some((&e.account, "data.account")),
        Event::RefundPaid(e) => e.account.as_ref().map(|a| (a, "data.account")),
        Event::FeeCollected(e) => e
            .supervised_account
            .as_ref()
            .map(|a| (a, "data.supervised_account")),
        // A refund request names the contract, not the account. Every other family names no
        // supervised account. (Exhaustive: a new event type must say whether it names one.)
        Event::RefundRequested(_)
        | Event::InstitutionRegistered(_)
        | Event::LicenceSuspended(_)
        | Event::LicenceRevoked(_)
        | Event::LicenceRestored(_)
        | Event::SiteAdded(_)
        | Event::TeacherHired(_)
        | Event::TeacherLeft(_)
        | Event::InspectionRecorded(_)
        | Event::CoursePublished(_)
        | Event::CourseRescheduled(_)
        | Event::CoursePriceChanged(_)
        | Event::CourseCancelled(_)
        | Event::LessonDelivered(_)
        | Event::AdvertisementObserved(_)
        | Event::OfficerActed(_) => None,
    }
}

/// Rule 5: the facts, checked ([`record_facts`] records them on acceptance).
fn check_facts<K: FactKv + ?Sized>(
    sender: &Sender,
    envelope: &Envelope,
    facts: &Facts<'_, K>,
) -> Result<Verdict, FactsError> {
    let code = &envelope.institution;
    if let Event::InstitutionRegistered(registered) = &envelope.event {
        let Producer::Registry(jurisdiction) = &envelope.producer else {
            return Ok(Err(Refusal::unauthorised(
                "producer",
                (
                    "只有登记机关可以登记机构",
                    "only a registry registers institutions",
                ),
            )));
        };
        let region = registered.region;
        if !jurisdiction.contains(&region) {
            return Ok(Err(Refusal::unauthorised(
                "data.region",
                (
                    format!("地区 {region} 不在登记机关 {jurisdiction} 的辖区内"),
                    format!(
                        "region {region} is outside the jurisdiction of registry {jurisdiction}"
                    ),
                ),
            )));
        }
        if let Ok(issued_in) = RegionCode::parse(code.registering_region()) {
            if issued_in.province() != region.province() {
                return Ok(Err(Refusal::unauthorised(
                    "data.region",
                    (
                        format!(
                            "统一社会信用代码 {code} 由地区 {issued_in}（省级 {}）颁发，不能在省级 {} 登记",
                            issued_in.province(),
                            region.province()
                        ),
                        format!(
                            "credit code {code} was issued in region {issued_in}, province {}; it cannot be registered in province {}",
                            issued_in.province(),
                            region.province()
                        ),
                    ),
                )));
            }
        }
        if let Some(current) = facts.institution(code)? {
            if !jurisdiction.contains(&current.region) {
                return Ok(Err(Refusal::unauthorised(
                    "institution",
                    (
                        format!(
                            "机构 {code} 登记在地区 {}，不在登记机关 {jurisdiction} 的辖区内；只有其所属登记机关可以重新登记或迁移",
                            current.region
                        ),
                        format!(
                            "institution {code} is registered in region {}, outside the jurisdiction of registry {jurisdiction}; only a registry holding it can re-register or transfer it",
                            current.region
                        ),
                    ),
                )));
            }
        }
        return Ok(Ok(()));
    }

    let Some(registered) = facts.institution(code)? else {
        return Ok(Err(Refusal::unauthorised(
            "institution",
            (
                format!("机构 {code} 尚未登记；只有登记机关可以录入机构"),
                format!("institution {code} is not registered; only a registry can introduce an institution"),
            ),
        )));
    };
    if envelope.region != registered.region {
        return Ok(Err(Refusal::unauthorised(
            "region",
            (
                format!(
                    "机构 {code} 登记在地区 {}，关于它的事件须注明该地区，而不是 {}",
                    registered.region, envelope.region
                ),
                format!(
                    "institution {code} is registered in region {}; events about it must name that region, not {}",
                    registered.region, envelope.region
                ),
            ),
        )));
    }
    match &envelope.producer {
        Producer::Institution(own) if own != code => Ok(Err(Refusal::unauthorised(
            "institution",
            (
                "机构只能发送关于自身的事件",
                "an institution may only send events about itself",
            ),
        ))),
        Producer::Institution(_) => Ok(Ok(())),
        Producer::Registry(jurisdiction) => Ok(within(*jurisdiction, registered.region)),
        Producer::Officer(_) => match &sender.identity {
            Identity::Officer { region, .. } => Ok(within(*region, registered.region)),
            _ => Ok(Ok(())),
        },
        Producer::Bank(bank) => check_bank(bank, envelope, facts),
    }
}

fn within(jurisdiction: RegionCode, region: RegionCode) -> Verdict {
    if jurisdiction.contains(&region) {
        Ok(())
    } else {
        Err(Refusal::unauthorised(
            "institution",
            (
                format!("该机构登记在地区 {region}，不在您的辖区 {jurisdiction} 内"),
                format!("the institution is registered in region {region}, outside your jurisdiction {jurisdiction}"),
            ),
        ))
    }
}

/// A bank's escrow event: accounts it holds, institutions where it holds an open account.
fn check_bank<K: FactKv + ?Sized>(
    bank: &BankId,
    envelope: &Envelope,
    facts: &Facts<'_, K>,
) -> Result<Verdict, FactsError> {
    let code = &envelope.institution;
    let Some((account, field)) = account_of(&envelope.event) else {
        return Ok(if facts.open_accounts(code, bank)? > 0 {
            Ok(())
        } else {
            Err(Refusal::unauthorised(
                "producer",
                (
                    format!("银行 {bank} 没有为机构 {code} 开立在用的监管账户"),
                    format!("bank {bank} holds no open supervised account for institution {code}"),
                ),
            ))
        });
    };
    let held = facts.account(account)?;
    if let Event::SupervisedAccountOpened(opened) = &envelope.event {
        if &opened.bank != bank {
            return Ok(Err(Refusal::unauthorised(
                "data.bank",
                (
                    format!("银行 {bank} 不能以银行 {} 的名义开立账户", opened.bank),
                    format!(
                        "bank {bank} may not open accounts in the name of bank {}",
                        opened.bank
                    ),
                ),
            )));
        }
        if let Some(held) = &held {
            if let Some(refusal) = not_ours(bank, code, account, field, held) {
                return Ok(Err(refusal));
            }
        }
        return Ok(Ok(()));
    }
    let Some(held) = held else {
        // A fee or refund paid through an account that is not a supervised one is the bank's to
        // report (the escrow rules flag it), as long as it supervises the institution; the
        // account-keeping events need an account the bank holds.
        if matches!(
            envelope.event,
            Event::FeeCollected(_) | Event::RefundPaid(_)
        ) && facts.open_accounts(code, bank)? > 0
        {
            return Ok(Ok(()));
        }
        return Ok(Err(Refusal::unauthorised(
            field,
            (
                format!("账户 {account} 从未由银行 {bank} 为机构 {code} 开立；银行只能报送其持有的账户"),
                format!("account {account} was never opened by bank {bank} for institution {code}; a bank posts only about accounts it holds"),
            ),
        )));
    };
    if let Some(refusal) = not_ours(bank, code, account, field, &held) {
        return Ok(Err(refusal));
    }
    Ok(Ok(()))
}

/// Why `bank` may not post about `account` for `code`, if it may not.
fn not_ours(
    bank: &BankId,
    code: &tutorwatch_events::CreditCode,
    account: &AccountId,
    field: &'static str,
    held: &AccountFact,
) -> Option<Refusal> {
    if &held.bank != bank {
        return Some(Refusal::unauthorised(
            field,
            (
                format!("账户 {account} 由其他银行持有"),
                format!("account {account} is held by another bank"),
            ),
        ));
    }
    if &held.institution != code {
        return Some(Refusal::unauthorised(
            field,
            (
                format!("账户 {account} 是为其他机构开立的"),
                format!("account {account} was opened for another institution"),
            ),
        ));
    }
    None
}
