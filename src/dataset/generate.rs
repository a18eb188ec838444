//! `corrcause generate`: a configuration becomes premises, items, files and a manifest.
//!
//! Premises ("units") are listed first (cheap), in order of N and then emission or draw. Every
//! random choice about a unit draws from its own seeded stream, so a unit comes out the same
//! whichever thread or shard handles it. Decisions that need every unit (balancing, splits) are
//! made from labels (and, for `--balance hard`, the surface cells of the statements; see
//! [`super::hard`]) before any text is written. Each split's units are then cut into files
//! ([`super::parts`]: one file, or several for a large split), and chunks of units are rendered
//! on every core and streamed to their files in order, each file written and hashed on its own:
//! memory does not grow with the dataset, and the bytes do not depend on the thread count.

use super::config::{Balance, Config, Format, Graphs, Order, RandomModel, Task};
use super::corr2cause::{exhaustive_mecs, ExhaustiveMec, Semantics};
use super::hard::{self, ItemCell};
use super::parts;
use super::record::{
    json_escaped, push_json_str, write_csv, write_jsonl, ItemFields, PremiseFields, CSV_HEADER,
};
use crate::causal::relations::relations_in;
use crate::causal::{Cpdag, Depths, Label3, Relation};
use crate::error::{Error, Result};
use crate::graph::sample::{partial_shuffle, permutation};
use crate::graph::{Dag, DagSampler, Sampler};
use crate::text::{hypothesis, template_name, Premise};
use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;
use rayon::prelude::*;
use serde_json::json;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// Largest MEC whose members are listed to label a premise; larger ones are skipped when drawing
/// random graphs (and reported if met in exhaustive ones, which cannot happen for N <= 7).
pub const MAX_MEC_SIZE: u64 = 200_000;

/// Part `index` of `count` (from 0): a contiguous range of premises. Shards concatenated in order
/// give the unsharded files byte for byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Shard, String> {
        let bad = || format!("--shard: expected k/n with 0 <= k < n, got {s:?}");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (usize, usize) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// Reads `--shard`: `k/n`, or `auto` for the task of a Slurm job array
    /// (`SLURM_ARRAY_TASK_ID` less `SLURM_ARRAY_TASK_MIN`, of `SLURM_ARRAY_TASK_COUNT`), with the
    /// environment read through `env`.
    pub fn resolve(arg: &str, env: impl Fn(&str) -> Option<String>) -> Result<Shard, String> {
        if arg != "auto" {
            return arg.parse();
        }
        let var = |name: &str| -> Result<Option<usize>, String> {
            env(name)
                .map(|v| {
                    v.trim()
                        .parse::<usize>()
                        .map_err(|_| format!("--shard auto: {name}={v:?} is not a number"))
                })
                .transpose()
        };
        let (Some(id), Some(count)) = (var("SLURM_ARRAY_TASK_ID")?, var("SLURM_ARRAY_TASK_COUNT")?)
        else {
            return Err("--shard auto reads SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT, which are not set (submit with sbatch --array, or give --shard k/n)".into());
        };
        if let Some(step) = var("SLURM_ARRAY_TASK_STEP")?.filter(|&s| s != 1) {
            return Err(format!("--shard auto: the job array steps by {step}; shards need a contiguous array such as --array=0-{}", count.saturating_sub(1)));
        }
        let min = var("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        let index = id.checked_sub(min).filter(|&k| k < count).ok_or_else(|| {
            format!("--shard auto: task {id} of an array from {min} with {count} tasks is not one of 0..{count} after subtracting the first; use a contiguous array such as --array=0-{}", count.saturating_sub(1))
        })?;
        Ok(Shard { index, count })
    }

    /// This shard's part of `total` things: a contiguous range; the parts of all shards tile
    /// `0..total` in order.
    pub fn range(self, total: usize) -> std::ops::Range<usize> {
        (self.index * total / self.count)..((self.index + 1) * total / self.count)
    }
}

/// One premise to be written: a graph, and for the released semantics what the original
/// program computed for it.
struct Unit {
    n: usize,
    id_in_n: usize,
    dag: Dag,
    released: Option<ExhaustiveMec>,
    /// Index of the unit's random streams (naming, order).
    stream: u64,
    /// With `--balance hard`: each item's label and surface cell, in item order.
    cells: Vec<ItemCell>,
}

/// Most rounds of graphs (each `per_n` graphs) drawn for one N under `--balance hard`.
const HARD_ROUNDS: usize = 2;
/// Under `--balance hard`, more graphs are drawn while cells lacking a label hold more than this
/// share of the candidate items.
const HARD_LACKING: f64 = 0.02;

/// Independent random streams for the different choices made about a unit.
const STREAM_NAMES: u64 = 0x6e61_6d65;
const STREAM_ORDER: u64 = 0x6f72_6465;
const STREAM_SPLIT: u64 = 0x7370_6c69;
const STREAM_BALANCE: u64 = 0x6261_6c61;
const STREAM_GRAPHS: u64 = 0x6772_6170;

