//! What readers are shown of the facts: an institution's profile and a course's plan
//! (`tutorwatch_findings::profile`), derived from [`Facts`] for the projection store to keep, so
//! that the institution record, the feed's jurisdiction check and the console's timetable read
//! committed rows, not the running projector.

use tutorwatch_events::ids::CourseId;
use tutorwatch_events::kinds::Mode;
use tutorwatch_events::CreditCode;
use tutorwatch_findings::{InstitutionProfile, LicenceStanding, PlannedCourse, RegisteredAs};

use crate::facts::{Course, Facts, Institution, LicenceState};

/// A count as the profile keeps it (saturating: no institution has four billion teachers).
fn count(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

impl Facts {
    /// An institution's profile (`None`: no event ever named it).
    pub fn profile(&self, code: &CreditCode) -> Option<InstitutionProfile> {
        self.institution(code).map(|known| profile_of(code, known))
    }

    /// Every institution's profile, in credit-code order (what a store holds after a replay).
    pub fn profiles(&self) -> impl Iterator<Item = InstitutionProfile> + '_ {
        self.institutions
            .iter()
            .map(|(code, known)| profile_of(code, known))
    }

    /// Every published course's plan, by institution and course.
    pub fn planned_courses(&self) -> impl Iterator<Item = PlannedCourse> + '_ {
        self.courses
            .iter()
            .map(|(key, known)| plan_of(&key.institution, &key.course, known))
    }

    /// A published course's plan (`None`: no such course was published).
    pub fn planned_course(
        &self,
        institution: &CreditCode,
        course: &CourseId,
    ) -> Option<PlannedCourse> {
        self.course(institution, course)
            .map(|known| plan_of(institution, course, known))
    }
}

/// The profile of the institution `code`, as the facts hold it.
fn profile_of(code: &CreditCode, known: &Institution) -> InstitutionProfile {
    InstitutionProfile {
        institution: code.clone(),
        region: known.region,
        registration: known.registration.as_ref().map(|r| RegisteredAs {
            name: r.name.clone(),
            licence_no: r.licence_no.clone(),
            category: r.category,
            subjects: r.subjects.clone(),
            non_profit: r.non_profit,
            approved_on: r.approved_on,
            time_zone: r.time_zone.clone(),
        }),
        licence: match known.licence {
            LicenceState::Active => LicenceStanding::Active,
            LicenceState::Suspended { .. } => LicenceStanding::Suspended,
            LicenceState::Revoked { .. } => LicenceStanding::Revoked,
        },
        sites: count(known.sites.len()),
        teachers: count(known.teachers.len()),
        open_supervised_accounts: count(known.open_accounts.len()),
    }
}

/// The plan of `institution`'s course `course`, as the facts hold it.
fn plan_of(institution: &CreditCode, course: &CourseId, known: &Course) -> PlannedCourse {
    PlannedCourse {
        institution: institution.clone(),
        course: course.clone(),
        subject: known.subject,
        online: matches!(known.mode, Mode::Online),
        cancelled: known.cancelled.is_some(),
        sessions: known.sessions.clone(),
    }
}
