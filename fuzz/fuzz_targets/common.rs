//! Shared by the input targets: the first byte of a fuzz input picks the
//! input kind (rights … decisions) and the dialect; the rest is the file.
//! Parsing then validating must never panic, whatever the bytes: a bad
//! file is an error naming it, a bad record a reject.

use std::path::Path;

use chrono::NaiveDate;
use indus::ingest::{table_from_bytes, DialectChoice, InputKind};
use indus::model::Month;
use indus::validate::{validate, Window};

pub fn check(data: &[u8], extension: &str) {
    // libfuzzer-sys aborts on any panic, even one the engine catches on
    // purpose (polars panics on some damaged Parquet files, and the engine
    // turns that into an error): the default hook only prints, and a panic
    // that escapes the engine still aborts through the fuzz_target wrapper.
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let _ = std::panic::take_hook();
    });
    let Some((&selector, bytes)) = data.split_first() else { return };
    let kind = InputKind::ALL[selector as usize % InputKind::ALL.len()];
    let dialect = [DialectChoice::Auto, DialectChoice::Intl, DialectChoice::Fr][(selector as usize / 8) % 3];
    let path = Path::new("fuzz").with_extension(extension);
    let Ok(table) = table_from_bytes(kind, &path, bytes, dialect) else { return };
    let as_of = NaiveDate::from_ymd_opt(2024, 4, 15).expect("a date");
    let window = Window::from(Month::parse("2019-07").expect("a month"));
    // Any reject rate: the records themselves are what is fuzzed.
    let _ = validate(&[table], as_of, 1.0, &window);
}