/// SplitMix64's finaliser: a well-mixed 64-bit function of `x`.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn stream(seed: u64, purpose: u64, index: u64) -> ChaCha12Rng {
    let mut rng = ChaCha12Rng::seed_from_u64(mix(seed ^ mix(purpose)));
    rng.set_stream(index);
    rng
}

/// Distinct MECs drawn from a seeded random graph model on `n` nodes, in draw order: distinct as
/// their premises will name them, not only as labelled graphs (two isomorphic MECs can be given
/// names under which they read as one premise, with the same labels: one item in two places,
/// possibly in two splits).
struct Drawer<'a> {
    n: usize,
    sampler: DagSampler,
    seed: u64,
    seen: HashSet<Cpdag>,
    next: u64,
    config: &'a Config,
    /// The naming stream of the unit with id `k` is `first_stream + k`, or under `--balance hard`
    /// (`None`) [`hard_stream`]`(n, k)`: as [`list_units`] assigns them.
    first_stream: Option<u64>,
    /// The MECs taken, in names: the names and the CPDAG with them.
    named: HashSet<(Vec<String>, Cpdag)>,
}

impl Drawer<'_> {
    /// Appends `count` more units (new MECs) to `out`; `budget` draws in all at most.
    fn draw(&mut self, count: usize, budget: u64, out: &mut Vec<Unit>) -> Result<()> {
        let target = out.len() + count;
        while out.len() < target {
            if self.next == budget {
                return Err(Error::Usage(format!(
                    "only {} distinct MECs on {} variables turned up in {budget} draws; ask for fewer with --per-n",
                    out.len(), self.n
                )));
            }
            let dag = self.sampler.sample(self.seed, self.next);
            self.next += 1;
            let cpdag = Cpdag::of(&dag);
            if cpdag.mec_size() > MAX_MEC_SIZE.into() || self.seen.contains(&cpdag) {
                continue;
            }
            // The MEC as the unit's premise will name it.
            let id = out.len();
            let stream = self
                .first_stream
                .map_or(hard_stream(self.n, id), |first| first + id as u64);
            let named = name_dag(self.config, self.n, &dag, stream);
            if !self.named.insert((named.names, Cpdag::of(&named.dag))) {
                continue;
            }
            self.seen.insert(cpdag);
            out.push(Unit {
                n: self.n,
                id_in_n: out.len(),
                dag,
                released: None,
                stream: 0,
                cells: Vec::new(),
            });
        }
        Ok(())
    }
}

/// The stream index of a unit under `--balance hard`: fixed by N and its place among N's units,
/// so that drawing more graphs for one N changes nothing for another.
fn hard_stream(n: usize, id_in_n: usize) -> u64 {
    ((n as u64) << 32) | id_in_n as u64
}

fn list_units(config: &Config) -> Result<Vec<Unit>> {
    let mut nodes = config.nodes.clone();
    nodes.sort_unstable();
    let hard = config.balance == Balance::Hard;
    let with_cells = |mut units: Vec<Unit>| -> Vec<Unit> {
        if hard {
            units.par_iter_mut().for_each(|u| {
                u.stream = hard_stream(u.n, u.id_in_n);
                u.cells = unit_cells(config, u);
            });
        }
        units
    };
    let per_n: Vec<Result<Vec<Unit>>> = nodes
        .par_iter()
        .enumerate()
        .map(|(rank, &n)| match &config.graphs {
            Graphs::Exhaustive => Ok(with_cells(
                exhaustive_mecs(n, config.semantics)
                    .into_iter()
                    .map(|mec| Unit {
                        n,
                        id_in_n: mec.mec_id,
                        dag: mec.representative.clone(),
                        released: (config.semantics == Semantics::Released).then_some(mec),
                        stream: 0,
                        cells: Vec::new(),
                    })
                    .collect(),
            )),
            Graphs::Random {
                per_n,
                sampler,
                edge_prob,
                edges,
                max_in_degree,
            } => {
                let model = match sampler {
                    RandomModel::Er => Sampler::ErdosRenyi { p: *edge_prob },
                    RandomModel::Edges => Sampler::Edges {
                        m: edges.ok_or_else(|| {
                            Error::Usage("--sampler edges needs --edges M".into())
                        })?,
                    },
                    RandomModel::Uniform => Sampler::Uniform,
                };
                let mut drawer = Drawer {
                    n,
                    sampler: DagSampler::new(n, model, *max_in_degree)
                        .map_err(|e| Error::Usage(e.to_string()))?,
                    seed: mix(config.seed ^ mix(STREAM_GRAPHS) ^ n as u64),
                    seen: HashSet::new(),
                    next: 0,
                    config,
                    // Without hard balance every N has exactly `per_n` units, numbered in
                    // order of N (see below).
                    first_stream: (!hard).then_some((rank * per_n) as u64),
                    named: HashSet::new(),
                };
                let budget = (*per_n as u64).saturating_mul(50).max(1000);
                let mut out = Vec::with_capacity(*per_n);
                drawer.draw(*per_n, budget, &mut out)?;
                let mut out = with_cells(out);
                // Draw more graphs while cells lack a label (hard balance only).
                for _ in 1..if hard { HARD_ROUNDS } else { 1 } {
                    if hard::lacking_share(out.iter().map(|u| u.cells.as_slice())) <= HARD_LACKING {
                        break;
                    }
                    // Ids continue after the units drawn so far.
                    let before = out.len();
                    let drawn =
                        drawer.draw(*per_n, budget.saturating_mul(HARD_ROUNDS as u64), &mut out);
                    let fresh = with_cells(out.split_off(before));
                    out.extend(fresh);
                    if drawn.is_err() {
                        break; // no more distinct MECs: keep what there is
                    }
                }
                Ok(out)
            }
        })
        .collect();
    let mut units = Vec::new();
    for part in per_n {
        units.extend(part?);
    }
    if !hard {
        for (i, u) in units.iter_mut().enumerate() {
            u.stream = i as u64;
        }
        if let Graphs::Random { per_n, .. } = &config.graphs {
            // The streams the drawer named the units with.
            debug_assert!(units.iter().all(|u| {
                let rank = nodes.iter().position(|&n| n == u.n).unwrap_or(0);
                u.stream == (rank * per_n + u.id_in_n) as u64
            }));
        }
    }
    Ok(units)
}

