//! Benchmarks of dataset generation and auditing, with the targets of issue 3:
//! - the whole `corr2cause-v2` preset (207,432 items, JSONL) in under 1 s on 2 cores;
//! - at least 100,000 items per second for random graphs with N = 12 and `--premise minimal`;
//! - issue 12: `--task graph` at least as many premises per second as the pairs task;
//! - issue 13: near-linear speed-up with threads, byte-identical output: from 1 to 2 threads at
//!   least 1.9x on this 2-core machine (`threads/*`), 1 -> 16 at least 12x on a 16-core one; the
//!   hard balance step (`hard::filtered_keep`) at least 1.9x faster on 2 threads than on 1.
//!
//! Run: `cargo bench --bench generate`. Output goes to a temporary directory, removed after.

use corrcause::causal::{Cpdag, RelationCounts};
use corrcause::dataset::config::{Balance, Format, Graphs, PremiseChoice, RandomModel, Task};
use corrcause::dataset::hard::{self, ItemCell};
use corrcause::dataset::{audit, generate, Config};
use corrcause::graph::{DagSampler, Sampler};
use corrcause::text::{Naming, Premise};
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
    // Hard-balanced since issue 11: 17,244 items of 1,500 graphs (seed-dependent).
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

/// The `corr2cause-v2` preset (JSON lines and CSV, 1.3 GB, written in 26 files per form) in a
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
        // Only generating is timed: removing 1.3 GB of files afterwards is the kernel's serial
        // work, not ours.
        group.bench_function(format!("corr2cause_v2/{t}"), |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    let dir = out_dir("threads");
                    let start = std::time::Instant::now();
                    pool.install(|| generate(&v2, None, &dir, &|_, _| {}).expect("generates"));
                    spent += start.elapsed();
                    std::fs::remove_dir_all(&dir).expect("cleans up");
                }
                spent
            })
        });
    }
    group.finish();
}

/// The hard balance step's input for graphs drawn as the `default` preset draws them (random ER
/// graphs per number of variables, its premise form and splits; one batch, not renamed): the
/// cells and labels of every item and each premise's split.
fn default_balance_input() -> (Vec<Vec<ItemCell>>, Vec<Option<usize>>) {
    let config = Config::preset("default").unwrap();
    let Graphs::Random {
        per_n, edge_prob, ..
    } = config.graphs
    else {
        panic!("the default preset draws random graphs")
    };
    let mut cells = Vec::new();
    for &n in &config.nodes {
        let sampler = DagSampler::new(n, Sampler::ErdosRenyi { p: edge_prob }, None).unwrap();
        for i in 0..per_n as u64 {
            let dag = sampler.sample(20261201 ^ n as u64, i);
            let counts = RelationCounts::of(&Cpdag::of(&dag));
            let labels: Vec<bool> = (0..n)
                .flat_map(|x| (x + 1..n).map(move |y| (x, y)))
                .flat_map(|(x, y)| {
                    let counts = &counts;
                    config
                        .relations
                        .iter()
                        .map(move |&r| counts.holds(x, y, r) == counts.mec_size)
                })
                .collect();
            let premise = Premise::of(&dag, config.premise.form(n));
            cells.push(hard::item_cells(&config, &premise, &labels));
        }
    }
    // Splits by a fixed spread of the configured fractions.
    let splits = (0..cells.len())
        .map(|u| {
            let r = (u as f64 * 0.618_034).fract();
            let mut acc = 0.0;
            config.splits.iter().position(|s| {
                acc += s.fraction;
                r < acc
            })
        })
        .collect();
    (cells, splits)
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The hard balance step alone (matching, adversarial filtering with the learned readers, the
/// manifest's record) on 1 and 2 threads (`CORRCAUSE_BENCH_THREADS=1,2,4` for others).
fn hard_balance(c: &mut Criterion) {
    let (cells, splits) = default_balance_input();
    let views: Vec<&[ItemCell]> = cells.iter().map(|u| u.as_slice()).collect();
    let train = Some(0);
    let items: usize = views.iter().map(|v| v.len()).sum();
    let threads: Vec<usize> = std::env::var("CORRCAUSE_BENCH_THREADS")
        .ok()
        .map(|t| {
            t.split(',')
                .map(|n| n.parse().expect("a thread count"))
                .collect()
        })
        .unwrap_or(vec![1, 2]);
    let mut group = c.benchmark_group("hard_balance");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(items as u64));
    for t in threads {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()
            .unwrap();
        group.bench_function(format!("default_preset_{t}_threads"), |b| {
            b.iter(|| {
                pool.install(|| {
                    hard::filtered_keep(&views, &splits, train, |u, k| {
                        splitmix(splitmix(u as u64) ^ k as u64)
                    })
                })
            })
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    presets,
    random_n12,
    threads,
    auditing,
    hard_balance
);
criterion_main!(benches);
