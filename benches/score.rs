//! Benchmark of the scorer, with the target of issue 4: one million predictions scored, with 1,000
//! bootstrap resamples, in under 2 s on 2 cores, memory under 300 MB; and of issue 12: 100,000
//! graph answers (raw edge lines, 8 variables) read and scored with 1,000 resamples in under 2 s
//! on 2 cores.
//!
//! Also `audit --shortcuts` of the default preset (issue 11: under 2 s on 2 cores).
//!
//! Run: `cargo bench --bench score`. The setup writes a synthetic dataset (11,112 premises of 90
//! items, 17% valid) and raw-text predictions (80% right) to a temporary directory.
//!
//! `read_and_score_threads/T` (issue 13): the `corr2cause-v2` preset (207,432 items, 910 MB of
//! JSONL) and the oracle's answers read and scored with 1,000 resamples on a pool of T threads
//! (1, 2, and every core when there are more); target: 1 -> 2 threads at least 1.9x, 1 -> 16 at
//! least 12x. Run once as a test (`cargo test --benches`), it uses the smaller `default` preset.
//!
//! `harness_log`: 100,000 samples of an lm-evaluation-harness log (`--log_samples` lines of about
//! 1.2 kB, as `corrcause export lm-eval` tasks make them) read and matched to the million-item
//! dataset in under 2 s.

use corrcause::score::data::{read_dataset, read_predictions, Duplicates};
use corrcause::score::{score, Missing, Options, Unparsed};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::io::Write;
use std::time::Duration;

fn files() -> (std::path::PathBuf, std::path::PathBuf, usize) {
    let dir = std::env::temp_dir().join(format!("corrcause-bench-score-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (data, preds) = (dir.join("data.jsonl"), dir.join("predictions.jsonl"));
    let mut d = std::io::BufWriter::new(std::fs::File::create(&data).unwrap());
    let mut p = std::io::BufWriter::new(std::fs::File::create(&preds).unwrap());
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut i = 0;
    for premise in 0..11_112 {
        for _pair in 0..15 {
            for r in corrcause::causal::Relation::ALL.map(corrcause::causal::Relation::as_str) {
                let label = u8::from(next() < 0.17);
                writeln!(
                    d,
                    r#"{{"id":"i{i}","premise_id":"p{premise}","label":{label},"label3":"{}","relation":"{r}","num_variables":6,"mec_size":{},"split":"test"}}"#,
                    if label == 1 { "entailment" } else { "neutral" },
                    1 + premise % 7
                )
                .unwrap();
                let answer = if (next() < 0.8) == (label == 1) {
                    "Yes"
                } else {
                    "No"
                };
                writeln!(p, r#"{{"id":"i{i}","output":"{answer}"}}"#).unwrap();
                i += 1;
            }
        }
    }
    (data, preds, i)
}

fn scoring(c: &mut Criterion) {
    let (data, preds, items) = files();
    let mut group = c.benchmark_group("score");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(items as u64));
    let options = Options {
        unparsed: Unparsed::Wrong,
        missing: Missing::Wrong,
        bootstrap: 1000,
        seed: 0,
    };
    group.bench_function("million_predictions_1000_resamples", |b| {
        // Dropping a million items is left out of the timing, as a run of the tool exits instead.
        b.iter_with_large_drop(|| {
            let ds = read_dataset(&data).unwrap();
            let p =
                vec![read_predictions(&preds, "m".into(), &ds, Duplicates::Error, false).unwrap()];
            let report = score(&ds, &p, &options);
            (ds, p, report)
        })
    });
    group.finish();
    let log = data.with_file_name("samples_corrcause.jsonl");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&log).unwrap());
    let prompt = "Question: Suppose there is a closed system of 6 variables. ".repeat(8);
    for i in 0..100_000 {
        let answer = ["Yes", "No", "Answer: No"][i % 3];
        let sample = serde_json::json!({"doc_id": i, "doc": {"id": format!("i{i}"), "prompt": prompt, "task": "corrcause"}, "target": "No", "arguments": {"gen_args_0": {"arg_0": [prompt], "arg_1": {"until": [], "max_gen_toks": 16}}}, "resps": [[answer]], "filtered_resps": [answer], "filter": "none", "metrics": ["acc", "f1", "mcc"], "acc": 1.0});
        writeln!(w, "{sample}").unwrap();
    }
    drop(w);
    let ds = read_dataset(&data).unwrap();
    let mut group = c.benchmark_group("score");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(100_000));
    group.bench_function("harness_log", |b| {
        b.iter(|| read_predictions(&log, "m".into(), &ds, Duplicates::Error, false).unwrap())
    });
    group.finish();
    std::fs::remove_dir_all(data.parent().unwrap()).unwrap();
}

