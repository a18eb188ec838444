//! The plan of `generate`, shared by every front end: options on top of a preset or
//! configuration file (the command line's flags, the Python `generate(out, **options)`), resolved
//! to a checked [`Config`], an output folder and a shard, then run.

use super::config::{
    parse_nodes, parse_splits, Balance, Format, Graphs, Order, PremiseChoice, RandomModel, Task,
};
use super::{generate, Config, Semantics, Shard, Summary};
use crate::causal::Relation;
use crate::error::{Error, Result};
use crate::text::{Naming, Style};
use std::path::PathBuf;

/// Options of `generate` (the command line's flags, the Python `generate(**options)`); each one
/// given overrides the preset or configuration file.
#[derive(clap::Args, Debug, Clone)]
pub struct GenerateOptions {
    /// Built-in preset to start from (see --list-presets).
    #[arg(long, default_value = "default", conflicts_with = "config")]
    pub preset: String,
    /// Configuration file (JSON, the form of datasets/*.json) to start from instead of a preset.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Output directory (default: out/<preset>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// What each item asks: pairs (a yes/no hypothesis about one pair, the default) or graph
    /// (one item per premise asking for the graph the premise determines, its CPDAG).
    #[arg(long, value_enum)]
    pub task: Option<Task>,
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
    /// Keep only items whose label is decided at these depths, comma separated (skeleton,
    /// colliders, propagation, equivalence, ambiguous); applied after balancing.
    #[arg(long)]
    pub depth: Option<String>,
    /// Down-sample to equal valid and invalid items per relation.
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
    /// Most items in one file: a larger split is written as several files
    /// (`train-00000-of-00004.jsonl`, ...), each on its own core [default: 8192].
    #[arg(long)]
    pub items_per_file: Option<usize>,
    /// Allow --premise all beyond 12 variables.
    #[arg(long)]
    pub force: bool,
}

fn usage(e: String) -> Error {
    Error::Usage(e)
}

impl GenerateOptions {
    /// The options of preset `preset` with nothing overridden but the task (as `run` generates
    /// a dataset when given none).
    pub fn from_preset(preset: &str, task: Option<Task>) -> GenerateOptions {
        GenerateOptions {
            preset: preset.to_string(),
            config: None,
            out: None,
            task,
            nodes: None,
            graphs: None,
            per_n: None,
            sampler: None,
            edge_prob: None,
            edges: None,
            max_in_degree: None,
            semantics: None,
            premise: None,
            order: None,
            names: None,
            style: None,
            relations: None,
            balance: None,
            depth: None,
            splits: None,
            seed: None,
            shard: None,
            format: None,
            items_per_file: None,
            force: false,
        }
    }

    /// The configuration the options describe, checked.
    pub fn config(&self) -> Result<Config> {
        let a = self;
        let mut c = match &a.config {
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|e| Error::reading(path.display(), e))?;
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
        if let Some(d) = &a.depth {
            c.depth = d.split(',').map(|s| s.trim().to_string()).collect();
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
        if let Some(n) = a.items_per_file {
            c.items_per_file = n;
        }
        c.force |= a.force;
        if let Some(t) = a.task {
            c.task = t;
        }
        if c.task == Task::Graph {
            if a.balance.is_some()
                || a.relations.is_some()
                || a.style.is_some()
                || a.depth.is_some()
            {
                return Err(usage(
                    "--balance, --relations, --style and --depth shape yes/no hypotheses; they do not apply to --task graph".into(),
                ));
            }
            // A preset's balancing and CSV are about hypotheses; a graph item per premise has
            // neither (an explicit --format csv is still refused by validation).
            c.balance = Balance::None;
            if a.format.is_none() {
                c.format = Format::Jsonl;
            }
        }
        c.validate().map_err(usage)?;
        Ok(c)
    }

    /// The whole plan: the configuration, the output folder (default `out/<preset>`) and the
    /// shard (`auto` read from the environment through `env`).
    pub fn plan(&self, env: impl Fn(&str) -> Option<String>) -> Result<GeneratePlan> {
        let config = self.config()?;
        let out = self.out.clone().unwrap_or_else(|| {
            PathBuf::from("out").join(config.preset.clone().unwrap_or_else(|| "custom".into()))
        });
        let shard = self
            .shard
            .as_deref()
            .map(|s| Shard::resolve(s, env))
            .transpose()
            .map_err(Error::Usage)?;
        Ok(GeneratePlan { config, out, shard })
    }
}

/// A checked `generate` request: what to write and where.
#[derive(Debug, Clone)]
pub struct GeneratePlan {
    pub config: Config,
    pub out: PathBuf,
    pub shard: Option<Shard>,
}

impl GeneratePlan {
    /// Writes the dataset (items, splits, manifest); `progress` gets (units done, units in all).
    /// The output folder is locked for the whole write, so two writers never share it.
    pub fn run(&self, progress: &(dyn Fn(usize, usize) + Sync)) -> Result<Summary> {
        let _lock = crate::output::OutputLock::folder(&self.out, "generate", "--out")?;
        generate(&self.config, self.shard, &self.out, progress)
    }

    /// The manifest written by [`GeneratePlan::run`], as text.
    pub fn manifest(&self) -> Result<String> {
        let path = self.out.join("manifest.json");
        std::fs::read_to_string(&path).map_err(|e| Error::reading(path.display(), e))
    }
}

/// What a user should be told about a finished `generate`, beyond the counts: why nothing was kept.
pub fn warning(summary: &Summary) -> Option<&'static str> {
    (summary.items == 0 && summary.premises > 0).then_some(
        "no item was kept: with --balance per-relation or hard, a relation (or surface cell) with no valid item keeps none of its invalid ones (ask for more premises, or --balance none)",
    )
}
