//! An institution's fund position over time: what families prepaid (collected), what the bank
//! released to the institution lesson by lesson, what was refunded, what refunds were asked for,
//! and the balances the banks stated, one row per institution and local date.
//!
//! The projection store keeps one [`FundDay`] per institution and date with money movement, the
//! day's flows (not running totals), so a row is the sum of its events whatever order or batches
//! they came in, and an event dated in the past touches only its own day. A page turns an
//! institution's rows into running positions with [`positions`] (and [`weekly`] for long spans).
//!
//! Dates are local dates in the region's civil time (`RegionCode::local_date` of the event's
//! `occurred_at`); a balance statement is filed under the date it states.
//!
//! **Invariant:** money is integer fen ([`Fen`]); sums saturate rather than wrap.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tutorwatch_events::ids::AccountId;
use tutorwatch_events::{CreditCode, Event, Fen, LoggedEvent};

/// What one event does to an institution's funds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FundFlow {
    /// A family prepaid fees (`escrow.fee_collected`).
    Collected(Fen),
    /// The bank released fees to the institution (`escrow.funds_released`).
    Released(Fen),
    /// A family asked for a refund (`escrow.refund_requested`).
    RefundRequested(Fen),
    /// A refund was paid (`escrow.refund_paid`).
    Refunded(Fen),
    /// A bank stated an account's balance at the end of a day (`escrow.daily_balance_stated`).
    Stated { account: AccountId, balance: Fen },
    /// A supervised account was closed: its balance no longer counts.
    Closed(AccountId),
}

/// The flow an event brings to its institution's funds, with the local date it is filed under;
/// `None` for events that move no money.
pub fn fund_flow(event: &LoggedEvent) -> Option<(CreditCode, Date, FundFlow)> {
    let envelope = &event.envelope;
    let day = || envelope.region.local_date(envelope.occurred_at);
    let (date, flow) = match &envelope.event {
        Event::FeeCollected(fee) => (day(), FundFlow::Collected(fee.amount)),
        Event::FundsReleased(release) => (day(), FundFlow::Released(release.amount)),
        Event::RefundRequested(request) => (day(), FundFlow::RefundRequested(request.amount)),
        Event::RefundPaid(paid) => (day(), FundFlow::Refunded(paid.amount)),
        Event::DailyBalanceStated(statement) => (
            statement.date,
            FundFlow::Stated {
                account: statement.account.clone(),
                balance: statement.balance,
            },
        ),
        Event::SupervisedAccountClosed(closed) => (day(), FundFlow::Closed(closed.account.clone())),
        _ => return None,
    };
    Some((envelope.institution.clone(), date, flow))
}

/// One institution's money movement on one local date, as the projection store keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundDay {
    pub collected: Fen,
    pub released: Fen,
    pub refund_requested: Fen,
    pub refunded: Fen,
    /// The balance stated for this date, per supervised account (the last statement in log
    /// order when a bank stated one twice).
    pub stated: BTreeMap<AccountId, Fen>,
    /// Accounts closed on this date.
    pub closed: BTreeSet<AccountId>,
}

impl FundDay {
    /// Adds one event's flow to the day.
    pub fn add(&mut self, flow: FundFlow) {
        match flow {
            FundFlow::Collected(fen) => self.collected = self.collected.saturating_add(fen),
            FundFlow::Released(fen) => self.released = self.released.saturating_add(fen),
            FundFlow::RefundRequested(fen) => {
                self.refund_requested = self.refund_requested.saturating_add(fen);
            }
            FundFlow::Refunded(fen) => self.refunded = self.refunded.saturating_add(fen),
            FundFlow::Stated { account, balance } => {
                self.stated.insert(account, balance);
            }
            FundFlow::Closed(account) => {
                self.closed.insert(account);
            }
        }
    }
}

/// An institution's position at the end of a local date: running totals from its first day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FundPosition {
    pub date: Date,
    /// Prepaid by families so far.
    pub collected: Fen,
    /// Released to the institution so far.
    pub released: Fen,
    /// Refunded to families so far.
    pub refunded: Fen,
    /// What families are owed: collected, less released and refunded (fees for lessons not yet
    /// given).
    pub owed: Fen,
    /// Refunds asked for and not yet paid (requested less paid, never below zero).
    pub refunds_due: Fen,
    /// The sum of the latest balance each open supervised account's bank stated on or before
    /// the date; `None` before any statement.
    pub balance: Option<Fen>,
}

