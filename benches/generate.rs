//! Benchmarks of dataset generation and auditing, with the targets of issue 3:
//! - the whole `corr2cause-v2` preset (207,432 items, JSONL) in under 1 s on 2 cores;
//! - at least 100,000 items per second for random graphs with N = 12 and `--premise minimal`;
//! - issue 12: `--task graph` at least as many premises per second as the pairs task;
//! - issue 13: near-linear speed-up with threads, byte-identical output: from 1 to 2 threads at
//!   least 1.9x on this 2-core machine (`threads/*`), 1 -> 16 at least 12x on a 16-core one.
//!
//! Run: `cargo bench --bench generate`. Output goes to a temporary directory, removed after.

use corrcause::dataset::config::{Balance, Format, Graphs, PremiseChoice, RandomModel, Task};
use corrcause::dataset::{audit, generate, Config};
use corrcause::text::Naming;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::path::PathBuf;
use std::time::Duration;

fn out_dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("corrcause-bench-{}-{name}", std::process::id()))
}

fn run(config: &Config, name: &str) -> usize {
    let dir = out_dir(name);
    let summary = generate(config, None, &dir, &|_, _| {}).expect("generates");
    std::fs::remove_dir_all(&dir).expect("cleans up");
    summary.items
}

fn presets(c: &mut Criterion) {
    let mut group = c.benchmark_group("generate");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    let mut v2 = Config::preset("corr2cause-v2").unwrap();
    v2.format = Format::Jsonl;
    group.throughput(Throughput::Elements(207_432));
    group.bench_function("corr2cause_v2_jsonl", |b| b.iter(|| run(&v2, "v2")));
    let default = Config::preset("default").unwrap();
    // Hard-balanced since issue 11: 21,552 items of 1,500 graphs (seed-dependent).
    group.throughput(Throughput::Elements(21_552));
    group.bench_function("default_preset", |b| b.iter(|| run(&default, "default")));
    // The graph task on the same premises (1,500 items, one per premise): issue 12 asks that it
    // keeps the pairs task's throughput per premise (premises/s at least that of default_preset).
    let graph = Config {
        task: Task::Graph,
        balance: Balance::None,
        ..default.clone()
    };
    group.throughput(Throughput::Elements(1_500));
    group.bench_function("default_preset_graph_task", |b| {
        b.iter(|| run(&graph, "default-graph"))
    });
    group.finish();
}

fn random_n12(c: &mut Criterion) {
    let mut group = c.benchmark_group("generate");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(15));
    let config = Config {
        preset: None,
        nodes: vec![12],
        graphs: Graphs::Random {
            per_n: 300,
            sampler: RandomModel::Er,
            edge_prob: 0.3,
            edges: None,
            max_in_degree: None,
        },
        premise: PremiseChoice::Minimal,
        names: Naming::Shuffled,
        balance: Balance::None,
        splits: Vec::new(),
        format: Format::Jsonl,
        ..Config::preset("default").unwrap()
    };
    let items = 300 * 66 * 6;
    group.throughput(Throughput::Elements(items));
    group.bench_function("random_n12_minimal", |b| b.iter(|| run(&config, "n12")));
    group.finish();
}

fn auditing(c: &mut Criterion) {
    let mut group = c.benchmark_group("audit");
    let test_csv = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corr2cause-data/hf_v2_release/test.csv");
    group.throughput(Throughput::Elements(1162));
    group.bench_function("released_test_csv", |b| {
        b.iter(|| audit(&test_csv).unwrap().disagreements.len())
    });
    group.finish();
}

/// The `corr2cause-v2` preset (JSON lines and CSV, 1.3 GB, written in 7 files per form) in a
/// pool of 1, 2 and (when there are more) every core: the speed-up of issue 13.
fn threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("threads");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    let v2 = Config::preset("corr2cause-v2").unwrap();
    group.throughput(Throughput::Elements(207_432));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut counts = vec![1, 2];
    if cores > 2 {
        counts.push(cores);
    }
    for t in counts {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()
            .unwrap();
        group.bench_function(format!("corr2cause_v2/{t}"), |b| {
            b.iter(|| pool.install(|| run(&v2, "threads")))
        });
    }
    group.finish();
}

criterion_group!(benches, presets, random_n12, threads, auditing);
criterion_main!(benches);
