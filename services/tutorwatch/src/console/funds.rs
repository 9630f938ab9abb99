//! An institution's fund position over time, for its file: collected, released, the banks'
//! stated balance, what families are owed and the refunds due, drawn on the server as an SVG
//! step chart (no script, no chart library), with the latest position as a table.
//!
//! The rows come from the projection store (`ProjectionStore::fund_days`: one per local date with
//! money movement, written by the follower in the same batch as the findings), so a request reads
//! one institution's rows and nothing else. Spans longer than [`DAILY_SPAN_DAYS_MAX`] days are
//! drawn week by week (each ISO week's last position).

use maud::{html, Markup};
use tutorwatch_events::Fen;
use tutorwatch_findings::{positions, weekly, FundDay, FundPosition};

use super::i18n::{self, Lang};

/// The longest span drawn day by day; longer ones are drawn by week.
pub(super) const DAILY_SPAN_DAYS_MAX: i32 = 180;

/// One line of the chart.
struct Series {
    id: &'static str,
    zh: &'static str,
    en: &'static str,
    colour: &'static str,
    /// Lines that coincide stay visible: wider ones below, dashed ones above.
    width: u8,
    dash: &'static str,
    value: fn(&FundPosition) -> Option<Fen>,
}

const SERIES: [Series; 5] = [
    Series {
        id: "collected",
        width: 5,
        dash: "none",
        zh: "累计收取预付费",
        en: "Collected (total)",
        colour: "#15457a",
        value: |p| Some(p.collected),
    },
    Series {
        id: "released",
        width: 2,
        dash: "none",
        zh: "累计划拨给机构",
        en: "Released to the institution (total)",
        colour: "#3b8e3b",
        value: |p| Some(p.released),
    },
    Series {
        id: "balance",
        width: 2,
        dash: "6 4",
        zh: "监管账户余额（银行报送）",
        en: "Balance (as the banks stated it)",
        colour: "#8a5a00",
        value: |p| p.balance,
    },
    Series {
        id: "owed",
        width: 2,
        dash: "none",
        zh: "应付家长（未消课预付费）",
        en: "Owed to families (fees for lessons not yet given)",
        colour: "#b8323b",
        value: |p| Some(p.owed),
    },
    Series {
        id: "refunds-due",
        width: 2,
        dash: "none",
        zh: "待退款",
        en: "Refunds due",
        colour: "#7a3bb8",
        value: |p| Some(p.refunds_due),
    },
];

/// The order the lines are drawn in: the stated balance (dashed) last, over the liability it
/// should cover.
const DRAW_ORDER: [usize; 5] = [0, 1, 3, 4, 2];

/// The positions to draw: day by day, or by week for a long span.
pub(super) fn points(days: Vec<(jiff::civil::Date, FundDay)>) -> (Vec<FundPosition>, bool) {
    let all = positions(days);
    let span = match (all.first(), all.last()) {
        (Some(first), Some(last)) => (last.date - first.date).get_days(),
        _ => 0,
    };
    if span > DAILY_SPAN_DAYS_MAX {
        (weekly(&all), true)
    } else {
        (all, false)
    }
}

