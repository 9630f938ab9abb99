//! Region names from GB/T 2260 as officers read them (`tutorwatch_events::gbt2260`, the same
//! table event validation checks codes against). A code the table does not know is shown as the
//! code alone.

pub(crate) use tutorwatch_events::gbt2260::name;
use tutorwatch_events::gbt2260::table;
use tutorwatch_events::region::RegionLevel;
use tutorwatch_events::RegionCode;

/// The name officers read: a county with its prefecture (`韶关市浈江区`), else its own name, else
/// the code.
pub(crate) fn full_name(region: RegionCode) -> String {
    let code = region.as_str();
    let own = name(code);
    match (region.level(), own) {
        (RegionLevel::County, Some(own)) => {
            // A municipality's districts sit directly under the province (上海市徐汇区).
            let prefecture = format!("{}00", &code[..4]);
            let province = format!("{}0000", &code[..2]);
            match name(&prefecture).or_else(|| name(&province)) {
                Some(parent) => format!("{parent}{own}"),
                None => own.to_owned(),
            }
        }
        (_, Some(own)) => own.to_owned(),
        (_, None) => code.to_owned(),
    }
}

/// Every region within `jurisdiction` (itself first), in code order, with its depth below it
/// (0 for the jurisdiction itself): the region filter's tree.
pub(crate) fn tree(jurisdiction: RegionCode) -> Vec<(RegionCode, &'static str, usize)> {
    let top = jurisdiction.level();
    let depth = |level: RegionLevel| -> usize {
        let rank = |l: RegionLevel| -> usize {
            match l {
                RegionLevel::Province => 0,
                RegionLevel::Prefecture => 1,
                RegionLevel::County => 2,
            }
        };
        rank(level).saturating_sub(rank(top))
    };
    let mut rows: Vec<(RegionCode, &'static str, usize)> = table()
        .iter()
        .filter_map(|(code, name)| RegionCode::parse(code).ok().map(|r| (r, *name)))
        .filter(|(region, _)| jurisdiction.contains(region))
        .map(|(region, name)| (region, name, depth(region.level())))
        .collect();
    if !rows.iter().any(|(r, _, _)| *r == jurisdiction) {
        rows.insert(0, (jurisdiction, "", 0));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_dataset_with_the_prefecture_before_a_county() {
        let county = RegionCode::parse("440204").expect("code");
        assert_eq!(full_name(county), "韶关市浈江区");
        assert_eq!(name("440200"), Some("韶关市"));
        assert_eq!(name("310104"), Some("徐汇区"));
        assert_eq!(
            full_name(RegionCode::parse("310104").expect("code")),
            "上海市徐汇区"
        );
        assert_eq!(
            full_name(RegionCode::parse("440299").expect("code")),
            "440299"
        );
        let tree = tree(RegionCode::parse("440200").expect("code"));
        assert_eq!(tree[0].1, "韶关市");
        assert!(tree
            .iter()
            .any(|(r, n, d)| r.as_str() == "440232" && *n == "乳源瑶族自治县" && *d == 1));
        assert!(tree.iter().all(|(r, _, _)| r.as_str().starts_with("4402")));
    }
}
