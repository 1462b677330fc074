//! The rule set: every legal parameter of rules.md §2–§7 as a dated timeline,
//! read from TOML (the default `fr-are.toml` is embedded in the binary).
//!
//! No legal number appears anywhere else in the code: the computation asks
//! [`RuleSet::for_month`] for the values in force on a month's first day.

use crate::util::hex;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::model::Month;

/// The default rule set's text, as shipped.
pub(crate) const DEFAULT_RULES: &str = include_str!("fr-are.toml");

#[derive(Debug, thiserror::Error)]
#[error("rule set {source_name}: {message}")]
pub struct RulesError {
    pub source_name: String,
    pub message: String,
}

/// How `A / AJ` becomes a whole number of days (rules.md §3 step 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayRounding {
    /// To the nearest day, ties away from zero.
    Nearest,
    Down,
    Up,
}

impl fmt::Display for DayRounding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DayRounding::Nearest => "nearest",
            DayRounding::Down => "down",
            DayRounding::Up => "up",
        })
    }
}

/// One parameter's values over time, with its legal reference.
#[derive(Clone, Debug)]
pub struct Timeline<T> {
    pub name: &'static str,
    pub reference: String,
    /// Sorted by date, no two on one date.
    pub entries: Vec<(NaiveDate, T)>,
}

impl<T> Timeline<T> {
    /// The entry in force on `date`: the last one dated on or before it.
    pub fn at(&self, date: NaiveDate) -> Option<(NaiveDate, &T)> {
        let i = self.entries.partition_point(|(from, _)| *from <= date);
        i.checked_sub(1).map(|i| (self.entries[i].0, &self.entries[i].1))
    }

    fn first_date(&self) -> Option<NaiveDate> {
        self.entries.first().map(|e| e.0)
    }
}

/// A parsed, checked rule set.
#[derive(Clone, Debug)]
pub struct RuleSet {
    pub id: String,
    pub version: String,
    pub title: String,
    pub in_force_from: NaiveDate,
    /// SHA-256 of the rule set's text, lowercase hex.
    pub sha256: String,
    pub sjr_rate_with_fixed: Timeline<Decimal>,
    pub sjr_rate_alone: Timeline<Decimal>,
    pub max_sjr_rate: Timeline<Decimal>,
    pub fixed_part: Timeline<Decimal>,
    pub minimum: Timeline<Decimal>,
    pub degressivity_coefficient: Timeline<Decimal>,
    pub degressivity_floor: Timeline<Decimal>,
    /// `None` while degressivity is not in force.
    pub degressivity_from_day: Timeline<Option<i64>>,
    pub degressivity_max_age: Timeline<i64>,
    pub earnings_retained_rate: Timeline<Decimal>,
    pub ceiling_days_factor: Timeline<Decimal>,
    pub day_rounding: Timeline<DayRounding>,
    pub tolerance: Timeline<Decimal>,
    pub sms_max: Timeline<Decimal>,
    pub formal_notice_after_days: Timeline<i64>,
    pub prescription_years: Timeline<i64>,
    pub fraud_prescription_years: Timeline<i64>,
    pub write_off_below: Timeline<Decimal>,
}

/// Degressivity as in force for one month (art. 17 bis).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Degressivity {
    pub from_day: i64,
    pub coefficient: Decimal,
    pub floor: Decimal,
}

/// The parameter values in force on a month's first day.
#[derive(Clone, Debug, PartialEq)]
pub struct MonthParams {
    pub month: Month,
    pub sjr_rate_with_fixed: Decimal,
    pub sjr_rate_alone: Decimal,
    pub max_sjr_rate: Decimal,
    pub fixed_part: Decimal,
    pub minimum: Decimal,
    pub degressivity: Option<Degressivity>,
    pub earnings_retained_rate: Decimal,
    pub ceiling_days_factor: Decimal,
    pub day_rounding: DayRounding,
    pub tolerance: Decimal,
    pub prescription_years: i64,
    pub fraud_prescription_years: i64,
}

