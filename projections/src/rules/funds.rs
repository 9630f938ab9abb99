//! Prepaid fees and escrow (area `funds` of the rule catalogue): PREPAY_MAX_3M_60H (the 60 lessons
//! per contract, or per student and subject where a region says so), PREPAY_MAX_5000,
//! PREPAY_EARLIEST_COLLECT (a local rule), PREPAY_DEDICATED_ACCOUNT, NO_TRAINING_LOAN, RELEASE_PER_LESSON, REFUND_PRORATA, and the escrow
//! early warnings of our own (ESCROW_SHORTFALL_WARN, ESCROW_SHORTFALL, ACCOUNT_CLOSED_WHILE_OWED).
//!
//! There is no wall clock: whether a refund was paid in time is judged against the time later
//! events prove has passed, so a replay judges exactly as the first run did. It is the clock of
//! the producer whose action is awaited (see `clocks`): the bank holding the supervised account
//! the contract's fees went into, because that bank pays the refund out of the account and
//! reports the payment (`escrow.refund_paid`). Its clock is the latest `occurred_at` among its
//! own events and the end of the day of its latest balance statement. Once that clock has passed
//! the deadline with the refund unpaid, the bank would have reported a payment made in time, so
//! the refund is overdue. A contract with no known bank (fees outside a supervised account, an
//! account never reported opened) waits on the producer that reported the request. Other
//! producers' events (another bank, an institution, a registry, an event dated 2030) never make
//! a refund overdue. A payment dated after the deadline is late whoever reports it.
//!
//! **Invariant:** money is integer fen; ratios are basis points computed in `u128`.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tutorwatch_events::escrow::{DailyBalanceStated, FeeCollected, FundsReleased};
use tutorwatch_events::ids::{AccountId, ContractId, CourseId, StudentRef};
use tutorwatch_events::kinds::{Category, Subject};
use tutorwatch_events::{CreditCode, Event, Fen, LoggedEvent, Producer, UtcTime};

use crate::context::Context;
use crate::facts::{evidence, local_time, start_of_day};
use crate::rules::licence::standing_finding;
use crate::rules::{local_date, since, since_zh, RuleArea};
use crate::sizes::StatePart;
use tutorwatch_findings::{identity, Evidence, Figure, Finding, Lang, Measure, RuleId};

/// Identifies a contract: the institution and its contract id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ContractKey {
    pub institution: CreditCode,
    pub contract: ContractId,
}

/// Identifies a supervised account of an institution.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AccountKey {
    pub institution: CreditCode,
    pub account: AccountId,
}

/// What families prepaid under one contract and what happened to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contract {
    /// The student it is for (a pseudonymous reference).
    pub student: StudentRef,
    pub course: Option<CourseId>,
    pub account: Option<AccountId>,
    pub amount: Fen,
    pub lessons: u32,
    pub service_start: Date,
    pub service_end: Date,
    pub released: Fen,
    pub released_lessons: u64,
    pub refunded: Fen,
}

/// A supervised account's book: what families are owed out of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountBook {
    /// Collected into it, less released and refunded.
    pub owed: Fen,
    /// The shortfall episode under way: its rule (warning or serious) and first statement.
    pub shortfall: Option<(RuleId, Evidence)>,
}

/// The pro-rata share a refund request is owed (see `pro_rata_due`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProRata {
    /// The undelivered lessons withdrawn from (at most the contract's undelivered ones).
    pub lessons: u64,
    /// The lessons the contract paid for.
    pub of: u64,
    pub due: Fen,
}

/// A refund requested and not yet fully paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRefund {
    pub contract: ContractKey,
    /// What is still owed: the amount requested, or the pro-rata share if that is more.
    pub remaining: Fen,
    /// The pro-rata share, for a request that names the lessons it withdraws from.
    pub pro_rata: Option<ProRata>,
    pub requested: Evidence,
    pub requested_on: Date,
    pub days: u32,
    pub deadline: UtcTime,
    /// The producer whose clock passing `deadline` makes the refund overdue (see the module doc).
    pub awaited: Producer,
    /// The event this refund's finding, if any, is raised against.
    pub region: tutorwatch_events::RegionCode,
    pub time_zone: String,
}

/// The fund projection's own state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundRules {
    contracts: BTreeMap<ContractKey, Contract>,
    accounts: BTreeMap<AccountKey, AccountBook>,
    /// Keyed by (deadline, request seq), so the overdue ones come first.
    pending_refunds: BTreeMap<(UtcTime, u64), PendingRefund>,
    /// The keys of `pending_refunds` per contract, so a payment finds its refunds without a scan.
    refunds_by_contract: BTreeMap<ContractKey, BTreeSet<(UtcTime, u64)>>,
    /// The keys of `pending_refunds` per awaited producer, so an event finds the refunds its
    /// producer's clock makes overdue without a scan (one entry per producer with refunds due).
    refunds_by_awaited: BTreeMap<Producer, BTreeSet<(UtcTime, u64)>>,
    /// Each student's contracts per subject at an institution (for contracts of a known course),
    /// where a region counts the 60 lessons per subject.
    subject_contracts: BTreeMap<(CreditCode, StudentRef, Subject), BTreeSet<ContractId>>,
}

