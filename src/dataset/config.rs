//! What a dataset is made of: the full configuration of `corrcause generate`, its presets, and the
//! checks that reject configurations that cannot be honoured.

use super::corr2cause::Semantics;
use crate::causal::Relation;
use crate::text::{Naming, PremiseForm, Style};
use serde::{Deserialize, Serialize};

/// Where the graphs of a dataset come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Graphs {
    /// Corr2Cause's construction: one premise per MEC up to isomorphism (N <= 7).
    Exhaustive,
    /// Seeded random DAGs, `per_n` distinct MECs for each N.
    Random {
        per_n: usize,
        sampler: RandomModel,
        #[serde(default = "default_edge_prob")]
        edge_prob: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        edges: Option<usize>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_in_degree: Option<usize>,
    },
}

fn default_edge_prob() -> f64 {
    0.3
}

/// Random DAG models for [`Graphs::Random`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum RandomModel {
    Er,
    Edges,
    Uniform,
}

/// Which premise form each N gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum PremiseChoice {
    All,
    Minimal,
    Basis,
    /// `all` up to 6 nodes (as Corr2Cause), `minimal` beyond, where the full list grows too long.
    Auto,
}

impl PremiseChoice {
    /// The form used for graphs on `n` nodes.
    pub fn form(self, n: usize) -> PremiseForm {
        match self {
            PremiseChoice::All => PremiseForm::All,
            PremiseChoice::Minimal => PremiseForm::Minimal,
            PremiseChoice::Basis => PremiseForm::Basis,
            PremiseChoice::Auto if n <= 6 => PremiseForm::All,
            PremiseChoice::Auto => PremiseForm::Minimal,
        }
    }
}

/// Order of the statements inside a premise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    /// Corr2Cause's: by node, then conditioning set.
    Canonical,
    /// A seeded random order (correlations first, then independences, each shuffled).
    Shuffled,
}

/// Down-sampling of the majority label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Balance {
    None,
    /// Equal numbers of valid and invalid items for each relation (seeded choice).
    PerRelation,
    /// Within each relation and split, valid and invalid items matched on surface cells (stated
    /// correlation, ever separated, N, binned mention counts), so shallow readers are at chance;
    /// more graphs are drawn where cells lack a label (see `dataset::hard`).
    Hard,
}

/// What each item asks: one yes/no hypothesis about a pair, or the whole causal graph.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// One item per pair and relation: is the hypothesis valid? (Corr2Cause's task.)
    #[default]
    Pairs,
    /// One item per premise: which graph (the CPDAG) does the premise determine?
    Graph,
}

impl Task {
    /// Whether this is the default task (left out of configurations written).
    pub fn is_pairs(&self) -> bool {
        *self == Task::Pairs
    }
}

/// Which files are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Jsonl,
    Csv,
    Both,
}

/// One split and its share of the premises.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Split {
    pub name: String,
    pub fraction: f64,
}

/// The complete configuration of a dataset; recorded in its manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Name of the preset this configuration came from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// What each item asks (`pairs` when absent).
    #[serde(default, skip_serializing_if = "Task::is_pairs")]
    pub task: Task,
    /// Numbers of variables.
    pub nodes: Vec<usize>,
    pub graphs: Graphs,
    #[serde(default = "default_semantics")]
    pub semantics: Semantics,
    #[serde(default = "default_premise")]
    pub premise: PremiseChoice,
    #[serde(default = "default_order")]
    pub order: Order,
    #[serde(default = "default_names")]
    pub names: Naming,
    #[serde(default = "default_style")]
    pub style: Style,
    /// Relations asked about, in Corr2Cause's order.
    #[serde(default = "default_relations", with = "relation_names")]
    pub relations: Vec<Relation>,
    #[serde(default = "default_balance")]
    pub balance: Balance,
    /// Keep only items whose label is decided at these depths (`skeleton`, `colliders`,
    /// `propagation`, `equivalence`, `ambiguous`), chosen after balancing; empty keeps all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depth: Vec<String>,
    /// Splits by premise; none means one file of all items.
    #[serde(default)]
    pub splits: Vec<Split>,
    #[serde(default)]
    pub seed: u64,
    #[serde(default = "default_format")]
    pub format: Format,
    /// Allow `premise: all` beyond 12 nodes.
    #[serde(default)]
    pub force: bool,
    /// Most items in one file; a larger split is written as several (see [`super::parts`]).
    #[serde(
        default = "default_items_per_file",
        skip_serializing_if = "is_default_items_per_file"
    )]
    pub items_per_file: usize,
}

fn default_items_per_file() -> usize {
    super::parts::DEFAULT_ITEMS_PER_FILE
}
fn is_default_items_per_file(n: &usize) -> bool {
    *n == super::parts::DEFAULT_ITEMS_PER_FILE
}

