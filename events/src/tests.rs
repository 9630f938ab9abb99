//! Round trips and rejections across the whole catalogue.

use proptest::prelude::*;

use crate::examples::{example, ExampleParams};
use crate::ids::EventId;
use crate::validate::{Problem, ValidationContext};
use crate::*;

fn params() -> impl Strategy<Value = ExampleParams> {
    (
        any::<u128>(),
        // Lesson starts between 2000 and 2100.
        946_684_800i64..4_102_444_800i64,
        0u32..1_000_000_000,
        1i64..100_000,
        1u64..u64::MAX / 2,
        "[a-z0-9]{1,20}",
    )
        .prop_map(|(id, secs, nanos, len, fen, tag)| {
            let mut p = ExampleParams::new(EventId::from_uuid(uuid::Uuid::from_u128(id)));
            p.at = UtcTime::from_nanos(i128::from(secs) * 1_000_000_000 + i128::from(nanos))
                .expect("in range");
            p.lesson_seconds = len;
            p.amount_fen = fen;
            p.tag = tag;
            p
        })
}

proptest! {
    #[test]
    fn every_event_type_round_trips_through_postcard(index in 0..EVENT_TYPES.len(), p in params()) {
        let envelope = example(index, &p);
        let bytes = encode(&envelope);
        prop_assert_eq!(bytes[0], codec::WIRE_FORMAT_V1);
        prop_assert_eq!(decode(&bytes).expect("decodes"), envelope);
    }

    #[test]
    fn every_event_type_round_trips_through_json(index in 0..EVENT_TYPES.len(), p in params()) {
        let envelope = example(index, &p);
        let bytes = encode_json(&envelope).expect("encodes");
        prop_assert_eq!(decode_json(&bytes).expect("decodes"), envelope);
    }

    #[test]
    fn every_example_validates(index in 0..EVENT_TYPES.len(), p in params()) {
        let envelope = example(index, &p);
        prop_assert_eq!(envelope.validate(&ValidationContext::default()), Ok(()));
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(&bytes);
        let _ = decode_json(&bytes);
        let _ = LogRecord::decode(&bytes);
    }

    #[test]
    fn a_record_read_in_place_is_the_record_and_says_where_it_ends(
        index in 0..EVENT_TYPES.len(),
        p in params(),
        seq in 1u64..u64::MAX,
        trailing in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let record = LogRecord {
            format: crate::record::RecordFormat::V2,
            seq,
            recorded_at: UtcTime::parse("2025-09-01T00:00:00Z").expect("a time"),
            prev_hash: [7; 32],
            hash: [9; 32],
            sender: None,
            event: encode(&example(index, &p)),
        };
        let stored = record.encode();
        let mut bytes = stored.clone();
        bytes.extend_from_slice(&trailing);
        let (read, taken) = crate::LogRecordRef::decode_prefix(&bytes).expect("reads");
        prop_assert_eq!(taken, stored.len());
        prop_assert_eq!(read.to_owned_record(), record.clone());
        prop_assert_eq!(LogRecord::decode(&stored).expect("decodes"), record);
        let _ = crate::LogRecordRef::decode_prefix(&trailing);
    }

    #[test]
    fn truncated_payloads_are_errors(index in 0..EVENT_TYPES.len(), p in params(), cut in 1usize..64) {
        let bytes = encode(&example(index, &p));
        let keep = bytes.len().saturating_sub(cut);
        prop_assert!(decode(&bytes[..keep]).is_err());
    }
}

#[test]
fn every_catalogue_entry_has_an_example() {
    for (i, info) in EVENT_TYPES.iter().enumerate() {
        let envelope = example(i, &ExampleParams::new(EventId::new_v7()));
        assert_eq!(envelope.event.info(), *info);
    }
}

/// The catalogue's example of the type named `name`.
fn example_of(name: &str) -> Envelope {
    let index = crate::EVENT_TYPES
        .iter()
        .position(|t| t.name == name)
        .expect("in the catalogue");
    let envelope = example(index, &ExampleParams::new(EventId::new_v7()));
    assert_eq!(envelope.event.event_type(), name);
    envelope
}

