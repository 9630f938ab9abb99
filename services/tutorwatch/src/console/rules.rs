//! Each rule in plain words, in Chinese and English, with the policy document it comes from (the
//! rule catalogue's sources: 中办发〔2021〕40号 and the notices that implement it).

use tutorwatch_projections::RuleId;

use super::i18n::Lang;

/// A rule as the console explains it.
#[derive(Debug, Clone, Copy)]
pub struct RuleText {
    pub zh: &'static str,
    pub en: &'static str,
    /// The source document(s), as officers cite them.
    pub source: &'static str,
}

impl RuleText {
    /// The rule's name in `lang`.
    pub fn name(&self, lang: Lang) -> &'static str {
        lang.t(self.zh, self.en)
    }
}

const YIJIAN: &str =
    "《关于进一步减轻义务教育阶段学生作业负担和校外培训负担的意见》（中办发〔2021〕40号）";
const PREPAY: &str = "《关于加强校外培训机构预收费监管工作的通知》（教监管函〔2021〕2号）";
const ADS: &str = "《关于做好校外培训广告管控的通知》（市场监管总局等八部门，2021年11月）";

/// The text of a rule.
pub fn rule_text(rule: RuleId) -> RuleText {
    use RuleId::*;
    let (zh, en, source) = match rule {
        OnlineLessonMax30Min => ("线上培训每课时不超过30分钟", "Online lessons last at most 30 minutes", YIJIAN),
        OnlineBreakMin10Min => ("线上培训课程间隔不少于10分钟", "At least 10 minutes between online lessons", YIJIAN),
        OnlineEndBy2100 => ("线上培训结束时间不晚于21:00", "Online training ends by 21:00", YIJIAN),
        OfflineEndBy2030 => ("线下培训结束时间不晚于20:30", "Offline training ends by 20:30", "《关于规范校外培训机构发展的意见》（国办发〔2018〕80号）"),
        SubjectNoHolidayWeekendVacation => ("不得在法定节假日、休息日及寒暑假组织学科类培训", "No subject training on public holidays, rest days or school vacations", YIJIAN),
        PreschoolNoOnline => ("不得面向学龄前儿童开展线上培训", "No online training for preschool children", YIJIAN),
        PreschoolNoOfflineSubject => ("严禁面向学龄前儿童开展线下学科类（含外语）培训", "No offline subject training (foreign languages included) for preschool children", YIJIAN),
        SubjectMustBeNonprofit => ("学科类培训机构统一登记为非营利性机构", "Subject-training institutions must be non-profit", YIJIAN),
        OnlineSubjectLicense => ("线上学科类培训须经审批取得许可", "Online subject training needs an approval licence", "《关于做好现有线上学科类培训机构由备案改为审批工作的通知》（教育部等六部门，2021年9月）"),
        LicenseModeMatch => ("培训方式须与许可一致", "Teaching mode must match the licence", "《中小学生校外培训服务合同（示范文本）》GF—2021—2604"),
        NonsubjectNoSubjectContent => ("严禁非学科类培训机构从事学科类培训", "Non-subject institutions may not teach subject content", YIJIAN),
        MultiSiteUnapproved => ("不得未经审批多址开展培训", "No teaching at unapproved sites", YIJIAN),
        OperatingUnlicensed => ("无证办学", "Operating without a licence", "《校外培训行政处罚暂行办法》（教育部令第53号）"),
        OperatingSuspended => ("许可证暂停期间办学", "Operating while the licence is suspended", "《校外培训行政处罚暂行办法》（教育部令第53号）"),
        OperatingRevoked => ("许可证吊销后办学", "Operating after the licence was revoked", "《校外培训行政处罚暂行办法》（教育部令第53号）"),
        TeacherQualSubject => ("从事学科类培训的人员须具备相应教师资格", "Subject teachers need a teaching qualification", YIJIAN),
        NoInserviceTeacher => ("不得聘用中小学、幼儿园在职教师", "No in-service school teachers may be employed", "《校外培训机构从业人员管理办法（试行）》（2021年9月）"),
        ForeignStaff => ("严禁聘请在境外的外籍人员开展培训活动", "No foreign staff teaching from abroad", YIJIAN),
        PrepayMax3m60h => ("预收费不得超过3个月或60课时", "Prepaid fees cover at most 3 months or 60 lesson-hours", PREPAY),
        PrepayMax5000 => ("预收费每次不超过5000元", "At most ¥5,000 prepaid per charge", "《关于规范面向中小学生的非学科类校外培训的意见》（教育部等十三部门，2022年12月）"),
        PrepayDedicatedAccount => ("预收费须全部进入培训收费专用账户", "Prepaid fees go into the dedicated supervised account", PREPAY),
        ReleasePerLesson => ("监管资金按课时消课拨付（一课一销）", "Escrow released lesson by lesson", PREPAY),
        NoTrainingLoan => ("不得使用培训贷方式缴纳培训费用", "No training loans", PREPAY),
        RefundProrata => ("退费须按未上课时按比例及时退还", "Refunds of undelivered lessons paid pro rata and on time", "《中小学生校外培训服务合同（示范文本）》GF—2021—2604"),
        EscrowShortfallWarn => ("监管账户余额接近应退家长金额（预警）", "Escrow balance close to what families are owed (warning)", PREPAY),
        EscrowShortfall => ("监管账户余额低于应退家长金额", "Escrow balance below what families are owed", PREPAY),
        AccountClosedWhileOwed => ("尚欠家长费用时关闭监管账户", "Supervised account closed while families are owed", PREPAY),
        GovGuidePrice => ("学科类培训收费不得超过政府指导价", "Subject-training prices within the government guide price", "《关于加强义务教育阶段学科类校外培训收费监管的通知》（发改价格〔2021〕1279号）"),
        NoFakeOriginalPrice => ("不得以虚构原价、虚假折扣进行宣传", "No invented original prices or fake discounts", YIJIAN),
        AdChannelBan => ("不得在主流媒体、新媒体、公共场所等刊播校外培训广告", "No off-campus training ads in banned channels", ADS),
        AdSchoolSupplies => ("不得在学校、教材、教辅、文具等上刊登广告", "No ads in schools or on school supplies", YIJIAN),
        BlackWhiteList => ("黑白名单管理", "Black and white list", "《全国校外教育培训监管与服务综合平台应用管理办法》（教育部，2025年3月）"),
    };
    RuleText { zh, en, source }
}
