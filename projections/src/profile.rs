//! What readers are shown of the facts: an institution's profile and a course's plan
//! (`tutorwatch_findings::profile`), derived from [`Facts`] for the projection store to keep, so
//! that the institution record, the feed's jurisdiction check and the console's timetable read
//! committed rows, not the running projector.

use tutorwatch_events::ids::CourseId;
use tutorwatch_events::kinds::Mode;
use tutorwatch_events::CreditCode;
use tutorwatch_findings::{InstitutionProfile, LicenceStanding, PlannedCourse, RegisteredAs};

use crate::facts::{Facts, LicenceState};

/// A count as the profile keeps it (saturating: no institution has four billion teachers).
fn count(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

impl Facts {
    /// An institution's profile (`None`: no event ever named it).
    pub fn profile(&self, code: &CreditCode) -> Option<InstitutionProfile> {
        let known = self.institution(code)?;
        Some(InstitutionProfile {
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
        })
    }

    /// Every institution's profile, in credit-code order (what a store holds after a replay).
    pub fn profiles(&self) -> impl Iterator<Item = InstitutionProfile> + '_ {
        self.institutions
            .keys()
            .filter_map(|code| self.profile(code))
    }

    /// Every published course's plan, by institution and course.
    pub fn planned_courses(&self) -> impl Iterator<Item = PlannedCourse> + '_ {
        self.courses
            .keys()
            .filter_map(|key| self.planned_course(&key.institution, &key.course))
    }

    /// A published course's plan (`None`: no such course was published).
    pub fn planned_course(
        &self,
        institution: &CreditCode,
        course: &CourseId,
    ) -> Option<PlannedCourse> {
        let known = self.course(institution, course)?;
        Some(PlannedCourse {
            institution: institution.clone(),
            course: course.clone(),
            subject: known.subject,
            online: matches!(known.mode, Mode::Online),
            cancelled: known.cancelled.is_some(),
            sessions: known.sessions.clone(),
        })
    }
}
