//! Benchmarks of the runner, with the targets of issue 5:
//! - the harness is never the bottleneck: against the in-suite OpenAI-compatible server answering
//!   at once, at least 2,000 requests per second on 2 cores with `--jobs 64`;
//! - memory stays flat: peak memory of `corrcause run` over 10k and 100k items;
//! - the oracle baseline answers the whole `corr2cause-v2` preset (207,432 items) in under 5 s.
//!
//! Run: `cargo bench --bench run`. Datasets go to a temporary directory, removed after.

#[path = "../tests/support/openai_server.rs"]
mod openai_server;

use corrcause::dataset::config::Format;
use corrcause::dataset::{generate, Config};
use corrcause::run::ask::{ask_all, Options, Retry};
use corrcause::run::baseline::Baseline;
use corrcause::run::openai::{AnswerShape, Api, Constrain, OpenAi, Settings};
use corrcause::run::progress::Display;
use corrcause::run::prompt::Prompt;
use corrcause::run::run_baseline;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use openai_server::{Plan, Server};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn work_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("corrcause-bench-run-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The corr2cause-v2 preset's items (207,432), generated once.
fn v2_items(dir: &Path) -> PathBuf {
    let out = dir.join("v2");
    let file = out.join("items.jsonl");
    if !file.exists() {
        let mut config = Config::preset("corr2cause-v2").unwrap();
        config.format = Format::Jsonl;
        config.items_per_file = usize::MAX; // one file, read a line at a time below
        generate(&config, None, &out, &|_, _| {}).unwrap();
    }
    file
}

/// The first `n` items of the v2 preset.
fn first_items(dir: &Path, n: usize) -> PathBuf {
    let file = dir.join(format!("first-{n}.jsonl"));
    if !file.exists() {
        let reader = std::io::BufReader::new(std::fs::File::open(v2_items(dir)).unwrap());
        let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
        for line in reader.lines().take(n) {
            writeln!(out, "{}", line.unwrap()).unwrap();
        }
    }
    file
}

fn model(server: &Server) -> OpenAi {
    let settings = Settings {
        api: Api::Chat,
        system: None,
        temperature: 0.0,
        max_tokens: Some(16),
        seed: None,
        stop: Vec::new(),
        constrain: Constrain::None,
        shape: AnswerShape::Word,
        logprobs: false,
    };
    OpenAi::new(
        &format!("openai:bench@{}", server.base_url()),
        settings,
        None,
        Duration::from_secs(30),
    )
    .unwrap()
}

fn openai_harness(c: &mut Criterion) {
    let dir = work_dir();
    let items = 5_000;
    let data = first_items(&dir, items);
    let server = Server::start(Plan::default());
    let model = model(&server);
    let options = Options {
        jobs: 64,
        rps: None,
        retry: Retry {
            retries: 3,
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
        },
        cache: None,
        display: Display::Quiet,
        items: None,
        give_up_after: corrcause::run::stop::GIVE_UP_AFTER,
        interrupt: corrcause::run::stop::Interrupt::new(),
    };
    let mut group = c.benchmark_group("run");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    group.throughput(Throughput::Elements(items as u64));
    group.bench_function("openai_jobs64_5k_items", |b| {
        b.iter(|| {
            let journal = dir.join("journal.jsonl");
            let _ = std::fs::remove_file(&journal);
            let s = ask_all(
                &model,
                std::slice::from_ref(&data),
                &Prompt::Corr2Cause,
                &[],
                &journal,
                &dir.join("predictions.jsonl"),
                &options,
            )
            .unwrap();
            assert_eq!(s.asked, items);
        })
    });
    group.finish();
}

fn oracle(c: &mut Criterion) {
    let dir = work_dir();
    let data = v2_items(&dir);
    let mut group = c.benchmark_group("run");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    group.throughput(Throughput::Elements(207_432));
    group.bench_function("oracle_corr2cause_v2", |b| {
        b.iter(|| {
            run_baseline(
                std::slice::from_ref(&data),
                Baseline::Oracle,
                0,
                &dir.join("oracle.jsonl"),
                None,
            )
            .unwrap()
        })
    });
    group.finish();
}

/// Peak resident memory (kB) of a process, read while it runs.
fn peak_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// `corrcause run` against the server over `n` items: (seconds, requests/s, peak memory in MB).
fn cli_run(dir: &Path, server: &Server, n: usize) -> (f64, f64, f64) {
    let data = first_items(dir, n);
    let out = dir.join(format!("cli-{n}"));
    let _ = std::fs::remove_dir_all(&out);
    let spec = format!("openai:bench@{}", server.base_url());
    let started = Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_corrcause"))
        .args(["run", "--dataset", data.to_str().unwrap(), "--model", &spec])
        .args([
            "--out",
            out.to_str().unwrap(),
            "--jobs",
            "64",
            "--progress",
            "none",
        ])
        .args(["--bootstrap", "100"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut peak = 0;
    let asking_done = loop {
        if let Some(kb) = peak_kb(child.id()) {
            peak = peak.max(kb);
        }
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success());
            break started.elapsed();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = std::fs::remove_dir_all(&out);
    let secs = asking_done.as_secs_f64();
    (secs, n as f64 / secs, peak as f64 / 1024.0)
}

fn memory(_: &mut Criterion) {
    let dir = work_dir();
    let server = Server::start(Plan::default());
    // Under `cargo test` (no --bench flag) a small run only checks that this still works.
    let sizes: &[usize] = if std::env::args().any(|a| a == "--bench") {
        &[10_000, 100_000]
    } else {
        &[1_000]
    };
    for &n in sizes {
        let (secs, rate, mb) = cli_run(&dir, &server, n);
        println!(
            "run/cli_openai_jobs64/{n}: {secs:.2} s for the whole command ({rate:.0} items/s including scoring), peak memory {mb:.0} MB"
        );
    }
}

fn cleanup(_: &mut Criterion) {
    let _ = std::fs::remove_dir_all(work_dir());
}

criterion_group!(benches, openai_harness, oracle, memory, cleanup);
criterion_main!(benches);
