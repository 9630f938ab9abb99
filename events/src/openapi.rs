//! OpenAPI schemas for the value types whose JSON form is a constrained string or number (with
//! the `openapi` feature): the HTTP API's `/openapi.json` describes events with these, so a
//! client (or a fuzzer) sees the same limits the validators enforce.

use std::borrow::Cow;

use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::{KnownFormat, RefOr};
use utoipa::{PartialSchema, ToSchema};

use crate::credit_code::CreditCode;
use crate::ids::{
    AccountId, AdId, BankId, CertificateNo, ContractId, CourseId, EventId, FindingId, LessonId,
    LicenceNo, OfficerId, SiteId, StudentRef, TeacherId, Text, TEXT_CHARS_MAX, TOKEN_BYTES_MAX,
};
use crate::money::Fen;
use crate::region::RegionCode;
use crate::time::UtcTime;

fn string(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
}

macro_rules! schema {
    ($name:ident, $build:expr) => {
        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                let built: ObjectBuilder = $build;
                RefOr::T(Schema::Object(built.build()))
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

macro_rules! token_schemas {
    ($($name:ident),*) => {
        $(schema!(
            $name,
            string("An identifier: 1 to 64 ASCII letters, digits, '.', '_', ':' or '-'.")
                .min_length(Some(1))
                .max_length(Some(TOKEN_BYTES_MAX))
                .pattern(Some("^[A-Za-z0-9._:-]{1,64}$"))
        );)*
    };
}

token_schemas!(
    CourseId,
    LessonId,
    SiteId,
    TeacherId,
    ContractId,
    AccountId,
    BankId,
    OfficerId,
    LicenceNo,
    CertificateNo,
    AdId
);

schema!(
    CreditCode,
    string("A unified social credit code (GB 32100-2015): 18 characters with a check character.")
        .pattern(Some(
            "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"
        ))
        .examples([crate::examples::SAMPLE_CREDIT_CODE])
);
schema!(
    RegionCode,
    string("A GB/T 2260 administrative division code: 6 digits.")
        .pattern(Some("^[0-9]{6}$"))
        .examples(["440200"])
);
schema!(
    Text,
    string("Free text, at most 500 characters, stored in Unicode NFC. Control and format characters (bidi controls, zero-width characters) and text with nothing visible are refused.").max_length(Some(TEXT_CHARS_MAX))
);
schema!(
    StudentRef,
    string("An opaque reference to a student (never a name, phone or ID number).")
        .min_length(Some(1))
        .max_length(Some(TOKEN_BYTES_MAX))
        .pattern(Some("^[A-Za-z0-9._:-]{1,64}$"))
);
schema!(
    EventId,
    string("An event id (UUID).").format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
);
schema!(
    FindingId,
    string("A finding id (UUID).").format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
);
schema!(
    UtcTime,
    string("An RFC 3339 time with an explicit offset, e.g. 2025-09-01T19:00:00+08:00.")
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
);
schema!(
    Fen,
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(0))
        .description(Some("Money in integer fen (1 yuan = 100 fen)."))
);
