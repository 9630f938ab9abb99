//! `tutorwatch rules`: the rule catalogue with the policy figures in force on a date in a region,
//! as a table (Chinese by default, `--lang en`) or as JSON (`--json`, the same document as
//! `GET /v1/rules`).

use std::process::ExitCode;

use anyhow::Context as _;
use jiff::civil::Date;
use tutorwatch_events::RegionCode;
use tutorwatch_findings::Lang;

use crate::catalogue::{catalogue, today, Catalogue};
use crate::cmd::output::print_json;
use crate::config::Settings;

/// The flags of `tutorwatch rules`.
#[derive(Debug, clap::Args)]
pub(crate) struct RulesArgs {
    /// The region whose figures to show (a GB/T 2260 code, e.g. 440300); national when omitted.
    #[arg(long, value_name = "CODE", value_parser = parse_region)]
    region: Option<RegionCode>,
    /// The local date the figures are in force on (YYYY-MM-DD); today when omitted.
    #[arg(long, value_name = "DATE")]
    date: Option<Date>,
    /// The language of the texts: zh (default) or en.
    #[arg(long, value_name = "LANG", default_value = "zh", value_parser = parse_lang)]
    lang: Lang,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

fn parse_region(text: &str) -> Result<RegionCode, String> {
    let code = RegionCode::parse(text).map_err(|e| e.to_string())?;
    tutorwatch_events::validate::known_region("--region", &code)
        .map(|()| code)
        .map_err(|e| e.problem.to_string())
}

fn parse_lang(text: &str) -> Result<Lang, String> {
    Lang::parse(text).ok_or_else(|| format!("{text:?} is not a language: use zh or en"))
}

/// Runs `tutorwatch rules`.
pub(crate) fn run(args: &RulesArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let policy = settings.policy()?;
    let date = args.date.unwrap_or_else(|| today(args.region));
    let catalogue = catalogue(&policy, args.region, date, args.lang)
        .context("reading the figures in force from the policy")?;
    if args.json {
        print_json(&serde_json::to_value(&catalogue)?)?;
    } else {
        let mut out = std::io::stdout().lock();
        write_table(&mut out, &catalogue, args.lang)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The catalogue as text: a heading, then one block per rule.
fn write_table(
    out: &mut impl std::io::Write,
    catalogue: &Catalogue,
    lang: Lang,
) -> anyhow::Result<()> {
    let region = catalogue
        .region
        .clone()
        .unwrap_or_else(|| lang.t("全国", "national").to_owned());
    writeln!(
        out,
        "{} {}  {} {}  {} {}  ({} {})",
        lang.t("政策版本", "policy"),
        catalogue.policy_version,
        lang.t("地区", "region"),
        region,
        lang.t("日期", "date"),
        catalogue.date,
        catalogue.rules.len(),
        lang.t("条规则", "rules"),
    )?;
    for rule in &catalogue.rules {
        writeln!(out)?;
        writeln!(
            out,
            "{}  [{} · {}]  {}",
            rule.id, rule.area_title, rule.severity_title, rule.title
        )?;
        writeln!(out, "  {}: {}", lang.t("依据", "source"), rule.source)?;
        writeln!(out, "  {}: {}", lang.t("名单", "lists"), rule.list_effect)?;
        for figure in &rule.figures {
            let since = match (&figure.from, &figure.level) {
                (Some(from), Some(level)) => {
                    let level = if level == "national" {
                        lang.t("全国", "national").to_owned()
                    } else {
                        level.clone()
                    };
                    format!("  ({} {from}, {level})", lang.t("自", "since"))
                }
                _ => String::new(),
            };
            writeln!(out, "  {} = {}{since}", figure.key, figure.display)?;
        }
    }
    out.flush()?;
    Ok(())
}
