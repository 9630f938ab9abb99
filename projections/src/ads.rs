//! Advertising rules (RULES.md section I) and NO_FAKE_ORIGINAL_PRICE, judged on advertisements
//! inspectors observed.
//!
//! **Invariant:** a claimed former price is judged only against prices the institution itself
//! published or charged earlier in the log, never against outside data.

use tutorwatch_events::advertising::{AdChannel, AdvertisementObserved};
use tutorwatch_events::{Event, Fen, LoggedEvent};

use crate::context::Context;
use crate::facts::local_time;
use crate::finding::{identity, Figure, Finding, Measure, RuleId};
use crate::policy::AdBanScope;

/// Judges one event; only advertisements concern this projection, which keeps no state.
pub fn apply(ctx: &Context<'_>, event: &LoggedEvent) -> Vec<Finding> {
    match &event.envelope.event {
        Event::AdvertisementObserved(ad) => judge(ctx, event, ad),
        _ => Vec::new(),
    }
}

fn judge(ctx: &Context<'_>, event: &LoggedEvent, ad: &AdvertisementObserved) -> Vec<Finding> {
    let envelope = &event.envelope;
    let at = envelope.occurred_at;
    let region = envelope.region;
    let institution = &envelope.institution;
    let date = local_time(ctx.time_zone(institution), at).date();
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
                    Measure::Text(format!("{:?}", ad.channel)),
                ))
                .describe(format!(
                    "training ad {} aimed at pupils placed in banned channel {:?}",
                    ad.ad, ad.channel
                ))
                .build(&id),
        );
    }

    if policy.enabled(region, date, |p| p.ad_school_supplies.as_ref()) {
        let carrier = match (ad.carrier, ad.channel) {
            (Some(carrier), _) => Some(format!("{carrier:?}")),
            (None, AdChannel::School) => Some("inside a school".to_owned()),
            (None, _) => None,
        };
        if let Some(carrier) = carrier {
            findings.push(
                ctx.draft(event, RuleId::AdSchoolSupplies, at)
                    .figure(Figure::new("carrier", Measure::Text(carrier.clone())))
                    .describe(format!("training ad {} carried by {carrier}", ad.ad))
                    .build(&id),
            );
        }
    }

    if policy.enabled(region, date, |p| p.no_fake_original_price.as_ref()) {
        findings.extend(fake_price(ctx, event, ad, date, &id));
    }
    findings
}

/// NO_FAKE_ORIGINAL_PRICE: a former price never charged, or a discount the prices contradict.
fn fake_price(
    ctx: &Context<'_>,
    event: &LoggedEvent,
    ad: &AdvertisementObserved,
    date: jiff::civil::Date,
    id: &str,
) -> Option<Finding> {
    let envelope = &event.envelope;
    let facts = ctx.facts.institution(&envelope.institution);
    let charged: Vec<Fen> = match (facts, &ad.course) {
        (Some(i), Some(course)) => i
            .prices
            .get(course)
            .into_iter()
            .flatten()
            .copied()
            .collect(),
        (Some(i), None) => i.prices.values().flatten().copied().collect(),
        (None, _) => Vec::new(),
    };
    let scope = ad
        .course
        .as_ref()
        .map_or("any of its courses".to_owned(), |c| format!("course {c}"));
    let draft = || ctx.draft(event, RuleId::NoFakeOriginalPrice, envelope.occurred_at);
    if let Some(former) = ad.claimed_former_price {
        if !charged.contains(&former) {
            return Some(
                draft()
                    .figure(Figure::new("claimed_former_price", Measure::Money(former)))
                    .describe(format!(
                        "ad {} claims a former price of {former}, never published or charged for {scope}",
                        ad.ad
                    ))
                    .build(id),
            );
        }
    }
    let percent = u64::from(ad.claimed_percent_off?);
    let advertised = ad.advertised_price?;
    let former = match ad.claimed_former_price {
        Some(former) => former,
        // Without a claimed former price, the discount is off the course's own price.
        None => match charged.as_slice() {
            [only] => *only,
            _ => return None,
        },
    };
    let tolerance = ctx
        .policy
        .value(envelope.region, date, |p| p.discount_tolerance_fen.as_ref())
        .unwrap_or(0);
    let expected_x100 = u128::from(former.get()) * u128::from(100 - percent.min(100));
    let advertised_x100 = u128::from(advertised.get()) * 100;
    if expected_x100.abs_diff(advertised_x100) <= u128::from(tolerance) * 100 {
        return None;
    }
    let expected = Fen::new(u64::try_from(expected_x100 / 100).unwrap_or(u64::MAX));
    Some(
        draft()
            .figure(Figure::new("advertised_price", Measure::Money(advertised)))
            .figure(Figure::new("expected_price", Measure::Money(expected)))
            .describe(format!(
                "ad {} claims {percent}% off {former}, which is {expected}, but offers {advertised}",
                ad.ad
            ))
            .build(id),
    )
}
