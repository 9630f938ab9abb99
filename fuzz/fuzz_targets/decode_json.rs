//! Fuzzes the JSON decoder and validation: any bytes must give an envelope or a typed rejection,
//! never a panic, and an accepted envelope must survive the postcard and JSON round trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tutorwatch_events::{
    decode, decode_and_validate, decode_json, encode, encode_json, ValidationContext,
};

fuzz_target!(|data: &[u8]| {
    let ctx = ValidationContext::default();
    if let Ok(envelope) = decode_and_validate(data, true, &ctx) {
        assert_eq!(
            decode(&encode(&envelope)).expect("postcard round trip"),
            envelope
        );
        let json = encode_json(&envelope).expect("an envelope encodes as JSON");
        assert_eq!(decode_json(&json).expect("JSON round trip"), envelope);
    }
});