fn bp_below(amount: Fen, owed: Fen, bp: u32) -> bool {
    u128::from(amount.get()) * 10_000 < u128::from(owed.get()) * u128::from(bp)
}

fn coverage_bp(balance: Fen, owed: Fen) -> u64 {
    let owed = u128::from(owed.get().max(1));
    u64::try_from(u128::from(balance.get()) * 10_000 / owed).unwrap_or(u64::MAX)
}

impl RuleArea for FundRules {
    fn on_event(&mut self, ctx: &Context<'_>, event: &LoggedEvent) -> Vec<Finding> {
        self.judge(ctx, event)
    }
}

impl FundRules {
    /// Takes in another partition's fund books (`crate::partition`). Contracts, accounts,
    /// refunds and subject contracts belong to one institution each, so to one partition; the
    /// refunds awaiting one producer can be in several, and are joined.
    pub(crate) fn absorb(&mut self, other: FundRules) {
        use crate::partition::append_disjoint;
        append_disjoint(&mut self.contracts, other.contracts);
        append_disjoint(&mut self.accounts, other.accounts);
        append_disjoint(&mut self.pending_refunds, other.pending_refunds);
        append_disjoint(&mut self.refunds_by_contract, other.refunds_by_contract);
        append_disjoint(&mut self.subject_contracts, other.subject_contracts);
        for (producer, mut keys) in other.refunds_by_awaited {
            let joined = self.refunds_by_awaited.entry(producer).or_default();
            let expected = joined.len() + keys.len();
            joined.append(&mut keys);
            assert_eq!(
                joined.len(),
                expected,
                "two partitions of a fold hold the same refund"
            );
        }
    }

    /// The size of each fund book.
    pub(crate) fn sizes(&self) -> Vec<StatePart> {
        vec![
            StatePart::measure(
                "contracts",
                self.contracts.len(),
                "contracts",
                &self.contracts,
            ),
            StatePart::measure(
                "escrow_accounts",
                self.accounts.len(),
                "accounts",
                &self.accounts,
            ),
            StatePart::measure(
                "pending_refunds",
                self.pending_refunds.len(),
                "open refund requests",
                &(
                    &self.pending_refunds,
                    &self.refunds_by_contract,
                    &self.refunds_by_awaited,
                ),
            ),
            StatePart::measure(
                "subject_contracts",
                self.subject_contracts.values().map(BTreeSet::len).sum(),
                "contracts by student and subject",
                &self.subject_contracts,
            ),
        ]
    }

    /// The refunds this state holds that `event`'s producer's clock makes overdue, for an event
    /// about an institution another partition holds (`Projector::pass`): the first step of
    /// [`Self::judge`], and the only one that reaches beyond the event's institution.
    pub(crate) fn pass(&mut self, ctx: &Context<'_>, event: &LoggedEvent) -> Vec<Finding> {
        self.advance_clock(ctx, event)
    }

