//! Fuzzes the canonical postcard decoder and validation: any bytes must give an envelope or a
//! typed rejection, never a panic, and an accepted envelope must survive a re-encode round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tutorwatch_events::{decode, decode_and_validate, encode, ValidationContext};

fuzz_target!(|data: &[u8]| {
    let ctx = ValidationContext::default();
    if let Ok(envelope) = decode_and_validate(data, false, &ctx) {
        let again = decode(&encode(&envelope)).expect("a re-encoded envelope decodes");
        assert_eq!(again, envelope);
    }
});
