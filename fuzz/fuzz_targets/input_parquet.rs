//! Every input kind read as Parquet, then validated.
#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::check(data, "parquet"));