    /// Judges one event; returns the findings to raise.
    fn judge(&mut self, ctx: &Context<'_>, event: &LoggedEvent) -> Vec<Finding> {
        let mut findings = self.advance_clock(ctx, event);
        let envelope = &event.envelope;
        let institution = &envelope.institution;
        let account_key = |account: &AccountId| AccountKey {
            institution: institution.clone(),
            account: account.clone(),
        };
        let contract_key = |contract: &ContractId| ContractKey {
            institution: institution.clone(),
            contract: contract.clone(),
        };
        match &envelope.event {
            Event::FeeCollected(fee) => {
                findings.extend(self.fee(ctx, event, fee));
            }
            Event::FundsReleased(release) => {
                findings.extend(self.release(ctx, event, release));
            }
            Event::RefundRequested(request) => {
                let zone = ctx.time_zone(institution).to_owned();
                let date = local_time(&zone, envelope.occurred_at).date();
                let days = ctx
                    .policy
                    .value(envelope.region, date, |p| p.refund_days_max.as_ref());
                let deadline = days.and_then(|days| {
                    date.checked_add(jiff::Span::new().days(i64::from(days) + 1))
                        .ok()
                        .and_then(|d| start_of_day(&zone, d))
                });
                if let (Some(days), Some(deadline)) = (days, deadline) {
                    let key = contract_key(&request.contract);
                    let awaited = self.awaited(ctx, event, &key);
                    let pro_rata = request.lessons.zip(self.contracts.get(&key)).map(
                        |(withdrawn, contract)| {
                            pro_rata_due(ctx, institution, &zone, contract, withdrawn)
                        },
                    );
                    // The family is owed what it asked for, and never less than pro rata.
                    let owed = pro_rata
                        .as_ref()
                        .map_or(request.amount, |share| request.amount.max(share.due));
                    self.add_refund(
                        (deadline, event.seq),
                        PendingRefund {
                            contract: key,
                            remaining: owed,
                            pro_rata,
                            requested: evidence(event),
                            requested_on: date,
                            days,
                            deadline,
                            awaited,
                            region: envelope.region,
                            time_zone: zone,
                        },
                    );
                }
            }
            Event::RefundPaid(paid) => {
                let key = contract_key(&paid.contract);
                // A payment dated after a deadline shows that refund was late, whoever reports
                // it (the awaited bank's own payment has already moved its clock past it).
                let late: Vec<(UtcTime, u64)> = self
                    .refunds_by_contract
                    .get(&key)
                    .into_iter()
                    .flatten()
                    .filter(|(deadline, _)| *deadline <= envelope.occurred_at)
                    .copied()
                    .collect();
                for refund in late {
                    if let Some(pending) = self.take_refund(refund) {
                        findings.push(overdue(ctx, event, pending));
                    }
                }
                let mut left = paid.amount;
                // Oldest deadline first, as the refunds fall due.
                let keys: Vec<(UtcTime, u64)> = self
                    .refunds_by_contract
                    .get(&key)
                    .into_iter()
                    .flatten()
                    .copied()
                    .collect();
                for refund in keys {
                    let settled = match self.pending_refunds.get_mut(&refund) {
                        Some(pending) => {
                            let applied = left.min(pending.remaining);
                            pending.remaining = pending.remaining.saturating_sub(applied);
                            left = left.saturating_sub(applied);
                            pending.remaining.is_zero()
                        }
                        None => true,
                    };
                    if settled {
                        self.take_refund(refund);
                    }
                }
                let account = match self.contracts.get_mut(&key) {
                    Some(contract) => {
                        contract.refunded = contract.refunded.saturating_add(paid.amount);
                        paid.account.clone().or_else(|| contract.account.clone())
                    }
                    None => paid.account.clone(),
                };
                if let Some(book) = account.and_then(|a| self.accounts.get_mut(&account_key(&a))) {
                    book.owed = book.owed.saturating_sub(paid.amount);
                }
            }
            Event::DailyBalanceStated(statement) => {
                findings.extend(self.balance(ctx, event, statement));
            }
            Event::SupervisedAccountClosed(closed) => {
                let owed = self
                    .accounts
                    .get(&account_key(&closed.account))
                    .map_or(Fen::ZERO, |b| b.owed);
                let date = local_date(ctx, event, envelope.occurred_at);
                if !owed.is_zero()
                    && ctx.policy.enabled(envelope.region, date, |p| {
                        p.account_closed_while_owed.as_ref()
                    })
                {
                    findings.push(
                        ctx.draft(event, RuleId::AccountClosedWhileOwed, envelope.occurred_at)
                            .figure(Figure::new("owed", Measure::Money(owed)))
                            .describe(format!(
                                "supervised account {} closed while families are owed {owed}",
                                closed.account
                            ))
                            .in_chinese(format!(
                                "尚欠家长 {} 时关闭监管账户 {}",
                                Measure::Money(owed).text(Lang::Zh),
                                closed.account
                            ))
                            .build(&identity(&[&"closed", &envelope.event_id])),
                    );
                }
            }
            _ => {}
        }
        findings
    }

    /// Flags the refunds awaiting this event's producer whose deadline its clock (this event
    /// included, see `Facts::clocks`) has passed.
    fn advance_clock(&mut self, ctx: &Context<'_>, event: &LoggedEvent) -> Vec<Finding> {
        let producer = &event.envelope.producer;
        let Some(clock) = ctx.facts.clocks.get(producer) else {
            return Vec::new();
        };
        let due: Vec<(UtcTime, u64)> = self
            .refunds_by_awaited
            .get(producer)
            .into_iter()
            .flat_map(|keys| keys.range(..=(clock, u64::MAX)))
            .copied()
            .collect();
        due.into_iter()
            .filter_map(|refund| self.take_refund(refund))
            .map(|pending| overdue(ctx, event, pending))
            .collect()
    }

    /// Whose clock a refund of `contract`, requested by `event`, waits on: the bank holding the
    /// supervised account the contract's fees went into, else the producer of the request.
    fn awaited(&self, ctx: &Context<'_>, event: &LoggedEvent, contract: &ContractKey) -> Producer {
        self.contracts
            .get(contract)
            .and_then(|c| c.account.as_ref())
            .and_then(|account| {
                ctx.facts
                    .institution(&contract.institution)
                    .and_then(|i| i.account_banks.get(account))
            })
            .map_or_else(
                || event.envelope.producer.clone(),
                |bank| Producer::Bank(bank.clone()),
            )
    }

