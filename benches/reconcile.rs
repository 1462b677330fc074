//! The per-seeker recomputation (rules.md §3–§6): one seeker at a time, and
//! the whole parallel stage, on already validated records.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use indus::run::{group, prepare, process_seeker, InputOptions, Timings};
use indus::validate::Held;
use rayon::prelude::*;

mod common;

fn bench(c: &mut Criterion) {
    let (dir, as_of) = common::input();
    let inputs = InputOptions { input: Some(dir), ..Default::default() };
    let p = prepare(&inputs, as_of, None, 1.0, None, &mut Timings::default()).expect("the bench input reads");
    let g = group(&p.validated);
    let ctx = p.context();
    let label = p.rules.label();
    let none = Held::default();
    let n = g.ids.len();
    let one = |i: usize| {
        let r = g.records(i);
        process_seeker(&r, p.validated.held.get(r.seeker_id).unwrap_or(&none), &ctx, None, &label)
            .expect("figures in range")
            .findings
            .len()
    };
    let mut grp = c.benchmark_group("reconcile");
    grp.throughput(Throughput::Elements(n as u64));
    grp.sample_size(20);
    grp.bench_function(format!("{n} seekers, one thread"), |b| b.iter(|| (0..n).map(one).sum::<usize>()));
    grp.bench_function(format!("{n} seekers, rayon"), |b| b.iter(|| (0..n).into_par_iter().map(one).sum::<usize>()));
    grp.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