fn sample_json() -> serde_json::Value {
    let envelope = example_of("schedule.course_published");
    serde_json::from_slice(&encode_json(&envelope).expect("encodes")).expect("json")
}

fn json_error(value: &serde_json::Value) -> DecodeError {
    decode_json(&serde_json::to_vec(value).expect("json")).expect_err("must be rejected")
}

fn json_invalid(value: &serde_json::Value) -> ValidationError {
    let envelope = decode_json(&serde_json::to_vec(value).expect("json")).expect("decodes");
    envelope
        .validate(&ValidationContext::default())
        .expect_err("must be invalid")
}

#[test]
fn json_errors_name_the_field() {
    let mut v = sample_json();
    v["data"]["price_per_lesson"] = serde_json::json!(-5);
    assert_eq!(json_error(&v).field(), Some("data.price_per_lesson"));

    let mut v = sample_json();
    v["data"]["sessions"][0]["start"] = serde_json::json!("2025-09-01T19:00:00");
    assert_eq!(json_error(&v).field(), Some("data.sessions[0].start"));

    let mut v = sample_json();
    v["data"]["surprise"] = serde_json::json!(1);
    assert_eq!(json_error(&v).field(), Some("data.surprise"));

    let mut v = sample_json();
    v["institution"] = serde_json::json!("52440200MJL12345IR");
    assert_eq!(json_error(&v).field(), Some("institution"));

    let mut v = sample_json();
    v["region"] = serde_json::json!("4402");
    assert_eq!(json_error(&v).field(), Some("region"));

    let mut v = sample_json();
    v["type"] = serde_json::json!("schedule.course_teleported");
    assert_eq!(json_error(&v).field(), Some("type"));

    let mut v = sample_json();
    v["version"] = serde_json::json!(9);
    assert!(matches!(
        json_error(&v),
        DecodeError::UnsupportedVersion {
            code: 20,
            version: 9
        }
    ));
}

#[test]
fn validation_names_the_field() {
    let mut v = sample_json();
    v["data"]["sessions"][0]["end"] = v["data"]["sessions"][0]["start"].clone();
    let err = json_invalid(&v);
    assert_eq!(err.field, "data.sessions[0].end");
    assert!(matches!(err.problem, Problem::EndNotAfterStart { .. }));

    let mut v = sample_json();
    v["institution"] = serde_json::json!("52440200MJL123454Q");
    let err = json_invalid(&v);
    assert_eq!(err.field, "institution");
    assert!(matches!(
        err.problem,
        Problem::CreditCodeChecksum { expected: 'R', .. }
    ));

    let mut v = sample_json();
    v["data"]["sessions"] = serde_json::json!([]);
    assert_eq!(json_invalid(&v).field, "data.sessions");
}

#[test]
fn legacy_codes_pass_only_when_configured() {
    let mut envelope = example(0, &ExampleParams::new(EventId::new_v7()));
    let legacy = CreditCode::parse("91350100M0001TGQXM").expect("well-formed");
    envelope.institution = legacy.clone();
    envelope.producer = Producer::Registry(envelope.region);
    // Registration region must match the envelope; use a non-registration event.
    let mut other = example(1, &ExampleParams::new(EventId::new_v7()));
    other.institution = legacy.clone();
    assert!(other.validate(&ValidationContext::default()).is_err());
    assert_eq!(
        other.validate(&ValidationContext::with_legacy_codes([legacy])),
        Ok(())
    );
}

#[test]
fn zero_amounts_are_refused() {
    let mut v = {
        let envelope = example_of("escrow.fee_collected");
        assert_eq!(envelope.event.event_type(), "escrow.fee_collected");
        serde_json::from_slice::<serde_json::Value>(&encode_json(&envelope).expect("encodes"))
            .expect("json")
    };
    v["data"]["amount"] = serde_json::json!(0);
    let err = json_invalid(&v);
    assert_eq!(err.field, "data.amount");
    assert_eq!(err.problem, Problem::NotPositive);
}

