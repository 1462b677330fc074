//! Properties that must hold for any seeker, checked on thousands of random
//! ones: the causes add up to `paid − due` to the cent, the waterfall's steps
//! stay in their bounds, and statuses follow rules.md §6.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use indus::model::{Declaration, Month, Payment, PaymentKind, Payslip, Right};
use indus::reconcile::{reconcile_seeker, Cause, Context, SeekerRecords, Status};
use indus::rules::RuleSet;
use indus::status::settle_month;
use indus::validate::Held;

/// xorshift64*: a tiny deterministic generator, so a failure replays exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }
    fn below(&mut self, n: u64) -> i64 {
        (self.next() % n) as i64
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn cents(&mut self, max_euros: u64) -> Decimal {
        Decimal::new(self.below(max_euros * 100), 2)
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

struct Seeker {
    rights: Vec<Right>,
    declarations: Vec<Declaration>,
    payslips: Vec<Payslip>,
    payments: Vec<Payment>,
}

fn random_seeker(rng: &mut Rng, months: &[Month]) -> Seeker {
    let mut s = Seeker { rights: vec![], declarations: vec![], payslips: vec![], payments: vec![] };
    for r in 0..rng.below(3) {
        let payable_from = date(2023, 6, 1) + chrono::Days::new(rng.below(330) as u64);
        s.rights.push(Right {
            line: 2,
            right_id: format!("R{r}").into(),
            seeker_id: "S".into(),
            agency_id: format!("AG{r}").into(),
            opened_on: payable_from - chrono::Days::new(10),
            payable_from,
            closed_on: rng.chance(30).then(|| payable_from + chrono::Days::new(rng.below(200) as u64)),
            sjr: Decimal::new(2000 + rng.below(25000), 2),
            entitlement_days: 180 + rng.below(600),
            days_paid_before: rng.below(700),
            age_at_contract_end: 20 + rng.below(45),
            contract_ended_on: payable_from - chrono::Days::new(20),
        });
    }
    for (i, &m) in months.iter().enumerate() {
        for d in 0..rng.below(3) {
            let works = rng.chance(50);
            s.declarations.push(Declaration {
                line: 2,
                declaration_id: format!("D{i}{d}").into(),
                seeker_id: "S".into(),
                month: m,
                declared_on: m.last_day(),
                hours_worked: if works { Decimal::from(rng.below(150)) } else { Decimal::ZERO },
                gross_earnings: if works { rng.cents(2500) } else { Decimal::ZERO },
                sick_days: if rng.chance(15) { rng.below(31) } else { 0 },
                search_ended_on: rng.chance(10).then(|| m.first_day() + chrono::Days::new(rng.below(31) as u64)),
            });
        }
        for p in 0..rng.below(3) {
            s.payslips.push(Payslip {
                line: 2,
                attestation_id: format!("A{i}{p}").into(),
                seeker_id: "S".into(),
                employer_id: "12345678900017".into(),
                period_start: m.first_day(),
                period_end: m.last_day(),
                hours: Decimal::from(rng.below(150)),
                gross_pay: rng.cents(2500),
                received_on: m.last_day(),
                conserved: rng.chance(15),
            });
        }
        for p in 0..rng.below(4) {
            let kind = [PaymentKind::Advance, PaymentKind::Advance, PaymentKind::Regularisation, PaymentKind::Reversal]
                [rng.below(4) as usize];
            let days = rng.below(32);
            let rate = Decimal::new(2900 + rng.below(12000), 2);
            let sign = if kind == PaymentKind::Reversal { -1 } else { 1 };
            let payment = Payment {
                line: 2,
                payment_id: format!("P{i}{p}").into(),
                seeker_id: "S".into(),
                right_id: format!("R{}", rng.below(3)).into(),
                month: m,
                kind,
                days: sign * days,
                daily_rate: rate,
                amount: Decimal::from(sign * days) * rate,
                paid_on: m.next().first_day() + chrono::Days::new(rng.below(5) as u64),
            };
            if rng.chance(20) {
                // The same advance again, as an IT fault would pay it.
                let mut copy = payment.clone();
                copy.payment_id = format!("P{i}{p}b").into();
                copy.paid_on = copy.paid_on + chrono::Days::new(1);
                s.payments.push(copy);
            }
            s.payments.push(payment);
        }
    }
    s
}

#[test]
fn causes_add_up_to_the_delta_on_many_random_seekers() {
    let rules = RuleSet::default_rules();
    let months: Vec<Month> = Month::parse_range("2024-01..2024-09").unwrap();
    let params: HashMap<Month, _> = months.iter().map(|&m| (m, rules.for_month(m).unwrap())).collect();
    let as_of = date(2024, 10, 15);
    let ctx = Context { rules: &rules, params: &params, as_of, decisions: &[] };
    let mut rng = Rng(0x9E3779B97F4A7C15);
    let mut checked = 0;
    let mut seen_causes = std::collections::BTreeSet::new();
    for _ in 0..3000 {
        let picked: Vec<Month> = months.iter().copied().filter(|_| rng.chance(40)).collect();
        let s = random_seeker(&mut rng, &picked);
        let recs = SeekerRecords {
            seeker_id: "S",
            rights: &s.rights,
            declarations: &s.declarations,
            payslips: &s.payslips,
            payments: &s.payments,
        };
        let mut outcomes = reconcile_seeker(&recs, &Held::default(), &ctx).unwrap();
        for m in &mut outcomes {
            settle_month(m, &params[&m.month], as_of);
            let sum: Decimal = m.findings.iter().map(|f| f.amount).sum();
            assert_eq!(sum, m.delta, "{}: causes {:?} do not add up to delta {}", m.month, m.findings, m.delta);
            assert_eq!(m.delta, m.paid - m.f5);
            assert_eq!(m.f1, m.paid - m.duplicates);
            for f in &m.findings {
                seen_causes.insert(f.cause);
                assert!(f.amount.abs() >= Decimal::new(1, 2));
                if f.cause == Cause::OutsideEntitlement {
                    assert!(f.amount > Decimal::ZERO && f.amount <= (m.f1 - m.f3).max(Decimal::ZERO));
                }
                if m.ambiguous() {
                    assert_eq!(f.status, Status::Review);
                } else if f.amount < Decimal::ZERO {
                    assert_eq!(f.status, Status::Owed);
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 5000, "only {checked} seeker-months checked");
    assert_eq!(seen_causes.len(), 9, "every cause should occur at least once: {seen_causes:?}");
}
