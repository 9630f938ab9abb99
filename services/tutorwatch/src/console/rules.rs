//! Each rule in plain words, in Chinese and English, with the policy documents it comes from: the
//! rule catalogue's row (`tutorwatch_findings::rule`), as the console shows it.

use tutorwatch_findings::RuleId;

use super::i18n::Lang;

/// A rule as the console explains it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RuleText {
    pub zh: &'static str,
    pub en: &'static str,
    /// The source document(s), as officers cite them.
    pub source: &'static str,
}

impl RuleText {
    /// The rule's name in `lang`.
    pub(crate) fn name(&self, lang: Lang) -> &'static str {
        lang.t(self.zh, self.en)
    }
}

/// The text of a rule, from the rule catalogue.
pub(crate) fn rule_text(rule: RuleId) -> RuleText {
    let spec = rule.spec();
    RuleText {
        zh: spec.title_zh,
        en: spec.title_en,
        source: spec.source,
    }
}
