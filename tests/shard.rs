//! Runs that outgrow one machine: `generate --shard` and `run --shard` in separate processes (as
//! the tasks of a Slurm array would), then `corrcause merge`: the merged output is byte for byte
//! what one process writes, and merge refuses missing, repeated, altered or mixed shards.

mod common;

use common::{corrcause, temp_dir};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Runs one `corrcause` process per argument list at once, with extra environment variables,
/// and checks that all succeed.
/// A command line and the environment variables it runs with.
type Process<'a> = (Vec<String>, Vec<(&'a str, String)>);

fn all_at_once(runs: Vec<Process>) {
    let children: Vec<_> = runs
        .into_iter()
        .map(|(args, env)| {
            Command::new(env!("CARGO_BIN_EXE_corrcause"))
                .args(&args)
                .envs(env)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    names
}

fn assert_same_files(a: &Path, b: &Path) {
    assert_eq!(files_in(a), files_in(b));
    for name in files_in(a) {
        assert!(
            std::fs::read(a.join(&name)).unwrap() == std::fs::read(b.join(&name)).unwrap(),
            "{name} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

/// `corrcause merge SHARDS... --out OUT`, which must succeed.
fn merge_into(shards: impl Iterator<Item = PathBuf>, out: &Path) {
    let mut args: Vec<String> = vec!["merge".into()];
    args.extend(shards.map(|p| s(&p)));
    args.extend(["--out".into(), s(out)]);
    let run = corrcause(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

#[test]
fn sharded_generation_merges_into_the_unsharded_dataset() {
    let dir = temp_dir("shard", "generate");
    let whole = dir.join("whole");
    let args = |out: &Path| -> Vec<String> {
        [
            "generate",
            "--preset",
            "default",
            "--format",
            "both",
            "--out",
            &s(out),
        ]
        .map(String::from)
        .to_vec()
    };
    assert!(
        corrcause(&args(&whole).iter().map(String::as_str).collect::<Vec<_>>())
            .status
            .success()
    );
    // Three tasks of a Slurm array numbered from 1, as `--shard auto` reads them.
    let parts: Vec<PathBuf> = (0..3).map(|k| dir.join(format!("part{k}"))).collect();
    all_at_once(
        parts
            .iter()
            .enumerate()
            .map(|(k, p)| {
                let mut a = args(p);
                a.extend(["--shard".into(), "auto".into()]);
                let env = vec![
                    ("SLURM_ARRAY_TASK_ID", (k + 1).to_string()),
                    ("SLURM_ARRAY_TASK_MIN", "1".to_string()),
                    ("SLURM_ARRAY_TASK_COUNT", "3".to_string()),
                ];
                (a, env)
            })
            .collect(),
    );
    let merged = dir.join("merged");
    merge_into(parts.iter().rev().cloned(), &merged); // any order
    assert_same_files(&whole, &merged);

    // What merge refuses, each with a message naming the problem.
    let refuse = |dirs: &[&Path], says: &str| {
        let mut a = vec!["merge".to_string()];
        a.extend(dirs.iter().map(|d| s(d)));
        a.extend(["--out".into(), s(&dir.join("refused"))]);
        let out = corrcause(&a.iter().map(String::as_str).collect::<Vec<_>>());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "merge should refuse ({says})");
        assert!(stderr.contains(says), "{stderr}");
    };
    refuse(&[&parts[0], &parts[2]], "shards 1 of 3 are missing");
    refuse(&[&parts[0], &parts[1], &parts[1]], "given twice");
    refuse(&[&whole, &parts[1]], "is not a shard");
    // A shard of another configuration.
    let other = dir.join("other");
    let mut a = args(&other);
    a.extend(["--seed", "7", "--shard", "2/3"].map(String::from));
    assert!(corrcause(&a.iter().map(String::as_str).collect::<Vec<_>>())
        .status
        .success());
    refuse(&[&parts[0], &parts[1], &other], "different runs");
    // A file changed after its manifest was written.
    let test_file = parts[1].join("test.jsonl");
    let mut bytes = std::fs::read(&test_file).unwrap();
    bytes.truncate(bytes.len() - 10);
    std::fs::write(&test_file, bytes).unwrap();
    refuse(
        &[&parts[0], &parts[1], &parts[2]],
        "not the one in its manifest",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sharded_runs_merge_into_the_unsharded_predictions_and_report() {
    let dir = temp_dir("shard", "run");
    let data = dir.join("data");
    assert!(
        corrcause(&["generate", "--preset", "default", "--out", &s(&data)])
            .status
            .success()
    );
    let dataset = s(&data.join("test.jsonl"));
    let run = |out: &Path, extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = ["run", "--dataset", &dataset, "--model", "baseline:oracle"]
            .map(String::from)
            .to_vec();
        a.extend(
            [
                "--model",
                "baseline:random",
                "--out",
                &s(out),
                "--bootstrap",
                "50",
            ]
            .map(String::from),
        );
        a.extend(extra.iter().map(|x| x.to_string()));
        a
    };
    let whole = dir.join("whole");
    let one = corrcause(
        &run(&whole, &[])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert!(
        one.status.success(),
        "{}",
        String::from_utf8_lossy(&one.stderr)
    );
    let sharded = dir.join("sharded");
    all_at_once(
        (0..4)
            .map(|k| (run(&sharded, &["--shard", &format!("{k}/4")]), Vec::new()))
            .collect(),
    );
    assert!(
        !sharded.join("report.json").exists(),
        "a shard does not score"
    );
    let merged = dir.join("merged");
    merge_into(
        (0..4).map(|k| sharded.join(format!("shard-{k}-of-4"))),
        &merged,
    );
    for model in ["baseline-oracle", "baseline-random"] {
        for file in ["predictions.jsonl", "manifest.json"] {
            assert!(
                std::fs::read(whole.join(model).join(file)).unwrap()
                    == std::fs::read(merged.join(model).join(file)).unwrap(),
                "{model}/{file}"
            );
        }
    }
    // Scoring the merged predictions gives the unsharded run's report.
    let scored = corrcause(&[
        "score",
        "--dataset",
        &dataset,
        "--predictions",
        &s(&merged.join("baseline-oracle").join("predictions.jsonl")),
        "--name",
        "baseline:oracle",
        "--bootstrap",
        "50",
        "--format",
        "json",
    ]);
    let from_merge = common::json_of(&scored);
    let from_run: serde_json::Value = serde_json::from_slice(
        &std::fs::read(whole.join("baseline-oracle").join("report.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(from_merge, from_run);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Runs one of `scripts/slurm/*.sbatch` as Slurm would, for the array tasks `tasks` at once
/// (none: a plain job).
fn sbatch(script: &str, work: &Path, tasks: Option<usize>, extra: &[(&str, &str)]) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts/slurm")
        .join(script);
    let ids: Vec<Option<usize>> = match tasks {
        Some(n) => (0..n).map(Some).collect(),
        None => vec![None],
    };
    let children: Vec<_> = ids
        .iter()
        .map(|id| {
            let mut c = Command::new("bash");
            c.arg(&path)
                .env("CORRCAUSE", env!("CARGO_BIN_EXE_corrcause"))
                .env("WORK", work)
                .envs(extra.iter().copied())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            if let (Some(k), Some(n)) = (id, tasks) {
                c.env("SLURM_ARRAY_TASK_ID", k.to_string())
                    .env("SLURM_ARRAY_TASK_COUNT", n.to_string())
                    .env("SLURM_ARRAY_TASK_MIN", "0");
            }
            c.spawn().unwrap()
        })
        .collect();
    children
        .into_iter()
        .map(|child| {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{script}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap()
        })
        .collect()
}

#[test]
fn the_slurm_example_works_with_array_tasks_as_local_processes() {
    let dir = temp_dir("shard", "slurm");
    let work = dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    let env = [
        ("PRESET", "default"),
        ("MODEL", "baseline:oracle"),
        ("RUN_ARGS", "--bootstrap 20"),
    ];
    sbatch("generate.sbatch", &work, Some(3), &env);
    sbatch("merge-dataset.sbatch", &work, None, &env);
    sbatch("run.sbatch", &work, Some(3), &env);
    let table = sbatch("score.sbatch", &work, None, &env).concat();
    assert!(table.contains("baseline:oracle"), "{table}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(work.join("report.json")).unwrap()).unwrap();
    let test_items = std::fs::read_to_string(work.join("dataset/test.jsonl"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(report["models"][0]["items"], test_items);
    assert_eq!(report["models"][0]["missing"], 0);
    assert_eq!(report["models"][0]["metrics"]["f1"]["value"], 1.0);
    assert!(work.join("report.html").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