#[test]
fn wrong_format_bytes_and_unknown_codes_are_typed_errors() {
    let mut bytes = encode(&example(0, &ExampleParams::new(EventId::new_v7())));
    bytes[0] = 0x7f;
    assert_eq!(decode(&bytes), Err(DecodeError::UnknownFormat(0x7f)));
    assert_eq!(decode(&[]), Err(DecodeError::Empty));
    let huge = vec![codec::WIRE_FORMAT_V1; codec::EVENT_BYTES_MAX + 1];
    assert!(matches!(decode(&huge), Err(DecodeError::TooLarge(_))));
}

#[test]
fn subjects_name_the_sender_the_family_and_the_institution() {
    let envelope = example_of("schedule.course_published");
    assert_eq!(
        envelope.subject(),
        "tw.in.inst.52440200MJL123454R.schedule.52440200MJL123454R"
    );
}

#[test]
fn synthetic_credit_codes_are_valid_and_distinct() {
    let codes: std::collections::BTreeSet<_> = (0..500)
        .map(crate::examples::synthetic_credit_code)
        .collect();
    assert_eq!(codes.len(), 500);
    assert!(codes.iter().all(CreditCode::checksum_is_valid));
}

/// The JSON of the example of `event_type`.
fn example_json(event_type: &str) -> serde_json::Value {
    let index = EVENT_TYPES
        .iter()
        .position(|info| info.name == event_type)
        .expect("a catalogued event type");
    let envelope = example(index, &ExampleParams::new(EventId::new_v7()));
    serde_json::from_slice(&encode_json(&envelope).expect("encodes")).expect("json")
}

/// What validation says about the example of `event_type` with the field at `pointer` set to
/// `text`.
fn with_text(event_type: &str, pointer: &str, text: &str) -> Result<Envelope, ValidationError> {
    let mut v = example_json(event_type);
    *v.pointer_mut(pointer).expect("the example has the field") = serde_json::json!(text);
    let envelope = decode_json(&serde_json::to_vec(&v).expect("json")).expect("decodes");
    envelope.validate(&ValidationContext::default())?;
    Ok(envelope)
}

fn name_problem(name: &str) -> Problem {
    let error = with_text("registry.institution_registered", "/data/name", name)
        .expect_err("must be refused");
    assert_eq!(error.field, "data.name", "{error}");
    error.problem
}

#[test]
fn names_with_bidi_controls_are_refused() {
    for c in [
        '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
        '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}',
    ] {
        assert_eq!(
            name_problem(&format!("韶关{c}培训学校")),
            Problem::BidiControl(c)
        );
    }
    let error = name_problem("学校\u{202E}gpj.exe");
    assert!(error.to_string().contains("U+202E"), "{error}");
}

#[test]
fn names_with_other_format_characters_are_refused() {
    // Zero-width space and joiners, the BOM, a soft hyphen, a tag character, a line separator.
    for c in [
        '\u{200B}',
        '\u{200C}',
        '\u{200D}',
        '\u{2060}',
        '\u{FEFF}',
        '\u{00AD}',
        '\u{E0041}',
        '\u{2028}',
    ] {
        assert_eq!(
            name_problem(&format!("韶关{c}培训学校")),
            Problem::InvisibleCharacter(c)
        );
    }
}

#[test]
fn control_characters_in_names_are_refused_when_decoding_as_before() {
    let mut v = example_json("registry.institution_registered");
    v["data"]["name"] = serde_json::json!("韶关\u{7}培训学校");
    assert_eq!(json_error(&v).field(), Some("data.name"));
}