/// The parameters of the recovery step, in force on the run's `as_of` date.
#[derive(Clone, Debug, PartialEq)]
pub struct NoticeParams {
    pub sms_max: Decimal,
    pub formal_notice_after_days: i64,
    pub write_off_below: Decimal,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRuleSet {
    id: String,
    version: String,
    #[serde(default)]
    title: String,
    in_force_from: toml::value::Datetime,
    parameters: BTreeMap<String, RawParameter>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParameter {
    #[serde(default)]
    reference: String,
    timeline: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    from: toml::value::Datetime,
    value: toml::Value,
}

fn toml_date(d: &toml::value::Datetime) -> Option<NaiveDate> {
    match (&d.date, &d.time) {
        (Some(date), None) => NaiveDate::from_ymd_opt(date.year as i32, date.month as u32, date.day as u32),
        _ => None,
    }
}

struct Loader {
    source_name: String,
    params: BTreeMap<String, RawParameter>,
}

impl Loader {
    fn err(&self, message: impl Into<String>) -> RulesError {
        RulesError { source_name: self.source_name.clone(), message: message.into() }
    }

    fn timeline<T>(
        &mut self,
        name: &'static str,
        parse: impl Fn(&toml::Value) -> Option<T>,
        expected: &str,
    ) -> Result<Timeline<T>, RulesError> {
        let raw = self.params.remove(name).ok_or_else(|| self.err(format!("parameter `{name}` is missing")))?;
        if raw.timeline.is_empty() {
            return Err(self.err(format!("parameter `{name}` has an empty timeline")));
        }
        let mut entries = Vec::with_capacity(raw.timeline.len());
        for e in &raw.timeline {
            let from = toml_date(&e.from)
                .ok_or_else(|| self.err(format!("parameter `{name}`: `from = {}` is not a date", e.from)))?;
            let value = parse(&e.value).ok_or_else(|| {
                self.err(format!("parameter `{name}` from {from}: value {} is not {expected}", e.value))
            })?;
            if let Some((last, _)) = entries.last() {
                if from == *last {
                    return Err(self.err(format!("parameter `{name}`: two values from {from}")));
                }
                if from < *last {
                    return Err(
                        self.err(format!("parameter `{name}`: {from} comes after {last}: the timeline must be sorted"))
                    );
                }
            }
            entries.push((from, value));
        }
        Ok(Timeline { name, reference: raw.reference, entries })
    }
}

fn decimal(v: &toml::Value) -> Option<Decimal> {
    v.as_str()?.parse().ok()
}

fn integer(v: &toml::Value) -> Option<i64> {
    v.as_integer().filter(|i| *i >= 0)
}

fn optional_integer(v: &toml::Value) -> Option<Option<i64>> {
    match v {
        toml::Value::String(s) if s == "none" => Some(None),
        toml::Value::Integer(i) if *i > 0 => Some(Some(*i)),
        _ => None,
    }
}

fn day_rounding(v: &toml::Value) -> Option<DayRounding> {
    match v.as_str()? {
        "nearest" => Some(DayRounding::Nearest),
        "down" => Some(DayRounding::Down),
        "up" => Some(DayRounding::Up),
        _ => None,
    }
}

const DEC: &str = "a decimal written as a string (\"0.404\")";
const INT: &str = "a whole number, 0 or more";

impl RuleSet {
    /// The rule set embedded in the binary.
    pub fn default_rules() -> RuleSet {
        RuleSet::parse(DEFAULT_RULES, "embedded fr-are.toml").expect("the embedded rule set is valid")
    }

    pub(crate) fn from_file(path: &Path) -> Result<RuleSet, RulesError> {
        let text = std::fs::read_to_string(path).map_err(|e| RulesError {
            source_name: path.display().to_string(),
            message: format!("cannot read it: {e}"),
        })?;
        RuleSet::parse(&text, &path.display().to_string())
    }

    /// Parses and checks a rule set: every timeline sorted with no duplicate
    /// date, every parameter in force from `in_force_from` on (the floor from
    /// degressivity's first date on), no unknown parameter.
    pub fn parse(text: &str, source_name: &str) -> Result<RuleSet, RulesError> {
        let raw: RawRuleSet = toml::from_str(text)
            .map_err(|e| RulesError { source_name: source_name.to_string(), message: e.to_string() })?;
        let mut l = Loader { source_name: source_name.to_string(), params: raw.parameters };
        let in_force_from = toml_date(&raw.in_force_from)
            .ok_or_else(|| l.err(format!("in_force_from = {} is not a date", raw.in_force_from)))?;
        let rules = RuleSet {
            sha256: hex(&Sha256::digest(text.as_bytes())),
            id: raw.id,
            version: raw.version,
            title: raw.title,
            in_force_from,
            sjr_rate_with_fixed: l.timeline("sjr_rate_with_fixed", decimal, DEC)?,
            sjr_rate_alone: l.timeline("sjr_rate_alone", decimal, DEC)?,
            max_sjr_rate: l.timeline("max_sjr_rate", decimal, DEC)?,
            fixed_part: l.timeline("fixed_part", decimal, DEC)?,
            minimum: l.timeline("minimum", decimal, DEC)?,
            degressivity_coefficient: l.timeline("degressivity_coefficient", decimal, DEC)?,
            degressivity_floor: l.timeline("degressivity_floor", decimal, DEC)?,
            degressivity_from_day: l.timeline(
                "degressivity_from_day",
                optional_integer,
                "a whole number of days or \"none\"",
            )?,
            degressivity_max_age: l.timeline("degressivity_max_age", integer, INT)?,
            earnings_retained_rate: l.timeline("earnings_retained_rate", decimal, DEC)?,
            ceiling_days_factor: l.timeline("ceiling_days_factor", decimal, DEC)?,
            day_rounding: l.timeline("day_rounding", day_rounding, "\"nearest\", \"down\" or \"up\"")?,
            tolerance: l.timeline("tolerance", decimal, DEC)?,
            sms_max: l.timeline("sms_max", decimal, DEC)?,
            formal_notice_after_days: l.timeline("formal_notice_after_days", integer, INT)?,
            prescription_years: l.timeline("prescription_years", integer, INT)?,
            fraud_prescription_years: l.timeline("fraud_prescription_years", integer, INT)?,
            write_off_below: l.timeline("write_off_below", decimal, DEC)?,
        };
        if let Some(name) = l.params.keys().next() {
            return Err(l.err(format!("unknown parameter `{name}`")));
        }
        rules.check_coverage().map_err(|m| l.err(m))?;
        Ok(rules)
    }

    fn check_coverage(&self) -> Result<(), String> {
        let from = self.in_force_from;
        let late = |name: &str, first: Option<NaiveDate>, need: NaiveDate| match first {
            Some(d) if d <= need => Ok(()),
            Some(d) => {
                Err(format!("parameter `{name}` starts on {d}, after {need}: months in between would have no value"))
            }
            None => Err(format!("parameter `{name}` has no value")),
        };
        late("sjr_rate_with_fixed", self.sjr_rate_with_fixed.first_date(), from)?;
        late("sjr_rate_alone", self.sjr_rate_alone.first_date(), from)?;
        late("max_sjr_rate", self.max_sjr_rate.first_date(), from)?;
        late("fixed_part", self.fixed_part.first_date(), from)?;
        late("minimum", self.minimum.first_date(), from)?;
        late("degressivity_from_day", self.degressivity_from_day.first_date(), from)?;
        late("earnings_retained_rate", self.earnings_retained_rate.first_date(), from)?;
        late("ceiling_days_factor", self.ceiling_days_factor.first_date(), from)?;
        late("day_rounding", self.day_rounding.first_date(), from)?;
        late("tolerance", self.tolerance.first_date(), from)?;
        late("sms_max", self.sms_max.first_date(), from)?;
        late("formal_notice_after_days", self.formal_notice_after_days.first_date(), from)?;
        late("prescription_years", self.prescription_years.first_date(), from)?;
        late("fraud_prescription_years", self.fraud_prescription_years.first_date(), from)?;
        late("write_off_below", self.write_off_below.first_date(), from)?;
        if let Some((first_degressive, _)) = self.degressivity_from_day.entries.iter().find(|(_, v)| v.is_some()) {
            late("degressivity_floor", self.degressivity_floor.first_date(), *first_degressive)?;
            late("degressivity_coefficient", self.degressivity_coefficient.first_date(), *first_degressive)?;
            // Looked up at the contract's end: a contract that ended before
            // its first date is never degressive (spec v3).
            late("degressivity_max_age", self.degressivity_max_age.first_date(), *first_degressive)?;
        }
        Ok(())
    }

    /// `ID@VERSION`, as every output names the rule set.
    pub fn label(&self) -> String {
        format!("{}@{}", self.id, self.version)
    }

    /// The values in force on the month's first day; an error for a month
    /// before the rule set's `in_force_from`.
    pub fn for_month(&self, month: Month) -> Result<MonthParams, RulesError> {
        let d = month.first_day();
        if d < self.in_force_from {
            return Err(RulesError {
                source_name: self.label(),
                message: format!("month {month} is before the rule set's first date {}", self.in_force_from),
            });
        }
        // Coverage was checked at load: every lookup below has a value.
        fn v<T: Clone>(t: &Timeline<T>, d: NaiveDate) -> T {
            t.at(d).expect("coverage checked at load").1.clone()
        }
        let degressivity = self.degressivity_from_day.at(d).and_then(|(_, day)| *day).map(|from_day| Degressivity {
            from_day,
            coefficient: v(&self.degressivity_coefficient, d),
            floor: v(&self.degressivity_floor, d),
        });
        Ok(MonthParams {
            month,
            sjr_rate_with_fixed: v(&self.sjr_rate_with_fixed, d),
            sjr_rate_alone: v(&self.sjr_rate_alone, d),
            max_sjr_rate: v(&self.max_sjr_rate, d),
            fixed_part: v(&self.fixed_part, d),
            minimum: v(&self.minimum, d),
            degressivity,
            earnings_retained_rate: v(&self.earnings_retained_rate, d),
            ceiling_days_factor: v(&self.ceiling_days_factor, d),
            day_rounding: v(&self.day_rounding, d),
            tolerance: v(&self.tolerance, d),
            prescription_years: v(&self.prescription_years, d),
            fraud_prescription_years: v(&self.fraud_prescription_years, d),
        })
    }

    /// The degressivity age limit for a contract that ended on `date`
    /// (art. 17 bis: looked up at the contract's end, not at the month).
    /// `None` for a contract that ended before the timeline starts: such a
    /// right predates degressivity.
    pub(crate) fn degressivity_max_age_at(&self, date: NaiveDate) -> Option<i64> {
        self.degressivity_max_age.at(date).map(|(_, v)| *v)
    }

    /// The recovery parameters in force on `as_of`.
    pub fn notice_params(&self, as_of: NaiveDate) -> Result<NoticeParams, RulesError> {
        if as_of < self.in_force_from {
            return Err(RulesError {
                source_name: self.label(),
                message: format!("as_of {as_of} is before the rule set's first date {}", self.in_force_from),
            });
        }
        Ok(NoticeParams {
            sms_max: *self.sms_max.at(as_of).expect("coverage checked").1,
            formal_notice_after_days: *self.formal_notice_after_days.at(as_of).expect("coverage checked").1,
            write_off_below: *self.write_off_below.at(as_of).expect("coverage checked").1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn m(s: &str) -> Month {
        Month::parse(s).unwrap()
    }

    #[test]
    fn default_rules_load_and_name_themselves() {
        let r = RuleSet::default_rules();
        assert_eq!(r.label(), "fr-are@2025-07-01");
        assert_eq!(r.sha256.len(), 64);
    }

    #[test]
    fn each_revaluation_date_takes_effect_on_its_first_day() {
        let r = RuleSet::default_rules();
        let cases = [
            ("2019-07", dec!(12.00), dec!(29.26)),
            ("2020-06", dec!(12.00), dec!(29.26)),
            ("2020-07", dec!(12.05), dec!(29.38)),
            ("2021-07", dec!(12.12), dec!(29.56)),
            ("2022-07", dec!(12.47), dec!(30.42)),
            ("2023-03", dec!(12.47), dec!(30.42)),
            ("2023-04", dec!(12.71), dec!(31.00)),
            ("2023-06", dec!(12.71), dec!(31.00)),
            ("2023-07", dec!(12.95), dec!(31.59)),
            ("2024-06", dec!(12.95), dec!(31.59)),
            ("2024-07", dec!(13.11), dec!(31.97)),
            ("2025-07", dec!(13.18), dec!(32.13)),
        ];
        for (month, fixed, minimum) in cases {
            let p = r.for_month(m(month)).unwrap();
            assert_eq!((p.fixed_part, p.minimum), (fixed, minimum), "{month}");
        }
    }

    #[test]
    fn degressivity_timeline() {
        let r = RuleSet::default_rules();
        assert_eq!(r.for_month(m("2019-10")).unwrap().degressivity, None);
        let d = r.for_month(m("2019-11")).unwrap().degressivity.unwrap();
        assert_eq!((d.from_day, d.floor, d.coefficient), (183, dec!(84.33), dec!(0.7)));
        assert_eq!(r.for_month(m("2020-03")).unwrap().degressivity, None);
        assert_eq!(r.for_month(m("2021-06")).unwrap().degressivity, None);
        assert_eq!(r.for_month(m("2021-07")).unwrap().degressivity.unwrap().from_day, 243);
        assert_eq!(r.for_month(m("2021-12")).unwrap().degressivity.unwrap().from_day, 183);
        assert_eq!(r.for_month(m("2024-03")).unwrap().degressivity.unwrap().floor, dec!(91.02));
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(r.degressivity_max_age_at(d("2025-03-31")), Some(57));
        assert_eq!(r.degressivity_max_age_at(d("2025-04-01")), Some(55));
    }

    #[test]
    fn month_before_the_rule_set_is_an_error() {
        let r = RuleSet::default_rules();
        let e = r.for_month(m("2019-06")).unwrap_err();
        assert!(e.to_string().contains("2019-06"), "{e}");
    }

    fn mutate(from: &str, to: &str) -> Result<RuleSet, RulesError> {
        assert!(DEFAULT_RULES.contains(from));
        RuleSet::parse(&DEFAULT_RULES.replacen(from, to, 1), "test.toml")
    }

    #[test]
    fn bad_timelines_are_refused_with_the_parameter_named() {
        let e =
            mutate("{ from = 2020-07-01, value = \"12.05\" }", "{ from = 2019-07-01, value = \"12.05\" }").unwrap_err();
        assert!(e.to_string().contains("fixed_part") && e.to_string().contains("two values"), "{e}");
        let e =
            mutate("{ from = 2020-07-01, value = \"12.05\" }", "{ from = 2019-01-01, value = \"12.05\" }").unwrap_err();
        assert!(e.to_string().contains("sorted"), "{e}");
        let e =
            mutate("{ from = 2019-07-01, value = \"29.26\" }", "{ from = 2019-08-01, value = \"29.26\" }").unwrap_err();
        assert!(e.to_string().contains("minimum") && e.to_string().contains("2019-08-01"), "{e}");
        let e =
            mutate("{ from = 2019-11-01, value = \"84.33\" }", "{ from = 2019-12-01, value = \"84.33\" }").unwrap_err();
        assert!(e.to_string().contains("degressivity_floor"), "{e}");
        let e = mutate("value = \"0.404\"", "value = 0.404").unwrap_err();
        assert!(e.to_string().contains("sjr_rate_with_fixed"), "{e}");
        let e = mutate("[parameters.tolerance]", "[parameters.tolerence]").unwrap_err();
        assert!(e.to_string().contains("tolerance"), "{e}");
    }
}
