//! Planted advertising cases: banned channels, school carriers, and former prices or discounts
//! the institution's own prices contradict.

use tutorwatch_events::advertising::{AdChannel, AdvertisementObserved, SchoolCarrier};
use tutorwatch_events::ids::AdId;
use tutorwatch_events::kinds::{GradeBand, Mode, Subject};
use tutorwatch_events::{EventId, Fen};
use tutorwatch_findings::{identity, RuleId};

use crate::inst::token;
use crate::truth::Expected;
use crate::GenError;

use super::*;

/// Plants `case` if it is one of this module's; `None` if it is not.
pub(super) fn plant(case: &mut Case<'_>) -> Result<Option<Vec<Expected>>, GenError> {
    let (em, inst, name) = (&mut *case.em, &mut case.inst, case.name);
    let n = case.n;
    let published = at(PUBLISHED, 10)?;
    let maths = Subject::Mathematics;
    let code = inst.who.code.clone();
    let expect = |rule: RuleId, key: String, evidence: Vec<EventId>| {
        Expected::new(name, rule, &code, key, evidence)
    };
    let out = match name {
        "ad_former_price_never_charged"
        | "ad_discount_off_by_101_fen"
        | "ad_public_place"
        | "ad_transit"
        | "ad_on_workbook"
        | "ad_inside_school" => {
            let plan = inst.plan(
                maths,
                Mode::Offline,
                8000,
                &[span(DAY, (18, 30, 0), (20, 0, 0))?],
            )?;
            inst.publish(em, published, &plan, GradeBand::Primary)?;
            let id: AdId = token(format!("ad-{n}-1"))?;
            let (mut observed, rule) = match name {
                "ad_public_place" => (ad(id, AdChannel::PublicPlace)?, RuleId::AdChannelBan),
                "ad_transit" => (ad(id, AdChannel::Transit)?, RuleId::AdChannelBan),
                "ad_inside_school" => (ad(id, AdChannel::School)?, RuleId::AdSchoolSupplies),
                "ad_on_workbook" => (
                    AdvertisementObserved {
                        carrier: Some(SchoolCarrier::Workbook),
                        ..ad(id, AdChannel::OwnPremises)?
                    },
                    RuleId::AdSchoolSupplies,
                ),
                _ => (ad(id, AdChannel::OwnPremises)?, RuleId::NoFakeOriginalPrice),
            };
            observed.course = Some(plan.course.clone());
            if name == "ad_former_price_never_charged" {
                observed.claimed_former_price = Some(Fen::new(9000));
            } else if name == "ad_discount_off_by_101_fen" {
                observed.claimed_former_price = Some(Fen::new(8000));
                observed.claimed_percent_off = Some(20);
                observed.advertised_price = Some(Fen::new(6400 + 101));
            }
            let e = em.emit(
                &inst.who,
                at(jiff::civil::date(2025, 11, 20), 10)?,
                observed,
            );
            vec![expect(rule, identity(&[&"ad", &e]), vec![e])]
        }
        "ad_promises_results" | "ad_examiner_claim" => {
            let id: AdId = token(format!("ad-{n}-1"))?;
            let description = if name == "ad_promises_results" {
                "暑期数学冲刺班，保证提分，不提分全额退款"
            } else {
                "中考数学命题专家亲授"
            };
            let observed = AdvertisementObserved {
                description: crate::inst::text(description)?,
                ..ad(id, AdChannel::OwnPremises)?
            };
            let e = em.emit(
                &inst.who,
                at(jiff::civil::date(2025, 11, 20), 10)?,
                observed,
            );
            vec![expect(RuleId::AdContent, identity(&[&"ad", &e]), vec![e])]
        }
        _ => return Ok(None),
    };
    Ok(Some(out))
}
