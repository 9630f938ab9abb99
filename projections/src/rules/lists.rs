//! The list rule (area `lists` of the rule catalogue): BLACK_WHITE_LIST, a black-listed institution selling
//! (only white-listed institutions may). Who is on which list is judged by `crate::lists`.

use tutorwatch_events::{Event, LoggedEvent};

use crate::context::Context;
use crate::rules::RuleArea;
use tutorwatch_findings::ListStatus;
use tutorwatch_findings::{identity, Figure, Finding, Measure, RuleId};

/// The list rule, for one event: the institution's list status before it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ListRules {
    pub(crate) list_before: ListStatus,
}

impl RuleArea for ListRules {
    fn on_event(&mut self, ctx: &Context<'_>, event: &LoggedEvent) -> Vec<Finding> {
        let (Event::FeeCollected(fee), ListStatus::Black) =
            (&event.envelope.event, self.list_before)
        else {
            return Vec::new();
        };
        vec![ctx
            .draft(event, RuleId::BlackWhiteList, event.envelope.occurred_at)
            .figure(Figure::new("list", Measure::Text("black".into())))
            .describe(format!(
                "black-listed institution collected {} under contract {} (only white-listed institutions may sell)",
                fee.amount, fee.contract
            ))
            .in_chinese(format!(
                "列入黑名单的机构按合同 {} 收取 {}（仅白名单机构可招生收费）",
                fee.contract,
                Measure::Money(fee.amount).text(tutorwatch_findings::Lang::Zh)
            ))
            .build(&identity(&[&"sale", &event.envelope.event_id]))]
    }
}