    /// The lessons the student holds prepaid and undelivered in `subject` at the institution
    /// once `fee` is added: its contract's (`prepaid`) and every other contract's of the subject.
    fn subject_lessons(
        &self,
        institution: &CreditCode,
        fee: &FeeCollected,
        subject: Subject,
        prepaid: &Prepaid,
    ) -> SubjectLessons {
        let others = self
            .subject_contracts
            .get(&(institution.clone(), fee.student.clone(), subject))
            .into_iter()
            .flatten()
            .filter(|contract| **contract != fee.contract)
            .filter_map(|contract| {
                self.contracts.get(&ContractKey {
                    institution: institution.clone(),
                    contract: contract.clone(),
                })
            })
            .map(|c| u64::from(c.lessons).saturating_sub(c.released_lessons))
            .filter(|undelivered| *undelivered > 0);
        let (count, lessons) = others.fold((0u64, 0u64), |(n, sum), l| (n + 1, sum + l));
        SubjectLessons {
            subject,
            lessons: lessons.saturating_add(prepaid.lessons),
            other_contracts: count,
        }
    }

    /// Adds a pending refund to its three indexes.
    fn add_refund(&mut self, refund: (UtcTime, u64), pending: PendingRefund) {
        self.refunds_by_contract
            .entry(pending.contract.clone())
            .or_default()
            .insert(refund);
        self.refunds_by_awaited
            .entry(pending.awaited.clone())
            .or_default()
            .insert(refund);
        self.pending_refunds.insert(refund, pending);
    }

    /// Removes a pending refund from its three indexes (empty index entries go too).
    fn take_refund(&mut self, refund: (UtcTime, u64)) -> Option<PendingRefund> {
        let pending = self.pending_refunds.remove(&refund)?;
        if let Some(keys) = self.refunds_by_contract.get_mut(&pending.contract) {
            keys.remove(&refund);
            if keys.is_empty() {
                self.refunds_by_contract.remove(&pending.contract);
            }
        }
        if let Some(keys) = self.refunds_by_awaited.get_mut(&pending.awaited) {
            keys.remove(&refund);
            if keys.is_empty() {
                self.refunds_by_awaited.remove(&pending.awaited);
            }
        }
        Some(pending)
    }

    fn fee(&mut self, ctx: &Context<'_>, event: &LoggedEvent, fee: &FeeCollected) -> Vec<Finding> {
        let envelope = &event.envelope;
        let at = envelope.occurred_at;
        let region = envelope.region;
        let institution = &envelope.institution;
        let date = local_date(ctx, event, at);
        let id = identity(&[&"fee", &envelope.event_id]);
        let mut findings = Vec::new();
        let what = format!("collected {} under contract {}", fee.amount, fee.contract);
        let what_zh = format!(
            "按合同 {} 收取 {}",
            fee.contract,
            Measure::Money(fee.amount).text(Lang::Zh)
        );
        findings.extend(standing_finding(ctx, event, at, (&what_zh, &what), &id));
        let facts = ctx.facts.institution(institution);
        let course = fee
            .course
            .as_ref()
            .and_then(|c| ctx.facts.course(institution, c));
        let subject = course.map(|c| c.subject);
        let category = course.map(|c| c.category()).or_else(|| {
            facts
                .and_then(|i| i.registration.as_ref())
                .map(|r| r.category)
        });

        if ctx
            .policy
            .enabled(region, date, |p| p.prepay_dedicated_account.as_ref())
        {
            let problem = match &fee.supervised_account {
                None => Some((
                    "未进入任何监管账户".to_owned(),
                    "outside any supervised account".to_owned(),
                )),
                Some(account) if !facts.is_some_and(|i| i.open_accounts.contains(account)) => Some((
                    format!("进入账户 {account}，该账户不是本机构在用的监管账户"),
                    format!(
                        "into account {account}, which is not an open supervised account of the institution"
                    ),
                )),
                Some(_) => None,
            };
            if let Some((problem_zh, problem)) = problem {
                findings.push(
                    ctx.draft(event, RuleId::PrepayDedicatedAccount, at)
                        .figure(Figure::new("amount", Measure::Money(fee.amount)))
                        .describe(format!("prepaid fee {} collected {problem}", fee.amount))
                        .in_chinese(format!(
                            "预收费 {} {problem_zh}",
                            Measure::Money(fee.amount).text(Lang::Zh)
                        ))
                        .build(&id),
                );
            }
        }
        if fee.training_loan
            && ctx
                .policy
                .enabled(region, date, |p| p.no_training_loan.as_ref())
        {
            findings.push(
                ctx.draft(event, RuleId::NoTrainingLoan, at)
                    .figure(Figure::new("amount", Measure::Money(fee.amount)))
                    .describe(format!("fee {} paid with a training loan", fee.amount))
                    .in_chinese(format!(
                        "费用 {} 以培训贷款支付",
                        Measure::Money(fee.amount).text(Lang::Zh)
                    ))
                    .build(&id),
            );
        }
        findings.extend(collected_too_early(ctx, event, fee, date, &id));
        let key = ContractKey {
            institution: institution.clone(),
            contract: fee.contract.clone(),
        };
        if let Some(category) = category {
            let mut prepaid = Prepaid::after(self.contracts.get(&key), fee);
            let per_subject = ctx
                .policy
                .enabled(region, date, |p| p.prepay_lessons_per_subject.as_ref());
            if let (true, Some(subject)) = (per_subject, subject) {
                prepaid.per_subject =
                    Some(self.subject_lessons(institution, fee, subject, &prepaid));
            }
            findings.extend(prepay_caps(ctx, event, fee, &prepaid, category, date, &id));
        }

        if let Some(subject) = subject {
            self.subject_contracts
                .entry((institution.clone(), fee.student.clone(), subject))
                .or_default()
                .insert(fee.contract.clone());
        }
        let contract = self.contracts.entry(key).or_insert_with(|| Contract {
            student: fee.student.clone(),
            course: fee.course.clone(),
            account: fee.supervised_account.clone(),
            amount: Fen::ZERO,
            lessons: 0,
            service_start: fee.service_start,
            service_end: fee.service_end,
            released: Fen::ZERO,
            released_lessons: 0,
            refunded: Fen::ZERO,
        });
        contract.amount = contract.amount.saturating_add(fee.amount);
        contract.lessons = contract.lessons.saturating_add(fee.lessons);
        contract.service_start = contract.service_start.min(fee.service_start);
        contract.service_end = contract.service_end.max(fee.service_end);
        if contract.account.is_none() {
            contract.account = fee.supervised_account.clone();
        }
        if let Some(account) = &fee.supervised_account {
            let book = self
                .accounts
                .entry(AccountKey {
                    institution: institution.clone(),
                    account: account.clone(),
                })
                .or_default();
            book.owed = book.owed.saturating_add(fee.amount);
        }
        findings
    }