fn default_semantics() -> Semantics {
    Semantics::Intended
}
fn default_premise() -> PremiseChoice {
    PremiseChoice::All
}
fn default_order() -> Order {
    Order::Canonical
}
fn default_names() -> Naming {
    Naming::Letters
}
fn default_style() -> Style {
    Style::Original
}
fn default_relations() -> Vec<Relation> {
    Relation::ALL.to_vec()
}
fn default_balance() -> Balance {
    Balance::None
}
fn default_format() -> Format {
    Format::Jsonl
}

mod relation_names {
    use crate::causal::Relation;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(rs: &[Relation], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(rs.iter().map(|r| r.as_str()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Relation>, D::Error> {
        let names: Vec<String> = Vec::deserialize(d)?;
        names
            .iter()
            .map(|n| n.parse().map_err(serde::de::Error::custom))
            .collect()
    }
}

/// The built-in presets: name, what it is, and its configuration file (also in `datasets/`).
pub const PRESETS: &[(&str, &str, &str)] = &[
    (
        "corr2cause-v2-released",
        "the published Corr2Cause v2 data exactly, wrong labels included (N = 2..6, 207,972 items)",
        include_str!("../../datasets/corr2cause-v2-released.json"),
    ),
    (
        "corr2cause-v2",
        "Corr2Cause v2's graphs and text with correct d-separation and labels",
        include_str!("../../datasets/corr2cause-v2.json"),
    ),
    (
        "default",
        "our benchmark: N = 5..10, shuffled names, compact premises beyond N = 6, hard-balanced (shallow readers at chance), split",
        include_str!("../../datasets/default.json"),
    ),
];

/// Largest N for which `premise: all` is allowed without `force` (it lists C(N,2) * 2^(N-2)).
pub const MAX_ALL_PREMISE_NODES: usize = 12;

impl Config {
    /// Parses a configuration file's text.
    pub fn from_json(text: &str) -> Result<Config, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// The configuration of a built-in preset.
    pub fn preset(name: &str) -> Result<Config, String> {
        let (_, _, text) = PRESETS.iter().find(|(n, _, _)| *n == name).ok_or_else(|| {
            let names: Vec<&str> = PRESETS.iter().map(|(n, _, _)| *n).collect();
            format!("unknown preset {name:?} (presets: {})", names.join(", "))
        })?;
        let mut config = Config::from_json(text).map_err(|e| format!("preset {name}: {e}"))?;
        config.preset = Some(name.to_string());
        Ok(config)
    }

    /// Rejects configurations that cannot be honoured, saying why and what to change.
    pub fn validate(&self) -> Result<(), String> {
        if self.nodes.is_empty() {
            return Err("--nodes lists no number of variables".into());
        }
        if self.items_per_file == 0 {
            return Err("--items-per-file must be at least 1".into());
        }
        if let Some(&n) = self.nodes.iter().find(|&&n| n < 2) {
            return Err(format!("--nodes {n}: a premise needs at least 2 variables"));
        }
        let mut sorted = self.nodes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() != self.nodes.len() {
            return Err("--nodes lists a number twice".into());
        }
        let max = *sorted.last().expect("not empty");
        match &self.graphs {
            Graphs::Exhaustive if max > 7 => {
                return Err(format!("--graphs exhaustive supports up to 7 variables, not {max} (use --graphs random)"));
            }
            Graphs::Random { per_n, .. } if *per_n == 0 => {
                return Err("--per-n must be at least 1".into());
            }
            Graphs::Random { .. } if max > 20 => {
                return Err(format!(
                    "random graphs are supported up to 20 variables, not {max}"
                ));
            }
            _ => {}
        }
        for &n in &self.nodes {
            if self.premise.form(n) == PremiseForm::All && n > MAX_ALL_PREMISE_NODES && !self.force
            {
                return Err(format!(
                    "--premise all at {n} variables lists C({n},2)*2^{} = {} statements per premise; use --premise minimal or basis, or --force",
                    n - 2,
                    n * (n - 1) / 2 * (1usize << (n - 2))
                ));
            }
        }
        if self.semantics == Semantics::Released {
            if self.graphs != Graphs::Exhaustive {
                return Err("--semantics released reproduces the published data: it needs --graphs exhaustive".into());
            }
            if max > 6 {
                return Err("--semantics released covers the published N = 2..6 only".into());
            }
            if self.names.is_random()
                || self.premise.form(max) != PremiseForm::All
                || self.order != Order::Canonical
            {
                return Err("--semantics released needs --names letters or reversed, --premise all and --order canonical (its labels are tied to Corr2Cause's node order)".into());
            }
        }
        if self.relations.is_empty() {
            return Err("--relations lists no relation".into());
        }
        if let Some(bad) = self
            .depth
            .iter()
            .find(|d| !crate::causal::Depth::NAMES.contains(&d.as_str()))
        {
            return Err(format!(
                "--depth: unknown depth {bad:?} (expected one of: {})",
                crate::causal::Depth::NAMES.join(", ")
            ));
        }
        if !self.depth.is_empty() && self.semantics == Semantics::Released {
            return Err("--depth needs --semantics intended (the released labels are not the ones the depth explains)".into());
        }
        if self.task == Task::Graph {
            if self.balance != Balance::None {
                return Err("--balance does not apply to --task graph (one item per premise, no labels to balance); use --balance none".into());
            }
            if self.format != Format::Jsonl {
                return Err("--task graph writes JSONL only (Corr2Cause's CSV columns hold a yes/no label); use --format jsonl".into());
            }
            if self.semantics == Semantics::Released {
                return Err("--task graph needs --semantics intended: the released premises include some no DAG can produce, which have no graph to ask for".into());
            }
        }
        if !self.splits.is_empty() {
            let total: f64 = self.splits.iter().map(|s| s.fraction).sum();
            if (total - 1.0).abs() > 1e-9 || self.splits.iter().any(|s| s.fraction < 0.0) {
                return Err(format!(
                    "--splits fractions must be non-negative and sum to 1, got {total}"
                ));
            }
            let mut names: Vec<&str> = self.splits.iter().map(|s| s.name.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            if names.len() != self.splits.len() {
                return Err("--splits names a split twice".into());
            }
            if let Some(s) = self.splits.iter().find(|s| {
                s.name.is_empty()
                    || !s
                        .name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            }) {
                return Err(format!(
                    "--splits: split name {:?} must be letters, digits, - or _",
                    s.name
                ));
            }
        }
        Ok(())
    }
}

/// Parses `train=0.8,dev=0.1,test=0.1`.
pub fn parse_splits(text: &str) -> Result<Vec<Split>, String> {
    text.split(',')
        .map(|part| {
            let (name, fraction) = part
                .split_once('=')
                .ok_or_else(|| format!("--splits: expected name=fraction, got {part:?}"))?;
            let fraction: f64 = fraction
                .trim()
                .parse()
                .map_err(|_| format!("--splits: {fraction:?} is not a number"))?;
            Ok(Split {
                name: name.trim().to_string(),
                fraction,
            })
        })
        .collect()
}

/// Parses `2..=6`, `2..7`, `5` or `3,5,8` (a range or a list).
pub fn parse_nodes(text: &str) -> Result<Vec<usize>, String> {
    let bad = || {
        format!("--nodes: expected a number, a range like 2..=6 or a list like 3,5,8; got {text:?}")
    };
    if let Some((a, b)) = text.split_once("..") {
        let a: usize = a.trim().parse().map_err(|_| bad())?;
        let (b, inclusive) = match b.strip_prefix('=') {
            Some(b) => (b, true),
            None => (b, false),
        };
        let b: usize = b.trim().parse().map_err(|_| bad())?;
        let end = if inclusive { b + 1 } else { b };
        if end <= a {
            return Err(format!("--nodes {text}: the range is empty"));
        }
        return Ok((a..end).collect());
    }
    text.split(',')
        .map(|p| p.trim().parse().map_err(|_| bad()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_parse_and_validate() {
        for (name, _, _) in PRESETS {
            let c = Config::preset(name).unwrap();
            c.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
            // The manifest's copy reads back to the same configuration.
            let again = Config::from_json(&serde_json::to_string(&c).unwrap()).unwrap();
            assert_eq!(again, c);
        }
        assert!(Config::preset("nope")
            .unwrap_err()
            .contains("corr2cause-v2"));
    }

    #[test]
    fn bad_configurations_say_why() {
        let mut c = Config::preset("corr2cause-v2").unwrap();
        c.graphs = Graphs::Random {
            per_n: 5,
            sampler: RandomModel::Er,
            edge_prob: 0.3,
            edges: None,
            max_in_degree: None,
        };
        c.nodes = vec![13];
        assert!(c.validate().unwrap_err().contains("--force"));
        c.force = true;
        assert!(c.validate().is_ok());
        let mut r = Config::preset("corr2cause-v2-released").unwrap();
        r.names = Naming::Shuffled;
        assert!(r.validate().unwrap_err().contains("released"));
        let mut s = Config::preset("default").unwrap();
        s.splits = parse_splits("train=0.5,test=0.6").unwrap();
        assert!(s.validate().unwrap_err().contains("sum to 1"));
        assert!(Config::from_json(
            r#"{"nodes": [3], "graphs": {"kind": "exhaustive"}, "colour": 1}"#
        )
        .unwrap_err()
        .contains("colour"));
    }

    #[test]
    fn node_ranges_and_lists() {
        assert_eq!(parse_nodes("2..=6").unwrap(), vec![2, 3, 4, 5, 6]);
        assert_eq!(parse_nodes("2..4").unwrap(), vec![2, 3]);
        assert_eq!(parse_nodes("3,5,8").unwrap(), vec![3, 5, 8]);
        assert!(parse_nodes("6..=2").is_err());
        assert!(parse_nodes("x").is_err());
    }
}