/// Running positions, one per day given (in date order), from an institution's rows.
pub fn positions(days: impl IntoIterator<Item = (Date, FundDay)>) -> Vec<FundPosition> {
    let mut collected = Fen::ZERO;
    let mut released = Fen::ZERO;
    let mut refunded = Fen::ZERO;
    let mut requested = Fen::ZERO;
    let mut balances: BTreeMap<AccountId, Fen> = BTreeMap::new();
    let mut days: Vec<(Date, FundDay)> = days.into_iter().collect();
    days.sort_by_key(|(date, _)| *date);
    days.into_iter()
        .map(|(date, day)| {
            collected = collected.saturating_add(day.collected);
            released = released.saturating_add(day.released);
            refunded = refunded.saturating_add(day.refunded);
            requested = requested.saturating_add(day.refund_requested);
            balances.extend(day.stated);
            for account in &day.closed {
                balances.remove(account);
            }
            FundPosition {
                date,
                collected,
                released,
                refunded,
                owed: collected.saturating_sub(released).saturating_sub(refunded),
                refunds_due: requested.saturating_sub(refunded),
                balance: (!balances.is_empty()).then(|| {
                    balances
                        .values()
                        .fold(Fen::ZERO, |sum, b| sum.saturating_add(*b))
                }),
            }
        })
        .collect()
}

/// One position per ISO week: the last day's of each week that has one (for spans too long to
/// draw day by day).
pub fn weekly(positions: &[FundPosition]) -> Vec<FundPosition> {
    let mut weeks: Vec<FundPosition> = Vec::new();
    for position in positions {
        let week = position.date.iso_week_date();
        match weeks.last_mut() {
            Some(last)
                if last.date.iso_week_date().year() == week.year()
                    && last.date.iso_week_date().week() == week.week() =>
            {
                *last = *position;
            }
            _ => weeks.push(*position),
        }
    }
    weeks
}

#[cfg(test)]
mod tests {
    use super::*;
    use tutorwatch_events::examples;

    fn account(name: &str) -> AccountId {
        AccountId::parse(name).expect("a valid account id")
    }

    fn date(text: &str) -> Date {
        text.parse().expect("a date")
    }

    fn day(flows: Vec<FundFlow>) -> FundDay {
        let mut day = FundDay::default();
        flows.into_iter().for_each(|flow| day.add(flow));
        day
    }

    #[test]
    fn a_day_sums_its_flows_and_keeps_the_last_statement_per_account() {
        let d = day(vec![
            FundFlow::Collected(Fen::yuan(100)),
            FundFlow::Collected(Fen::new(1)),
            FundFlow::Released(Fen::yuan(10)),
            FundFlow::RefundRequested(Fen::yuan(20)),
            FundFlow::Refunded(Fen::yuan(5)),
            FundFlow::Stated {
                account: account("acct-1"),
                balance: Fen::yuan(7),
            },
            FundFlow::Stated {
                account: account("acct-1"),
                balance: Fen::yuan(8),
            },
        ]);
        assert_eq!(d.collected, Fen::new(10_001));
        assert_eq!(d.released, Fen::yuan(10));
        assert_eq!(d.refund_requested, Fen::yuan(20));
        assert_eq!(d.refunded, Fen::yuan(5));
        assert_eq!(d.stated.get(&account("acct-1")), Some(&Fen::yuan(8)));
    }

