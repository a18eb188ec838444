//! Hostile input, as a standing property: every reader is fed random bytes, truncations,
//! corrupted bytes (invalid UTF-8 included), deep nesting, NaN, infinities and numbers beyond
//! every integer type, and a set of extremes (10 MB lines among them). Each must end, without a
//! panic, either accepting the input or refusing it with an error that names the file and the
//! line (and the field where one is at fault); through the command line, with exit status 1.
//!
//! Case counts: every library-level reader sees `LIBRARY_CASES` generated inputs plus the
//! `extremes()`; every command line reader sees `CLI_CASES` generated inputs plus the extremes.

mod common;

use common::{corr2cause_items, temp_dir};
use corrcause::dataset::DatasetSource;
use corrcause::error::{Error, Source};
use corrcause::score::data::{read_dataset, read_predictions, Duplicates};
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestRunner};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Generated cases per library-level reader.
const LIBRARY_CASES: u32 = 192;
/// Generated cases per command-line reader (each starts a process).
const CLI_CASES: u32 = 24;
/// The most one reader may take on one input before it counts as hung.
const LIMIT: Duration = Duration::from_secs(30);

/// Tokens that are not numbers JSON or Rust integers can hold, or not numbers at all.
const BAD_NUMBERS: [&str; 12] = [
    "NaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "-1e400",
    "18446744073709551616",
    "123456789012345678901234567890123456789",
    "-1",
    "0.5",
    "1e-400",
    "null",
    "\"\\ud800\"",
];

/// Hostile variations of the valid text `valid`.
fn hostile(valid: &str) -> BoxedStrategy<Vec<u8>> {
    let bytes = valid.as_bytes().to_vec();
    let len = bytes.len();
    let (b1, b2, b3, b4, b5) = (
        bytes.clone(),
        bytes.clone(),
        bytes.clone(),
        bytes.clone(),
        bytes.clone(),
    );
    prop_oneof![
        // Random bytes.
        proptest::collection::vec(any::<u8>(), 0..1500),
        // Random JSON-ish text, line by line.
        proptest::collection::vec("[\\[\\]{}\":,0-9a-z .eE+\\-\\\\]{0,80}", 0..20)
            .prop_map(|lines| lines.join("\n").into_bytes()),
        // The valid text cut anywhere.
        (0..=len).prop_map(move |k| b1[..k].to_vec()),
        // Bytes overwritten (invalid UTF-8 among them).
        proptest::collection::vec((0..len.max(1), any::<u8>()), 1..6).prop_map(move |flips| {
            let mut b = b2.clone();
            for (i, x) in flips {
                if i < b.len() {
                    b[i] = x;
                }
            }
            b
        }),
        // An invalid UTF-8 sequence inserted.
        (
            0..=len,
            prop::sample::select(vec![
                vec![0xffu8],
                vec![0xc3],
                vec![0xed, 0xa0, 0x80],
                vec![0xf4, 0x90, 0x80, 0x80],
                vec![0x00],
            ])
        )
            .prop_map(move |(i, bad)| {
                let mut b = b3.clone();
                b.splice(i..i, bad);
                b
            }),
        // A number replaced by NaN, an infinity, or one no integer type holds.
        (
            any::<prop::sample::Index>(),
            prop::sample::select(BAD_NUMBERS.to_vec())
        )
            .prop_map(move |(at, token)| {
                let text = String::from_utf8(b4.clone()).unwrap();
                let digits: Vec<(usize, usize)> = number_spans(&text);
                if digits.is_empty() {
                    return format!("{text}{token}").into_bytes();
                }
                let (s, e) = digits[at.index(digits.len())];
                format!("{}{token}{}", &text[..s], &text[e..]).into_bytes()
            }),
        // A deeply nested value put in place of a line.
        (any::<prop::sample::Index>(), 64usize..20_000, any::<bool>()).prop_map(
            move |(at, depth, object)| {
                let text = String::from_utf8(b5.clone()).unwrap();
                let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
                let nested = if object {
                    "{\"a\":".repeat(depth) + "1" + &"}".repeat(depth)
                } else {
                    "[".repeat(depth) + &"]".repeat(depth)
                };
                let line = format!("{{\"id\": {nested}}}");
                if lines.is_empty() {
                    lines.push(line);
                } else {
                    let k = at.index(lines.len());
                    lines[k] = line;
                }
                lines.join("\n").into_bytes()
            }
        ),
    ]
    .boxed()
}