#[test]
fn names_with_nothing_visible_are_refused() {
    for name in [
        "\u{3164}",
        "\u{3164}\u{3164} \u{115F}",
        "\u{2800}",
        " \u{3000}\u{FE0F}",
        "\u{034F}\u{3164}",
    ] {
        assert_eq!(name_problem(name), Problem::NothingVisible, "{name:?}");
    }
    // Only whitespace stays what it was: empty.
    assert_eq!(name_problem(" \u{3000} "), Problem::Empty);
}

#[test]
fn ordinary_names_pass_and_are_normalised_to_nfc() {
    for name in [
        "韶关市浈江区某某培训学校",
        "Ｏｎｅ　Ｓｃｈｏｏｌ",
        "École Montréal (广州) 有限公司",
        "A\u{301}\u{0327} 🏫 ١٢٣ עברית",
    ] {
        assert!(
            with_text("registry.institution_registered", "/data/name", name).is_ok(),
            "{name:?}"
        );
    }
    let envelope = with_text(
        "registry.institution_registered",
        "/data/name",
        "E\u{301}cole du soir",
    )
    .expect("valid");
    let Event::InstitutionRegistered(registered) = &envelope.event else {
        panic!("an institution registration");
    };
    assert_eq!(registered.name.as_str(), "\u{C9}cole du soir");
    // The postcard the log would store carries the normalised name.
    assert_eq!(decode(&encode(&envelope)).expect("decodes"), envelope);
}

#[test]
fn every_text_that_people_read_is_checked() {
    for (event_type, pointer, field) in [
        (
            "registry.institution_registered",
            "/data/approved_sites/0/address",
            "data.approved_sites[0].address",
        ),
        ("registry.licence_suspended", "/data/reason", "data.reason"),
        ("registry.licence_revoked", "/data/reason", "data.reason"),
        ("registry.licence_restored", "/data/note", "data.note"),
        (
            "registry.site_added",
            "/data/site/address",
            "data.site.address",
        ),
        ("schedule.course_published", "/data/title", "data.title"),
        ("schedule.course_cancelled", "/data/reason", "data.reason"),
        (
            "advertising.ad_observed",
            "/data/description",
            "data.description",
        ),
        ("supervision.officer_acted", "/data/note", "data.note"),
    ] {
        let error = with_text(event_type, pointer, "ok\u{202E}txt").expect_err("a bidi control");
        assert_eq!(
            (error.field.as_str(), &error.problem),
            (field, &Problem::BidiControl('\u{202E}')),
            "{event_type}"
        );
        let error = with_text(event_type, pointer, "\u{3164}").expect_err("nothing visible");
        assert_eq!(error.field, field, "{event_type}");
        assert!(
            with_text(event_type, pointer, "正常的文字").is_ok(),
            "{event_type}"
        );
    }
}

#[test]
fn a_logged_event_with_a_refused_name_still_decodes() {
    // An entry written before these rules: validation refuses such a name now, but the log's
    // bytes must keep decoding (and keep their hash), so the refusal is not in parsing.
    let mut v = example_json("registry.institution_registered");
    v["data"]["name"] = serde_json::json!("学校\u{202E}\u{200B}");
    let envelope = decode_json(&serde_json::to_vec(&v).expect("json")).expect("decodes");
    assert!(envelope.validate(&ValidationContext::default()).is_err());
    let bytes = encode(&envelope);
    assert_eq!(decode(&bytes).expect("still decodes"), envelope);
}

#[test]
fn a_registration_must_keep_its_region_s_civil_time() {
    let index = crate::EVENT_TYPES
        .iter()
        .position(|t| t.name == "registry.institution_registered")
        .expect("registrations exist");
    let mut envelope = example(index, &ExampleParams::new(EventId::new_v7()));
    for (zone, ok) in [
        ("Asia/Shanghai", true),
        ("PRC", true),
        ("Europe/London", false),
        ("UTC", false),
        ("Etc/GMT-14", false),
        ("Asia/Urumqi", false),
    ] {
        if let Event::InstitutionRegistered(registered) = &mut envelope.event {
            registered.time_zone = crate::ids::Text::parse(zone).expect("text");
        }
        let result = envelope.validate(&ValidationContext::default());
        assert_eq!(result.is_ok(), ok, "{zone}: {result:?}");
        if let Err(error) = result {
            assert_eq!(error.field, "data.time_zone");
        }
    }
}