/// A unit after naming: the graph relabelled, its names, and its premise.
struct Named {
    dag: Dag,
    names: Vec<String>,
}

fn name_unit(config: &Config, unit: &Unit) -> Named {
    name_dag(config, unit.n, &unit.dag, unit.stream)
}

/// `dag` on `n` nodes named by the naming stream `index`.
fn name_dag(config: &Config, n: usize, dag: &Dag, index: u64) -> Named {
    let mut rng = stream(config.seed, STREAM_NAMES, index);
    let (perm, names) = config.names.assign(n, &mut rng);
    let dag = match perm {
        Some(p) => dag.relabel(&p),
        None => dag.clone(),
    };
    Named { dag, names }
}

/// Per pair `x < y` (row by row) and relation: members where it holds, and the first member
/// where it holds and where it fails (indices into `members`, `u32::MAX` if none).
struct LabelTable {
    size: u64,
    holds: Vec<[u64; 6]>,
    holds_in: Vec<[u32; 6]>,
    fails_in: Vec<[u32; 6]>,
    members: Vec<Dag>,
    released: bool,
}

fn label_table(unit: &Unit, named: &Named) -> LabelTable {
    let n = unit.n;
    let pairs = n * (n - 1) / 2;
    if let Some(mec) = &unit.released {
        return LabelTable {
            size: mec.size(),
            holds: mec.holds.clone(),
            holds_in: vec![[u32::MAX; 6]; pairs],
            fails_in: vec![[u32::MAX; 6]; pairs],
            members: Vec::new(),
            released: true,
        };
    }
    let members = Cpdag::of(&named.dag).members();
    let mut holds = vec![[0u64; 6]; pairs];
    let mut holds_in = vec![[u32::MAX; 6]; pairs];
    let mut fails_in = vec![[u32::MAX; 6]; pairs];
    for (m, dag) in members.iter().enumerate() {
        let mut k = 0;
        for x in 0..n {
            for y in x + 1..n {
                let bits = relations_in(dag.parent_sets(), dag.child_sets(), x, y);
                for r in 0..6 {
                    if bits >> r & 1 == 1 {
                        holds[k][r] += 1;
                        if holds_in[k][r] == u32::MAX {
                            holds_in[k][r] = m as u32;
                        }
                    } else if fails_in[k][r] == u32::MAX {
                        fails_in[k][r] = m as u32;
                    }
                }
                k += 1;
            }
        }
    }
    LabelTable {
        size: members.len() as u64,
        holds,
        holds_in,
        fails_in,
        members,
        released: false,
    }
}

/// Binary labels of every item of a unit, in item order (pair, then relation).
fn unit_labels(config: &Config, unit: &Unit) -> Vec<bool> {
    let named = name_unit(config, unit);
    labels_of(config, &label_table(unit, &named))
}

fn labels_of(config: &Config, table: &LabelTable) -> Vec<bool> {
    table
        .holds
        .iter()
        .flat_map(|h| {
            config
                .relations
                .iter()
                .map(move |r| h[r.index()] == table.size)
        })
        .collect()
}

/// The premise of a named unit, statements in canonical order.
fn premise_of(config: &Config, unit: &Unit, named: &Named) -> Premise {
    match &unit.released {
        Some(mec) => Premise::from_statements(unit.n, mec.statements.clone()),
        None => Premise::of(&named.dag, config.premise.form(unit.n)),
    }
}

