//! The plan of `run`, shared by every front end: options (the command line's flags, a Python
//! `run(**options)`) resolved to a checked [`RunPlan`] (the prompt, the models, the output folder,
//! the shard), started as a [`RunSession`] that holds the output folder and the dataset, and run
//! model by model. Showing progress and catching signals stay with the front end, which hands
//! over a [`Display`] and an [`Interrupt`]; scoring the answers is the scorer's
//! (`score::plan::run_and_score`).

use super::ask::{ask_all, Options as AskOptions, Retry, Summary as AskSummary};
use super::backend::Backend;
use super::baseline::Baseline;
use super::cache::Cache;
use super::command::CommandBackend;
use super::openai::{AnswerShape, Api, Constrain, OpenAi, Settings};
use super::progress::Display;
use super::prompt::{shots_from, Prompt, Shot};
use super::stop::{Interrupt, GIVE_UP_AFTER};
use super::{count_items, run_baseline};
use crate::dataset::config::Task;
use crate::dataset::manifest::{self, file_entry, hash_file};
use crate::dataset::plan::GenerateOptions;
use crate::dataset::source::is_graph_dataset;
use crate::dataset::{generate, DatasetSource, Shard};
use crate::error::{Error, Result};
use crate::output::OutputLock;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Options of `run` (the command line's flags, a Python `run(**options)`).
#[derive(clap::Args, Debug, Clone)]
pub struct RunOptions {
    /// The dataset: a folder `corrcause generate` wrote, a corrcause JSONL file, or a Corr2Cause
    /// CSV (default: generate --preset on the fly).
    #[arg(long)]
    pub dataset: Option<PathBuf>,
    /// The preset generated when no --dataset is given.
    #[arg(long, default_value = "default")]
    pub preset: String,
    /// The task of the generated preset: pairs (yes/no items) or graph (one item per premise
    /// asking for its CPDAG); a --dataset says its own.
    #[arg(long, value_enum, conflicts_with = "dataset")]
    pub task: Option<Task>,
    /// The split to run on, of a dataset folder or of the preset generated (default: test when
    /// it has splits; `all` for every split).
    #[arg(long)]
    pub split: Option<String>,
    /// Model specs (repeat for several): `openai:MODEL@BASE_URL` (any OpenAI-compatible server,
    /// e.g. openai:qwen2.5-7b@http://127.0.0.1:8000/v1), `cmd:PROGRAM ARGS` (one JSON request per
    /// line on its stdin, one JSON answer per line on its stdout), or the built-in baselines
    /// (baseline:oracle, baseline:random, baseline:always-invalid, baseline:always-valid,
    /// baseline:correlation; on graph items baseline:empty and baseline:complete instead of the
    /// always-* ones). Default: the five baselines of the task.
    #[arg(long = "model")]
    pub models: Vec<String>,
    #[command(flatten)]
    pub prompt: PromptOptions,
    /// Requests in flight (default: 8 for openai:, 1 for cmd:, which starts one program per job).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// At most this many requests per second (all jobs together).
    #[arg(long)]
    pub rps: Option<f64>,
    /// Seconds one request may take before it counts as failed and is retried.
    #[arg(long, default_value_t = 120.0)]
    pub timeout: f64,
    /// Retries of a request after timeouts, dropped connections, 429 and 5xx.
    #[arg(long, default_value_t = 8)]
    pub retries: u32,
    /// The first retry's delay in milliseconds; it doubles each time (up to 60 s), with jitter,
    /// and is never shorter than the server's Retry-After.
    #[arg(long, default_value_t = 500)]
    pub backoff_ms: u64,
    /// Stop the run when, for this many seconds, nothing but refused or dropped connections,
    /// timeouts and 5xx came (at least 5 in a row; for cmd:, programs dying before their first
    /// answer): the server is gone. Exit status 75; the same command goes on later.
    #[arg(long, default_value_t = GIVE_UP_AFTER.as_secs_f64())]
    pub give_up_after: f64,
    /// Reuse answers across runs and datasets: a content-addressed cache keyed by the model,
    /// its parameters and the exact prompt.
    #[arg(long)]
    pub cache: Option<PathBuf>,
    /// Progress: a bar on a terminal, else a line every 10 s (auto), or bar, lines, none.
    #[arg(long, default_value = "auto", value_parser = ["auto", "bar", "lines", "none"])]
    pub progress: String,
    /// openai: the environment variable holding the API key (sent as a bearer token, never
    /// written anywhere).
    #[arg(long)]
    pub api_key_env: Option<String>,
    #[command(flatten)]
    pub request: RequestOptions,
    /// Output directory: one folder per model, and the reports of all.
    #[arg(long, default_value = "out/run")]
    pub out: PathBuf,
    /// Seed of the random baseline and of the bootstrap.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Bootstrap resamples for the intervals.
    #[arg(long, default_value_t = 1000)]
    pub bootstrap: usize,
    /// Ask only part k of n of the items (from 0), or `auto` for the task of a Slurm job array.
    /// Each part goes to OUT/shard-k-of-n; `corrcause merge` joins the parts into exactly what one
    /// run writes, and `corrcause score` scores the result.
    #[arg(long)]
    pub shard: Option<String>,
}

/// How items are put to a model.
#[derive(clap::Args, Debug, Clone)]
pub struct PromptOptions {
    /// Prompt for models: corr2cause (the original), cot, json, or a template file with
    /// {premise}, {hypothesis} and {input}.
    #[arg(long, default_value = "corr2cause")]
    pub prompt: String,
    /// Worked examples before each prompt, seeded, from the train split beside the dataset
    /// (`train.jsonl`): yes/no items balanced between the labels, graph items with their target.
    #[arg(long, default_value_t = 0)]
    pub shots: usize,
}

impl PromptOptions {
    /// The prompt template.
    pub fn prompt(&self) -> Result<Prompt> {
        Ok(match self.prompt.as_str() {
            "corr2cause" => Prompt::Corr2Cause,
            "cot" => Prompt::ChainOfThought,
            "json" => Prompt::Json,
            path => {
                let text = std::fs::read_to_string(path).map_err(|e| Error::reading(path, e))?;
                Prompt::template(&text).map_err(|e| Error::Usage(format!("{path}: {e}")))?
            }
        })
    }

    /// The worked examples for items of `dataset`, from the train split beside it: the train
    /// files its folder's manifest lists (one, or several parts), else `train.jsonl`.
    pub fn shots(&self, dataset: &Path, seed: u64) -> Result<Vec<Shot>> {
        if self.shots == 0 {
            return Ok(Vec::new());
        }
        let folder = dataset.parent().unwrap_or(Path::new("."));
        let listed = folder.join("manifest.json").exists().then(|| {
            crate::dataset::DatasetSource::resolve(folder, Some("train")).map(|s| s.files)
        });
        let train = match listed {
            Some(Ok(files)) => files,
            _ => vec![dataset.with_file_name("train.jsonl")],
        };
        if let Some(missing) = train.iter().find(|t| !t.exists()) {
            return Err(Error::Usage(format!(
                "--shots takes examples from the train split, and {} does not exist",
                missing.display()
            )));
        }
        if train.iter().any(|t| t == dataset) {
            return Err(Error::Usage(
                "--shots would take examples from the items being asked; run on another split"
                    .into(),
            ));
        }
        shots_from(&train, self.shots, seed)
    }
}

/// What an OpenAI-compatible request carries besides the prompt.
#[derive(clap::Args, Debug, Clone)]
pub struct RequestOptions {
    /// openai: which endpoint: chat (BASE_URL/chat/completions) or completions.
    #[arg(long, value_enum, default_value_t = Api::Chat)]
    pub api: Api,
    /// openai: a system message (chat), or text before the prompt (completions).
    #[arg(long)]
    pub system: Option<String>,
    /// openai: sampling temperature.
    #[arg(long, default_value_t = 0.0)]
    pub temperature: f64,
    /// openai: the most tokens to write (default: 1024 for --prompt cot, else 16).
    #[arg(long)]
    pub max_tokens: Option<u32>,
    /// openai: the server's sampling seed.
    #[arg(long)]
    pub model_seed: Option<u64>,
    /// openai: a stop string (repeat for several).
    #[arg(long)]
    pub stop: Vec<String>,
    /// openai: force the answer's form where the server supports it: a GBNF grammar
    /// (llama.cpp) or a JSON schema (response_format).
    #[arg(long, value_enum, default_value_t = Constrain::None)]
    pub constrain: Constrain,
    /// openai: ask for log-probabilities and answer with the likelier of the two answer tokens
    /// (its probability is kept).
    #[arg(long)]
    pub logprobs: bool,
}

impl RequestOptions {
    /// The request settings for items put with `prompt`.
    pub fn settings(&self, prompt: &Prompt, graph: bool) -> Result<Settings, String> {
        if graph && (self.constrain != Constrain::None || self.logprobs) {
            return Err("--constrain and --logprobs shape a yes/no answer; graph items are answered with edges".into());
        }
        if self.constrain != Constrain::None && *prompt == Prompt::ChainOfThought {
            return Err(
                "--constrain leaves no room for the reasoning --prompt cot asks for; use one or the other".into(),
            );
        }
        Ok(Settings {
            api: self.api,
            system: self.system.clone(),
            temperature: self.temperature,
            max_tokens: Some(
                self.max_tokens
                    .unwrap_or(if *prompt == Prompt::ChainOfThought {
                        1024
                    } else if graph {
                        512
                    } else {
                        16
                    }),
            ),
            seed: self.model_seed,
            stop: self.stop.clone(),
            constrain: self.constrain,
            shape: if *prompt == Prompt::Json {
                AnswerShape::Json
            } else {
                AnswerShape::Word
            },
            logprobs: self.logprobs,
        })
    }
}

/// What runs a model spec: a built-in baseline in process, or a model asked through a backend.
pub enum Model {
    Baseline(Baseline),
    Asked(Box<dyn Backend>),
}

impl Model {
    /// The model's spec, as given (or a baseline's canonical one).
    pub fn spec(&self) -> String {
        match self {
            Model::Baseline(b) => b.spec().to_string(),
            Model::Asked(backend) => backend.spec().to_string(),
        }
    }
}

impl RunOptions {
    /// How progress is shown, as `progress` says (`auto`: [`Display::auto`]).
    pub fn display(&self) -> Display {
        match self.progress.as_str() {
            "bar" => Display::Bar,
            "lines" => Display::Lines(Duration::from_secs(10)),
            "none" => Display::Quiet,
            _ => Display::auto(),
        }
    }

    /// The checked plan: the prompt, whether items are graph items, the models, the cache, the
    /// shard (`auto` read from the environment through `env`) and the output folder.
    pub fn plan(&self, env: impl Fn(&str) -> Option<String>) -> Result<RunPlan> {
        let a = self;
        let prompt = a.prompt.prompt()?;
        let graph = match &a.dataset {
            Some(d) => is_graph_dataset(&DatasetSource::resolve(d, a.split.as_deref())?)?,
            None => a.task == Some(Task::Graph),
        };
        let models = if a.models.is_empty() {
            let defaults = if graph {
                Baseline::GRAPH
            } else {
                Baseline::ALL
            };
            defaults.into_iter().map(Model::Baseline).collect()
        } else {
            a.models
                .iter()
                .map(|m| a.model(m, &prompt, graph))
                .collect::<Result<_>>()?
        };
        let cache = a.cache.as_deref().map(Cache::open).transpose()?;
        if a.timeout.is_nan() || a.timeout <= 0.0 {
            return Err(Error::Usage(format!(
                "--timeout {}: give a positive number of seconds",
                a.timeout
            )));
        }
        if !(a.give_up_after.is_finite() && a.give_up_after > 0.0) {
            return Err(Error::Usage(format!(
                "--give-up-after {}: give a positive number of seconds",
                a.give_up_after
            )));
        }
        if let Some(rps) = a.rps {
            if rps.is_nan() || rps <= 0.0 {
                return Err(Error::Usage(format!("--rps {rps}: give a positive rate")));
            }
        }
        let shard = a
            .shard
            .as_deref()
            .map(|s| Shard::resolve(s, env))
            .transpose()
            .map_err(Error::Usage)?;
        let base = match shard {
            Some(s) => a.out.join(format!("shard-{}-of-{}", s.index, s.count)),
            None => a.out.clone(),
        };
        Ok(RunPlan {
            options: a.clone(),
            prompt,
            graph,
            models,
            cache,
            shard,
            base,
        })
    }

    /// What runs the model spec `m`.
    fn model(&self, m: &str, prompt: &Prompt, graph: bool) -> Result<Model> {
        if let Some(b) = Baseline::from_spec(m) {
            if !b.answers(graph) {
                return Err(Error::Usage(format!(
                    "--model {m}: it does not answer {} items (graph items: baseline:oracle, baseline:empty, baseline:correlation, baseline:complete, baseline:random; yes/no items: baseline:oracle, baseline:random, baseline:always-invalid, baseline:always-valid, baseline:correlation)",
                    if graph { "graph" } else { "yes/no" }
                )));
            }
            Ok(Model::Baseline(b))
        } else if m.starts_with("cmd:") {
            let b = CommandBackend::new(m).map_err(|e| Error::Usage(format!("--model: {e}")))?;
            Ok(Model::Asked(Box::new(b)))
        } else if m.starts_with("openai:") {
            Ok(Model::Asked(Box::new(self.openai_model(m, prompt, graph)?)))
        } else {
            Err(Error::Usage(format!(
                "--model {m:?}: write openai:MODEL@BASE_URL, cmd:PROGRAM ARGS, or a baseline (baseline:oracle, baseline:random, baseline:always-invalid, baseline:always-valid, baseline:correlation)"
            )))
        }
    }

    /// An `openai:` model with the request settings of the options.
    fn openai_model(&self, spec: &str, prompt: &Prompt, graph: bool) -> Result<OpenAi> {
        let usage = |m: String| Error::Usage(format!("--model {spec}: {m}"));
        let api_key = match &self.api_key_env {
            None => None,
            Some(var) => match std::env::var(var) {
                Ok(key) if !key.is_empty() => Some(key),
                _ => {
                    return Err(usage(format!(
                        "--api-key-env {var}: that environment variable is not set"
                    )))
                }
            },
        };
        let settings = self.request.settings(prompt, graph).map_err(usage)?;
        OpenAi::new(
            spec,
            settings,
            api_key,
            Duration::from_secs_f64(self.timeout),
        )
        .map_err(usage)
    }
}

/// A checked `run` request: the models to run and where their answers go.
pub struct RunPlan {
    pub options: RunOptions,
    pub prompt: Prompt,
    /// Whether the items are graph items (one per premise, answered with edges).
    pub graph: bool,
    pub models: Vec<Model>,
    pub cache: Option<Cache>,
    pub shard: Option<Shard>,
    /// The folder this process writes: `--out`, or its `shard-k-of-n` folder.
    pub base: PathBuf,
}

impl RunPlan {
    /// Locks the output folder (held until the session ends), generates the preset's dataset
    /// when none was given, and reads what the models will be asked.
    pub fn start(self) -> Result<RunSession> {
        let a = &self.options;
        // One writer per output folder, from before anything is written until the end.
        let lock = OutputLock::folder(&self.base, "run", "--out")?;
        let given = match &a.dataset {
            Some(d) => d.clone(),
            None => {
                let config = GenerateOptions::from_preset(&a.preset, a.task).config()?;
                let dir = a.out.join("dataset");
                // The shards of one run share this folder: each waits for the one generating it.
                let _generating = OutputLock::folder_waiting(&dir, "run")?;
                generate(&config, None, &dir, &|_, _| {})?;
                dir
            }
        };
        let source = DatasetSource::resolve(&given, a.split.as_deref())?;
        let files = source.jsonl_files(&self.base.join("items"))?;
        let shots = a.prompt.shots(&source.files[0], a.seed)?;
        let (dataset_sha256, total) = dataset_identity(&files)?;
        Ok(RunSession {
            plan: self,
            source,
            files,
            shots,
            dataset_sha256,
            total,
            _lock: lock,
        })
    }
}

/// A started run: its output folder locked, its dataset read.
pub struct RunSession {
    pub plan: RunPlan,
    /// The dataset the models are asked.
    pub source: DatasetSource,
    files: Vec<PathBuf>,
    shots: Vec<Shot>,
    dataset_sha256: String,
    /// Items in the dataset (all shards).
    pub total: usize,
    _lock: OutputLock,
}

/// One model's finished run.
pub struct ModelRun {
    /// The model's spec.
    pub spec: String,
    /// Its folder: predictions, journal, manifest.
    pub folder: PathBuf,
    /// Its prediction file.
    pub predictions: PathBuf,
    /// Items answered.
    pub answered: usize,
    /// Items left without an answer after every retry.
    pub failed: usize,
    /// For a model asked through a backend, what the asking did.
    pub asked: Option<AskSummary>,
}

/// What a whole run leaves to tell: items some model did not answer.
pub struct RunOutcome {
    /// One line per model that left items unanswered.
    pub unanswered: Vec<String>,
}

impl RunOutcome {
    /// The end of a run: an error when items are left without an answer.
    pub fn finish(self) -> Result<()> {
        if !self.unanswered.is_empty() {
            return Err(Error::Model {
                model: "run".into(),
                message: format!(
                    "{}; they count as wrong in the report. Run the same command again to ask only them.",
                    self.unanswered.join("; ")
                ),
            });
        }
        Ok(())
    }
}

impl RunSession {
    /// Runs every model in turn, writing each one's predictions and manifest under its folder,
    /// and hands each finished one to `done` before the next starts. Stops (with
    /// [`Error::Stopped`]) when `interrupt` fires or a model stops answering as a whole.
    pub fn run(
        &self,
        interrupt: &Interrupt,
        display: Display,
        done: &mut dyn FnMut(&ModelRun) -> Result<()>,
    ) -> Result<RunOutcome> {
        let plan = &self.plan;
        let a = &plan.options;
        // The items to ask, by position: all, or this shard's part (known, so not counted again).
        let items = Some(plan.shard.map_or(0..self.total, |s| s.range(self.total)));
        let mut unanswered = Vec::new();
        for model in &plan.models {
            interrupt.check()?;
            let spec = model.spec();
            let folder = plan.base.join(slug(&spec));
            std::fs::create_dir_all(&folder)
                .map_err(|e| Error::io_at("creating folder", folder.display(), e))?;
            let file = folder.join("predictions.jsonl");
            let mut parameters = serde_json::Value::Null;
            let mut asked = None;
            // A baseline's file is hashed as it is written; a model's (resumed from its journal)
            // once it is complete.
            let mut written = None;
            let (answered, failed) = match model {
                Model::Baseline(b) => {
                    let w = run_baseline(&self.files, *b, a.seed, &file, items.clone())?;
                    let n = w.items;
                    written = Some(w);
                    (n, 0)
                }
                Model::Asked(backend) => {
                    let options = AskOptions {
                        jobs: a.jobs.unwrap_or_else(|| backend.default_jobs()),
                        rps: a.rps,
                        retry: Retry {
                            retries: a.retries,
                            base: Duration::from_millis(a.backoff_ms),
                            max: Duration::from_secs(60),
                        },
                        cache: plan.cache.clone(),
                        display,
                        items: items.clone(),
                        give_up_after: Duration::from_secs_f64(a.give_up_after),
                        interrupt: interrupt.clone(),
                    };
                    parameters = serde_json::Value::Object(backend.parameters());
                    let s = ask_all(
                        backend.as_ref(),
                        &self.files,
                        &plan.prompt,
                        &self.shots,
                        &folder.join("journal.jsonl"),
                        &file,
                        &options,
                    )?;
                    if let Some(s) = &s.stopped {
                        return Err(s.error());
                    }
                    if let Some((id, message)) = s.failed.first() {
                        unanswered.push(format!(
                            "{spec}: {} items got no answer after {} retries (item {id:?}: {message})",
                            s.failed.len(),
                            a.retries
                        ));
                    }
                    let counts = (s.items - s.failed.len(), s.failed.len());
                    asked = Some(s);
                    counts
                }
            };
            // What `corrcause merge` checks and joins: the run's configuration, the shard, the file.
            let run_manifest = serde_json::json!({
                "corrcause_version": env!("CARGO_PKG_VERSION"),
                "kind": "predictions",
                "config": {
                    "model": spec,
                    "prompt": a.prompt.prompt,
                    "shots": a.prompt.shots,
                    "seed": a.seed,
                    "parameters": parameters,
                },
                "dataset": {"sha256": self.dataset_sha256, "items": self.total},
                "shard": plan.shard,
                "items": answered,
                "unanswered": failed,
                "files": [match &written {
                    Some(w) => manifest::entry("predictions.jsonl", &w.sha256, w.bytes, answered),
                    None => file_entry(&folder, "predictions.jsonl", answered)?,
                }],
            });
            manifest::write(&folder, &run_manifest)?;
            done(&ModelRun {
                spec,
                folder,
                predictions: file,
                answered,
                failed,
                asked,
            })?;
        }
        interrupt.check()?;
        Ok(RunOutcome { unanswered })
    }
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

/// The SHA-256 and item count of the dataset `files` (for several files, their hashes joined by
/// `+`).
fn dataset_identity(files: &[PathBuf]) -> Result<(String, usize)> {
    let mut hashes = Vec::new();
    let mut total = 0;
    for f in files {
        let (sha256, items) = file_identity(f)?;
        hashes.push(sha256);
        total += items;
    }
    Ok((hashes.join("+"), total))
}

/// The SHA-256 and item count of a dataset file: from the manifest beside it when that lists the
/// file with its current size (as `generate` and `merge` write it), else computed.
fn file_identity(dataset: &Path) -> Result<(String, usize)> {
    let listed = || -> Option<(String, usize)> {
        let dir = dataset.parent()?;
        let name = dataset.file_name()?.to_str()?;
        let size = std::fs::metadata(dataset).ok()?.len();
        let m = manifest::read(dir).ok()?;
        let f = m["files"]
            .as_array()?
            .iter()
            .find(|f| f["path"] == name && f["bytes"].as_u64() == Some(size))?;
        Some((
            f["sha256"].as_str()?.to_string(),
            f["items"].as_u64()? as usize,
        ))
    };
    match listed() {
        Some(identity) => Ok(identity),
        None => Ok((
            hash_file(dataset)?.0,
            count_items(std::slice::from_ref(&dataset.to_path_buf()))?,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        options: RunOptions,
    }

    fn options(args: &[&str]) -> RunOptions {
        Cli::parse_from(std::iter::once("run").chain(args.iter().copied())).options
    }

    fn usage_error(args: &[&str]) -> String {
        match options(args).plan(|_| None) {
            Err(Error::Usage(m)) => m,
            Err(e) => panic!("{args:?}: not a usage error: {e}"),
            Ok(_) => panic!("{args:?}: accepted"),
        }
    }

    #[test]
    fn bad_options_are_refused_before_anything_is_written() {
        let out =
            std::env::temp_dir().join(format!("corrcause-run-plan-bad-{}", std::process::id()));
        let o = out.to_str().unwrap();
        assert_eq!(
            usage_error(&["--out", o, "--timeout", "0"]),
            "--timeout 0: give a positive number of seconds"
        );
        assert_eq!(
            usage_error(&["--out", o, "--rps=-1"]),
            "--rps -1: give a positive rate"
        );
        assert!(usage_error(&["--out", o, "--model", "nope"]).starts_with("--model \"nope\""));
        assert!(usage_error(&["--out", o, "--model", "baseline:empty"])
            .contains("it does not answer yes/no items"));
        assert!(usage_error(&["--out", o, "--shard", "auto"]).contains("auto"));
        assert!(!out.exists(), "a refused plan wrote {}", out.display());
    }

    #[test]
    fn a_session_answers_every_item_with_each_model_in_turn() {
        let dir = std::env::temp_dir().join(format!("corrcause-run-plan-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let data = dir.join("data");
        let mut generate_options = GenerateOptions::from_preset("default", None);
        generate_options.nodes = Some("3,4".into());
        generate_options.graphs = Some("exhaustive".into());
        generate_options.splits = Some("none".into());
        generate(&generate_options.config().unwrap(), None, &data, &|_, _| {}).unwrap();
        let out = dir.join("out");
        let plan = options(&[
            "--dataset",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--model",
            "baseline:oracle",
            "--model",
            "baseline:always-valid",
        ])
        .plan(|_| None)
        .unwrap();
        assert!(!plan.graph && plan.shard.is_none());
        let session = plan.start().unwrap();
        let mut seen = Vec::new();
        let outcome = session
            .run(&Interrupt::new(), Display::Quiet, &mut |m| {
                seen.push((m.spec.clone(), m.answered, m.folder.clone()));
                Ok(())
            })
            .unwrap();
        assert!(outcome.unanswered.is_empty());
        // The labels as the generator wrote them, by id.
        let text = std::fs::read_to_string(&session.source.files[0]).unwrap();
        let labels: std::collections::HashMap<String, i64> = text
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                (
                    v["id"].as_str().unwrap().to_string(),
                    v["label"].as_i64().unwrap(),
                )
            })
            .collect();
        assert!(
            labels.len() > 10
                && labels.values().any(|&l| l == 0)
                && labels.values().any(|&l| l == 1)
        );
        let specs: Vec<&str> = seen.iter().map(|(s, _, _)| s.as_str()).collect();
        assert_eq!(specs, ["baseline:oracle", "baseline:always-valid"]);
        for (spec, answered, folder) in &seen {
            assert_eq!(*answered, labels.len(), "{spec}");
            assert_eq!(*folder, out.join(slug(spec)));
            let predictions = std::fs::read_to_string(folder.join("predictions.jsonl")).unwrap();
            let mut ids = std::collections::HashSet::new();
            for line in predictions.lines() {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                let id = v["id"].as_str().unwrap();
                assert!(ids.insert(id.to_string()), "{spec}: {id} twice");
                let expected = match spec.as_str() {
                    "baseline:oracle" if labels[id] == 1 => "valid",
                    "baseline:oracle" => "invalid",
                    _ => "valid",
                };
                assert_eq!(v["answer"], expected, "{spec}: {id}");
            }
            assert_eq!(ids.len(), labels.len());
            let m = manifest::read(folder).unwrap();
            assert_eq!(m["config"]["model"], spec.as_str());
            assert_eq!(m["dataset"]["items"], labels.len());
        }
        // A fired interrupt stops the next model from starting.
        drop(session);
        let interrupt = Interrupt::new();
        interrupt.trigger(2);
        let session = options(&[
            "--dataset",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .plan(|_| None)
        .unwrap()
        .start()
        .unwrap();
        let mut models = 0;
        let stopped = session.run(&interrupt, Display::Quiet, &mut |_| {
            models += 1;
            Ok(())
        });
        assert!(matches!(stopped, Err(Error::Stopped { .. })));
        assert_eq!(models, 0);
        drop(session);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