#[test]
fn a_version_1_licence_revocation_is_read_as_a_penalty() {
    use crate::registry::{LicenceRevoked, RevocationGrounds};
    use crate::upcast::LicenceRevokedV1;
    let reason = crate::ids::Text::parse("吊销办学许可证").expect("text");
    let expected = Event::LicenceRevoked(LicenceRevoked {
        reason: reason.clone(),
        grounds: RevocationGrounds::Penalty,
    });
    // As the log holds it: a postcard payload written at version 1.
    let old = postcard::to_allocvec(&LicenceRevokedV1 { reason }).expect("encodes");
    assert_eq!(Event::decode_payload(3, 1, &old), Ok(expected.clone()));
    // As a producer that has not moved on sends it.
    let json = serde_json::json!({"reason": "吊销办学许可证"});
    assert_eq!(
        Event::decode_json("registry.licence_revoked", 1, json.clone()),
        Ok(expected)
    );
    // Version 2 needs the grounds, and says which field is missing.
    match Event::decode_json("registry.licence_revoked", 2, json) {
        Err(DecodeError::Json { field, .. }) => assert_eq!(field, "data"),
        other => panic!("{other:?}"),
    }
    let surrendered = serde_json::json!({"reason": "主动注销", "grounds": "surrendered"});
    assert!(matches!(
        Event::decode_json("registry.licence_revoked", 2, surrendered),
        Ok(Event::LicenceRevoked(LicenceRevoked {
            grounds: RevocationGrounds::Surrendered,
            ..
        }))
    ));
    // A version nobody wrote is refused, not guessed at.
    assert!(matches!(
        Event::decode_payload(3, 3, &old),
        Err(DecodeError::UnsupportedVersion {
            code: 3,
            version: 3
        })
    ));
}

#[test]
fn a_version_1_hire_is_read_as_full_time() {
    use crate::registry::TeacherHired;
    use crate::upcast::TeacherHiredV1;
    let Event::TeacherHired(current) = example_of("registry.teacher_hired").event else {
        panic!("the example is a hire");
    };
    let old = TeacherHiredV1 {
        teacher: current.teacher.clone(),
        subjects: current.subjects.clone(),
        qualification: current.qualification.clone(),
        in_service_school_teacher: current.in_service_school_teacher,
        located_abroad: current.located_abroad,
    };
    let expected = Event::TeacherHired(TeacherHired {
        full_time: true,
        ..current
    });
    let bytes = postcard::to_allocvec(&old).expect("encodes");
    assert_eq!(Event::decode_payload(6, 1, &bytes), Ok(expected.clone()));
    let json = serde_json::to_value(&old).expect("json");
    assert_eq!(
        Event::decode_json("registry.teacher_hired", 1, json.clone()),
        Ok(expected)
    );
    // Version 2 may omit it (full time) or say part time.
    let mut part_time = json;
    part_time["full_time"] = serde_json::json!(false);
    assert!(matches!(
        Event::decode_json("registry.teacher_hired", 2, part_time),
        Ok(Event::TeacherHired(TeacherHired {
            full_time: false,
            ..
        }))
    ));
}

#[test]
fn a_version_1_course_publication_is_read_without_a_description() {
    use crate::schedule::CoursePublished;
    use crate::upcast::CoursePublishedV1;
    let Event::CoursePublished(current) = example_of("schedule.course_published").event else {
        panic!("the example is a course publication");
    };
    let old = CoursePublishedV1 {
        course: current.course.clone(),
        title: current.title.clone(),
        subject: current.subject,
        grade_band: current.grade_band,
        mode: current.mode,
        site: current.site.clone(),
        teachers: current.teachers.clone(),
        price_per_lesson: current.price_per_lesson,
        class_size_max: current.class_size_max,
        sessions: current.sessions.clone(),
    };
    let expected = Event::CoursePublished(CoursePublished {
        description: None,
        ..current
    });
    let bytes = postcard::to_allocvec(&old).expect("encodes");
    assert_eq!(Event::decode_payload(20, 1, &bytes), Ok(expected.clone()));
    let json = serde_json::to_value(&old).expect("json");
    assert_eq!(
        Event::decode_json("schedule.course_published", 1, json),
        Ok(expected)
    );
}