/// Byte spans of the runs of digits in `text`.
fn number_spans(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let s = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            out.push((s, i));
        } else {
            i += 1;
        }
    }
    out
}

/// Inputs every reader sees once: 10 MB lines, very deep nesting, empty files, odd encodings.
fn extremes(valid: &str) -> Vec<Vec<u8>> {
    let ten_mb = 10 << 20;
    let first = valid.lines().next().unwrap_or("{}");
    vec![
        Vec::new(),
        b"\n\n\n".to_vec(),
        // One 10 MB line of text, then one of a 10 MB string value, then 10 MB of brackets.
        vec![b'a'; ten_mb],
        format!("{{\"id\": \"{}\"}}\n{valid}", "x".repeat(ten_mb)).into_bytes(),
        "[".repeat(ten_mb).into_bytes(),
        "{\"a\":".repeat(200_000).into_bytes(),
        // A byte order mark, CR LF line ends, NUL bytes.
        [b"\xef\xbb\xbf".as_slice(), valid.as_bytes()].concat(),
        valid.replace('\n', "\r\n").into_bytes(),
        format!("{first}\n\0\0\0\n").into_bytes(),
        format!("{valid}{first}").into_bytes(),
    ]
}

/// Lines in `bytes` (a last line without newline counts).
fn line_count(bytes: &[u8]) -> usize {
    bytes.split(|&b| b == b'\n').count()
}

/// Runs `f` on another thread and fails the test if it takes longer than [`LIMIT`].
fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    });
    match receive.recv_timeout(LIMIT) {
        Ok(Ok(v)) => v,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("{what}: no answer after {LIMIT:?} (a hang)"),
    }
}

/// An error from reading `file` (of `lines` lines) is an input error naming it and a line in
/// it, or a usage error naming it.
fn names_file_and_line(e: &Error, file: &Path, lines: usize) -> Result<(), String> {
    match e {
        Error::Input {
            file: Source::File(f),
            line,
            ..
        } if f == file && (1..=lines.max(1)).contains(line) => Ok(()),
        Error::Usage(m) if m.contains(&file.display().to_string()) => Ok(()),
        other => Err(format!("{other:?} does not name {}:LINE", file.display())),
    }
}

/// How many inputs each reader saw, printed at the end of its test.
struct Tally {
    name: &'static str,
    seen: AtomicUsize,
    refused: AtomicUsize,
}

impl Tally {
    fn new(name: &'static str) -> Tally {
        Tally {
            name,
            seen: AtomicUsize::new(0),
            refused: AtomicUsize::new(0),
        }
    }
    fn saw(&self, refused: bool) {
        self.seen.fetch_add(1, Ordering::Relaxed);
        if refused {
            self.refused.fetch_add(1, Ordering::Relaxed);
        }
    }
    fn report(&self) {
        eprintln!(
            "{}: {} inputs, {} refused",
            self.name,
            self.seen.load(Ordering::Relaxed),
            self.refused.load(Ordering::Relaxed)
        );
        assert!(
            self.refused.load(Ordering::Relaxed) > 0,
            "{}: nothing refused",
            self.name
        );
    }
}