/// Label and surface cell of every item of a unit, in item order (for `--balance hard`).
fn unit_cells(config: &Config, unit: &Unit) -> Vec<ItemCell> {
    let named = name_unit(config, unit);
    let labels = labels_of(config, &label_table(unit, &named));
    hard::item_cells(config, &premise_of(config, unit, &named), &labels)
}

/// Which items to keep: for each relation, all of the rarer label and as many of the other,
/// chosen by a seeded hash.
fn balance(config: &Config, labels: &[Vec<bool>]) -> Vec<Vec<bool>> {
    let r_count = config.relations.len();
    let mut keep: Vec<Vec<bool>> = labels.iter().map(|l| vec![true; l.len()]).collect();
    for ri in 0..r_count {
        let mut valid = Vec::new();
        let mut invalid = Vec::new();
        for (u, l) in labels.iter().enumerate() {
            for k in (ri..l.len()).step_by(r_count) {
                let h = mix(mix(config.seed ^ mix(STREAM_BALANCE) ^ u as u64) ^ k as u64);
                if l[k] {
                    valid.push((h, u, k))
                } else {
                    invalid.push((h, u, k))
                }
            }
        }
        let (minority, mut majority) = if valid.len() <= invalid.len() {
            (valid, invalid)
        } else {
            (invalid, valid)
        };
        let m = minority.len();
        if m < majority.len() {
            majority.select_nth_unstable(m);
            for &(_, u, k) in &majority[m..] {
                keep[u][k] = false;
            }
        }
    }
    keep
}

/// The split of every unit: a seeded shuffle of the units, cut by the fractions.
fn assign_splits(config: &Config, units: usize) -> Vec<Option<usize>> {
    if config.splits.is_empty() {
        return vec![None; units];
    }
    let mut rng = stream(config.seed, STREAM_SPLIT, 0);
    let order = permutation(&mut rng, units);
    let mut bounds = Vec::new();
    let mut cum = 0.0;
    for s in &config.splits {
        cum += s.fraction;
        bounds.push((cum * units as f64).round() as usize);
    }
    let mut out = vec![None; units];
    for (position, &u) in order.iter().enumerate() {
        out[u] = Some(
            bounds
                .iter()
                .position(|&b| position < b)
                .unwrap_or(bounds.len() - 1),
        );
    }
    out
}

/// Text of a chunk of units' items for each output file, and what they count; cleared and
/// reused for chunk after chunk, so that its buffers are allocated once.
#[derive(Default)]
struct Rendered {
    /// Only CSV is written (`--format csv`): file 0 is the CSV.
    csv_only: bool,
    jsonl: String,
    csv: String,
    items: usize,
    /// Items of each unit, in order.
    unit_items: Vec<usize>,
    by_relation: BTreeMap<&'static str, [usize; 2]>,
    by_label3: BTreeMap<&'static str, usize>,
}

fn phrase(relation: Relation, x: &str, y: &str) -> String {
    match relation {
        Relation::Parent => format!("{x} directly causes {y}"),
        Relation::NonParentAncestor => format!("{x} causes {y} through another variable"),
        Relation::Child => format!("{y} directly causes {x}"),
        Relation::NonChildDescendant => format!("{y} causes {x} through another variable"),
        Relation::HasCollider => format!("{x} and {y} have a common effect"),
        Relation::HasConfounder => format!("{x} and {y} have a common cause"),
    }
}

fn edges_json(dag: &Dag, names: &[String]) -> String {
    let mut out = String::from("[");
    for (i, (a, b)) in dag.edges().into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        push_json_str(&mut out, &names[a]);
        out.push(',');
        push_json_str(&mut out, &names[b]);
        out.push(']');
    }
    out.push(']');
    out
}

/// Appends the items of `unit` to `out`.
fn render_unit(
    config: &Config,
    unit: &Unit,
    split: Option<&str>,
    keep: Option<&[bool]>,
    out: &mut Rendered,
) {
    let before = out.items;
    render_items(config, unit, split, keep, out);
    out.unit_items.push(out.items - before);
}