    fn release(
        &mut self,
        ctx: &Context<'_>,
        event: &LoggedEvent,
        release: &FundsReleased,
    ) -> Vec<Finding> {
        let envelope = &event.envelope;
        let institution = &envelope.institution;
        if let Some(book) = self.accounts.get_mut(&AccountKey {
            institution: institution.clone(),
            account: release.account.clone(),
        }) {
            book.owed = book.owed.saturating_sub(release.amount);
        }
        let zone = ctx.time_zone(institution).to_owned();
        let date = local_time(&zone, envelope.occurred_at).date();
        let enabled = ctx
            .policy
            .enabled(envelope.region, date, |p| p.release_per_lesson.as_ref());
        let key = ContractKey {
            institution: institution.clone(),
            contract: release.contract.clone(),
        };
        let (released, justified, delivered, lessons) = match self.contracts.get_mut(&key) {
            Some(contract) => {
                contract.released = contract.released.saturating_add(release.amount);
                contract.released_lessons = contract
                    .released_lessons
                    .saturating_add(u64::from(release.lessons));
                let delivered = delivered_lessons(ctx, institution, &zone, contract);
                let lessons = u64::from(contract.lessons.max(1));
                let delivered = delivered.min(lessons);
                let justified = (u128::from(contract.amount.get()) * u128::from(delivered))
                    .div_ceil(u128::from(lessons));
                let justified = Fen::new(u64::try_from(justified).unwrap_or(u64::MAX));
                (contract.released, justified, delivered, lessons)
            }
            None => (release.amount, Fen::ZERO, 0, 0),
        };
        if !enabled || released <= justified {
            return Vec::new();
        }
        vec![ctx
            .draft(event, RuleId::ReleasePerLesson, envelope.occurred_at)
            .figure(Figure::new("released", Measure::Money(released)))
            .figure(Figure::new("justified", Measure::Money(justified)))
            .figure(Figure::new("delivered_lessons", Measure::Count(delivered)))
            .describe(format!(
                "contract {} released {released} > {justified} justified by {delivered} of {lessons} lessons delivered",
                release.contract
            ))
            .in_chinese(format!(
                "合同 {} 已拨付 {}，超过按已上 {delivered}/{lessons} 课时可拨付的 {}",
                release.contract,
                Measure::Money(released).text(Lang::Zh),
                Measure::Money(justified).text(Lang::Zh)
            ))
            .build(&identity(&[&"release", &envelope.event_id]))]
    }

