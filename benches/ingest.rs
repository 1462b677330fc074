//! Ingest (polars reading the four files as text columns) and validation
//! (typing every record, rejects, as_of), on the bench month.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use indus::model::Month;
use indus::run::{read_inputs, sort_records, InputOptions};
use indus::validate::{validate, Window};

mod common;

fn bench(c: &mut Criterion) {
    let (dir, as_of) = common::input();
    let inputs = InputOptions { input: Some(dir.clone()), ..Default::default() };
    let bytes: u64 = ["rights", "declarations", "attestations", "ledger"]
        .iter()
        .map(|n| std::fs::metadata(dir.join(format!("{n}.csv"))).map(|m| m.len()).unwrap_or(0))
        .sum();
    let mut grp = c.benchmark_group("ingest");
    grp.throughput(Throughput::Bytes(bytes));
    grp.sample_size(20);
    grp.bench_function("read four files", |b| b.iter(|| read_inputs(&inputs).unwrap().len()));
    let tables = read_inputs(&inputs).unwrap();
    let window = Window::from(Month::parse("2019-07").expect("a month"));
    grp.bench_function("validate and sort", |b| {
        b.iter(|| {
            let mut v = validate(&tables, as_of, 1.0, &window).unwrap();
            sort_records(&mut v);
            v.rights.len()
        })
    });
    grp.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
