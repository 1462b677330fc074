//! The month the benchmarks run on: `INDUS_BENCH_INPUT` (for example a month
//! made by `indus generate`) or the 5k month shipped in fixtures/.

use std::path::PathBuf;

use chrono::NaiveDate;

pub fn input() -> (PathBuf, NaiveDate) {
    match std::env::var_os("INDUS_BENCH_INPUT") {
        Some(dir) => {
            let as_of = std::env::var("INDUS_BENCH_AS_OF").expect("INDUS_BENCH_AS_OF goes with INDUS_BENCH_INPUT");
            (PathBuf::from(dir), indus::validate::parse_date(&as_of).expect("INDUS_BENCH_AS_OF is a date"))
        }
        None => (
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/months/2024-03-5k"),
            NaiveDate::from_ymd_opt(2024, 4, 15).unwrap(),
        ),
    }
}