#[test]
fn a_version_1_refund_request_is_read_without_lessons() {
    use crate::escrow::RefundRequested;
    use crate::upcast::RefundRequestedV1;
    let contract = crate::ids::ContractId::parse("c-1").expect("id");
    let amount = crate::Fen::new(50_000);
    let expected = Event::RefundRequested(RefundRequested {
        contract: contract.clone(),
        amount,
        lessons: None,
    });
    let old = postcard::to_allocvec(&RefundRequestedV1 { contract, amount }).expect("encodes");
    assert_eq!(Event::decode_payload(44, 1, &old), Ok(expected.clone()));
    let json = serde_json::json!({"contract": "c-1", "amount": 50_000});
    assert_eq!(
        Event::decode_json("escrow.refund_requested", 1, json.clone()),
        Ok(expected.clone())
    );
    // Version 2 may omit `lessons` in JSON, and reads the same.
    assert_eq!(
        Event::decode_json("escrow.refund_requested", 2, json),
        Ok(expected)
    );
    // A version-1 payload is not a version-2 one: the catalogue keeps them apart.
    assert!(Event::decode_payload(44, 3, &old).is_err());
}

#[test]
fn vocabulary_values_show_their_wire_names() {
    use crate::advertising::{AdChannel, SchoolCarrier};
    use crate::kinds::{Category, GradeBand, LicensedModes, Mode, Subject};
    fn wire<T: serde::Serialize>(value: T) -> String {
        serde_json::to_value(value)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
    for subject in [
        Subject::ForeignLanguage,
        Subject::MoralityAndLaw,
        Subject::OtherNonSubject,
    ] {
        assert_eq!(subject.to_string(), wire(subject));
    }
    for modes in [
        LicensedModes::OnlineOnly,
        LicensedModes::OfflineOnly,
        LicensedModes::Both,
    ] {
        assert_eq!(modes.to_string(), wire(modes));
    }
    assert_eq!(Category::NonSubject.to_string(), wire(Category::NonSubject));
    assert_eq!(GradeBand::Preschool.to_string(), wire(GradeBand::Preschool));
    assert_eq!(Mode::Offline.to_string(), wire(Mode::Offline));
    for channel in [
        AdChannel::ResidentialBillboard,
        AdChannel::OwnPremises,
        AdChannel::NewMedia,
    ] {
        assert_eq!(channel.to_string(), wire(channel));
    }
    assert_eq!(
        SchoolCarrier::SchoolBus.to_string(),
        wire(SchoolCarrier::SchoolBus)
    );
}

#[test]
fn a_records_stored_layout_is_pinned() {
    // Format 2: the format byte, then postcard: seq and the time (nanoseconds, zigzag) as varints,
    // the two hashes raw, the sender (`None`: 0), the event's length and its bytes. Stored logs
    // are read with this layout, and the chain's hashes do not depend on it, so it may not drift.
    let record = LogRecord {
        format: crate::record::RecordFormat::V2,
        seq: 5,
        recorded_at: UtcTime::parse("1970-01-01T00:00:00.000000001Z").expect("a time"),
        prev_hash: [7; 32],
        hash: [9; 32],
        sender: None,
        event: vec![1, 2, 3],
    };
    let mut expected = vec![0x02, 5, 2];
    expected.extend([7; 32]);
    expected.extend([9; 32]);
    expected.extend([0, 3, 1, 2, 3]);
    assert_eq!(record.encode(), expected);
    assert_eq!(LogRecord::decode(&expected).expect("decodes"), record);
}