    #[test]
    fn positions_run_totals_and_carry_balances_until_an_account_closes() {
        let rows = vec![
            // Out of order on purpose: positions sort by date.
            (
                date("2025-09-03"),
                day(vec![
                    FundFlow::Released(Fen::yuan(300)),
                    FundFlow::RefundRequested(Fen::yuan(200)),
                    FundFlow::Stated {
                        account: account("b"),
                        balance: Fen::yuan(50),
                    },
                ]),
            ),
            (
                date("2025-09-01"),
                day(vec![
                    FundFlow::Collected(Fen::yuan(1_000)),
                    FundFlow::Stated {
                        account: account("a"),
                        balance: Fen::yuan(1_000),
                    },
                ]),
            ),
            (
                date("2025-09-05"),
                day(vec![
                    FundFlow::Refunded(Fen::yuan(150)),
                    FundFlow::Closed(account("b")),
                ]),
            ),
        ];
        let p = positions(rows);
        assert_eq!(
            p.iter().map(|p| p.date).collect::<Vec<_>>(),
            [date("2025-09-01"), date("2025-09-03"), date("2025-09-05")]
        );
        assert_eq!(p[0].collected, Fen::yuan(1_000));
        assert_eq!(p[0].owed, Fen::yuan(1_000));
        assert_eq!(p[0].balance, Some(Fen::yuan(1_000)));
        assert_eq!(p[0].refunds_due, Fen::ZERO);
        assert_eq!(p[1].released, Fen::yuan(300));
        assert_eq!(p[1].owed, Fen::yuan(700));
        assert_eq!(p[1].refunds_due, Fen::yuan(200));
        // Account a's balance is carried forward, b's is added.
        assert_eq!(p[1].balance, Some(Fen::yuan(1_050)));
        assert_eq!(p[2].refunded, Fen::yuan(150));
        assert_eq!(p[2].owed, Fen::yuan(550));
        assert_eq!(p[2].refunds_due, Fen::yuan(50));
        // b closed: only a's last statement counts.
        assert_eq!(p[2].balance, Some(Fen::yuan(1_000)));
    }

    #[test]
    fn owed_and_refunds_due_never_go_below_zero_and_no_statement_is_no_balance() {
        let p = positions(vec![(
            date("2025-09-01"),
            day(vec![
                FundFlow::Released(Fen::yuan(5)),
                FundFlow::Refunded(Fen::yuan(5)),
            ]),
        )]);
        assert_eq!(p[0].owed, Fen::ZERO);
        assert_eq!(p[0].refunds_due, Fen::ZERO);
        assert_eq!(p[0].balance, None);
    }

    #[test]
    fn weekly_keeps_each_iso_weeks_last_position() {
        let rows = [
            "2025-09-01",
            "2025-09-03",
            "2025-09-07",
            "2025-09-08",
            "2025-12-29",
        ]
        .iter()
        .map(|d| (date(d), day(vec![FundFlow::Collected(Fen::yuan(1))])))
        .collect::<Vec<_>>();
        let weeks = weekly(&positions(rows));
        assert_eq!(
            weeks
                .iter()
                .map(|p| (p.date, p.collected))
                .collect::<Vec<_>>(),
            [
                (date("2025-09-07"), Fen::yuan(3)),
                (date("2025-09-08"), Fen::yuan(4)),
                (date("2025-12-29"), Fen::yuan(5)),
            ]
        );
    }

    #[test]
    fn escrow_events_bring_their_flows_filed_under_the_local_date() {
        let mut seen = 0;
        for (i, envelope) in examples::one_of_each().into_iter().enumerate() {
            let event = LoggedEvent {
                seq: i as u64 + 1,
                recorded_at: envelope.occurred_at,
                envelope,
            };
            let Some((institution, date, flow)) = fund_flow(&event) else {
                continue;
            };
            seen += 1;
            assert_eq!(institution, event.envelope.institution);
            match (&event.envelope.event, flow) {
                (Event::FeeCollected(fee), FundFlow::Collected(fen)) => {
                    assert_eq!(fen, fee.amount);
                }
                (Event::DailyBalanceStated(s), FundFlow::Stated { balance, .. }) => {
                    assert_eq!(balance, s.balance);
                    assert_eq!(date, s.date);
                    continue;
                }
                (Event::FundsReleased(_), FundFlow::Released(_))
                | (Event::RefundRequested(_), FundFlow::RefundRequested(_))
                | (Event::RefundPaid(_), FundFlow::Refunded(_))
                | (Event::SupervisedAccountClosed(_), FundFlow::Closed(_)) => {}
                (event, flow) => panic!("{event:?} brought {flow:?}"),
            }
            let local = event
                .envelope
                .occurred_at
                .timestamp()
                .in_tz("Asia/Shanghai")
                .expect("Beijing time")
                .date();
            assert_eq!(date, local, "filed under the Beijing date");
        }
        assert_eq!(seen, 6, "six escrow event types move money");
    }
}