/// Feeds `valid`'s hostile variations and the extremes, each written to `dir/name`, to `check`.
fn feed(
    name: &'static str,
    valid: &str,
    cases: u32,
    dir: &Path,
    file_name: &str,
    check: impl Fn(&Path, usize) -> Result<bool, String>,
) {
    let tally = Tally::new(name);
    let path = dir.join(file_name);
    let run = |bytes: &[u8]| -> Result<(), TestCaseError> {
        std::fs::write(&path, bytes).unwrap();
        let refused = check(&path, line_count(bytes)).map_err(TestCaseError::fail)?;
        tally.saw(refused);
        Ok(())
    };
    for bytes in extremes(valid) {
        run(&bytes).unwrap_or_else(|e| panic!("{name}: extreme input: {e}"));
    }
    let mut runner = TestRunner::new(RunnerConfig {
        cases,
        failure_persistence: None,
        ..RunnerConfig::default()
    });
    runner
        .run(&hostile(valid), |bytes| run(&bytes))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    tally.report();
}

/// A small valid dataset: `generate` output for Corr2Cause's 2- and 3-variable graphs.
fn valid_dataset(dir: &Path) -> PathBuf {
    let valid = dir.join("valid");
    corr2cause_items("2..=3", &valid);
    valid
}

/// The header and first `rows` records of a CSV file (records hold newlines, so not lines).
fn csv_sample(path: &Path, rows: usize) -> String {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(reader.headers().unwrap()).unwrap();
    for r in reader.records().take(rows) {
        writer.write_record(&r.unwrap()).unwrap();
    }
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}

/// A library reader's verdict: accepted, or refused naming the file and a line.
fn library_verdict<T>(
    r: corrcause::error::Result<T>,
    file: &Path,
    lines: usize,
) -> Result<bool, String> {
    match r {
        Ok(_) => Ok(false),
        Err(e) => names_file_and_line(&e, file, lines).map(|()| true),
    }
}

