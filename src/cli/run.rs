//! `corrcause run`: the built-in baselines on a dataset (by default the `default` preset's test
//! split, generated on the fly), then the scorer's report.

use crate::dataset::{generate, Config};
use crate::error::{Error, Result};
use crate::output::Output;
use crate::run::baseline::Baseline;
use crate::run::command::run_command;
use crate::run::prompt::{shots_from, Prompt};
use crate::run::run_baseline;
use crate::score::data::{read_dataset, read_predictions, Duplicates};
use crate::score::export::{exporter, Format};
use crate::score::{score, Missing, Options, Unparsed};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct RunArgs {
    /// A corrcause JSONL dataset file (default: generate --preset on the fly).
    #[arg(long)]
    pub dataset: Option<PathBuf>,
    /// The preset generated when no --dataset is given.
    #[arg(long, default_value = "default")]
    pub preset: String,
    /// The split of the generated preset to run on.
    #[arg(long, default_value = "test")]
    pub split: String,
    /// Model specs: the built-in baselines (baseline:oracle, baseline:random,
    /// baseline:always-invalid, baseline:always-valid, baseline:correlation), or `cmd:PROGRAM ARGS`
    /// (one JSON request per line on its stdin, one JSON answer per line on its stdout).
    /// Default: the five baselines.
    #[arg(long = "model")]
    pub models: Vec<String>,
    /// Prompt for cmd: models: corr2cause (the original), cot, json, or a template file with
    /// {premise}, {hypothesis} and {input}.
    #[arg(long, default_value = "corr2cause")]
    pub prompt: String,
    /// Worked examples before each prompt (cmd: models), taken balanced and seeded from the
    /// train split beside the dataset (`train.jsonl`).
    #[arg(long, default_value_t = 0)]
    pub shots: usize,
    /// Output directory: one folder per model, and the reports of all.
    #[arg(long, default_value = "out/run")]
    pub out: PathBuf,
    /// Seed of the random baseline and of the bootstrap.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Bootstrap resamples for the intervals.
    #[arg(long, default_value_t = 1000)]
    pub bootstrap: usize,
}

/// A folder name for a model spec: letters, digits, '-', '_' and '.'.
fn slug(spec: &str) -> String {
    spec.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Runs `corrcause run`.
pub fn run(a: RunArgs) -> Result<()> {
    /// What runs a model spec.
    enum Model {
        Baseline(Baseline),
        Command(String),
    }
    let models: Vec<Model> = if a.models.is_empty() {
        Baseline::ALL.into_iter().map(Model::Baseline).collect()
    } else {
        a.models
            .iter()
            .map(|m| match Baseline::from_spec(m) {
                Some(b) => Ok(Model::Baseline(b)),
                None if m.starts_with("cmd:") => Ok(Model::Command(m.clone())),
                None => Err(Error::Usage(format!(
                    "--model {m:?}: this version runs the built-in baselines (baseline:oracle, baseline:random, baseline:always-invalid, baseline:always-valid, baseline:correlation) and cmd:PROGRAM models"
                ))),
            })
            .collect::<Result<_>>()?
    };
    let prompt = match a.prompt.as_str() {
        "corr2cause" => Prompt::Corr2Cause,
        "cot" => Prompt::ChainOfThought,
        "json" => Prompt::Json,
        path => {
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
            Prompt::template(&text).map_err(|e| Error::Usage(format!("{path}: {e}")))?
        }
    };
    std::fs::create_dir_all(&a.out).map_err(|e| Error::io(a.out.display(), e))?;
    let train_beside = |dataset: &std::path::Path| dataset.with_file_name("train.jsonl");
    let dataset = match &a.dataset {
        Some(d) => d.clone(),
        None => {
            let config = Config::preset(&a.preset).map_err(Error::Usage)?;
            let dir = a.out.join("dataset");
            generate(&config, None, &dir, &|_, _| {})?;
            let file = if config.splits.is_empty() {
                dir.join("items.jsonl")
            } else {
                dir.join(format!("{}.jsonl", a.split))
            };
            if !file.exists() {
                return Err(Error::Usage(format!(
                    "preset {} has no split {:?}",
                    a.preset, a.split
                )));
            }
            file
        }
    };
    let shots = if a.shots == 0 {
        Vec::new()
    } else {
        let train = train_beside(&dataset);
        if !train.exists() {
            return Err(Error::Usage(format!(
                "--shots takes examples from the train split, and {} does not exist",
                train.display()
            )));
        }
        if train == dataset {
            return Err(Error::Usage(
                "--shots would take examples from the items being asked; run on another split"
                    .into(),
            ));
        }
        shots_from(&train, a.shots, a.seed)?
    };
    let ds = read_dataset(&dataset)?;
    let mut predictions = Vec::new();
    for model in &models {
        let spec = match model {
            Model::Baseline(b) => b.spec().to_string(),
            Model::Command(c) => c.clone(),
        };
        let folder = a.out.join(slug(&spec));
        std::fs::create_dir_all(&folder).map_err(|e| Error::io(folder.display(), e))?;
        let file = folder.join("predictions.jsonl");
        match model {
            Model::Baseline(b) => {
                run_baseline(std::slice::from_ref(&dataset), *b, a.seed, &file)?;
            }
            Model::Command(c) => {
                let (items, new) = run_command(
                    c,
                    std::slice::from_ref(&dataset),
                    &prompt,
                    &shots,
                    &folder.join("journal.jsonl"),
                    &file,
                )?;
                eprintln!(
                    "{c}: {new} of {items} items asked now, {} from the journal",
                    items - new
                );
            }
        }
        let p = read_predictions(&file, spec.clone(), &ds, Duplicates::Error, false)?;
        let options = Options {
            unparsed: Unparsed::Wrong,
            missing: Missing::Wrong,
            bootstrap: a.bootstrap,
            seed: a.seed,
        };
        let one = score(&ds, std::slice::from_ref(&p), &options);
        let mut out = Output::open(Some(&folder.join("report.json")))?;
        out.put(exporter(Format::Json).render(&one).as_bytes())?;
        out.finish()?;
        predictions.push(p);
    }
    let report = score(
        &ds,
        &predictions,
        &Options {
            unparsed: Unparsed::Wrong,
            missing: Missing::Wrong,
            bootstrap: a.bootstrap,
            seed: a.seed,
        },
    );
    for (format, name) in [(Format::Json, "report.json"), (Format::Html, "report.html")] {
        let mut out = Output::open(Some(&a.out.join(name)))?;
        out.put(exporter(format).render(&report).as_bytes())?;
        out.finish()?;
    }
    let mut stdout = Output::open(None)?;
    stdout.put(exporter(Format::Table).render(&report).as_bytes())?;
    stdout.finish()?;
    eprintln!("predictions and reports in {}", a.out.display());
    Ok(())
}
