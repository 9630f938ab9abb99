//! Inbound subjects: `tw.in.<family>.<region>.<institution>`, and checking them against the event
//! they carry, so that a subscriber filtering by subject never sees an event filed under another
//! institution's name.

use tutorwatch_events::{Envelope, Family};

/// The family a subject names, if it names a known one (used to route dead letters).
pub(crate) fn family_of(subject: &str) -> Option<Family> {
    let mut tokens = subject.split('.');
    match (tokens.next(), tokens.next(), tokens.next()) {
        (Some("tw"), Some("in"), Some(family)) => Family::from_name(family),
        _ => None,
    }
}

/// Checks that the subject is the one the envelope belongs on.
pub(crate) fn check(subject: &str, envelope: &Envelope) -> Result<(), String> {
    let expected = envelope.subject();
    if subject == expected {
        Ok(())
    } else {
        Err(format!(
            "published on {subject:?} but a {} event about {} in {} belongs on {expected:?}",
            envelope.event.event_type(),
            envelope.institution,
            envelope.region
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tutorwatch_events::examples::one_of_each;

    #[test]
    fn families_are_read_from_the_third_token() {
        assert_eq!(family_of("tw.in.escrow.440200.X"), Some(Family::Escrow));
        assert_eq!(family_of("tw.in.nonsense.440200.X"), None);
        assert_eq!(family_of("other.in.escrow"), None);
    }

    #[test]
    fn every_example_belongs_on_its_own_subject_only() {
        for envelope in one_of_each() {
            assert_eq!(check(&envelope.subject(), &envelope), Ok(()));
            let wrong = envelope.subject().replace("440200", "440300");
            assert!(check(&wrong, &envelope).is_err());
        }
    }
}