fn render_items(
    config: &Config,
    unit: &Unit,
    split: Option<&str>,
    keep: Option<&[bool]>,
    out: &mut Rendered,
) {
    let n = unit.n;
    let named = name_unit(config, unit);
    let mut premise = premise_of(config, unit, &named);
    if config.order == Order::Shuffled {
        let mut rng = stream(config.seed, STREAM_ORDER, unit.stream);
        let c = premise.correlations.len();
        partial_shuffle(&mut rng, &mut premise.correlations, c);
        let i = premise.independences.len();
        partial_shuffle(&mut rng, &mut premise.independences, i);
    }
    let names = &named.names;
    let text = premise.render(names);
    let escaped = json_escaped(&text);
    let premise_id = format!("n{n}-p{:05}", unit.id_in_n);
    let graph_json = edges_json(&named.dag, names);
    if config.task == Task::Graph {
        out.items += 1;
        super::graph_task::write_jsonl(
            &mut out.jsonl,
            &super::graph_task::GraphRecord {
                premise_id: &premise_id,
                split,
                names,
                premise_escaped: &escaped,
                graph_json: &graph_json,
                cpdag: &Cpdag::of(&named.dag),
                naming: config.names.as_str(),
                premise_form: premise.form.as_str(),
            },
        );
        return;
    }
    let table = label_table(unit, &named);
    let variant_json = format!(
        "\"names\":\"{}\",\"style\":\"{}\",\"premise_form\":\"{}\"",
        config.names, config.style, premise.form
    );
    let fields = PremiseFields {
        premise_id: &premise_id,
        split,
        n,
        mec_id: unit.id_in_n,
        premise_escaped: &escaped,
        mec_size: table.size,
        graph_json: &graph_json,
        variant_json: &variant_json,
    };
    let cpdag_json = if table.released {
        String::new()
    } else {
        let c = Cpdag::of(&named.dag);
        let pairs = |list: Vec<(usize, usize)>| -> Vec<[&str; 2]> {
            list.into_iter()
                .map(|(a, b)| [names[a].as_str(), names[b].as_str()])
                .collect()
        };
        json!({"directed": pairs(c.directed_edges()), "undirected": pairs(c.undirected_edges())})
            .to_string()
    };
    let depths = (!table.released).then(|| Depths::of(&named.dag));
    let mut member_json: BTreeMap<u32, String> = BTreeMap::new();
    let mut member = |m: u32, table: &LabelTable| -> String {
        member_json
            .entry(m)
            .or_insert_with(|| edges_json(&table.members[m as usize], names))
            .clone()
    };
    let mut k = 0;
    let mut item_index = 0;
    for x in 0..n {
        for y in x + 1..n {
            for &relation in &config.relations {
                let this = item_index;
                item_index += 1;
                if keep.is_some_and(|kp| !kp[this]) {
                    continue;
                }
                let depth = depths.as_ref().map(|d| d.get(x, y, relation));
                if !config.depth.is_empty()
                    && !depth.is_some_and(|d| config.depth.iter().any(|name| name == d.as_str()))
                {
                    continue;
                }
                let r = relation.index();
                let holds = table.holds[k][r];
                let label3 = Label3::from_counts(holds, table.size);
                let (xn, yn) = (names[x].as_str(), names[y].as_str());
                let claim = phrase(relation, xn, yn);
                let size = table.size;
                let explanation = if table.released {
                    json!({"kind": "as_released", "reason": format!("the label of the published Corr2Cause v2 data ({holds} of {size} members as its program counted them, defects included); `corrcause audit` recomputes it")}).to_string()
                } else {
                    match label3 {
                        Label3::Entailment => {
                            let reason = match relation {
                                Relation::Parent | Relation::Child => format!(
                                    "{claim}: the edge is compelled (directed in the CPDAG), so all {size} members of the Markov equivalence class have it"
                                ),
                                _ => format!("{claim} in all {size} members of the Markov equivalence class"),
                            };
                            format!("{{\"kind\":\"entailed\",\"reason\":{},\"cpdag\":{cpdag_json}}}", serde_json::Value::from(reason))
                        }
                        Label3::Contradiction => format!(
                            "{{\"kind\":\"contradicted\",\"reason\":{},\"fails_in\":{}}}",
                            serde_json::Value::from(format!("{claim} in none of the {size} members of the Markov equivalence class; for example not in `fails_in`")),
                            member(table.fails_in[k][r], &table)
                        ),
                        Label3::Neutral => format!(
                            "{{\"kind\":\"undetermined\",\"reason\":{},\"holds_in\":{},\"fails_in\":{}}}",
                            serde_json::Value::from(format!("{claim} in {holds} of the {size} members of the Markov equivalence class: in `holds_in` but not in `fails_in`")),
                            member(table.holds_in[k][r], &table),
                            member(table.fails_in[k][r], &table)
                        ),
                    }
                };
                let hyp = hypothesis(config.style, relation, xn, yn);
                let id = format!("{premise_id}-{xn}-{yn}-{}", relation.as_str());
                let item = ItemFields {
                    id: &id,
                    x: xn,
                    y: yn,
                    relation,
                    template: template_name(relation),
                    hypothesis: &hyp,
                    label3,
                    holds,
                    depth,
                    explanation_json: &explanation,
                };
                if config.format != Format::Csv {
                    write_jsonl(&mut out.jsonl, &fields, &item);
                }
                if config.format != Format::Jsonl {
                    write_csv(&mut out.csv, &text, n, &item);
                }
                out.items += 1;
                out.by_relation.entry(relation.as_str()).or_default()[label3.binary() as usize] +=
                    1;
                *out.by_label3.entry(label3.as_str()).or_default() += 1;
            }
            k += 1;
        }
    }
}

