//! `corrcause score`: model answers against a dataset, as a table, JSON, Markdown or HTML.

use crate::error::{Error, Result};
use crate::output::Output;
use crate::score::data::{read_dataset, read_predictions, Duplicates};
use crate::score::export::{exporter, Format};
use crate::score::graph::data::{is_graph_dataset, read_graph_dataset, read_graph_predictions};
use crate::score::graph::{report as graph_report, score_graph};
use crate::score::{score, Missing, Options, Unparsed};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ScoreArgs {
    /// The dataset: a corrcause JSONL file or dataset directory, or a Corr2Cause CSV.
    #[arg(long)]
    pub dataset: PathBuf,
    /// A prediction file (JSON lines with `id` and `output` or `prediction`); repeat for more models.
    #[arg(long = "predictions", required = true)]
    pub predictions: Vec<PathBuf>,
    /// A name for each prediction file, in order (default: the model named by the
    /// `manifest.json` beside it, as `corrcause run` and `merge` write, else the file stem).
    #[arg(long = "name")]
    pub names: Vec<String>,
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
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to this file (atomically).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print how each raw answer was read, and nothing else.
    #[arg(long)]
    pub explain_parse: bool,
}

/// Runs `corrcause score`.
pub fn run(a: ScoreArgs) -> Result<()> {
    if !a.names.is_empty() && a.names.len() != a.predictions.len() {
        return Err(Error::Usage(format!(
            "{} --name for {} --predictions files",
            a.names.len(),
            a.predictions.len()
        )));
    }
    if is_graph_dataset(&a.dataset)? {
        return run_graph(&a);
    }
    let ds = read_dataset(&a.dataset)?;
    let duplicates = if a.duplicates == "last" {
        Duplicates::Last
    } else {
        Duplicates::Error
    };
    let mut predictions = Vec::new();
    for (k, path) in a.predictions.iter().enumerate() {
        let name = model_name(&a, k, path);
        predictions.push(read_predictions(
            path,
            name,
            &ds,
            duplicates,
            a.explain_parse,
        )?);
    }
    let mut out = Output::open(a.out.as_deref())?;
    if a.explain_parse {
        for p in &predictions {
            for (id, output, reading) in &p.readings {
                let line = serde_json::json!({"model": p.name, "id": id, "output": output, "answer": reading.answer.as_str(), "how": reading.how});
                out.put(format!("{line}\n").as_bytes())?;
            }
        }
        return out.finish();
    }
    let report = score(
        &ds,
        &predictions,
        &Options {
            unparsed: a.unparsed,
            missing: a.missing,
            bootstrap: a.bootstrap,
            seed: a.seed,
        },
    );
    out.put(exporter(a.format).render(&report).as_bytes())?;
    out.finish()
}

/// The name of the `k`-th prediction file: `--name`, else the model named by the
/// `manifest.json` beside it (as `corrcause run` and `merge` write), else the file stem.
fn model_name(a: &ScoreArgs, k: usize, path: &std::path::Path) -> String {
    let from_manifest = || {
        let text = std::fs::read_to_string(path.with_file_name("manifest.json")).ok()?;
        let m: serde_json::Value = serde_json::from_str(&text).ok()?;
        m.pointer("/config/model")?.as_str().map(str::to_string)
    };
    a.names
        .get(k)
        .cloned()
        .or_else(from_manifest)
        .unwrap_or_else(|| {
            path.file_stem().map_or_else(
                || path.display().to_string(),
                |s| s.to_string_lossy().into_owned(),
            )
        })
}

/// `corrcause score` on graph items: the causal-discovery metrics.
fn run_graph(a: &ScoreArgs) -> Result<()> {
    let ds = read_graph_dataset(&a.dataset)?;
    let mut predictions = Vec::new();
    for (k, path) in a.predictions.iter().enumerate() {
        predictions.push(read_graph_predictions(
            path,
            model_name(a, k, path),
            &ds,
            a.duplicates == "last",
            a.explain_parse,
        )?);
    }
    let mut out = Output::open(a.out.as_deref())?;
    if a.explain_parse {
        for p in &predictions {
            for (id, output, reading) in &p.readings {
                let item = &ds.items[ds.index[id.as_str()] as usize];
                let (answer, why) = match &reading.answer {
                    Ok(g) => (g.to_json(&item.variables), serde_json::Value::Null),
                    Err(e) => (serde_json::Value::Null, serde_json::json!(e)),
                };
                let line = serde_json::json!({"model": p.name, "id": id, "output": output, "answer": answer, "how": reading.how, "unparsed": why});
                out.put(format!("{line}\n").as_bytes())?;
            }
        }
        return out.finish();
    }
    let report = score_graph(
        &ds,
        &predictions,
        &Options {
            unparsed: a.unparsed,
            missing: a.missing,
            bootstrap: a.bootstrap,
            seed: a.seed,
        },
    );
    out.put(graph_report::render(&report, a.format).as_bytes())?;
    out.finish()
}
