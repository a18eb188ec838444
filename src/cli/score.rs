//! `corrcause score`: the library's [`ScoreSession`] over prediction files, as a table, JSON,
//! Markdown or HTML.

use crate::dataset::DatasetSource;
use crate::error::{Error, Result};
use crate::output::Output;
use crate::score::export::{exporter, Format};
use crate::score::graph::data::{is_graph_dataset, read_graph_dataset, read_graph_predictions};
use crate::score::graph::{report as graph_report, score_graph};
use crate::score::plan::{model_name, ScoreOptions, ScoreSession};
use crate::score::Options;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ScoreArgs {
    #[command(flatten)]
    pub options: ScoreOptions,
    /// A prediction file (JSON lines with `id` and `output` or `prediction`), or a harness log
    /// (lm-eval's samples_*.jsonl, inspect's .eval or .json); repeat for more models.
    #[arg(long = "predictions", required = true)]
    pub predictions: Vec<PathBuf>,
    /// A name for each prediction file, in order (default: the model named by the
    /// `manifest.json` beside it, as `corrcause run` and `merge` write, else the model a harness
    /// log names, else the file stem).
    #[arg(long = "name")]
    pub names: Vec<String>,
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
    let source = DatasetSource::resolve(&a.options.dataset, a.options.split.as_deref())?;
    if is_graph_dataset(&source)? {
        return run_graph(&a, &source);
    }
    let mut session = ScoreSession::open(a.options)?;
    for (k, path) in a.predictions.iter().enumerate() {
        session.add_file(path, a.names.get(k).cloned(), a.explain_parse)?;
    }
    let mut out = Output::open(a.out.as_deref())?;
    if a.explain_parse {
        for p in &session.predictions {
            for (id, output, reading) in &p.readings {
                let line = serde_json::json!({"model": p.name, "id": id, "output": output, "answer": reading.answer.as_str(), "how": reading.how});
                out.put(format!("{line}\n").as_bytes())?;
            }
        }
        return out.finish();
    }
    out.put(exporter(a.format).render(&session.report()).as_bytes())?;
    out.finish()
}

/// `corrcause score` on graph items: the causal-discovery metrics.
fn run_graph(a: &ScoreArgs, source: &DatasetSource) -> Result<()> {
    let ds = read_graph_dataset(source)?;
    let o = &a.options;
    let mut predictions = Vec::new();
    for (k, path) in a.predictions.iter().enumerate() {
        predictions.push(read_graph_predictions(
            path,
            a.names.get(k).cloned().unwrap_or_else(|| model_name(path)),
            &ds,
            o.duplicates == "last",
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
            unparsed: o.unparsed,
            missing: o.missing,
            bootstrap: o.bootstrap,
            seed: o.seed,
        },
    );
    out.put(graph_report::render(&report, a.format).as_bytes())?;
    out.finish()
}
