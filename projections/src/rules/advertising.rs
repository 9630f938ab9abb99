//! Advertising (area `advertising` of the rule catalogue): AD_CHANNEL_BAN, AD_SCHOOL_SUPPLIES and
//! AD_CONTENT (the policy's banned phrases in the ad's text), judged on advertisements inspectors
//! observed. (A fake former price in an ad is a pricing rule, see
//! `pricing`.)

use tutorwatch_events::advertising::{AdChannel, AdvertisementObserved};
use tutorwatch_events::{Event, LoggedEvent};

use crate::context::Context;
use crate::policy::AdBanScope;
use crate::rules::{local_date, RuleArea};
use tutorwatch_findings::{identity, Figure, Finding, Measure, RuleId};

/// The advertising rules (stateless).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct AdvertisingRules;

impl RuleArea for AdvertisingRules {
    fn on_event(&mut self, ctx: &Context<'_>, event: &LoggedEvent) -> Vec<Finding> {
        match &event.envelope.event {
            Event::AdvertisementObserved(ad) => judge(ctx, event, ad),
            _ => Vec::new(),
        }
    }
}

fn judge(ctx: &Context<'_>, event: &LoggedEvent, ad: &AdvertisementObserved) -> Vec<Finding> {
    let envelope = &event.envelope;
    let at = envelope.occurred_at;
    let region = envelope.region;
    let date = local_date(ctx, event, at);
    let policy = ctx.policy;
    let id = identity(&[&"ad", &envelope.event_id]);
    let mut findings = Vec::new();

    let scope = policy
        .value(region, date, |p| p.ad_channel_ban.as_ref())
        .unwrap_or(AdBanScope::Off);
    let in_scope = match scope {
        AdBanScope::All => true,
        AdBanScope::SubjectOnly => ad.subject_training,
        AdBanScope::Off => false,
    };
    let banned = policy
        .lookup(region, date, |p| p.ad_banned_channels.as_ref())
        .is_some_and(|channels| channels.value.contains(&ad.channel));
    if in_scope && banned && ad.aimed_at_minors {
        findings.push(
            ctx.draft(event, RuleId::AdChannelBan, at)
                .figure(Figure::new(
                    "channel",
                    Measure::Text(ad.channel.to_string()),
                ))
                .describe(format!(
                    "training ad {} aimed at pupils placed in banned channel {}",
                    ad.ad, ad.channel
                ))
                .in_chinese(format!(
                    "面向中小学生的培训广告 {} 投放在禁止的渠道 {}",
                    ad.ad, ad.channel
                ))
                .build(&id),
        );
    }

    if policy.enabled(region, date, |p| p.ad_school_supplies.as_ref()) {
        let carrier = match (ad.carrier, ad.channel) {
            (Some(carrier), _) => Some(carrier.to_string()),
            (None, AdChannel::School) => Some("inside a school".to_owned()),
            (None, _) => None,
        };
        if let Some(carrier) = carrier {
            findings.push(
                ctx.draft(event, RuleId::AdSchoolSupplies, at)
                    .figure(Figure::new("carrier", Measure::Text(carrier.clone())))
                    .describe(format!("training ad {} carried by {carrier}", ad.ad))
                    .in_chinese(format!("培训广告 {} 以 {carrier} 为载体", ad.ad))
                    .build(&id),
            );
        }
    }

    if let Some(banned) = policy.lookup(region, date, |p| p.ad_banned_phrases.as_ref()) {
        let text = ad.description.as_str();
        let found: Vec<&str> = banned
            .value
            .iter()
            .map(String::as_str)
            .filter(|phrase| !phrase.is_empty() && text.contains(phrase))
            .collect();
        if !found.is_empty() {
            let phrases = found.join("、");
            findings.push(
                ctx.draft(event, RuleId::AdContent, at)
                    .figure(Figure::new("phrases", Measure::Text(phrases.clone())))
                    .describe(format!("training ad {} says {phrases}", ad.ad))
                    .in_chinese(format!("培训广告 {} 使用违禁用语：{phrases}", ad.ad))
                    .build(&id),
            );
        }
    }

    findings
}
