//! The console's two languages: Simplified Chinese by default, English on `?lang=en` (remembered
//! in a cookie). Every word a page shows goes through [`Lang::t`] or one of the label functions
//! here, so no page shows a Rust name or an untranslated code. Times are shown in Beijing time
//! (each region's civil time), dates as officers write them (`2025年9月1日`, or `2025-09-01` in
//! English).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::response::Response;
use tutorwatch_events::kinds::Subject;
use tutorwatch_events::{RegionCode, UtcTime};
use tutorwatch_findings::{ReasonKind, Severity};

/// The cookie that remembers the language chosen with `?lang=`.
pub(crate) const LANG_COOKIE: &str = "tw_lang";

/// The language a page is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    Zh,
    En,
}

impl From<Lang> for tutorwatch_findings::Lang {
    fn from(lang: Lang) -> Self {
        match lang {
            Lang::Zh => tutorwatch_findings::Lang::Zh,
            Lang::En => tutorwatch_findings::Lang::English,
        }
    }
}

impl Lang {
    /// The text in this language.
    pub(crate) fn t(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// Text that is not a constant (a finding's sentence), in this language.
    pub(crate) fn t_owned<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// The HTML `lang` attribute.
    pub(crate) fn html(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The `?lang=` value that picks the other language, and its name.
    pub(crate) fn other(self) -> (&'static str, &'static str) {
        match self {
            Lang::Zh => ("en", "English"),
            Lang::En => ("zh", "中文"),
        }
    }

    fn parse(value: &str) -> Option<Lang> {
        match value {
            "zh" | "zh-CN" | "zh-cn" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language a request asks for: `?lang=`, else the cookie, else Chinese.
    pub(crate) fn of(parts: &Parts) -> Lang {
        if let Some(lang) = query_lang(parts.uri.query()) {
            return lang;
        }
        cookie(&parts.headers, LANG_COOKIE)
            .and_then(|v| Lang::parse(&v))
            .unwrap_or(Lang::Zh)
    }
}

fn query_lang(query: Option<&str>) -> Option<Lang> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| Lang::parse(&v))
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Lang::of(parts))
    }
}

/// Middleware: a request with `?lang=` sets the language cookie, so the next pages keep it.
/// The state is whether cookies are `Secure` (`[api] console_secure_cookie`).
pub(crate) async fn remember_lang(
    axum::extract::State(secure): axum::extract::State<bool>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let chosen = query_lang(request.uri().query());
    let mut response = next.run(request).await;
    if let Some(lang) = chosen {
        let value = match lang {
            Lang::Zh => "zh",
            Lang::En => "en",
        };
        if let Ok(cookie) = HeaderValue::from_str(&format!(
            "{LANG_COOKIE}={value}; Path=/; Max-Age=31536000; SameSite=Lax{}",
            if secure { "; Secure" } else { "" }
        )) {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
    }
    response
}

/// A cookie's value from the request's `Cookie` headers.
pub(crate) fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A time in the region's civil time (Beijing time on the mainland), to the minute:
/// `2025年9月1日 21:05` or `2025-09-01 21:05`.
pub(crate) fn local_time(lang: Lang, at: UtcTime, region: Option<RegionCode>) -> String {
    let zone = region.map_or("Asia/Shanghai", |r| r.civil_time_zone());
    let Ok(zoned) = at.timestamp().in_tz(zone) else {
        return at.to_string();
    };
    match lang {
        Lang::Zh => format!(
            "{}年{}月{}日 {:02}:{:02}",
            zoned.year(),
            zoned.month(),
            zoned.day(),
            zoned.hour(),
            zoned.minute()
        ),
        Lang::En => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            zoned.year(),
            zoned.month(),
            zoned.day(),
            zoned.hour(),
            zoned.minute()
        ),
    }
}

/// The local date of an instant in the region's civil time, as officers write it.
pub(crate) fn local_day(lang: Lang, at: UtcTime, region: Option<RegionCode>) -> String {
    let zone = region.map_or("Asia/Shanghai", |r| r.civil_time_zone());
    match at.timestamp().in_tz(zone) {
        Ok(zoned) => date(lang, zoned.date()),
        Err(_) => at.to_string(),
    }
}

/// A calendar date as officers write it.
pub(crate) fn date(lang: Lang, date: jiff::civil::Date) -> String {
    match lang {
        Lang::Zh => format!("{}年{}月{}日", date.year(), date.month(), date.day()),
        Lang::En => date.to_string(),
    }
}

/// A severity (`low`, `med`, `high`, `crit`), in the vocabulary's own words
/// (`Severity::title`).
pub(crate) fn severity(lang: Lang, name: &str) -> &'static str {
    match from_json_name::<Severity>(name) {
        Some(severity) => severity.title(lang.into()),
        None => lang.t("未知", "unknown"),
    }
}