impl parts::Rendering for Rendered {
    fn text(&self, k: usize) -> &str {
        if self.csv_only || k == 1 {
            &self.csv
        } else {
            &self.jsonl
        }
    }
    fn items(&self) -> usize {
        self.items
    }
    fn clear(&mut self) {
        self.jsonl.clear();
        self.csv.clear();
        self.items = 0;
        self.unit_items.clear();
        self.by_relation.clear();
        self.by_label3.clear();
    }
}

/// What the written items count, added up over chunks (in any order).
#[derive(Default)]
struct Tally {
    premises: usize,
    items: usize,
    by_n: BTreeMap<String, [usize; 2]>,
    by_split: BTreeMap<String, [usize; 2]>,
    by_relation: BTreeMap<&'static str, [usize; 2]>,
    by_label3: BTreeMap<&'static str, usize>,
}

impl Tally {
    /// Adds a rendered chunk of `units` (their N and split name).
    fn add<'a>(&mut self, units: impl IntoIterator<Item = (usize, &'a str)>, r: &Rendered) {
        self.items += r.items;
        for ((n, split), &items) in units.into_iter().zip(&r.unit_items) {
            // A premise counts where it has items (balancing or --depth may drop all of them).
            for e in [
                self.by_n.entry(n.to_string()).or_default(),
                self.by_split.entry(split.to_string()).or_default(),
            ] {
                e[0] += usize::from(items > 0);
                e[1] += items;
            }
        }
        for (rel, counts) in &r.by_relation {
            let e = self.by_relation.entry(rel).or_default();
            e[0] += counts[0];
            e[1] += counts[1];
        }
        for (l, count) in &r.by_label3 {
            *self.by_label3.entry(l).or_default() += count;
        }
    }

    fn merge(&mut self, o: Tally) {
        self.premises += o.premises;
        self.items += o.items;
        for (mine, theirs) in [(&mut self.by_n, o.by_n), (&mut self.by_split, o.by_split)] {
            for (k, [a, b]) in theirs {
                let e = mine.entry(k).or_default();
                e[0] += a;
                e[1] += b;
            }
        }
        for (k, [a, b]) in o.by_relation {
            let e = self.by_relation.entry(k).or_default();
            e[0] += a;
            e[1] += b;
        }
        for (k, c) in o.by_label3 {
            *self.by_label3.entry(k).or_default() += c;
        }
    }
}

/// Items per chunk of premises rendered by one thread at a time (at least one premise). Small
/// enough that a file's hashing, one stream in chunk order, starts early and keeps pace: with
/// 1,024, the `default` preset's 13 chunks would come out at about the same time on 16 cores,
/// and then its 29 MB file's hashing (about 16 ms) would run with the other cores idle.
const CHUNK_ITEMS: usize = 256;

/// The items a premise will have, as far as is known before rendering (balancing's choice;
/// all of them without balancing): what decides which file it goes in.
fn planned_items(config: &Config, unit: &Unit, keep: Option<&[bool]>) -> usize {
    match (config.task, keep) {
        (Task::Graph, _) => 1,
        (Task::Pairs, Some(k)) => k.iter().filter(|&&b| b).count(),
        (Task::Pairs, None) => unit.n * (unit.n - 1) / 2 * config.relations.len(),
    }
}

/// The files this run writes, as pieces with the split of each: every split's premises cut into
/// files of at most `items_per_file` planned items over all premises (so every shard cuts them
/// alike), and of each file the premises in this shard's range, in chunks. A split in one file
/// is written by every shard (the CSV header by the first); a part of a larger split by the
/// shards holding some of its premises (the header by the one holding its first).
fn lay_out(
    config: &Config,
    units: &[Unit],
    splits: &[Option<usize>],
    keep: Option<&[Vec<bool>]>,
    split_names: &[String],
    shard: Option<Shard>,
) -> (Vec<usize>, Vec<parts::Piece>) {
    let range = shard.map_or(0..units.len(), |s| s.range(units.len()));
    let planned = |u: usize| planned_items(config, &units[u], keep.map(|k| k[u].as_slice()));
    let (mut of_split, mut pieces) = (Vec::new(), Vec::new());
    for (s, name) in split_names.iter().enumerate() {
        let members: Vec<usize> = (0..units.len())
            .filter(|&u| splits[u].unwrap_or(0) == s)
            .collect();
        let mut files_of_split = parts::cut(&members, planned, config.items_per_file);
        if files_of_split.is_empty() {
            files_of_split.push(Vec::new()); // an empty split is one empty file
        }
        let count = files_of_split.len();
        for (part, whole) in files_of_split.iter().enumerate() {
            let mine: Vec<usize> = whole
                .iter()
                .copied()
                .filter(|u| range.contains(u))
                .collect();
            if count > 1 && mine.is_empty() {
                continue;
            }
            let header = if count == 1 {
                shard.is_none_or(|s| s.index == 0)
            } else {
                mine.first() == whole.first()
            };
            let mut files = Vec::new();
            if config.format != Format::Csv {
                files.push((parts::file_name(name, part, count, "jsonl"), ""));
            }
            if config.format != Format::Jsonl {
                let head = if header { CSV_HEADER } else { "" };
                files.push((parts::file_name(name, part, count, "csv"), head));
            }
            of_split.push(s);
            pieces.push(parts::Piece {
                files,
                chunks: parts::cut(&mine, planned, CHUNK_ITEMS),
            });
        }
    }
    (of_split, pieces)
}

