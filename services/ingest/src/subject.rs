//! Inbound subjects: `tw.in.<sender>.<family>.<institution>` (see `tutorwatch_events::sender`).
//! The NATS server lets each producer publish only under its own `<sender>` prefix, so the
//! subject is the sender's proven identity; checking it against the event keeps a subscriber
//! filtering by subject from seeing an event filed under another sender's, family's or
//! institution's name.

use tutorwatch_events::{Envelope, Family, Sender};

/// The family a subject names, if it names a known one (used to route dead letters).
pub(crate) fn family_of(subject: &str) -> Option<Family> {
    Sender::parse_subject(subject)
        .ok()
        .map(|(_, family, _)| family)
}

/// Reads the sender from the subject and checks that the subject is one the envelope belongs
/// on (its family and institution).
pub(crate) fn sender_of(subject: &str, envelope: &Envelope) -> Result<Sender, String> {
    let (sender, family, institution) =
        Sender::parse_subject(subject).map_err(|e| e.to_string())?;
    if family != envelope.event.family() || institution != envelope.institution {
        return Err(format!(
            "published on {subject:?} but a {} event about {} belongs on {:?}",
            envelope.event.event_type(),
            envelope.institution,
            envelope.subject_as(&sender)
        ));
    }
    Ok(sender)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tutorwatch_events::examples::one_of_each;
    use tutorwatch_events::Identity;

    #[test]
    fn families_are_read_from_the_subject() {
        let envelope = &one_of_each()[0];
        assert_eq!(family_of(&envelope.subject()), Some(Family::Registry));
        assert_eq!(family_of("tw.in.escrow.440200.X"), None);
        assert_eq!(family_of("other.in.escrow"), None);
    }

    #[test]
    fn every_example_belongs_on_its_own_subject_only() {
        for envelope in one_of_each() {
            let sender = sender_of(&envelope.subject(), &envelope).expect("its own subject");
            assert_eq!(
                sender.identity,
                Identity::own(&envelope.producer, envelope.region)
            );
            let other = tutorwatch_events::examples::synthetic_credit_code(9);
            let wrong = envelope
                .subject()
                .replace(&format!(".{}", envelope.institution), &format!(".{other}"));
            assert!(sender_of(&wrong, &envelope).is_err(), "{wrong}");
        }
    }
}
