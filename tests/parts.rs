//! Large splits in several files (`train-00000-of-00003.jsonl`, ...): the parts in order are the
//! one-file split byte for byte, whatever the thread count; shards and `merge` give the same
//! parts; and every reader (score, run, audit, --shots) takes a split in parts as the split.

mod common;

use common::{corrcause, json_of, temp_dir};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn run_ok(args: &[&str]) -> std::process::Output {
    let out = corrcause(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn manifest(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

/// The files a manifest lists, as (name, items).
fn listed(dir: &Path) -> Vec<(String, u64)> {
    manifest(dir)["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["items"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn bytes(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap()
}

/// Every file in `a` is in `b` with the same bytes, and the other way round.
fn assert_same_files(a: &Path, b: &Path) {
    let names = |d: &Path| {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(a), names(b));
    for n in names(a) {
        assert!(bytes(a, &n) == bytes(b, &n), "{n} differs");
    }
}

const OPTIONS: [&str; 10] = [
    "--preset",
    "corr2cause-v2",
    "--nodes",
    "2..=5",
    "--format",
    "both",
    "--splits",
    "train=0.6,test=0.4",
    "--seed",
    "7",
];

fn generate(dir: &Path, extra: &[&str]) {
    let mut args = vec!["generate"];
    args.extend(OPTIONS);
    args.extend(extra);
    args.extend(["--out", s(dir)]);
    run_ok(&args);
}

#[test]
fn parts_concatenate_to_the_one_file_split_and_do_not_depend_on_threads() {
    let dir = temp_dir("parts", "concat");
    let whole = dir.join("whole");
    generate(&whole, &[]);
    let mut parted = Vec::new();
    for threads in ["1", "2", "5"] {
        let out = dir.join(format!("parted-{threads}"));
        let mut args = vec!["--threads", threads, "generate"];
        args.extend(OPTIONS);
        args.extend(["--items-per-file", "1500", "--out", s(&out)]);
        run_ok(&args);
        parted.push(out);
    }
    for other in &parted[1..] {
        assert_same_files(&parted[0], other);
    }
    let parted = &parted[0];
    let names: Vec<(String, u64)> = listed(parted);
    for split in ["train", "test"] {
        for ext in ["jsonl", "csv"] {
            let parts: Vec<&(String, u64)> = names
                .iter()
                .filter(|(n, _)| n.starts_with(&format!("{split}-")) && n.ends_with(ext))
                .collect();
            assert!(parts.len() >= 2, "{split}.{ext} is large enough for parts");
            let count = parts.len();
            let mut joined = Vec::new();
            for (k, (name, items)) in parts.iter().enumerate() {
                assert_eq!(name, &format!("{split}-{k:05}-of-{count:05}.{ext}"));
                let b = bytes(parted, name);
                if ext == "jsonl" {
                    let lines = b.iter().filter(|&&c| c == b'\n').count() as u64;
                    assert_eq!(lines, *items, "{name}");
                }
                assert!(*items <= 1500 || parts.len() == 1, "{name}: {items} items");
                // Every CSV part has the header, so that each file reads on its own.
                let body: &[u8] = if ext == "csv" && k > 0 {
                    let nl = b.iter().position(|&c| c == b'\n').unwrap();
                    assert_eq!(&b[..=nl], &bytes(parted, &parts[0].0)[..=nl]);
                    &b[nl + 1..]
                } else {
                    &b
                };
                joined.extend_from_slice(body);
            }
            assert!(
                joined == bytes(&whole, &format!("{split}.{ext}")),
                "{split}.{ext}: the parts in order are the one file"
            );
        }
    }
    // Each file's SHA-256 is the one its manifest gives.
    for f in manifest(parted)["files"].as_array().unwrap() {
        let digest = format!(
            "{:x}",
            Sha256::digest(bytes(parted, f["path"].as_str().unwrap()))
        );
        assert_eq!(f["sha256"].as_str().unwrap(), digest);
    }
    // The counts do not depend on the layout.
    assert_eq!(manifest(parted)["counts"], manifest(&whole)["counts"]);
    // The card lists each split's files for `datasets.load_dataset`.
    let card = std::fs::read_to_string(parted.join("README.md")).unwrap();
    assert!(
        card.contains("  - split: train\n    path:\n    - train-00000-of-"),
        "{card}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn shards_write_pieces_of_parts_and_merge_gives_the_unsharded_parts() {
    let dir = temp_dir("parts", "shards");
    let whole = dir.join("whole");
    generate(&whole, &["--items-per-file", "1200"]);
    let mut shards: Vec<PathBuf> = Vec::new();
    for k in 0..3 {
        let out = dir.join(format!("shard-{k}"));
        generate(
            &out,
            &["--items-per-file", "1200", "--shard", &format!("{k}/3")],
        );
        shards.push(out);
    }
    let merged = dir.join("merged");
    let mut args = vec!["merge"];
    args.extend(shards.iter().map(|p| s(p)));
    args.extend(["--out", s(&merged)]);
    run_ok(&args);
    assert_same_files(&whole, &merged);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn readers_take_a_split_in_parts_as_the_split() {
    let dir = temp_dir("parts", "readers");
    let whole = dir.join("whole");
    let parted = dir.join("parted");
    generate(&whole, &[]);
    generate(&parted, &["--items-per-file", "1000"]);
    // Scoring the oracle's answers: the same report from one file or from parts.
    for (split, shots) in [("test", "0"), ("train", "0"), ("test", "2")] {
        let report = |data: &Path| -> Value {
            let out = dir.join(format!(
                "run-{}-{split}-{shots}",
                data.file_name().unwrap().to_str().unwrap()
            ));
            run_ok(&[
                "run",
                "--dataset",
                s(data),
                "--split",
                split,
                "--shots",
                shots,
                "--model",
                "baseline:oracle",
                "--out",
                s(&out),
                "--bootstrap",
                "50",
            ]);
            let mut r: Value = serde_json::from_str(
                &std::fs::read_to_string(out.join("baseline-oracle/report.json")).unwrap(),
            )
            .unwrap();
            r.as_object_mut().unwrap().remove("dataset");
            r
        };
        let (a, b) = (report(&whole), report(&parted));
        assert_eq!(a, b, "{split}, {shots} shots");
        assert_eq!(a["models"][0]["metrics"]["accuracy"]["value"], 1.0);
        let in_split: u64 = listed(&parted)
            .iter()
            .filter(|(n, _)| n.starts_with(split) && n.ends_with(".jsonl"))
            .map(|(_, i)| i)
            .sum();
        assert_eq!(a["items"].as_u64().unwrap(), in_split, "{split}");
    }
    // Worked examples come from every part of the train split: the requests with two shots are
    // those of the one-file dataset (the seeded choice depends on the whole pool).
    let requests = |data: &Path| -> Vec<u8> {
        let out = dir.join(format!(
            "{}-shots.jsonl",
            data.file_name().unwrap().to_str().unwrap()
        ));
        run_ok(&[
            "export",
            "batch",
            "--dataset",
            s(data),
            "--model",
            "m",
            "--shots",
            "2",
            "-o",
            s(&out),
        ]);
        std::fs::read(out).unwrap()
    };
    assert!(requests(&whole) == requests(&parted));
    // The audit reads every part of the split, rows numbered over them all.
    let audit = |data: &Path| {
        json_of(&run_ok(&[
            "audit",
            s(data),
            "--split",
            "train",
            "--format",
            "json",
        ]))
    };
    let (a, b) = (audit(&whole), audit(&parted));
    assert_eq!(a, b);
    let train_items: u64 = listed(&parted)
        .iter()
        .filter(|(n, _)| n.starts_with("train-") && n.ends_with(".jsonl"))
        .map(|(_, i)| i)
        .sum();
    assert_eq!(a["rows"].as_u64().unwrap(), train_items);
    assert_eq!(a["disagreements"].as_array().unwrap().len(), 0);
    std::fs::remove_dir_all(&dir).unwrap();
}
