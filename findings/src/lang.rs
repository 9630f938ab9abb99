//! The two languages of user text: Simplified Chinese (zh-CN), the default, and English. The
//! vocabulary's names for readers (severities, list reasons, what a rule means for the lists) are
//! given here in both, so the API, the command line and the console say the same thing.

/// The language text for a reader is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Simplified Chinese, the default.
    #[default]
    Zh,
    English,
}

impl Lang {
    /// The text in this language.
    pub fn t(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Zh => zh,
            Lang::English => en,
        }
    }

    /// The language tag (`Content-Language`, HTML `lang`).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::English => "en",
        }
    }

    /// A language named on the command line or in a query (`zh`, `zh-CN`, `en`, …).
    pub fn parse(name: &str) -> Option<Lang> {
        let primary = name.trim().split(['-', '_']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("zh") {
            Some(Lang::Zh)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Lang::English)
        } else {
            None
        }
    }

    /// The language an `Accept-Language` header prefers among the two (RFC 9110 §12.5.4: the
    /// highest `q` wins, the earlier on a tie; `*` and other languages are ignored); Chinese when
    /// it names neither.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(Lang, u16)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::parse) else {
                continue;
            };
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(1000, quality_per_mille);
            if quality > 0 && best.is_none_or(|(_, q)| quality > q) {
                best = Some((lang, quality));
            }
        }
        best.map_or(Lang::Zh, |(lang, _)| lang)
    }
}

/// A `q` value (`0` to `1`, up to three decimals) in thousandths; malformed values count as 0.
fn quality_per_mille(text: &str) -> u16 {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits: String = fraction.chars().chain("000".chars()).take(3).collect();
    match (whole, digits.parse::<u16>()) {
        ("1", Ok(_)) => 1000,
        ("0", Ok(thousandths)) if fraction.len() <= 3 => thousandths,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::Lang;

    #[test]
    fn accept_language_picks_the_preferred_of_the_two() {
        assert_eq!(Lang::from_accept_language(""), Lang::Zh);
        assert_eq!(Lang::from_accept_language("en"), Lang::English);
        assert_eq!(Lang::from_accept_language("en-GB,en;q=0.9"), Lang::English);
        assert_eq!(
            Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"),
            Lang::Zh
        );
        assert_eq!(Lang::from_accept_language("en;q=0.5, zh;q=0.8"), Lang::Zh);
        assert_eq!(
            Lang::from_accept_language("zh;q=0.2, en;q=0.7"),
            Lang::English
        );
        assert_eq!(Lang::from_accept_language("fr, de;q=0.9"), Lang::Zh);
        assert_eq!(Lang::from_accept_language("en;q=0, zh;q=0.1"), Lang::Zh);
        assert_eq!(Lang::from_accept_language("en;q=0"), Lang::Zh);
        assert_eq!(Lang::from_accept_language("de, en;q=0.3"), Lang::English);
        assert_eq!(Lang::from_accept_language("en;q=bogus"), Lang::Zh);
    }
}