/// The severities, for the filter.
pub(crate) const SEVERITIES: [&str; 4] = ["low", "med", "high", "crit"];

/// A finding's status.
pub(crate) fn status(lang: Lang, name: &str) -> &'static str {
    match name {
        "open" => lang.t("待处理", "open"),
        "withdrawn" => lang.t("已撤回", "withdrawn"),
        "acknowledged" => lang.t("已受理", "acknowledged"),
        "rectification_ordered" => lang.t("已责令整改", "rectification ordered"),
        "resolved" => lang.t("已办结", "resolved"),
        "penalised" => lang.t("已处罚", "penalised"),
        _ => lang.t("未知", "unknown"),
    }
}

/// The statuses, for the filter.
pub(crate) const STATUSES: [&str; 6] = [
    "open",
    "acknowledged",
    "rectification_ordered",
    "penalised",
    "resolved",
    "withdrawn",
];

/// Why an institution is on the black list, or not on the white list, in the vocabulary's own
/// words (`ReasonKind::title`).
pub(crate) fn reason(lang: Lang, kind: &str) -> &'static str {
    match from_json_name::<ReasonKind>(kind) {
        Some(kind) => kind.title(lang.into()),
        None => lang.t("其他原因", "other reason"),
    }
}

/// The value a JSON name (`serious_fund_finding`) names.
fn from_json_name<T: serde::de::DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

/// A list status (`black`, `white`, `unlisted`).
pub(crate) fn list_status(lang: Lang, name: &str) -> &'static str {
    match name {
        "black" => lang.t("黑名单", "black list"),
        "white" => lang.t("白名单", "white list"),
        _ => lang.t("未列入名单", "on neither list"),
    }
}

/// A licence's standing (`active`, `suspended`, `revoked`).
pub(crate) fn licence(lang: Lang, name: &str) -> &'static str {
    match name {
        "active" => lang.t("有效", "active"),
        "suspended" => lang.t("暂停", "suspended"),
        "revoked" => lang.t("已吊销", "revoked"),
        _ => lang.t("未知", "unknown"),
    }
}

/// A training category (`subject`, `non_subject`).
pub(crate) fn category(lang: Lang, name: &str) -> &'static str {
    match name {
        "subject" => lang.t("学科类", "subject"),
        "non_subject" => lang.t("非学科类", "non-subject"),
        _ => lang.t("未知", "unknown"),
    }
}

/// An officer's action (`acknowledged`, `rectification_ordered`, `resolved`, `penalty`).
pub(crate) fn action(lang: Lang, name: &str) -> &'static str {
    match name {
        "acknowledged" => lang.t("受理", "acknowledge"),
        "rectification_ordered" => lang.t("责令整改", "order rectification"),
        "resolved" => lang.t("办结", "resolve"),
        "penalty" => lang.t("行政处罚", "penalise"),
        _ => lang.t("其他", "other"),
    }
}

/// A penalty (`warning`, `fine`, ...).
pub(crate) fn penalty(lang: Lang, name: &str) -> &'static str {
    match name {
        "warning" => lang.t("警告", "warning"),
        "fine" => lang.t("罚款", "fine"),
        "confiscate_gains" => lang.t("没收违法所得", "confiscate illegal gains"),
        "stop_enrolling" => lang.t("责令停止招收学员", "stop enrolling"),
        "stop_operating" => lang.t("责令停止举办", "stop operating"),
        "revoke_licence" => lang.t("吊销许可证", "revoke the licence"),
        _ => lang.t("其他", "other"),
    }
}

/// The penalties an officer may impose.
pub(crate) const PENALTIES: [&str; 6] = [
    "warning",
    "fine",
    "confiscate_gains",
    "stop_enrolling",
    "stop_operating",
    "revoke_licence",
];

