//! Every input kind read as CSV (either dialect), then validated.
#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::check(data, "csv"));
