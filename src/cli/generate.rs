//! `corrcause generate`: options on top of a preset or configuration file.

use crate::causal::Relation;
use crate::dataset::config::{
    parse_nodes, parse_splits, Balance, Format, Graphs, Order, PremiseChoice, RandomModel, PRESETS,
};
use crate::dataset::{generate, Config, Semantics};
use crate::error::{Error, Result};
use crate::text::{Naming, Style};
use clap::Args;
use std::io::IsTerminal;
use std::path::PathBuf;

/// Options of `corrcause generate`; each one given overrides the preset or configuration file.
#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Built-in preset to start from (see --list-presets).
    #[arg(long, default_value = "default", conflicts_with = "config")]
    pub preset: String,
    /// Configuration file (JSON, the form of datasets/*.json) to start from instead of a preset.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Output directory (default: out/<preset>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// List the presets and exit.
    #[arg(long)]
    pub list_presets: bool,
    /// Numbers of variables: a range (2..=6) or a list (3,5,8).
    #[arg(long)]
    pub nodes: Option<String>,
    /// exhaustive (every MEC up to isomorphism, N <= 7) or random.
    #[arg(long, value_parser = ["exhaustive", "random"])]
    pub graphs: Option<String>,
    /// Distinct MECs per N for --graphs random.
    #[arg(long)]
    pub per_n: Option<usize>,
    /// Random graph model for --graphs random.
    #[arg(long, value_enum)]
    pub sampler: Option<RandomModel>,
    /// Edge probability for --sampler er.
    #[arg(long)]
    pub edge_prob: Option<f64>,
    /// Number of edges for --sampler edges.
    #[arg(long)]
    pub edges: Option<usize>,
    /// Largest number of parents per node (er and edges samplers).
    #[arg(long)]
    pub max_in_degree: Option<usize>,
    /// intended (correct labels) or released (the published Corr2Cause data, defects included).
    #[arg(long, value_parser = ["intended", "released"])]
    pub semantics: Option<String>,
    /// Premise form: all, minimal, basis, or auto (all up to 6 variables, minimal beyond).
    #[arg(long, value_enum)]
    pub premise: Option<PremiseChoice>,
    /// Statement order inside a premise.
    #[arg(long, value_enum)]
    pub order: Option<Order>,
    /// Variable names: letters, reversed, shuffled or words.
    #[arg(long)]
    pub names: Option<Naming>,
    /// Hypothesis wording: original or paraphrased.
    #[arg(long)]
    pub style: Option<Style>,
    /// Relations to ask about, comma separated (parent,non-parent_ancestor,child,...).
    #[arg(long)]
    pub relations: Option<String>,
    /// Down-sample to equal valid and invalid items per relation (per-relation), or match them on
    /// surface cells so that shallow readers are at chance (hard).
    #[arg(long, value_enum)]
    pub balance: Option<Balance>,
    /// Splits by premise, e.g. train=0.8,dev=0.1,test=0.1, or `none`.
    #[arg(long)]
    pub splits: Option<String>,
    /// Seed of every random choice.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Write only part k of n (from 0), or `auto` for the task of a Slurm job array; `corrcause
    /// merge` joins the parts into exactly the unsharded dataset.
    #[arg(long)]
    pub shard: Option<String>,
    /// Files to write.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Allow --premise all beyond 12 variables.
    #[arg(long)]
    pub force: bool,
}

fn usage(e: String) -> Error {
    Error::Usage(e)
}

/// The configuration the arguments describe.
pub fn config_of(a: &GenerateArgs) -> Result<Config> {
    let mut c = match &a.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(path.display(), e))?;
            Config::from_json(&text)
                .map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?
        }
        None => Config::preset(&a.preset).map_err(usage)?,
    };
    if let Some(n) = &a.nodes {
        c.nodes = parse_nodes(n).map_err(usage)?;
    }
    match a.graphs.as_deref() {
        Some("exhaustive") => c.graphs = Graphs::Exhaustive,
        Some(_) if !matches!(c.graphs, Graphs::Random { .. }) => {
            c.graphs = Graphs::Random {
                per_n: 100,
                sampler: RandomModel::Er,
                edge_prob: 0.3,
                edges: None,
                max_in_degree: None,
            }
        }
        _ => {}
    }
    if let Graphs::Random {
        per_n,
        sampler,
        edge_prob,
        edges,
        max_in_degree,
    } = &mut c.graphs
    {
        if let Some(k) = a.per_n {
            *per_n = k;
        }
        if let Some(s) = a.sampler {
            *sampler = s;
        }
        if let Some(p) = a.edge_prob {
            *edge_prob = p;
        }
        if a.edges.is_some() {
            *edges = a.edges;
        }
        if a.max_in_degree.is_some() {
            *max_in_degree = a.max_in_degree;
        }
    } else if a.per_n.is_some()
        || a.sampler.is_some()
        || a.edge_prob.is_some()
        || a.edges.is_some()
        || a.max_in_degree.is_some()
    {
        return Err(usage(
            "--per-n, --sampler, --edge-prob, --edges and --max-in-degree need --graphs random"
                .into(),
        ));
    }
    if let Some(s) = a.semantics.as_deref() {
        c.semantics = if s == "released" {
            Semantics::Released
        } else {
            Semantics::Intended
        };
    }
    if let Some(p) = a.premise {
        c.premise = p;
    }
    if let Some(o) = a.order {
        c.order = o;
    }
    if let Some(n) = a.names {
        c.names = n;
    }
    if let Some(s) = a.style {
        c.style = s;
    }
    if let Some(r) = &a.relations {
        c.relations = r
            .split(',')
            .map(|s| {
                s.parse::<Relation>()
                    .map_err(|e| usage(format!("--relations: {e}")))
            })
            .collect::<Result<_>>()?;
    }
    if let Some(b) = a.balance {
        c.balance = b;
    }
    if let Some(s) = &a.splits {
        c.splits = if s == "none" {
            Vec::new()
        } else {
            parse_splits(s).map_err(usage)?
        };
    }
    if let Some(s) = a.seed {
        c.seed = s;
    }
    if let Some(f) = a.format {
        c.format = f;
    }
    c.force |= a.force;
    c.validate().map_err(usage)?;
    Ok(c)
}

/// Runs `corrcause generate`.
pub fn run(a: GenerateArgs) -> Result<()> {
    if a.list_presets {
        for (name, what, _) in PRESETS {
            println!("{name:24} {what}");
        }
        return Ok(());
    }
    let config = config_of(&a)?;
    let out = a.out.clone().unwrap_or_else(|| {
        PathBuf::from("out").join(config.preset.clone().unwrap_or_else(|| "custom".into()))
    });
    let bar = std::io::stderr().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} premises  {elapsed} (eta {eta})",
            )
            .expect("valid template"),
        );
        b
    });
    let progress = |done: usize, total: usize| {
        if let Some(b) = &bar {
            b.set_length(total as u64);
            b.set_position(done as u64);
        }
    };
    let shard = super::shard_arg(a.shard.as_deref())?;
    let summary = generate(&config, shard, &out, &progress)?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if summary.items == 0 && summary.premises > 0 {
        eprintln!("warning: no item was kept: with --balance per-relation or hard, a relation (or surface cell) with no valid item keeps none of its invalid ones (ask for more premises, or --balance none)");
    }
    eprintln!(
        "wrote {} items from {} premises to {}",
        summary.items,
        summary.premises,
        out.display()
    );
    Ok(())
}
