//! Benchmarks of the causal core's hot paths, with the targets of issue 2:
//! - listing every d-separation statement: <= 25 ns per statement (N = 5..12, ER p = 0.3);
//! - a CPDAG in <= 2 us at N = 12;
//! - MEC members at <= 200 ns each;
//! - all 3,781,503 labelled DAGs on 6 nodes grouped into their 1,067,825 MECs in < 2 s;
//! - the 243,668 unlabelled DAGs on 7 nodes in < 10 s;
//! - the depth of every label of a premise (`Depths::of`, issue 11) in <= 200 us at N = 10, so
//!   the default preset's 1,500 premises add well under a second.
//!
//! Run: `cargo bench --bench causal` (add a filter such as `-- cpdag` for one group).

use corrcause::causal::{labelled_mecs, Cpdag, Depths, IndependenceModel, RelationCounts};
use corrcause::graph::enumerate::unlabelled_masks;
use corrcause::graph::{Dag, DagSampler, Sampler};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::time::Duration;

/// The same seeded ER(p = 0.3) graphs every run.
fn er_graphs(n: usize, count: u64) -> Vec<Dag> {
    let s = DagSampler::new(n, Sampler::ErdosRenyi { p: 0.3 }, None).unwrap();
    (0..count).map(|i| s.sample(20261122, i)).collect()
}

fn all_statements(c: &mut Criterion) {
    let mut group = c.benchmark_group("ci_all_statements");
    for n in [5, 6, 8, 10, 12] {
        let graphs = er_graphs(n, 32);
        let statements: usize = graphs
            .iter()
            .map(|g| IndependenceModel::of(g).num_statements())
            .sum();
        group.throughput(Throughput::Elements(statements as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &graphs, |b, gs| {
            b.iter(|| {
                for g in gs {
                    black_box(IndependenceModel::of(g).num_independent());
                }
            })
        });
    }
    group.finish();
}

fn compact_forms(c: &mut Criterion) {
    let mut group = c.benchmark_group("ci_compact_forms");
    let graphs = er_graphs(12, 32);
    group.throughput(Throughput::Elements(graphs.len() as u64));
    group.bench_function("minimal_n12", |b| {
        b.iter(|| {
            graphs
                .iter()
                .map(|g| g.minimal_independences().len())
                .sum::<usize>()
        })
    });
    group.bench_function("basis_n12", |b| {
        b.iter(|| {
            graphs
                .iter()
                .map(|g| g.local_markov_pairs().len())
                .sum::<usize>()
        })
    });
    group.finish();
}

fn cpdag(c: &mut Criterion) {
    let mut group = c.benchmark_group("cpdag");
    for n in [5, 8, 12] {
        let graphs = er_graphs(n, 64);
        group.throughput(Throughput::Elements(graphs.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &graphs, |b, gs| {
            b.iter(|| {
                for g in gs {
                    black_box(Cpdag::of(g));
                }
            })
        });
    }
    group.finish();
}

fn mec_members(c: &mut Criterion) {
    let mut group = c.benchmark_group("mec_members");
    // Seeded ER graphs on 12 nodes whose MECs hold 1,000 to 100,000 members.
    let s = DagSampler::new(12, Sampler::ErdosRenyi { p: 0.3 }, None).unwrap();
    let cpdags: Vec<Cpdag> = (0..)
        .map(|i| Cpdag::of(&s.sample(7, i)))
        .filter(|c| {
            let size = c.mec_size();
            size >= 1_000u32.into() && size <= 100_000u32.into()
        })
        .take(8)
        .collect();
    let total: u64 = cpdags
        .iter()
        .map(|c| u64::try_from(c.mec_size()).unwrap())
        .sum();
    group.throughput(Throughput::Elements(total));
    group.bench_function("list_n12", |b| {
        b.iter(|| {
            let mut count = 0u64;
            for c in &cpdags {
                c.for_each_member(|ps| {
                    black_box(ps);
                    count += 1;
                });
            }
            count
        })
    });
    group.bench_function("count_n12", |b| {
        b.iter(|| {
            for c in &cpdags {
                black_box(c.mec_size());
            }
        })
    });
    let small: Vec<Cpdag> = er_graphs(8, 64).iter().map(Cpdag::of).collect();
    group.throughput(Throughput::Elements(small.len() as u64));
    group.bench_function("relation_counts_n8", |b| {
        b.iter(|| {
            small
                .iter()
                .map(|c| RelationCounts::of(c).mec_size)
                .sum::<u64>()
        })
    });
    group.finish();
}

fn enumeration(c: &mut Criterion) {
    let mut group = c.benchmark_group("enumeration");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("labelled_mecs_n6", |b| b.iter(|| labelled_mecs(6).len()));
    group.bench_function("unlabelled_n7", |b| b.iter(|| unlabelled_masks(7).len()));
    group.finish();
}

fn sampling(c: &mut Criterion) {
    let mut group = c.benchmark_group("sample");
    for (name, n, sampler) in [
        ("er_n12", 12, Sampler::ErdosRenyi { p: 0.3 }),
        ("uniform_n12", 12, Sampler::Uniform),
        ("uniform_n100", 100, Sampler::Uniform),
    ] {
        let s = DagSampler::new(n, sampler, None).unwrap();
        let mut i = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                i += 1;
                s.sample_edges(1, i).len()
            })
        });
    }
    group.finish();
}

fn depths(c: &mut Criterion) {
    let mut group = c.benchmark_group("depths");
    for n in [5, 8, 10] {
        let graphs = er_graphs(n, 64);
        group.throughput(Throughput::Elements(graphs.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &graphs, |b, gs| {
            b.iter(|| {
                for g in gs {
                    black_box(Depths::of(g));
                }
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    targets = all_statements, compact_forms, cpdag, mec_members, enumeration, sampling, depths
}
criterion_main!(benches);