    fn balance(
        &mut self,
        ctx: &Context<'_>,
        event: &LoggedEvent,
        statement: &DailyBalanceStated,
    ) -> Vec<Finding> {
        let envelope = &event.envelope;
        let key = AccountKey {
            institution: envelope.institution.clone(),
            account: statement.account.clone(),
        };
        let book = self.accounts.entry(key).or_default();
        let region = envelope.region;
        let serious = ctx.policy.value(region, statement.date, |p| {
            p.escrow_serious_coverage_bp.as_ref()
        });
        let warn = ctx.policy.value(region, statement.date, |p| {
            p.escrow_warn_coverage_bp.as_ref()
        });
        let level = if book.owed.is_zero() {
            None
        } else if serious.is_some_and(|bp| bp_below(statement.balance, book.owed, bp)) {
            Some((RuleId::EscrowShortfall, serious.unwrap_or_default()))
        } else if warn.is_some_and(|bp| bp_below(statement.balance, book.owed, bp)) {
            Some((RuleId::EscrowShortfallWarn, warn.unwrap_or_default()))
        } else {
            None
        };
        let Some((rule, threshold)) = level else {
            book.shortfall = None;
            return Vec::new();
        };
        // One finding per episode, and another if a warning turns serious.
        let escalates = match &book.shortfall {
            None => true,
            Some((current, _)) => {
                *current == RuleId::EscrowShortfallWarn && rule == RuleId::EscrowShortfall
            }
        };
        if !escalates {
            return Vec::new();
        }
        book.shortfall = Some((rule, evidence(event)));
        let coverage = coverage_bp(statement.balance, book.owed);
        let at = start_of_day(ctx.time_zone(&envelope.institution), statement.date)
            .unwrap_or(envelope.occurred_at);
        vec![ctx
            .draft(event, rule, at)
            .figure(Figure::new("balance", Measure::Money(statement.balance)))
            .figure(Figure::new("owed", Measure::Money(book.owed)))
            .figure(Figure::new("coverage", Measure::BasisPoints(coverage)))
            .figure(Figure::new(
                "threshold",
                Measure::BasisPoints(u64::from(threshold)),
            ))
            .describe(format!(
                "account {} balance {} on {} covers {} of {} owed to families (< {})",
                statement.account,
                statement.balance,
                statement.date,
                Measure::BasisPoints(coverage),
                book.owed,
                Measure::BasisPoints(u64::from(threshold))
            ))
            .in_chinese(format!(
                "账户 {} 在 {} 的余额 {} 仅覆盖应付家长 {} 的 {}（低于 {}）",
                statement.account,
                statement.date,
                Measure::Money(statement.balance).text(Lang::Zh),
                Measure::Money(book.owed).text(Lang::Zh),
                Measure::BasisPoints(coverage).text(Lang::Zh),
                Measure::BasisPoints(u64::from(threshold)).text(Lang::Zh)
            ))
            .build(&identity(&[
                &"shortfall",
                &statement.account,
                &envelope.event_id,
            ]))]
    }
}

/// How many of a contract's lessons were delivered: its course's delivered lessons within the
/// service period, or, for a contract without a known course, the lessons the bank released.
fn delivered_lessons(
    ctx: &Context<'_>,
    institution: &CreditCode,
    zone: &str,
    contract: &Contract,
) -> u64 {
    match contract
        .course
        .as_ref()
        .and_then(|c| ctx.facts.course(institution, c))
    {
        Some(course) => course
            .delivered
            .values()
            .filter(|d| {
                let day = local_time(zone, d.start).date();
                contract.service_start <= day && day <= contract.service_end
            })
            .count() as u64,
        // Without a course the bank's own lesson counts are all there is.
        None => contract.released_lessons,
    }
}

/// What a refund request withdrawing from `withdrawn` lessons is owed pro rata: the contract's
/// price of that many lessons (at most its undelivered ones), rounded down to the fen, and never
/// more than the contract still holds (collected less released and refunded).
fn pro_rata_due(
    ctx: &Context<'_>,
    institution: &CreditCode,
    zone: &str,
    contract: &Contract,
    withdrawn: u32,
) -> ProRata {
    let lessons = u64::from(contract.lessons);
    let undelivered = lessons.saturating_sub(delivered_lessons(ctx, institution, zone, contract));
    let withdrawn = u64::from(withdrawn).min(undelivered);
    let price =
        u128::from(contract.amount.get()) * u128::from(withdrawn) / u128::from(lessons.max(1));
    let held = contract
        .amount
        .saturating_sub(contract.released)
        .saturating_sub(contract.refunded);
    ProRata {
        lessons: withdrawn,
        of: lessons,
        due: Fen::new(u64::try_from(price).unwrap_or(u64::MAX)).min(held),
    }
}

