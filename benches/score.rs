//! Benchmark of the scorer, with the target of issue 4: one million predictions scored, with 1,000
//! bootstrap resamples, in under 2 s on 2 cores, memory under 300 MB.
//!
//! Also `audit --shortcuts` of the default preset (issue 11: under 2 s on 2 cores).
//!
//! Run: `cargo bench --bench score`. The setup writes a synthetic dataset (11,112 premises of 90
//! items, 17% valid) and raw-text predictions (80% right) to a temporary directory.

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

criterion_group!(benches, scoring, shortcut_audit);
criterion_main!(benches);
