//! The session of `score`, shared by every front end: the dataset read once, each model's answers
//! (prediction files, or answers handed over in memory by the Python `score`), then the report;
//! and the scoring of a `run` ([`run_and_score`]) as its models finish.

use super::data::{
    predictions_from_answers, read_dataset_from, read_predictions, Dataset, Duplicates, Given,
    Predictions,
};
use super::export::{exporter, Format};
use super::graph::data::{
    graph_predictions_from_answers, is_graph_dataset, read_graph_dataset, read_graph_predictions,
    GraphDataset, GraphPredictions,
};
use super::graph::{report as graph_report, score_graph, GraphReport};
use super::{score, Missing, Options, Report, Unparsed};
use crate::dataset::DatasetSource;
use crate::error::Result;
use crate::output::Output;
use crate::run::plan::{ModelRun, RunOutcome, RunSession};
use crate::run::progress::Display;
use crate::run::stop::Interrupt;
use std::path::{Path, PathBuf};

/// Options of `score` (the command line's flags, the Python `score(dataset, predictions, **options)`).
#[derive(clap::Args, Debug, Clone)]
pub struct ScoreOptions {
    /// The dataset: a folder `corrcause generate` wrote, a corrcause JSONL file, or a Corr2Cause
    /// CSV.
    #[arg(long)]
    pub dataset: PathBuf,
    /// The split of a dataset folder (default: test when it has splits; `all` for every split).
    #[arg(long)]
    pub split: Option<String>,
    /// What an unreadable answer counts as.
    #[arg(long, value_enum, default_value_t = Unparsed::Wrong)]
    pub unparsed: Unparsed,
    /// What an item with no prediction counts as.
    #[arg(long, value_enum, default_value_t = Missing::Wrong)]
    pub missing: Missing,
    /// Two predictions for one id: an error, or keep the last.
    #[arg(long, value_parser = ["error", "last"], default_value = "error")]
    pub duplicates: String,
    /// Bootstrap resamples for the intervals.
    #[arg(long, default_value_t = 1000)]
    pub bootstrap: usize,
    /// Seed of the bootstrap.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// A dataset being scored and the answers of each model added so far: yes/no items, or graph
/// items (the causal-discovery metrics), as the dataset holds; every front end goes through it,
/// so none decides which.
pub struct ScoreSession {
    scored: Scored,
    options: ScoreOptions,
}

/// The dataset of a [`ScoreSession`] (or of a `run`) and the models' answers, by the task its
/// items pose.
enum Scored {
    Pairs(Dataset, Vec<Predictions>),
    Graph(GraphDataset, Vec<GraphPredictions>),
}

impl Scored {
    /// Reads `source`'s items: graph items when `graph`, else yes/no items.
    fn read(source: &DatasetSource, graph: bool) -> Result<Scored> {
        Ok(if graph {
            Scored::Graph(read_graph_dataset(source)?, Vec::new())
        } else {
            Scored::Pairs(read_dataset_from(source)?, Vec::new())
        })
    }

    /// Adds a model's prediction file; with `last`, a repeated id's last answer counts (else a
    /// repeated id is an error).
    fn add_file(&mut self, path: &Path, name: String, last: bool, keep: bool) -> Result<()> {
        match self {
            Scored::Pairs(ds, predictions) => {
                let duplicates = if last {
                    Duplicates::Last
                } else {
                    Duplicates::Error
                };
                predictions.push(read_predictions(path, name, ds, duplicates, keep)?);
            }
            Scored::Graph(ds, predictions) => {
                predictions.push(read_graph_predictions(path, name, ds, last, keep)?);
            }
        }
        Ok(())
    }

    /// How many models have been added.
    fn models(&self) -> usize {
        match self {
            Scored::Pairs(_, predictions) => predictions.len(),
            Scored::Graph(_, predictions) => predictions.len(),
        }
    }

    /// The report over the models added from the `from`th on.
    fn report(&self, from: usize, options: &Options) -> RunReport {
        match self {
            Scored::Pairs(ds, p) => RunReport::Pairs(score(ds, &p[from..], options)),
            Scored::Graph(ds, p) => RunReport::Graph(score_graph(ds, &p[from..], options)),
        }
    }
}

impl ScoreSession {
    /// Reads the dataset of `options`, yes/no or graph items as its first line says.
    pub fn open(options: ScoreOptions) -> Result<ScoreSession> {
        let source = DatasetSource::resolve(&options.dataset, options.split.as_deref())?;
        let scored = Scored::read(&source, is_graph_dataset(&source)?)?;
        Ok(ScoreSession { scored, options })
    }