/// REFUND_PRORATA: a refund still unpaid (in part) when `event` showed its deadline had passed;
/// with the lessons it withdraws from, what is unpaid includes any shortfall against the
/// pro-rata amount.
fn overdue(ctx: &Context<'_>, event: &LoggedEvent, pending: PendingRefund) -> Finding {
    let mut draft = ctx
        .draft(event, RuleId::RefundProrata, pending.deadline)
        .figure(Figure::new(
            "requested_on",
            Measure::Date(pending.requested_on),
        ))
        .figure(Figure::new("days", Measure::Count(u64::from(pending.days))))
        .figure(Figure::new("unpaid", Measure::Money(pending.remaining)));
    let (pro_rata, pro_rata_zh) = match &pending.pro_rata {
        Some(share) => {
            draft = draft
                .figure(Figure::new("due_pro_rata", Measure::Money(share.due)))
                .figure(Figure::new(
                    "withdrawn_lessons",
                    Measure::Count(share.lessons),
                ));
            (
                format!(
                    " ({} due pro rata for {} of its {} lessons)",
                    share.due, share.lessons, share.of
                ),
                format!(
                    "（按 {}/{} 课时应退 {}）",
                    share.lessons,
                    share.of,
                    Measure::Money(share.due).text(Lang::Zh)
                ),
            )
        }
        None => (String::new(), String::new()),
    };
    draft
        .describe(format!(
            "refund of contract {} requested {}{pro_rata} still owes {} after {} days",
            pending.contract.contract, pending.requested_on, pending.remaining, pending.days
        ))
        .in_chinese(format!(
            "合同 {} 于 {} 申请退费{pro_rata_zh}，{} 天后仍欠 {}",
            pending.contract.contract,
            pending.requested_on,
            pending.days,
            Measure::Money(pending.remaining).text(Lang::Zh)
        ))
        .with_evidence(pending.requested)
        .for_institution(
            pending.contract.institution.clone(),
            pending.region,
            pending.time_zone.clone(),
        )
        .build(&identity(&[&"refund", &pending.requested.event_id]))
}

/// PREPAY_EARLIEST_COLLECT (a local rule): a fee collected, by the region's civil date, before
/// the day that many months ahead of its service's start.
fn collected_too_early(
    ctx: &Context<'_>,
    event: &LoggedEvent,
    fee: &FeeCollected,
    collected_on: Date,
    id: &str,
) -> Option<Finding> {
    let months = ctx.policy.value(event.envelope.region, collected_on, |p| {
        p.prepay_earliest_months.as_ref()
    })?;
    let earliest = fee
        .service_start
        .checked_sub(jiff::Span::new().months(i64::from(months)))
        .ok()?;
    if collected_on >= earliest {
        return None;
    }
    Some(
        ctx.draft(event, RuleId::PrepayEarliestCollect, event.envelope.occurred_at)
            .figure(Figure::new("collected_on", Measure::Date(collected_on)))
            .figure(Figure::new("service_start", Measure::Date(fee.service_start)))
            .figure(Figure::new("earliest", Measure::Date(earliest)))
            .describe(format!(
                "fee {} under contract {} collected on {collected_on}, before {earliest}, {months} month(s) before its service starts on {}",
                fee.amount, fee.contract, fee.service_start
            ))
            .in_chinese(format!(
                "合同 {} 的费用 {} 于 {collected_on} 收取，早于服务开始日 {} 前 {months} 个月（{earliest}）",
                fee.contract,
                Measure::Money(fee.amount).text(Lang::Zh),
                fee.service_start
            ))
            .build(id),
    )
}

/// What a contract holds prepaid and not yet delivered once a charge is added: the caps apply to
/// that, not to each charge alone, so splitting a purchase into several charges (变相收取) does not
/// escape them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Prepaid {
    amount: Fen,
    lessons: u64,
    service_start: Date,
    service_end: Date,
    /// Whether earlier charges of the contract are still undelivered (otherwise this is the
    /// charge alone).
    with_earlier: bool,
    /// Where a region counts the 60 lessons per subject: the student's undelivered lessons of
    /// the subject across its contracts.
    per_subject: Option<SubjectLessons>,
}

/// A student's prepaid, undelivered lessons of one subject at one institution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SubjectLessons {
    subject: Subject,
    lessons: u64,
    /// How many other contracts hold some of them.
    other_contracts: u64,
}

impl Prepaid {
    fn after(contract: Option<&Contract>, fee: &FeeCollected) -> Prepaid {
        let alone = Prepaid {
            amount: fee.amount,
            lessons: u64::from(fee.lessons),
            service_start: fee.service_start,
            service_end: fee.service_end,
            with_earlier: false,
            per_subject: None,
        };
        let Some(c) = contract else {
            return alone;
        };
        let undelivered_lessons = u64::from(c.lessons).saturating_sub(c.released_lessons);
        let undelivered_amount = c
            .amount
            .saturating_sub(c.released)
            .saturating_sub(c.refunded);
        if undelivered_lessons == 0 && undelivered_amount.is_zero() {
            return alone;
        }
        Prepaid {
            amount: undelivered_amount.saturating_add(fee.amount),
            lessons: undelivered_lessons.saturating_add(u64::from(fee.lessons)),
            service_start: c.service_start.min(fee.service_start),
            service_end: c.service_end.max(fee.service_end),
            with_earlier: true,
            per_subject: None,
        }
    }

    /// How the finding names what was judged.
    fn subject(&self, fee: &FeeCollected) -> String {
        if self.with_earlier {
            format!(
                "contract {} holds {} prepaid and undelivered after a charge of {}",
                fee.contract, self.amount, fee.amount
            )
        } else {
            format!("one charge of {}", fee.amount)
        }
    }