/// 100,000 graph items on 8 variables (each its own premise) with random targets, and answers
/// written as edge lines that agree with the target on most pairs.
fn graph_files() -> (std::path::PathBuf, std::path::PathBuf, usize) {
    let dir = std::env::temp_dir().join(format!(
        "corrcause-bench-score-graph-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let (data, preds) = (dir.join("data.jsonl"), dir.join("predictions.jsonl"));
    let mut d = std::io::BufWriter::new(std::fs::File::create(&data).unwrap());
    let mut p = std::io::BufWriter::new(std::fs::File::create(&preds).unwrap());
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = |k: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % k
    };
    let names: Vec<String> = (0..8).map(|k| ((b'A' + k) as char).to_string()).collect();
    let items = 100_000;
    for i in 0..items {
        let (mut directed, mut undirected, mut lines) = (Vec::new(), Vec::new(), Vec::new());
        for x in 0..8 {
            for y in x + 1..8 {
                // Target: a sparse mark (forward edges only, so there is never a cycle).
                let want = [0, 0, 0, 1, 3][next(5) as usize];
                match want {
                    1 => directed.push([&names[x], &names[y]]),
                    3 => undirected.push([&names[x], &names[y]]),
                    _ => {}
                }
                let got = if next(10) < 8 { want } else { next(4) };
                match got {
                    1 => lines.push(format!("{} -> {}", names[x], names[y])),
                    2 => lines.push(format!("{} -> {}", names[y], names[x])),
                    3 => lines.push(format!("{} -- {}", names[x], names[y])),
                    _ => {}
                }
            }
        }
        let record = serde_json::json!({"id": format!("g{i}"), "task": "graph", "premise_id": format!("p{i}"),
            "variables": names, "target": {"directed": directed, "undirected": undirected},
            "num_variables": 8, "mec_size": 1 + i % 7, "split": "test", "names": "letters"});
        writeln!(d, "{record}").unwrap();
        let output = if lines.is_empty() {
            "no edges".to_string()
        } else {
            lines.join("\n")
        };
        writeln!(
            p,
            "{}",
            serde_json::json!({"id": format!("g{i}"), "output": output})
        )
        .unwrap();
    }
    (data, preds, items)
}

fn graph_scoring(c: &mut Criterion) {
    use corrcause::score::graph::data::{read_graph_dataset, read_graph_predictions};
    use corrcause::score::graph::score_graph;
    let (data, preds, items) = graph_files();
    let ds = read_graph_dataset(&corrcause::dataset::DatasetSource::resolve(&data, None).unwrap())
        .unwrap();
    let mut group = c.benchmark_group("score");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(items as u64));
    let options = Options {
        unparsed: Unparsed::Wrong,
        missing: Missing::Wrong,
        bootstrap: 1000,
        seed: 0,
    };
    group.bench_function("graph_100k_answers_1000_resamples", |b| {
        b.iter_with_large_drop(|| {
            let p = vec![read_graph_predictions(&preds, "m".into(), &ds, false, false).unwrap()];
            let report = score_graph(&ds, &p, &options);
            (p, report)
        })
    });
    group.finish();
    std::fs::remove_dir_all(data.parent().unwrap()).unwrap();
}

/// `audit --shortcuts` of the default preset (target of issue 11: under 2 s on 2 cores), the
/// dataset generated once in the setup.
fn shortcut_audit(c: &mut Criterion) {
    let dir =
        std::env::temp_dir().join(format!("corrcause-bench-shortcuts-{}", std::process::id()));
    let config = corrcause::dataset::Config::preset("default").unwrap();
    corrcause::dataset::generate(&config, None, &dir, &|_, _| {}).unwrap();
    let mut group = c.benchmark_group("audit");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(15));
    let options = corrcause::score::shortcuts::ShortcutOptions::default();
    group.bench_function("shortcuts_default_preset", |b| {
        b.iter(|| corrcause::score::shortcuts::audit_shortcuts(&dir, &options).unwrap())
    });
    group.finish();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Reading a large dataset and its predictions and scoring them, on pools of 1, 2 and every
/// core's threads (issue 13): how the whole `score` path scales with threads.
fn read_and_score_threads(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("corrcause-bench-threads-{}", std::process::id()));
    // `cargo bench` passes --bench; run once as a test, the smaller preset keeps it short.
    let preset = if std::env::args().any(|a| a == "--bench") {
        "corr2cause-v2"
    } else {
        "default"
    };
    let config = corrcause::dataset::Config::preset(preset).unwrap();
    corrcause::dataset::generate(&config, None, &dir, &|_, _| {}).unwrap();
    // The folder: all items of corr2cause-v2 (in 26 files), the test split of `default`.
    let data = dir.clone();
    let files = corrcause::dataset::DatasetSource::resolve(&data, None)
        .unwrap()
        .files;
    let preds = dir.join("oracle.jsonl");
    let items = corrcause::run::run_baseline(
        &files,
        corrcause::run::baseline::Baseline::Oracle,
        0,
        &preds,
        None,
    )
    .unwrap()
    .items;
    let options = Options {
        unparsed: Unparsed::Wrong,
        missing: Missing::Wrong,
        bootstrap: 1000,
        seed: 0,
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut threads = vec![1, 2];
    if cores > 2 {
        threads.push(cores);
    }
    let mut group = c.benchmark_group("read_and_score_threads");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(items as u64));
    for t in threads {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()
            .unwrap();
        group.bench_function(format!("{t}"), |b| {
            b.iter_with_large_drop(|| {
                pool.install(|| {
                    let ds = read_dataset(&data).unwrap();
                    let p =
                        vec![
                            read_predictions(&preds, "m".into(), &ds, Duplicates::Error, false)
                                .unwrap(),
                        ];
                    let report = score(&ds, &p, &options);
                    (ds, p, report)
                })
            })
        });
    }
    group.finish();
    std::fs::remove_dir_all(&dir).unwrap();
}

criterion_group!(
    benches,
    scoring,
    graph_scoring,
    shortcut_audit,
    read_and_score_threads
);
criterion_main!(benches);
