//! Prices (area `pricing` of the rule catalogue): GOV_GUIDE_PRICE, judged on each plan of a subject
//! course (published, and again when a reschedule changes its lessons' lengths, since the price
//! is per lesson); PRICE_DISCLOSURE, judged on fees against the course's posted price; and
//! NO_FAKE_ORIGINAL_PRICE, judged on advertisements inspectors observed.
//!
//! **Invariant:** a claimed former price is judged only against prices the institution itself
//! published or charged earlier in the log, never against outside data. Money is integer fen;
//! ratios are basis points computed in `u128`.

use tutorwatch_events::advertising::AdvertisementObserved;
use tutorwatch_events::escrow::FeeCollected;
use tutorwatch_events::kinds::Category;
use tutorwatch_events::{Event, Fen, LoggedEvent};

use crate::context::Context;
use crate::rules::{local_date, CourseCheck, RuleArea, Stage};
use tutorwatch_findings::{identity, Figure, Finding, Lang, Measure, RuleId};

/// The pricing rules (stateless).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PricingRules;

impl RuleArea for PricingRules {
    fn on_event(&mut self, ctx: &Context<'_>, event: &LoggedEvent) -> Vec<Finding> {
        let envelope = &event.envelope;
        match &envelope.event {
            Event::FeeCollected(fee) => {
                let date = local_date(ctx, event, envelope.occurred_at);
                let id = identity(&[&"fee", &envelope.event_id]);
                above_posted_price(ctx, event, fee, date, &id)
                    .into_iter()
                    .collect()
            }
            Event::AdvertisementObserved(ad) => {
                let date = local_date(ctx, event, envelope.occurred_at);
                if !ctx
                    .policy
                    .enabled(envelope.region, date, |p| p.no_fake_original_price.as_ref())
                {
                    return Vec::new();
                }
                let id = identity(&[&"ad", &envelope.event_id]);
                fake_price(ctx, event, ad, date, &id).into_iter().collect()
            }
            _ => Vec::new(),
        }
    }

    fn on_course(&self, check: &CourseCheck<'_>) -> Vec<Finding> {
        // The price is the plan's: a delivered lesson changes nothing the institution charges.
        if check.stage != Stage::Plan {
            return Vec::new();
        }
        guide_price(check).into_iter().collect()
    }
}

/// GOV_GUIDE_PRICE: a subject course's price per standard lesson, at its current plan's lesson
/// lengths, against the region's guidance price plus the allowed markup. The plan's event
/// (publication or reschedule) is the evidence; the finding is the course's, so a reschedule
/// re-judges it under the same id.
fn guide_price(check: &CourseCheck<'_>) -> Option<Finding> {
    let (ctx, event, course) = (check.ctx, check.event, check.course);
    let envelope = &event.envelope;
    if course.subject.category() != Category::Subject {
        return None;
    }
    let date = local_date(ctx, event, envelope.occurred_at);
    let table = ctx
        .policy
        .lookup(envelope.region, date, |p| p.guide_prices.as_ref())?
        .value;
    if !table.grade_bands.contains(&course.grade_band) {
        return None;
    }
    let band = table.bands.iter().find(|b| {
        b.mode == course.mode
            && b.class_size_max
                .is_none_or(|max| course.class_size_max <= max)
    })?;
    // The longest planned lesson gives the lowest price per standard unit: the lenient reading.
    let lesson_seconds = course
        .sessions
        .iter()
        .map(|s| (s.end.as_nanos() - s.start.as_nanos()) / 1_000_000_000)
        .max()
        .unwrap_or(0)
        .max(1);
    let lesson_seconds = u128::try_from(lesson_seconds).unwrap_or(1);
    let unit_seconds = u128::from(band.unit_minutes) * 60;
    let price = u128::from(course.price_per_lesson.get());
    let allowed_bp = 10_000 + u128::from(table.markup_bp);
    if price * unit_seconds * 10_000 <= u128::from(band.price_fen) * allowed_bp * lesson_seconds {
        return None;
    }
    let cap_per_unit = Fen::new(
        u64::try_from(u128::from(band.price_fen) * allowed_bp / 10_000).unwrap_or(u64::MAX),
    );
    let price_per_unit =
        Fen::new(u64::try_from(price * unit_seconds / lesson_seconds).unwrap_or(u64::MAX));
    Some(
        ctx.draft(event, RuleId::GovGuidePrice, envelope.occurred_at)
            .figure(Figure::new("price_per_unit", Measure::Money(price_per_unit)))
            .figure(Figure::new("guide_price", Measure::Money(Fen::new(band.price_fen))))
            .figure(Figure::new("limit", Measure::Money(cap_per_unit)))
            .describe(format!(
                "course {} costs {price_per_unit} per {}-min lesson > guidance {} + {} = {cap_per_unit} (class of up to {})",
                check.key.course,
                band.unit_minutes,
                Fen::new(band.price_fen),
                Measure::BasisPoints(u64::from(table.markup_bp)),
                course.class_size_max
            ))
            .in_chinese(format!(
                "课程 {} 每 {} 分钟课时收费 {}，超过政府指导价 {} 上浮 {} 后的 {}（班额不超过 {} 人）",
                check.key.course,
                band.unit_minutes,
                Measure::Money(price_per_unit).text(Lang::Zh),
                Measure::Money(Fen::new(band.price_fen)).text(Lang::Zh),
                Measure::BasisPoints(u64::from(table.markup_bp)).text(Lang::Zh),
                Measure::Money(cap_per_unit).text(Lang::Zh),
                course.class_size_max
            ))
            .build(&identity(&[&check.base(), &"guide_price"])),
    )
}