    /// The same in Chinese.
    fn subject_zh(&self, fee: &FeeCollected) -> String {
        if self.with_earlier {
            format!(
                "合同 {} 收取 {} 后，预收未消课金额共 {}",
                fee.contract,
                Measure::Money(fee.amount).text(Lang::Zh),
                Measure::Money(self.amount).text(Lang::Zh)
            )
        } else {
            format!("单笔收费 {}", Measure::Money(fee.amount).text(Lang::Zh))
        }
    }
}

/// PREPAY_MAX_3M_60H and PREPAY_MAX_5000 for what a contract holds prepaid after a charge.
fn prepay_caps(
    ctx: &Context<'_>,
    event: &LoggedEvent,
    fee: &FeeCollected,
    prepaid: &Prepaid,
    category: Category,
    date: Date,
    id: &str,
) -> Vec<Finding> {
    let region = event.envelope.region;
    let at = event.envelope.occurred_at;
    let policy = ctx.policy;
    let mut findings = Vec::new();
    let months = policy.value(region, date, |p| {
        p.prepay_max_months.as_ref().and_then(|c| c.get(category))
    });
    let lessons = policy.value(region, date, |p| {
        p.prepay_max_lessons.as_ref().and_then(|c| c.get(category))
    });
    let mut problems = Vec::new();
    let mut draft = ctx.draft(event, RuleId::PrepayMax3m60h, at);
    if let Some(months) = months {
        let limit_end = prepaid
            .service_start
            .checked_add(jiff::Span::new().months(i64::from(months)))
            .ok();
        if limit_end.is_some_and(|end| prepaid.service_end >= end) {
            draft = draft
                .figure(Figure::new(
                    "service_start",
                    Measure::Date(prepaid.service_start),
                ))
                .figure(Figure::new(
                    "service_end",
                    Measure::Date(prepaid.service_end),
                ))
                .figure(Figure::new("limit", Measure::Months(months)));
            problems.push((
                format!(
                    "服务期 {} 至 {} 超过 {months} 个月",
                    prepaid.service_start, prepaid.service_end
                ),
                format!(
                    "service period {}..{} spans more than {months} months",
                    prepaid.service_start, prepaid.service_end
                ),
            ));
        }
    }
    if let Some(max) = lessons {
        match prepaid.per_subject {
            Some(subject) if subject.lessons > u64::from(max) => {
                draft = draft
                    .figure(Figure::new("lessons", Measure::Count(subject.lessons)))
                    .figure(Figure::new("limit", Measure::Count(u64::from(max))))
                    .figure(Figure::new(
                        "subject",
                        Measure::Text(subject.subject.name_zh().to_owned()),
                    ));
                problems.push((
                    format!(
                        "该学生{}科目预收未消课共 {} 课时（含其他 {} 份合同），超过每科 {max} 课时",
                        subject.subject.name_zh(),
                        subject.lessons,
                        subject.other_contracts
                    ),
                    format!(
                        "the student holds {} undelivered prepaid lessons of {} ({} other contract(s) included) > {max} per subject",
                        subject.lessons, subject.subject, subject.other_contracts
                    ),
                ));
            }
            Some(_) => {}
            None if prepaid.lessons > u64::from(max) => {
                draft = draft
                    .figure(Figure::new("lessons", Measure::Count(prepaid.lessons)))
                    .figure(Figure::new("limit", Measure::Count(u64::from(max))));
                problems.push((
                    format!("{} 课时，超过 {max} 课时", prepaid.lessons),
                    format!("{} lessons > {max}", prepaid.lessons),
                ));
            }
            None => {}
        }
    }
    if !problems.is_empty() {
        findings.push(
            draft
                .describe(format!(
                    "{}: {}",
                    prepaid.subject(fee),
                    problems
                        .iter()
                        .map(|(_, en)| en.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                ))
                .in_chinese(format!(
                    "{}：{}",
                    prepaid.subject_zh(fee),
                    problems
                        .iter()
                        .map(|(zh, _)| zh.as_str())
                        .collect::<Vec<_>>()
                        .join("；")
                ))
                .build(id),
        );
    }
    if let Some(cap) = policy.lookup(region, date, |p| {
        p.prepay_max_fen.as_ref().and_then(|c| c.get(category))
    }) {
        let cap_fen = Fen::new(*cap.value);
        if prepaid.amount > cap_fen {
            let judged = if prepaid.with_earlier {
                format!("{}: {}", prepaid.subject(fee), prepaid.amount)
            } else {
                format!("one charge of {}", fee.amount)
            };
            findings.push(
                ctx.draft(event, RuleId::PrepayMax5000, at)
                    .figure(Figure::new("amount", Measure::Money(prepaid.amount)))
                    .figure(Figure::new("limit", Measure::Money(cap_fen)))
                    .describe(format!(
                        "{judged} > {cap_fen} ({})",
                        since(cap.level, cap.from)
                    ))
                    .in_chinese(format!(
                        "{}，超过 {}（{}）",
                        prepaid.subject_zh(fee),
                        Measure::Money(cap_fen).text(Lang::Zh),
                        since_zh(cap.level, cap.from)
                    ))
                    .build(id),
            );
        }
    }
    findings
}