/// `¥1,234` for the axis (whole yuan).
fn yuan_label(fen: u64) -> String {
    let yuan = (fen / 100).to_string();
    let mut out = String::with_capacity(yuan.len() + yuan.len() / 3 + 1);
    for (i, c) in yuan.chars().enumerate() {
        if i > 0 && (yuan.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("¥{out}")
}

/// The step path of one series: flat until the next day with a position.
fn path(points: &[(usize, usize)]) -> String {
    let mut d = String::new();
    for (i, (x, y)) in points.iter().enumerate() {
        if i == 0 {
            d.push_str(&format!("M{x} {y}"));
        } else {
            d.push_str(&format!(" H{x} V{y}"));
        }
    }
    d
}

/// The chart and the latest position, or a line saying there is no money movement.
pub(super) fn chart(lang: Lang, positions: &[FundPosition], by_week: bool) -> Markup {
    const LEFT: usize = 90;
    const TOP: usize = 12;
    const PLOT_W: usize = 640;
    const PLOT_H: usize = 200;
    const WIDTH: usize = LEFT + PLOT_W + 20;
    const HEIGHT: usize = TOP + PLOT_H + 40;
    let (Some(first), Some(last)) = (positions.first(), positions.last()) else {
        return html! {
            p.none id="no-funds" { (lang.t("尚无预付费资金往来。", "No prepaid fees have moved yet.")) }
        };
    };
    let span = u64::try_from((last.date - first.date).get_days())
        .unwrap_or(0)
        .max(1);
    let max = positions
        .iter()
        .flat_map(|p| SERIES.iter().filter_map(|s| (s.value)(p)))
        .map(Fen::get)
        .max()
        .unwrap_or(0)
        .max(100);
    // A tenth of headroom, so the highest line does not sit on the frame.
    let max = max.saturating_add(max / 10);
    let x_of = |p: &FundPosition| {
        let days = u64::try_from((p.date - first.date).get_days()).unwrap_or(0);
        LEFT + usize::try_from(days * PLOT_W as u64 / span).unwrap_or(PLOT_W)
    };
    let y_of = |fen: Fen| {
        let scaled = u128::from(fen.get()) * PLOT_H as u128 / u128::from(max);
        TOP + PLOT_H - usize::try_from(scaled).unwrap_or(PLOT_H)
    };
    let ticks = [0, max / 2, max];
    html! {
        svg id="fund-chart" class="chart" xmlns="http://www.w3.org/2000/svg" width=(WIDTH) height=(HEIGHT)
            viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img"
            aria-label=(lang.t("资金状况走势图", "Fund position over time")) data-points=(positions.len()) {
            @for tick in ticks {
                @let y = y_of(Fen::new(tick));
                line x1=(LEFT) x2=(LEFT + PLOT_W) y1=(y) y2=(y) stroke="#e3e7ed" {}
                text x=(LEFT - 6) y=(y + 4) text-anchor="end" font-size="11" { (yuan_label(tick)) }
            }
            text x=(LEFT) y=(TOP + PLOT_H + 18) font-size="11" { (i18n::date(lang, first.date)) }
            text x=(LEFT + PLOT_W) y=(TOP + PLOT_H + 18) text-anchor="end" font-size="11" { (i18n::date(lang, last.date)) }
            text x=(LEFT + PLOT_W / 2) y=(TOP + PLOT_H + 34) text-anchor="middle" font-size="11" {
                (if by_week { lang.t("按周（每周最后一日）", "by week (each week's last day)") } else { lang.t("按日", "by day") })
            }
            @for series in DRAW_ORDER.iter().filter_map(|i| SERIES.get(*i)) {
                @let pts: Vec<(usize, usize)> = positions.iter()
                    .filter_map(|p| (series.value)(p).map(|v| (x_of(p), y_of(v))))
                    .collect();
                @if !pts.is_empty() {
                    path id={ "fund-" (series.id) } d=(path(&pts)) fill="none" stroke=(series.colour) stroke-width=(series.width) stroke-dasharray=(series.dash) {
                        title { (lang.t(series.zh, series.en)) }
                    }
                }
            }
        }
        table.facts id="fund-latest" {
            caption { (lang.t("截至 ", "As of ")) (i18n::date(lang, last.date)) }
            tbody { @for series in &SERIES {
                tr {
                    th { span style={ "color:" (series.colour) } { "■ " } (lang.t(series.zh, series.en)) }
                    td id={ "fund-latest-" (series.id) } {
                        @match (series.value)(last) {
                            Some(v) => { (v) }
                            None => { (lang.t("未报送", "not stated")) }
                        }
                    }
                }
            } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tutorwatch_findings::FundFlow;

    fn day(date: &str, flows: Vec<FundFlow>) -> (jiff::civil::Date, FundDay) {
        let mut day = FundDay::default();
        flows.into_iter().for_each(|f| day.add(f));
        (date.parse().expect("a date"), day)
    }

    #[test]
    fn a_short_span_is_drawn_by_day_and_a_long_one_by_week() {
        let short = vec![
            day("2025-09-01", vec![FundFlow::Collected(Fen::yuan(10))]),
            day("2025-09-02", vec![FundFlow::Collected(Fen::yuan(10))]),
        ];
        let (points_short, weekly_short) = points(short);
        assert_eq!((points_short.len(), weekly_short), (2, false));
        let long: Vec<_> = (0..200)
            .map(|i| {
                let date = jiff::civil::date(2025, 1, 1)
                    .checked_add(jiff::Span::new().days(i))
                    .expect("a date");
                (date, {
                    let mut d = FundDay::default();
                    d.add(FundFlow::Collected(Fen::yuan(1)));
                    d
                })
            })
            .collect();
        let (points_long, weekly_long) = points(long);
        assert!(weekly_long);
        assert!(points_long.len() <= 30, "{} weeks", points_long.len());
        assert_eq!(
            points_long.last().map(|p| p.collected),
            Some(Fen::yuan(200))
        );
    }

    #[test]
    fn the_chart_draws_each_series_and_the_latest_position() {
        let (positions, by_week) = points(vec![
            day("2025-09-01", vec![FundFlow::Collected(Fen::yuan(5_000))]),
            day("2025-09-08", vec![FundFlow::Released(Fen::yuan(1_000))]),
        ]);
        let html = chart(Lang::Zh, &positions, by_week).into_string();
        assert!(html.contains(r#"id="fund-chart""#));
        assert!(html.contains(r#"id="fund-collected""#));
        assert!(html.contains(r#"id="fund-owed""#));
        // No statement yet: no balance line, and the table says so.
        assert!(!html.contains(r#"id="fund-balance""#));
        assert!(html.contains("未报送"));
        assert!(html.contains("¥4000.00"), "owed at the end: {html}");
        assert!(
            html.contains("¥5,500"),
            "the axis' top, ¥5,000 and a tenth: {html}"
        );
        // The collected line stays at ¥5,000: 200 px * 10/11 above the bottom (212).
        assert!(html.contains(r#"d="M90 31 H730 V31""#), "{html}");
    }

    #[test]
    fn no_rows_is_a_sentence_not_a_chart() {
        let html = chart(Lang::En, &[], false).into_string();
        assert!(html.contains("no-funds"));
        assert!(!html.contains("svg"));
    }

    #[test]
    fn axis_labels_group_thousands() {
        assert_eq!(yuan_label(0), "¥0");
        assert_eq!(yuan_label(123_456_789), "¥1,234,567");
        assert_eq!(yuan_label(100_000), "¥1,000");
    }
}
