//! The rule-set loader: any text is a rule set or an error, never a panic;
//! a rule set it accepts answers for every month from its first one.
#![no_main]

use indus::model::Month;
use indus::rules::RuleSet;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(rules) = RuleSet::parse(text, "fuzz.toml") else { return };
    // Loading checked coverage: every month from the first date on has its parameters.
    let first = Month::of(rules.in_force_from);
    let mut m = first;
    for _ in 0..120 {
        rules.for_month(m).expect("a checked rule set covers every month from its first date");
        m = m.next();
    }
    let _ = rules.notice_params(rules.in_force_from);
});