#[test]
fn dataset_jsonl_and_corr2cause_csv_readers() {
    let dir = temp_dir("hostile", "dataset");
    let valid = valid_dataset(&dir);
    let jsonl = std::fs::read_to_string(valid.join("items.jsonl")).unwrap();
    let sample: String = jsonl.lines().take(12).map(|l| format!("{l}\n")).collect();
    feed(
        "dataset JSONL",
        &sample,
        LIBRARY_CASES,
        &dir,
        "d.jsonl",
        |p, lines| {
            let path = p.to_path_buf();
            let r = within("read_dataset", move || read_dataset(&path).map(|_| ()));
            library_verdict(r, p, lines)
        },
    );
    let sample = csv_sample(&valid.join("items.csv"), 8);
    feed(
        "Corr2Cause CSV",
        &sample,
        LIBRARY_CASES,
        &dir,
        "d.csv",
        |p, lines| {
            let path = p.to_path_buf();
            let r = within("read_dataset", move || read_dataset(&path).map(|_| ()));
            // A CSV record may span lines (quoted newlines); its line is where it starts.
            library_verdict(r, p, lines)
        },
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn prediction_and_answer_text_readers() {
    let dir = temp_dir("hostile", "predictions");
    let valid = valid_dataset(&dir);
    let data = valid.join("items.jsonl");
    let ds = std::sync::Arc::new(read_dataset(&data).unwrap());
    let predictions: String = std::fs::read_to_string(&data)
        .unwrap()
        .lines()
        .take(12)
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            format!(
                "{}\n",
                serde_json::json!({"id": v["id"], "output": "Yes", "prediction": 1})
            )
        })
        .collect();
    feed(
        "predictions",
        &predictions,
        LIBRARY_CASES,
        &dir,
        "p.jsonl",
        |p, lines| {
            let (path, ds) = (p.to_path_buf(), ds.clone());
            let r = within("read_predictions", move || {
                read_predictions(&path, "m".into(), &ds, Duplicates::Error, false).map(|_| ())
            });
            library_verdict(r, p, lines)
        },
    );
    // Answer text: any string a model writes is read (perhaps as unparsed), never refused.
    let tally = Tally::new("answer text");
    let ids: Vec<String> = ds.ids.iter().take(50).map(|s| s.to_string()).collect();
    let mut runner = TestRunner::new(RunnerConfig {
        cases: LIBRARY_CASES,
        failure_persistence: None,
        ..RunnerConfig::default()
    });
    let path = dir.join("answers.jsonl");
    runner
        .run(
            &proptest::collection::vec(any::<String>(), 1..50),
            |texts| {
                let lines: String = texts
                    .iter()
                    .zip(&ids)
                    .map(|(t, id)| format!("{}\n", serde_json::json!({"id": id, "output": t})))
                    .collect();
                std::fs::write(&path, lines).unwrap();
                for t in &texts {
                    let _ = corrcause::text::answer::read(t);
                }
                let p = read_predictions(&path, "m".into(), &ds, Duplicates::Error, false)
                    .map_err(|e| TestCaseError::fail(format!("answer text refused: {e}")))?;
                prop_assert_eq!(
                    p.answers.iter().filter(|a| a.is_some()).count(),
                    texts.len().min(ids.len())
                );
                tally.saw(false);
                Ok(())
            },
        )
        .unwrap();
    for extreme in extremes("Yes") {
        let _ = corrcause::text::answer::read(&String::from_utf8_lossy(&extreme));
        tally.saw(false);
    }
    eprintln!(
        "answer text: {} inputs, none refused (each is read, perhaps as unparsed)",
        tally.seen.load(Ordering::Relaxed)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn premise_text_and_graph_line_readers() {
    let dir = temp_dir("hostile", "text");
    let valid = valid_dataset(&dir);
    let first: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(valid.join("items.jsonl"))
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let premise = first["premise"].as_str().unwrap().to_string();
    let hypothesis = first["hypothesis"].as_str().unwrap().to_string();
    // Premise and hypothesis text: refused with a message, never a panic or a hang.
    let tally = Tally::new("premise text");
    let check_text = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes).into_owned();
        let h = hypothesis.clone();
        let refused = within(
            "parse_premise",
            move || match corrcause::text::parse_premise(&text) {
                Ok(p) => {
                    let _ = corrcause::text::parse_hypothesis(&h, &p.names);
                    let _ = corrcause::text::parse_hypothesis(&text, &p.names);
                    false
                }
                Err(m) => {
                    assert!(!m.is_empty());
                    true
                }
            },
        );
        tally.saw(refused);
    };
    for e in extremes(&premise) {
        check_text(&e);
    }
    let mut runner = TestRunner::new(RunnerConfig {
        cases: LIBRARY_CASES,
        failure_persistence: None,
        ..RunnerConfig::default()
    });
    runner
        .run(&hostile(&premise), |bytes| {
            check_text(&bytes);
            Ok(())
        })
        .unwrap();
    tally.report();
    // Graph JSON lines, one line at a time.
    let graphs = "{\"n\": 4, \"edges\": [[2, 1], [3, 0]]}\n{\"nodes\": [\"A\", \"B\", \"C\"], \"edges\": [[\"A\", \"B\"], [\"C\", \"B\"]]}\n";
    feed(
        "graph JSON lines",
        graphs,
        LIBRARY_CASES,
        &dir,
        "g.jsonl",
        |p, lines| {
            let bytes = std::fs::read(p).unwrap();
            let source = Source::File(p.to_path_buf());
            let mut refused = false;
            for (i, line) in String::from_utf8_lossy(&bytes).lines().enumerate() {
                let (line, source) = (line.to_string(), source.clone());
                let r = within("parse_graph", move || {
                    corrcause::graph::json::parse_graph(&line, &source, i + 1).map(|_| ())
                });
                refused |= library_verdict(r, p, lines)?;
            }
            Ok(refused)
        },
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn batch_result_config_and_manifest_readers() {
    let dir = temp_dir("hostile", "files");
    let results = concat!(
        r#"{"custom_id": "a", "response": {"status_code": 200, "request_id": "r1", "body": {"model": "m", "choices": [{"message": {"content": "Yes"}}], "usage": {"prompt_tokens": 12, "completion_tokens": 1}}}}"#,
        "\n",
        r#"{"custom_id": "b", "response": {"status_code": 500, "body": {"error": "x"}}}"#,
        "\n",
        r#"{"custom_id": "c", "error": {"code": "e", "message": "m"}}"#,
        "\n",
    );
    let out = dir.join("imported.jsonl");
    feed(
        "batch results",
        results,
        LIBRARY_CASES,
        &dir,
        "r.jsonl",
        |p, lines| {
            let (path, out) = (p.to_path_buf(), out.clone());
            let r = within("import", move || {
                corrcause::run::batch::import(&path, &out).map(|_| ())
            });
            library_verdict(r, p, lines)
        },
    );
    // Configuration files: refused with a message, never a panic.
    let config = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/corr2cause-v2.json"),
    )
    .unwrap();
    feed(
        "configuration files",
        &config,
        LIBRARY_CASES,
        &dir,
        "c.json",
        |p, _| {
            let text = String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
            let r = within("Config::from_json", move || {
                corrcause::dataset::Config::from_json(&text).and_then(|c| c.validate().map(|()| c))
            });
            match r {
                Ok(_) => Ok(false),
                Err(m) if !m.is_empty() => Ok(true),
                Err(_) => Err("an empty message".into()),
            }
        },
    );
    // Preset names: a known one, or an error that lists the presets.
    let tally = Tally::new("preset names");
    let mut runner = TestRunner::new(RunnerConfig {
        cases: LIBRARY_CASES,
        failure_persistence: None,
        ..RunnerConfig::default()
    });
    runner
        .run(&"\\PC{0,40}", |name| {
            let r = corrcause::dataset::Config::preset(&name);
            if let Err(m) = &r {
                prop_assert!(m.contains("corr2cause-v2"), "{m}");
            }
            tally.saw(r.is_err());
            Ok(())
        })
        .unwrap();
    tally.report();
    // Manifests: a dataset folder whose manifest.json is hostile.
    let valid = valid_dataset(&dir);
    let manifest = std::fs::read_to_string(valid.join("manifest.json")).unwrap();
    feed(
        "manifests",
        &manifest,
        LIBRARY_CASES,
        &valid,
        "manifest.json",
        |p, lines| {
            let folder = p.parent().unwrap().to_path_buf();
            let r = within("DatasetSource::resolve", move || {
                DatasetSource::resolve(&folder, None)
                    .and_then(|s| corrcause::score::data::read_dataset_from(&s).map(|_| ()))
            });
            match r {
                Ok(()) => Ok(false),
                Err(e) => match &e {
                    // Naming the manifest, or the file it lists.
                    Error::Input {
                        file: Source::File(f),
                        ..
                    } if f.parent() == p.parent() => Ok(true),
                    Error::Usage(m) if m.contains(&p.parent().unwrap().display().to_string()) => {
                        Ok(true)
                    }
                    Error::Io { path, .. }
                        if path.contains(&p.parent().unwrap().display().to_string()) =>
                    {
                        Ok(true)
                    }
                    _ => names_file_and_line(&e, p, lines).map(|()| true),
                },
            }
        },
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Runs corrcause with `args`, failing the test if it runs past [`LIMIT`].
fn cli(args: &[String]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_corrcause"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Standard error is read as it comes, so a long message cannot stall the child.
    let mut pipe = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut pipe, &mut bytes).unwrap();
        bytes
    });
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let stderr = reader.join().unwrap();
            assert!(stderr.len() < 4096, "a {} byte error message", stderr.len());
            return std::process::Output {
                status,
                stdout: Vec::new(),
                stderr,
            };
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            panic!("corrcause {args:?}: no end after {LIMIT:?} (a hang)");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A command's verdict: success, or exit 1 with one `error: ` line naming `file` and a line
/// (`FILE:LINE:`), or for whole-file problems the file.
fn cli_verdict(o: &std::process::Output, file: &Path) -> Result<bool, String> {
    cli_verdict_any(o, &[file])
}

/// [`cli_verdict`] where the error may name any of `files` (the predictions that do not fit a
/// hostile dataset, say).
fn cli_verdict_any(o: &std::process::Output, files: &[&Path]) -> Result<bool, String> {
    let e = String::from_utf8_lossy(&o.stderr);
    match o.status.code() {
        Some(0) => Ok(false),
        Some(1)
            if e.starts_with("error: ")
                && files.iter().any(|f| e.contains(&f.display().to_string())) =>
        {
            Ok(true)
        }
        _ => Err(format!("exit {:?}: {e}", o.status.code())),
    }
}

#[test]
fn command_line_readers_exit_1_naming_the_file() {
    let dir = temp_dir("hostile", "cli");
    let valid = valid_dataset(&dir);
    let s = |p: &Path| p.display().to_string();
    let items = std::fs::read_to_string(valid.join("items.jsonl")).unwrap();
    let sample: String = items.lines().take(8).map(|l| format!("{l}\n")).collect();
    let good = dir.join("good.jsonl");
    std::fs::write(&good, &sample).unwrap();
    let predictions: String = sample
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            format!("{}\n", serde_json::json!({"id": v["id"], "output": "No"}))
        })
        .collect();
    let good_predictions = dir.join("good-p.jsonl");
    std::fs::write(&good_predictions, &predictions).unwrap();
    let out = dir.join("out");
    let score = |data: &Path, p: &Path| {
        vec![
            "score".into(),
            "--dataset".into(),
            s(data),
            "--predictions".into(),
            s(p),
            "--bootstrap".into(),
            "5".into(),
        ]
    };
    feed(
        "score --dataset",
        &sample,
        CLI_CASES,
        &dir,
        "d.jsonl",
        |p, _| cli_verdict_any(&cli(&score(p, &good_predictions)), &[p, &good_predictions]),
    );
    feed(
        "run --dataset",
        &sample,
        CLI_CASES,
        &dir,
        "r.jsonl",
        |p, _| {
            let args = [
                "run",
                "--dataset",
                &s(p),
                "--model",
                "baseline:oracle",
                "--out",
                &s(&out),
                "--bootstrap",
                "5",
                "--progress",
                "none",
            ];
            cli_verdict(&cli(&args.map(String::from)), p)
        },
    );
    feed(
        "score --predictions",
        &predictions,
        CLI_CASES,
        &dir,
        "p.jsonl",
        |p, _| cli_verdict(&cli(&score(&good, p)), p),
    );
    let csv = csv_sample(&valid.join("items.csv"), 8);
    feed("audit CSV", &csv, CLI_CASES, &dir, "a.csv", |p, _| {
        cli_verdict(&cli(&["audit".into(), s(p)]), p)
    });
    feed(
        "graph cpdag",
        "{\"n\": 3, \"edges\": [[0, 1], [2, 1]]}\n",
        CLI_CASES,
        &dir,
        "g.jsonl",
        |p, _| cli_verdict(&cli(&["graph".into(), "cpdag".into(), s(p)]), p),
    );
    feed(
        "import batch",
        r#"{"custom_id": "a", "response": {"status_code": 200, "body": {"choices": [{"message": {"content": "Yes"}}]}}}"#,
        CLI_CASES,
        &dir,
        "b.jsonl",
        |p, _| {
            let o = cli(&[
                "import".into(),
                "batch".into(),
                s(p),
                "-o".into(),
                s(&dir.join("i.jsonl")),
            ]);
            // Requests the provider failed end in exit 1 naming the results file too.
            cli_verdict(&o, p)
        },
    );
    let config = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/corr2cause-v2.json"),
    )
    .unwrap();
    feed(
        "generate --config",
        &config,
        CLI_CASES,
        &dir,
        "c.json",
        |p, _| {
            let o = cli(&[
                "generate".into(),
                "--config".into(),
                s(p),
                "--nodes".into(),
                "2..=3".into(),
                "--out".into(),
                s(&dir.join("g")),
            ]);
            cli_verdict(&o, p)
        },
    );
    let manifest = std::fs::read_to_string(valid.join("manifest.json")).unwrap();
    feed(
        "score on a folder's manifest",
        &manifest,
        CLI_CASES,
        &valid,
        "manifest.json",
        |p, _| {
            let o = cli(&score(&valid, &good_predictions));
            cli_verdict(&o, p.parent().unwrap())
        },
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The field at fault is named: huge numbers, NaN-like values and wrong types in valid JSON.
#[test]
fn fields_at_fault_are_named() {
    let dir = temp_dir("hostile", "fields");
    let field_of = |r: corrcause::error::Result<()>| -> (usize, Option<String>) {
        match r {
            Err(Error::Input { line, field, .. }) => (line, field),
            other => panic!("expected an input error, got {other:?}"),
        }
    };
    let write = |name: &str, text: &str| -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let good = "{\"id\": \"a\", \"label\": 1, \"premise\": \"p\", \"hypothesis\": \"h\"}\n";
    for (bad, field) in [
        ("{\"id\": \"b\", \"label\": 18446744073709551616}", "label"),
        ("{\"id\": \"b\", \"label\": -1}", "label"),
        ("{\"id\": \"b\", \"label\": 1e300}", "label"),
        ("{\"id\": \"a\", \"label\": 0}", "id"),
        ("{\"label\": 1}", "id"),
    ] {
        let p = write("d.jsonl", &format!("{good}{bad}\n"));
        assert_eq!(
            field_of(read_dataset(&p).map(|_| ())),
            (2, Some(field.to_string())),
            "{bad}"
        );
    }
    let data = write("data.jsonl", good);
    let ds = read_dataset(&data).unwrap();
    for (bad, field) in [
        ("{\"id\": \"a\", \"prediction\": 1e300}", "prediction"),
        (
            "{\"id\": \"a\", \"prediction\": 18446744073709551616}",
            "prediction",
        ),
        ("{\"id\": \"zz\", \"prediction\": 1}", "id"),
    ] {
        let p = write("p.jsonl", &format!("{bad}\n"));
        let r = read_predictions(&p, "m".into(), &ds, Duplicates::Error, false).map(|_| ());
        assert_eq!(field_of(r), (1, Some(field.to_string())), "{bad}");
    }
    let source = Source::File(dir.join("g.jsonl"));
    for (bad, field) in [
        ("{\"n\": 18446744073709551616, \"edges\": []}", "n"),
        ("{\"n\": 3, \"edges\": {}}", "edges"),
        ("{\"n\": 3, \"edges\": [], \"x\": NaN}", ""),
    ] {
        let r = corrcause::graph::json::parse_graph(bad, &source, 7).map(|_| ());
        let (line, f) = field_of(r);
        assert_eq!(line, 7);
        if !field.is_empty() {
            assert_eq!(f.as_deref(), Some(field), "{bad}");
        }
    }
    let results = write("r.jsonl", "{\"custom_id\": 5}\n");
    let r = corrcause::run::batch::import(&results, &dir.join("o.jsonl")).map(|_| ());
    assert_eq!(field_of(r), (1, Some("custom_id".into())));
    let folder = dir.join("folder");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("manifest.json"),
        "{\"files\": [{\"path\": 1e400}]}",
    )
    .unwrap();
    let (line, _) = field_of(DatasetSource::resolve(&folder, None).map(|_| ()));
    assert_eq!(line, 1);
    std::fs::write(folder.join("manifest.json"), "{\"files\": [{\"path\": 5}]}").unwrap();
    assert_eq!(
        field_of(DatasetSource::resolve(&folder, None).map(|_| ())),
        (1, Some("files[0].path".into()))
    );
    std::fs::write(
        folder.join("manifest.json"),
        "{\"files\": [{\"path\": \"../x.jsonl\"}]}",
    )
    .unwrap();
    assert_eq!(
        field_of(DatasetSource::resolve(&folder, None).map(|_| ())),
        (1, Some("files[0].path".into()))
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