/// What `generate` wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub premises: usize,
    pub items: usize,
    pub files: Vec<PathBuf>,
}

/// Generates the dataset of `config` (or one shard of it) into `out_dir`, with its manifest.
/// `progress` is called with (units done, units in all) as chunks finish.
pub fn generate(
    config: &Config,
    shard: Option<Shard>,
    out_dir: &Path,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Summary> {
    config.validate().map_err(Error::Usage)?;
    std::fs::create_dir_all(out_dir)
        .map_err(|e| Error::io_at("creating folder", out_dir.display(), e))?;
    let units = list_units(config)?;
    let total = units.len();
    let range = shard.map_or(0..total, |s| s.range(total));
    let splits = assign_splits(config, total);
    let mut hard_record = None;
    let keep = match config.balance {
        Balance::None => None,
        Balance::PerRelation => {
            let labels: Vec<Vec<bool>> = units.par_iter().map(|u| unit_labels(config, u)).collect();
            Some(balance(config, &labels))
        }
        Balance::Hard => {
            let views: Vec<&[ItemCell]> = units.iter().map(|u| u.cells.as_slice()).collect();
            let train = config.splits.iter().position(|s| s.name == "train");
            let (keep, cells, rounds) = hard::filtered_keep(&views, &splits, train, |u, k| {
                mix(mix(config.seed ^ mix(STREAM_BALANCE) ^ units[u].stream) ^ k as u64)
            });
            let mut drawn: BTreeMap<String, usize> = BTreeMap::new();
            for u in &units {
                *drawn.entry(u.n.to_string()).or_default() += 1;
            }
            let mut record = json!({
                "matched_on": ["relation", "variables", "correlated", "separated", "mentions_x", "mentions_y", "mentions_both", "conditioned", "statements"],
                "bins": "counts binned as 0, 1, then two bins per power of two (floor(2 log2 c) + 1)",
                "graphs_drawn_by_n": drawn,
                "adversarial_filtering": {
                    "method": "the decision tree and the logistic regression of `audit --shortcuts`, cross-fitted over premises, drop the kept items they get right with confidence; the rest are matched again",
                    "confident": hard::CONFIDENT,
                    "stop_below": hard::CHANCE,
                    "rounds": rounds,
                },
            });
            record["cells"] = cells; // moved in: `json!` would copy it
            hard_record = Some(record);
            Some(keep)
        }
    };
    let split_names: Vec<String> = if config.splits.is_empty() {
        vec!["items".to_string()]
    } else {
        config.splits.iter().map(|s| s.name.clone()).collect()
    };
    let (piece_split, pieces) = lay_out(
        config,
        &units,
        &splits,
        keep.as_deref(),
        &split_names,
        shard,
    );
    let tally = std::sync::Mutex::new(Tally::default());
    let written = parts::write(
        out_dir,
        &pieces,
        |chunk, out: &mut Rendered| {
            out.csv_only = config.format == Format::Csv;
            for &i in chunk {
                let split = splits[i].map(|s| split_names[s].as_str());
                render_unit(
                    config,
                    &units[i],
                    split,
                    keep.as_ref().map(|k| k[i].as_slice()),
                    out,
                );
            }
        },
        |chunk, rendered| {
            let mut t = Tally::default();
            t.add(
                chunk
                    .iter()
                    .map(|&i| (units[i].n, split_names[splits[i].unwrap_or(0)].as_str())),
                rendered,
            );
            // Counted and reported under one lock, so that progress only goes forward.
            let mut all = tally.lock().expect("tally");
            all.merge(t);
            all.premises += chunk.len();
            progress(all.premises, range.len());
        },
    )?;
    let Tally {
        premises: _,
        items,
        by_n,
        by_split: split_counts,
        by_relation,
        by_label3,
    } = tally.into_inner().expect("tally");
    // Every split's JSONL files, then its CSV files, each in part order.
    let forms = pieces.first().map_or(0, |p| p.files.len());
    let mut by_split: Vec<Vec<Vec<parts::Written>>> =
        (0..split_names.len()).map(|_| Vec::new()).collect();
    for (split, files) in piece_split.iter().zip(written) {
        by_split[*split].push(files);
    }
    let mut files = Vec::new();
    for pieces in by_split {
        let mut columns: Vec<Vec<parts::Written>> = (0..forms).map(|_| Vec::new()).collect();
        for piece in pieces {
            for (k, f) in piece.into_iter().enumerate() {
                columns[k].push(f);
            }
        }
        files.extend(columns.into_iter().flatten());
    }
    let file_entries: Vec<serde_json::Value> = files
        .iter()
        .map(|f| json!({"path": f.name, "sha256": f.sha256, "bytes": f.bytes, "items": f.items}))
        .collect();
    let mut paths: Vec<PathBuf> = files.iter().map(|f| out_dir.join(&f.name)).collect();
    parts::commit(files)?;
    let pair = |m: BTreeMap<String, [usize; 2]>| -> serde_json::Value {
        m.into_iter()
            .map(|(k, [p, i])| (k, json!({"premises": p, "items": i})))
            .collect()
    };
    let manifest = json!({
        "corrcause_version": env!("CARGO_PKG_VERSION"),
        "config": config,
        "shard": shard,
        "premises_in_all_shards": total,
        "premises": range.len(),
        "items": items,
        "counts": {
            "by_n": pair(by_n),
            "by_split": pair(split_counts),
            "by_relation": by_relation.into_iter().map(|(k, [invalid, valid])| (k.to_string(), json!({"valid": valid, "invalid": invalid}))).collect::<serde_json::Map<_, _>>(),
            "by_label3": by_label3,
        },
        "files": file_entries,
    });
    let mut manifest = manifest;
    if let Some(record) = hard_record {
        manifest["hard_balance"] = record;
    }
    paths.push(super::manifest::write(out_dir, &manifest)?);
    // A shard is not a dataset to load on its own; `merge` joins shards into one.
    if shard.is_none() && config.format != Format::Csv {
        paths.push(super::card::write(out_dir, &manifest)?);
    }
    crate::output::free_aside((manifest, units, keep, pieces));
    Ok(Summary {
        premises: range.len(),
        items,
        files: paths,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_parsing() {
        assert_eq!(
            "1/4".parse::<Shard>().unwrap(),
            Shard { index: 1, count: 4 }
        );
        assert!("4/4".parse::<Shard>().is_err());
        let slurm = |id: &'static str, min: Option<&'static str>, count: &'static str| {
            move |name: &str| match name {
                "SLURM_ARRAY_TASK_ID" => Some(id.to_string()),
                "SLURM_ARRAY_TASK_MIN" => min.map(str::to_string),
                "SLURM_ARRAY_TASK_COUNT" => Some(count.to_string()),
                "SLURM_ARRAY_TASK_STEP" => (id == "6").then(|| "2".to_string()),
                _ => None,
            }
        };
        assert_eq!(
            Shard::resolve("auto", slurm("2", None, "4")),
            Ok(Shard { index: 2, count: 4 })
        );
        assert_eq!(
            Shard::resolve("auto", slurm("4", Some("1"), "4")),
            Ok(Shard { index: 3, count: 4 })
        );
        assert!(Shard::resolve("auto", slurm("5", Some("1"), "4")).is_err());
        assert!(Shard::resolve("auto", slurm("6", None, "8"))
            .unwrap_err()
            .contains("steps by 2"));
        assert!(Shard::resolve("auto", |_| None)
            .unwrap_err()
            .contains("SLURM_ARRAY_TASK_ID"));
        assert_eq!(
            Shard::resolve("0/2", |_| None),
            Ok(Shard { index: 0, count: 2 })
        );
        let parts: Vec<_> = (0..3)
            .map(|k| Shard { index: k, count: 3 }.range(10))
            .collect();
        assert_eq!(parts, [0..3, 3..6, 6..10]);
        assert!("x".parse::<Shard>().is_err());
    }

    #[test]
    fn balance_keeps_equal_numbers_per_relation() {
        let mut config = Config::preset("corr2cause-v2").unwrap();
        config.relations = vec![Relation::Parent, Relation::HasCollider];
        // Two units, four items each: relation 0 at even, relation 1 at odd positions.
        let labels = vec![
            vec![true, false, false, false],
            vec![false, true, false, false],
        ];
        let keep = balance(&config, &labels);
        for ri in 0..2 {
            let (mut v, mut i) = (0, 0);
            for (u, l) in labels.iter().enumerate() {
                for k in (ri..4).step_by(2) {
                    if keep[u][k] {
                        if l[k] {
                            v += 1
                        } else {
                            i += 1
                        }
                    }
                }
            }
            assert_eq!((v, i), (1, 1), "relation {ri}");
        }
    }

    #[test]
    fn splits_follow_the_fractions() {
        let mut config = Config::preset("default").unwrap();
        config.splits = super::super::config::parse_splits("train=0.8,dev=0.1,test=0.1").unwrap();
        let s = assign_splits(&config, 1000);
        let count = |k| s.iter().filter(|&&x| x == Some(k)).count();
        assert_eq!((count(0), count(1), count(2)), (800, 100, 100));
    }

    #[test]
    fn mixing_separates_streams() {
        assert_ne!(mix(1), mix(2));
        assert_ne!(
            stream(1, STREAM_NAMES, 0).get_seed(),
            stream(1, STREAM_ORDER, 0).get_seed()
        );
    }
}