/// A finding's figure name (`actual`, `limit`, ...); unknown ones are shown as they are.
pub(crate) fn figure(lang: Lang, name: &str) -> String {
    let known = match name {
        "actual" => lang.t("实际", "actual"),
        "limit" => lang.t("限值", "limit"),
        "amount" => lang.t("金额", "amount"),
        "teacher" => lang.t("教师", "teacher"),
        "subject" => lang.t("学科", "subject"),
        "owed" => lang.t("应退/应付", "owed"),
        "date" => lang.t("日期", "date"),
        "day" => lang.t("日", "day"),
        "days" => lang.t("天数", "days"),
        "unpaid" => lang.t("未付", "unpaid"),
        "site" => lang.t("场所", "site"),
        "released" => lang.t("已拨付", "released"),
        "balance" => lang.t("余额", "balance"),
        "coverage" => lang.t("覆盖率", "coverage"),
        "lessons" => lang.t("课时", "lessons"),
        "mode" => lang.t("方式", "mode"),
        "guide_price" => lang.t("政府指导价", "guide price"),
        "advertised_price" => lang.t("宣传价格", "advertised price"),
        "claimed_former_price" => lang.t("标称原价", "claimed former price"),
        "carrier" => lang.t("广告载体", "carrier"),
        "grade_band" => lang.t("学段", "grade band"),
        "delivered_lessons" => lang.t("已上课时", "delivered lessons"),
        "night_ends" => lang.t("夜间结束", "night ends"),
        "cancelled_on" => lang.t("取消日期", "cancelled on"),
        "channel" => lang.t("广告渠道", "channel"),
        "collected_on" => lang.t("收费日期", "collected on"),
        "course" => lang.t("课程", "course"),
        "credit_code_prefix" => lang.t("信用代码前缀", "credit code prefix"),
        "declared" => lang.t("申报情况", "declared"),
        "earliest" => lang.t("最早可收费日期", "earliest collection"),
        "expected_price" => lang.t("应有价格", "expected price"),
        "justified" => lang.t("可拨付", "justified"),
        "labels" => lang.t("变相名称", "labels"),
        "licence" => lang.t("许可", "licence"),
        "list" => lang.t("名单", "list"),
        "phrases" => lang.t("违禁用语", "banned phrases"),
        "price_per_unit" => lang.t("每标准课时价格", "price per standard lesson"),
        "posted_price" => lang.t("公示价格", "posted price"),
        "registered" => lang.t("登记情况", "registered"),
        "requested_on" => lang.t("申请日期", "requested on"),
        "school_hours_end" => lang.t("在校教学结束", "school hours end"),
        "school_hours_start" => lang.t("在校教学开始", "school hours start"),
        "service_end" => lang.t("服务结束", "service end"),
        "service_start" => lang.t("服务开始", "service start"),
        "terms" => lang.t("学科内容用语", "subject terms"),
        "threshold" => lang.t("阈值", "threshold"),
        "due_pro_rata" => lang.t("按比例应退", "due pro rata"),
        "withdrawn_lessons" => lang.t("退课课时", "lessons withdrawn"),
        "staff_total" => lang.t("从业人员总数", "staff in all"),
        "full_time_teaching_staff" => lang.t("专职教学教研人员", "full-time teaching staff"),
        "share" => lang.t("占比", "share"),
        "full_time_teachers" => lang.t("在册专职授课教师", "full-time teachers on staff"),
        "attendees" => lang.t("上课人数", "attendees"),
        "floor_area_m2" => lang.t("场所面积（平方米）", "floor area (m²)"),
        "headcount" => lang.t("同一时段学生数", "students at the same time"),
        "min_m2_per_student" => lang.t("生均最小面积（平方米）", "minimum m² per student"),
        _ => return name.to_owned(),
    };
    known.to_owned()
}

/// A figure's value in `lang` (`30 分 1 秒`, `67.50 元`), read back from its structured form; the
/// API's English text if that does not read as a measure.
pub(crate) fn figure_value(lang: Lang, figure: &crate::api::views::FigureView) -> String {
    serde_json::from_value::<tutorwatch_findings::Measure>(figure.value.clone())
        .map_or_else(|_| figure.text.clone(), |measure| measure.text(lang.into()))
}

/// A basis (`planned`, `actual`).
pub(crate) fn basis(lang: Lang, name: &str) -> &'static str {
    match name {
        "planned" => lang.t("依据排课计划", "from the published plan"),
        _ => lang.t("依据实际发生", "from what happened"),
    }
}

/// A course's subject: its Chinese name (the vocabulary's), or its wire name in words.
pub(crate) fn subject(lang: Lang, subject: Subject) -> String {
    match lang {
        Lang::Zh => subject.name_zh().to_owned(),
        Lang::En => subject.as_str().replace('_', " "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_and_reasons_read_the_vocabularys_own_words() {
        for name in SEVERITIES {
            assert_ne!(severity(Lang::Zh, name), "未知", "{name}");
        }
        assert_eq!(severity(Lang::Zh, "crit"), "严重");
        assert_eq!(severity(Lang::En, "med"), "medium");
        assert_eq!(severity(Lang::En, "urgent"), "unknown");
        assert_eq!(
            reason(Lang::Zh, "licence_revoked_as_penalty"),
            "办学许可证被依法吊销"
        );
        assert_eq!(
            reason(Lang::En, "no_supervised_account"),
            "no supervised prepaid-fee account"
        );
        assert_eq!(reason(Lang::Zh, "something_else"), "其他原因");
    }
}
