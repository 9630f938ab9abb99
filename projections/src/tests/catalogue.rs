//! The rule catalogue against the policy: every policy key a rule names is a parameter, and every
//! parameter is read by some rule, so the catalogue and `ParameterSet` cannot drift apart.

use std::collections::BTreeSet;

use tutorwatch_findings::RuleId;

use crate::policy::{ParameterSet, Policy};

/// The names of every field of `ParameterSet`.
fn parameters() -> BTreeSet<String> {
    let value = serde_json::to_value(ParameterSet::default()).expect("parameters serialise");
    value
        .as_object()
        .expect("a parameter set is an object")
        .keys()
        .cloned()
        .collect()
}

#[test]
fn every_policy_key_of_the_catalogue_is_a_parameter() {
    let parameters = parameters();
    assert!(parameters.len() > 30, "{parameters:?}");
    for rule in RuleId::ALL {
        for key in rule.spec().policy_keys {
            assert!(
                parameters.contains(*key),
                "{rule} names policy key {key}, which is not a parameter"
            );
        }
    }
}

#[test]
fn every_parameter_is_read_by_a_rule() {
    let named: BTreeSet<&str> = RuleId::ALL
        .iter()
        .flat_map(|rule| rule.spec().policy_keys.iter().copied())
        .collect();
    for parameter in parameters() {
        assert!(
            named.contains(parameter.as_str()),
            "no rule of the catalogue names parameter {parameter}"
        );
    }
}

#[test]
fn an_unordered_timeline_is_refused_wherever_it_is() {
    for key in [
        "online_end_local",
        "prepay_max_lessons.subject",
        "guide_prices",
    ] {
        let (table, field) = key.split_once('.').map_or(("", key), |(t, f)| (t, f));
        let value = match key {
            "online_end_local" => ["\"20:00:00\"", "\"21:00:00\""],
            "guide_prices" => [
                "{ markup_bp = 1, grade_bands = [], bands = [] }",
                "{ markup_bp = 2, grade_bands = [], bands = [] }",
            ],
            _ => ["1", "2"],
        };
        let entries = format!(
            "[{{ from = \"2022-01-01\", value = {} }}, {{ from = \"2021-01-01\", value = {} }}]",
            value[0], value[1]
        );
        let text = if table.is_empty() {
            format!("version = \"x\"\n[national]\n{field} = {entries}\n")
        } else {
            format!("version = \"x\"\n[national.{table}]\n{field} = {entries}\n")
        };
        let err = Policy::from_toml(&text).expect_err("unordered");
        assert_eq!(
            err,
            crate::policy::PolicyError::Unordered {
                key: format!("national.{key}")
            },
            "{text}"
        );
    }
}