/// PRICE_DISCLOSURE: a fee for a published course that charges more per lesson than the price
/// the course was last published at (a republication changes the posted price).
fn above_posted_price(
    ctx: &Context<'_>,
    event: &LoggedEvent,
    fee: &FeeCollected,
    collected_on: jiff::civil::Date,
    id: &str,
) -> Option<Finding> {
    let envelope = &event.envelope;
    if fee.lessons == 0
        || !ctx.policy.enabled(envelope.region, collected_on, |p| {
            p.price_disclosure.as_ref()
        })
    {
        return None;
    }
    let course_id = fee.course.as_ref()?;
    let course = ctx.facts.course(&envelope.institution, course_id)?;
    if course.title.is_empty() {
        // A course known only from an undeclared lesson has no posted price.
        return None;
    }
    let posted = u128::from(course.price_per_lesson.get()) * u128::from(fee.lessons);
    if u128::from(fee.amount.get()) <= posted {
        return None;
    }
    let posted = Fen::new(u64::try_from(posted).unwrap_or(u64::MAX));
    Some(
        ctx.draft(event, RuleId::PriceDisclosure, envelope.occurred_at)
            .figure(Figure::new("amount", Measure::Money(fee.amount)))
            .figure(Figure::new("posted_price", Measure::Money(course.price_per_lesson)))
            .figure(Figure::new("lessons", Measure::Count(u64::from(fee.lessons))))
            .describe(format!(
                "fee {} for {} lessons of course {course_id} exceeds its posted price {} per lesson ({posted})",
                fee.amount, fee.lessons, course.price_per_lesson
            ))
            .in_chinese(format!(
                "课程 {course_id} 的 {} 课时收费 {}，超过公示价格每课时 {}（合计 {}）",
                fee.lessons,
                Measure::Money(fee.amount).text(Lang::Zh),
                Measure::Money(course.price_per_lesson).text(Lang::Zh),
                Measure::Money(posted).text(Lang::Zh)
            ))
            .build(id),
    )
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
    let scope_zh = ad
        .course
        .as_ref()
        .map_or("其任何课程".to_owned(), |c| format!("课程 {c}"));
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
                    .in_chinese(format!(
                        "广告 {} 标称原价 {}，{scope_zh}从未以此价格公示或收费",
                        ad.ad,
                        Measure::Money(former).text(Lang::Zh)
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
            .in_chinese(format!(
                "广告 {} 宣称原价 {} 减 {percent}%，应为 {}，实际标价 {}",
                ad.ad,
                Measure::Money(former).text(Lang::Zh),
                Measure::Money(expected).text(Lang::Zh),
                Measure::Money(advertised).text(Lang::Zh)
            ))
            .build(id),
    )
}