    /// Adds a prediction file, named `name` or else as [`model_name`] says; `keep_readings` keeps
    /// how every raw answer was read.
    pub fn add_file(
        &mut self,
        path: &Path,
        name: Option<String>,
        keep_readings: bool,
    ) -> Result<()> {
        let last = self.options.duplicates == "last";
        let name = name.unwrap_or_else(|| model_name(path));
        self.scored.add_file(path, name, last, keep_readings)
    }

    /// Adds one model's answers given in memory, by item id.
    pub fn add_answers(&mut self, name: String, answers: Vec<(String, Given)>) -> Result<()> {
        match &mut self.scored {
            Scored::Pairs(ds, predictions) => {
                predictions.push(predictions_from_answers(name, ds, answers, false)?);
            }
            Scored::Graph(ds, predictions) => {
                predictions.push(graph_predictions_from_answers(name, ds, answers, false)?);
            }
        }
        Ok(())
    }

    /// The report over every model added.
    pub fn report(&self) -> RunReport {
        let o = &self.options;
        let options = Options {
            unparsed: o.unparsed,
            missing: o.missing,
            bootstrap: o.bootstrap,
            seed: o.seed,
        };
        self.scored.report(0, &options)
    }

    /// How each raw answer kept (`keep_readings`) was read, one JSON object per answer in the
    /// order added: `{"model", "id", "output", "answer", "how"}`, and for graph items the
    /// answer as a graph and why an unread one was not read (`unparsed`).
    pub fn readings(&self) -> Vec<serde_json::Value> {
        use serde_json::{json, Value};
        match &self.scored {
            Scored::Pairs(_, predictions) => predictions
                .iter()
                .flat_map(|p| {
                    p.readings.iter().map(|(id, output, reading)| {
                        json!({"model": p.name, "id": id, "output": output, "answer": reading.answer.as_str(), "how": reading.how})
                    })
                })
                .collect(),
            Scored::Graph(ds, predictions) => predictions
                .iter()
                .flat_map(|p| {
                    p.readings.iter().map(|(id, output, reading)| {
                        let item = &ds.items[ds.index[id.as_str()] as usize];
                        let (answer, why) = match &reading.answer {
                            Ok(g) => (g.to_json(&item.variables), Value::Null),
                            Err(e) => (Value::Null, json!(e)),
                        };
                        json!({"model": p.name, "id": id, "output": output, "answer": answer, "how": reading.how, "unparsed": why})
                    })
                })
                .collect(),
        }
    }
}

/// The model a prediction file belongs to: the one named by the `manifest.json` beside it (as
/// `corrcause run` and `merge` write), else the model a harness log names, else the file stem.
pub fn model_name(path: &Path) -> String {
    let from_manifest = || {
        let text = std::fs::read_to_string(path.with_file_name("manifest.json")).ok()?;
        let m: serde_json::Value = serde_json::from_str(&text).ok()?;
        m.pointer("/config/model")?.as_str().map(str::to_string)
    };
    from_manifest()
        .or_else(|| super::harness::model_name(path))
        .unwrap_or_else(|| {
            path.file_stem().map_or_else(
                || path.display().to_string(),
                |s| s.to_string_lossy().into_owned(),
            )
        })
}

/// The report of a whole `run`: yes/no or graph metrics; none for a shard, which only answers
/// (the merged parts are scored).
pub enum RunReport {
    Pairs(Report),
    Graph(GraphReport),
    Shard,
}

impl RunReport {
    /// The report in `format`; empty for a shard.
    pub fn render(&self, format: Format) -> String {
        match self {
            RunReport::Pairs(r) => exporter(format).render(r),
            RunReport::Graph(r) => graph_report::render(r, format),
            RunReport::Shard => String::new(),
        }
    }
}

/// Runs every model of `session` and scores them: each model's `report.json` in its folder as
/// it finishes (after `done` has seen it), then the report of all in `report.json` and
/// `report.html` under `--out`. Unread and missing answers count as wrong. The outcome says
/// which items were left unanswered; the front end shows the report before it ends the run.
pub fn run_and_score(
    session: &RunSession,
    interrupt: &Interrupt,
    display: Display,
    done: &mut dyn FnMut(&ModelRun),
) -> Result<(RunReport, RunOutcome)> {
    run_and_score_keeping(session, interrupt, display, done)
        .map(|(report, outcome, _)| (report, outcome))
}

/// The items and answers a run scored (none for a shard), handed back by
/// [`run_and_score_keeping`]: a command that exits next leaves them to the process rather than
/// free a million items one by one on one thread (about 13 ms for corr2cause-v2).
pub struct ScoredItems {
    _kept: Option<Scored>,
}

/// [`run_and_score`], handing back what it read to score.
pub fn run_and_score_keeping(
    session: &RunSession,
    interrupt: &Interrupt,
    display: Display,
    done: &mut dyn FnMut(&ModelRun),
) -> Result<(RunReport, RunOutcome, ScoredItems)> {
    let a = &session.plan.options;
    // Scoring needs every item: a shard only answers, and the merged parts are scored.
    let unsharded = session.plan.shard.is_none();
    let mut scored = unsharded
        .then(|| Scored::read(&session.source, session.plan.graph))
        .transpose()?;
    let scoring = Options {
        unparsed: Unparsed::Wrong,
        missing: Missing::Wrong,
        bootstrap: a.bootstrap,
        seed: a.seed,
    };
    // The last model's own report; with one model it is the whole run's.
    let mut last = None;
    let outcome = session.run(interrupt, display, &mut |m| {
        done(m);
        let Some(s) = &mut scored else {
            return Ok(());
        };
        s.add_file(&m.predictions, m.spec.clone(), false, false)?;
        let one = s.report(s.models() - 1, &scoring);
        write_report(&m.folder.join("report.json"), &one, Format::Json)?;
        last = Some(one);
        Ok(())
    })?;
    let Some(s) = scored else {
        return Ok((RunReport::Shard, outcome, ScoredItems { _kept: None }));
    };
    let report = match last {
        Some(one) if s.models() == 1 => one,
        _ => s.report(0, &scoring),
    };
    for (format, name) in [(Format::Json, "report.json"), (Format::Html, "report.html")] {
        write_report(&a.out.join(name), &report, format)?;
    }
    Ok((report, outcome, ScoredItems { _kept: Some(s) }))
}

/// Writes `report` in `format` to `path`, atomically.
fn write_report(path: &Path, report: &RunReport, format: Format) -> Result<()> {
    let mut out = Output::open(Some(path))?;
    out.put(report.render(format).as_bytes())?;
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(dataset: PathBuf) -> ScoreOptions {
        ScoreOptions {
            dataset,
            split: None,
            unparsed: Unparsed::Wrong,
            missing: Missing::Wrong,
            duplicates: "error".into(),
            bootstrap: 10,
            seed: 0,
        }
    }

    #[test]
    fn answers_in_memory_and_in_a_file_score_alike() {
        let dir = std::env::temp_dir().join(format!("corrcause-plan-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ds = dir.join("d.jsonl");
        let labels = [("a", 1), ("b", 0), ("c", 1), ("d", 0)];
        let text: String = labels
            .iter()
            .map(|(id, l)| format!("{{\"id\":\"{id}\",\"label\":{l}}}\n"))
            .collect();
        std::fs::write(&ds, text).unwrap();
        // a right, b wrong, c right (a decided value), d right: 3 of 4.
        let given = vec![
            ("a".to_string(), Given::Output("Yes".into())),
            ("b".to_string(), Given::Output("Yes, it does.".into())),
            ("c".to_string(), Given::Prediction(serde_json::json!(true))),
            ("d".to_string(), Given::Prediction(serde_json::json!(0))),
        ];
        let preds = dir.join("model-x.jsonl");
        std::fs::write(
            &preds,
            "{\"id\":\"a\",\"output\":\"Yes\"}\n{\"id\":\"b\",\"output\":\"Yes, it does.\"}\n{\"id\":\"c\",\"prediction\":true}\n{\"id\":\"d\",\"prediction\":0}\n",
        )
        .unwrap();
        let mut s = ScoreSession::open(options(ds.clone())).unwrap();
        s.add_answers("memory".into(), given).unwrap();
        s.add_file(&preds, None, false).unwrap();
        let RunReport::Pairs(report) = s.report() else {
            panic!("yes/no items give the yes/no report")
        };
        assert_eq!(report.models.len(), 2);
        for m in &report.models {
            assert_eq!(m.metrics["accuracy"].value, 0.75, "{}", m.name);
        }
        let names: Vec<&str> = report.models.iter().map(|m| m.name.as_str()).collect();
        assert!(names.contains(&"memory") && names.contains(&"model-x"));
        let unknown = vec![("z".to_string(), Given::Output("Yes".into()))];
        let e = s.add_answers("m".into(), unknown).unwrap_err().to_string();
        assert_eq!(e, "prediction for \"z\": not an item of the dataset");
    }
}
