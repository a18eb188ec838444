//! Scoring the graph task as causal discovery: per item the structural Hamming distance (SHD)
//! and the adjacency (skeleton) and arrowhead counts, then over items, with intervals from the
//! bootstrap over premises; breakdowns; a leaderboard by SHD and paired comparisons.
//!
//! For each unordered pair the mark is none, `x -> y`, `y -> x` or `x -- y`:
//! - `shd`: pairs whose mark differs from the target's, as the mean per item;
//! - `skeleton_*`: adjacencies of the answer against the target's, pooled over items;
//! - `arrowhead_*`: directed edges; an answer's `x -> y` is right only if the target has `x -> y`;
//! - `exact`: the share of items with SHD 0;
//! - `member`: among fully directed answers, the share that are members of the MEC.
//!
//! An unparsed or missing answer counts as wrong (`--unparsed wrong`, `--missing wrong`): every
//! pair's mark wrong (SHD = the number of pairs), nothing found; `--unparsed invalid` scores it
//! as the empty graph; `exclude` leaves it out.

pub mod data;
pub mod report;

use super::metrics::{interval, mcnemar_exact, paired_difference, Estimate};
use super::{mec_bucket, Missing, Options, Unparsed};
use crate::causal::Cpdag;
use crate::graph::Dag;
use data::{GraphDataset, GraphPredictions, BACKWARD, FORWARD, NONE, UNDIRECTED};
use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The metrics of the graph task, in report order.
pub const GRAPH_METRICS: [&str; 9] = [
    "shd",
    "skeleton_precision",
    "skeleton_recall",
    "skeleton_f1",
    "arrowhead_precision",
    "arrowhead_recall",
    "arrowhead_f1",
    "exact",
    "member",
];

/// Counts of one item (or a sum of items): what every metric is computed from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub items: u64,
    pub shd: u64,
    pub skeleton_tp: u64,
    pub skeleton_fp: u64,
    pub skeleton_fn: u64,
    pub arrowhead_tp: u64,
    pub arrowhead_fp: u64,
    pub arrowhead_fn: u64,
    pub exact: u64,
    /// Answers with no undirected edge.
    pub fully_directed: u64,
    /// Of those, members of the MEC.
    pub member: u64,
}

const FIELDS: usize = 11;

impl Tally {
    fn to_array(self) -> [u64; FIELDS] {
        [
            self.items,
            self.shd,
            self.skeleton_tp,
            self.skeleton_fp,
            self.skeleton_fn,
            self.arrowhead_tp,
            self.arrowhead_fp,
            self.arrowhead_fn,
            self.exact,
            self.fully_directed,
            self.member,
        ]
    }

    fn from_array(a: [u64; FIELDS]) -> Tally {
        Tally {
            items: a[0],
            shd: a[1],
            skeleton_tp: a[2],
            skeleton_fp: a[3],
            skeleton_fn: a[4],
            arrowhead_tp: a[5],
            arrowhead_fp: a[6],
            arrowhead_fn: a[7],
            exact: a[8],
            fully_directed: a[9],
            member: a[10],
        }
    }

    /// Adds another tally.
    pub fn merge(&mut self, o: &Tally) {
        let mut a = self.to_array();
        for (x, y) in a.iter_mut().zip(o.to_array()) {
            *x += y;
        }
        *self = Tally::from_array(a);
    }

    /// The counts of one answer (marks per pair) against the target's; `member` is decided by
    /// the caller (it needs the graph).
    pub fn of(target: &[u8], answer: &[u8]) -> Tally {
        let mut t = Tally {
            items: 1,
            ..Tally::default()
        };
        let mut undirected = false;
        for (&want, &got) in target.iter().zip(answer) {
            if want != got {
                t.shd += 1;
            }
            match (want != NONE, got != NONE) {
                (true, true) => t.skeleton_tp += 1,
                (false, true) => t.skeleton_fp += 1,
                (true, false) => t.skeleton_fn += 1,
                _ => {}
            }
            let directed = |m: u8| m == FORWARD || m == BACKWARD;
            if directed(got) {
                if got == want {
                    t.arrowhead_tp += 1;
                } else {
                    t.arrowhead_fp += 1;
                }
            }
            if directed(want) && got != want {
                t.arrowhead_fn += 1;
            }
            undirected |= got == UNDIRECTED;
        }
        t.exact = u64::from(t.shd == 0);
        t.fully_directed = u64::from(!undirected);
        t
    }

    /// A wrong answer: every pair's mark wrong, nothing found.
    pub fn wrong(target: &[u8]) -> Tally {
        let adjacent = target.iter().filter(|&&m| m != NONE).count() as u64;
        let directed = target
            .iter()
            .filter(|&&m| m == FORWARD || m == BACKWARD)
            .count() as u64;
        Tally {
            items: 1,
            shd: target.len() as u64,
            skeleton_fn: adjacent,
            arrowhead_fn: directed,
            ..Tally::default()
        }
    }

    /// The metrics, in the order of [`GRAPH_METRICS`]; `member` is NaN when no answer was fully
    /// directed. A ratio that is 0/0 counts as 1 when nothing was got wrong the way it measures.
    pub fn metrics(&self) -> [f64; 9] {
        let prf = |tp: u64, fp: u64, fn_: u64| {
            let r = super::metrics::rates(tp as f64, fp as f64, fn_ as f64, 0.0);
            (r[1], r[2], r[0])
        };
        let (sp, sr, sf) = prf(self.skeleton_tp, self.skeleton_fp, self.skeleton_fn);
        let (ap, ar, af) = prf(self.arrowhead_tp, self.arrowhead_fp, self.arrowhead_fn);
        let per = |x: u64| {
            if self.items == 0 {
                f64::NAN
            } else {
                x as f64 / self.items as f64
            }
        };
        let member = if self.fully_directed == 0 {
            f64::NAN
        } else {
            self.member as f64 / self.fully_directed as f64
        };
        [
            per(self.shd),
            sp,
            sr,
            sf,
            ap,
            ar,
            af,
            per(self.exact),
            member,
        ]
    }
}

/// Whether a fully directed answer (marks over `n` variables) is a member of the MEC whose
/// CPDAG has the marks `target`: acyclic, and with the same CPDAG.
pub fn is_member(n: usize, target: &[u8], answer: &[u8]) -> bool {
    let mut edges = Vec::new();
    let mut k = 0;
    for x in 0..n {
        for y in x + 1..n {
            match answer[k] {
                FORWARD => edges.push((x, y)),
                BACKWARD => edges.push((y, x)),
                _ => {}
            }
            k += 1;
        }
    }
    let Ok(dag) = Dag::new(n, edges) else {
        return false; // a cycle
    };
    let cpdag = Cpdag::of(&dag);
    let g = crate::text::graph_answer::GraphAnswer {
        directed: cpdag
            .directed_edges()
            .into_iter()
            .map(|(a, b)| (a as u16, b as u16))
            .collect(),
        undirected: cpdag
            .undirected_edges()
            .into_iter()
            .map(|(a, b)| (a as u16, b as u16))
            .collect(),
    };
    data::marks(n, &g) == target
}

/// The tally of every item for one model (`None` = left out).
pub fn item_tallies(ds: &GraphDataset, p: &GraphPredictions, o: &Options) -> Vec<Option<Tally>> {
    let answered = |item: &data::GraphItem, marks: &[u8]| {
        let mut t = Tally::of(&item.target, marks);
        if t.fully_directed == 1 {
            t.member = u64::from(is_member(item.n(), &item.target, marks));
        }
        t
    };
    ds.items
        .par_iter()
        .zip(&p.answers)
        .map(|(item, a)| match a {
            None => (o.missing == Missing::Wrong).then(|| Tally::wrong(&item.target)),
            Some(Err(())) => match o.unparsed {
                Unparsed::Wrong => Some(Tally::wrong(&item.target)),
                Unparsed::Invalid => Some(answered(item, &vec![NONE; item.target.len()])),
                Unparsed::Exclude => None,
            },
            Some(Ok(marks)) => Some(answered(item, marks)),
        })
        .collect()
}

/// Metrics by name, each with its interval.
pub type GraphMetricMap = BTreeMap<&'static str, Estimate>;

/// One group of a breakdown.
#[derive(Clone, Debug, Serialize)]
pub struct GraphGroup {
    pub items: u64,
    pub metrics: GraphMetricMap,
}

/// Everything reported about one model.
#[derive(Clone, Debug, Serialize)]
pub struct GraphModelReport {
    pub name: String,
    /// Items that count towards the metrics.
    pub items: u64,
    pub unparsed: u64,
    pub missing: u64,
    pub metrics: GraphMetricMap,
    /// The pooled counts behind the metrics.
    pub counts: Tally,
    pub by_n: BTreeMap<String, GraphGroup>,
    pub by_split: BTreeMap<String, GraphGroup>,
    pub by_mec_size: BTreeMap<String, GraphGroup>,
    /// Breakdowns by each variant field the dataset carries (`by_names`, `by_premise_form`, ...).
    #[serde(flatten)]
    pub by_variant: BTreeMap<String, BTreeMap<String, GraphGroup>>,
    pub unparsed_examples: Vec<serde_json::Value>,
}

/// Two models compared on the same items.
#[derive(Clone, Debug, Serialize)]
pub struct GraphComparison {
    pub a: String,
    pub b: String,
    /// Mean SHD of `a` minus that of `b` (negative: `a` is closer), with its paired interval.
    pub shd_difference: Estimate,
    /// Items with a lower SHD under `a`, and under `b`.
    pub a_closer: u64,
    pub b_closer: u64,
    /// Items only `a` gets exactly right, and only `b`, and McNemar's exact test on them.
    pub only_a_exact: u64,
    pub only_b_exact: u64,
    pub mcnemar_p: f64,
    /// Whether the SHD interval excludes 0.
    pub significant: bool,
}

/// The whole report of the graph task.
#[derive(Clone, Debug, Serialize)]
pub struct GraphReport {
    pub task: &'static str,
    pub items: usize,
    pub premises: usize,
    pub bootstrap: serde_json::Value,
    pub options: Options,
    /// Models, lowest mean SHD first.
    pub models: Vec<GraphModelReport>,
    pub comparisons: Vec<GraphComparison>,
}

/// Breakdown dimensions: N, split, MEC size, then the variant fields.
const DIMENSIONS: usize = 3 + super::data::VARIANT_FIELDS.len();

/// Each metric with its interval from resampled tallies (samples where a metric is undefined,
/// as `member` with no fully directed answer, are left out of its interval).
fn estimates(full: &Tally, samples: &[Tally]) -> GraphMetricMap {
    let value = full.metrics();
    let per: Vec<[f64; 9]> = samples.iter().map(Tally::metrics).collect();
    GRAPH_METRICS
        .iter()
        .enumerate()
        .map(|(m, name)| {
            let mut v: Vec<f64> = per.iter().map(|x| x[m]).filter(|x| !x.is_nan()).collect();
            let (low, high) = interval(&mut v);
            (
                *name,
                Estimate {
                    value: value[m],
                    low,
                    high,
                },
            )
        })
        .collect()
}

/// Scores every model in `predictions` against the graph items `ds`.
pub fn score_graph(
    ds: &GraphDataset,
    predictions: &[GraphPredictions],
    o: &Options,
) -> GraphReport {
    let premises = ds.premises;
    // Group registry: (dimension, key) -> slot (1 + index; slot 0 is everything).
    let mut group_index: BTreeMap<(usize, String), usize> = BTreeMap::new();
    let slots_of: Vec<Vec<u16>> = ds
        .items
        .iter()
        .map(|item| {
            let keys: [Option<String>; DIMENSIONS] = std::array::from_fn(|d| match d {
                0 => Some(item.n().to_string()),
                1 => item.split.map(|s| ds.splits[s as usize].clone()),
                2 => item.mec_size.map(|s| mec_bucket(s).to_string()),
                v => match item.variants[v - 3] {
                    0 => None,
                    k => Some(ds.variant_values[k as usize - 1].clone()),
                },
            });
            let mut slots = vec![0u16];
            for (d, key) in keys.into_iter().enumerate() {
                if let Some(key) = key {
                    let next = group_index.len();
                    slots.push(1 + *group_index.entry((d, key)).or_insert(next) as u16);
                }
            }
            slots
        })
        .collect();
    let slots = 1 + group_index.len();
    let tallies: Vec<Vec<Option<Tally>>> =
        predictions.iter().map(|p| item_tallies(ds, p, o)).collect();
    // Items with the same slots form a combination (few: N x split x MEC bucket x variants);
    // a resample sums premises into combinations, then combinations into slots.
    let mut combo_index: HashMap<&[u16], u16> = HashMap::new();
    let mut combos: Vec<&[u16]> = Vec::new();
    let combo_of: Vec<u16> = slots_of
        .iter()
        .map(|set| {
            *combo_index.entry(set.as_slice()).or_insert_with(|| {
                combos.push(set);
                (combos.len() - 1) as u16
            })
        })
        .collect();
    // Per model, premise-major rows: premise p owns rows offsets[p]..offsets[p+1], one per
    // combination among its items (usually one row: one item per premise), each with its summed
    // tally (u32, padded to 12 lanes). Kept small so that every bootstrap resample streams a
    // few bytes per premise.
    const LANES: usize = 12;
    type Row = ([u32; LANES], u16);
    struct Rows {
        offsets: Vec<u32>,
        rows: Vec<Row>,
    }
    let mut items_of_premise: Vec<Vec<u32>> = vec![Vec::new(); premises];
    for (i, item) in ds.items.iter().enumerate() {
        items_of_premise[item.premise as usize].push(i as u32);
    }
    let flat: Vec<Rows> = tallies
        .par_iter()
        .map(|t| {
            let mut f = Rows {
                offsets: Vec::with_capacity(premises + 1),
                rows: Vec::with_capacity(premises),
            };
            f.offsets.push(0);
            for items in &items_of_premise {
                let from = f.rows.len();
                for &i in items {
                    let Some(tally) = t[i as usize] else { continue };
                    let combo = combo_of[i as usize];
                    let k = match f.rows[from..].iter().position(|(_, c)| *c == combo) {
                        Some(k) => from + k,
                        None => {
                            f.rows.push(([0; LANES], combo));
                            f.rows.len() - 1
                        }
                    };
                    for (x, y) in f.rows[k].0.iter_mut().zip(tally.to_array()) {
                        *x += u32::try_from(y).expect("a premise's counts fit 32 bits");
                    }
                }
                f.offsets.push(f.rows.len() as u32);
            }
            f
        })
        .collect();
    drop(items_of_premise);
    /// Adds `weight` times each row of `premise` to the accumulator of its combination.
    #[inline(always)]
    fn add_rows(acc: &mut [[u64; LANES]], f: &Rows, premise: usize, weight: u64) {
        for (row, combo) in &f.rows[f.offsets[premise] as usize..f.offsets[premise + 1] as usize] {
            let a = &mut acc[*combo as usize];
            for l in 0..LANES {
                a[l] += u64::from(row[l]) * weight;
            }
        }
    }
    // Sums of the combinations into the slots.
    let into_slots = |by_combo: &[[u64; LANES]]| -> Vec<[u64; LANES]> {
        let mut acc = vec![[0u64; LANES]; slots];
        for (c, sum) in by_combo.iter().enumerate() {
            for &s in combos[c] {
                for l in 0..LANES {
                    acc[s as usize][l] += sum[l];
                }
            }
        }
        acc
    };
    let to_tally = |a: &[u64; LANES]| Tally::from_array(std::array::from_fn(|l| a[l]));
    let totals: Vec<Vec<Tally>> = flat
        .iter()
        .map(|f| {
            let mut acc = vec![[0u64; LANES]; combos.len()];
            for p in 0..premises {
                add_rows(&mut acc, f, p, 1);
            }
            into_slots(&acc).iter().map(to_tally).collect()
        })
        .collect();
    // Bootstrap: resample b draws premises from its own stream; every model sums its rows
    // weighted by how often each premise is drawn.
    let resampled: Vec<Vec<Vec<[u64; LANES]>>> = (0..o.bootstrap)
        .into_par_iter()
        .map(|b| {
            let mut rng = ChaCha12Rng::seed_from_u64(o.seed);
            rng.set_stream(b as u64);
            let mut drawn = vec![0u32; premises];
            for _ in 0..premises {
                drawn[crate::graph::sample::below(&mut rng, premises as u64) as usize] += 1;
            }
            flat.iter()
                .map(|f| {
                    let mut acc = vec![[0u64; LANES]; combos.len()];
                    for (p, &k) in drawn.iter().enumerate() {
                        if k != 0 {
                            add_rows(&mut acc, f, p, u64::from(k));
                        }
                    }
                    into_slots(&acc)
                })
                .collect()
        })
        .collect();
    let samples_of = |m: usize, slot: usize| -> Vec<Tally> {
        resampled.iter().map(|r| to_tally(&r[m][slot])).collect()
    };
    let models = predictions.len();
    let reports: Vec<GraphModelReport> = (0..models)
        .map(|m| {
            let mut dims: [BTreeMap<String, GraphGroup>; DIMENSIONS] = Default::default();
            for ((d, key), &g) in &group_index {
                let t = totals[m][1 + g];
                if t.items == 0 {
                    continue;
                }
                dims[*d].insert(
                    key.clone(),
                    GraphGroup {
                        items: t.items,
                        metrics: estimates(&t, &samples_of(m, 1 + g)),
                    },
                );
            }
            let mut dims = dims.into_iter();
            let mut next = || dims.next().expect("one map per dimension");
            let (by_n, by_split, by_mec_size) = (next(), next(), next());
            let by_variant = super::data::VARIANT_FIELDS
                .iter()
                .map(|f| (format!("by_{f}"), next()))
                .filter(|(_, g)| !g.is_empty())
                .collect();
            let p = &predictions[m];
            GraphModelReport {
                name: p.name.clone(),
                items: totals[m][0].items,
                unparsed: p.unparsed,
                missing: p.answers.iter().filter(|a| a.is_none()).count() as u64,
                metrics: estimates(&totals[m][0], &samples_of(m, 0)),
                counts: totals[m][0],
                by_n,
                by_split,
                by_mec_size,
                by_variant,
                unparsed_examples: p
                    .unparsed_examples
                    .iter()
                    .map(|(id, out, why)| serde_json::json!({"id": id, "output": out, "why": why}))
                    .collect(),
            }
        })
        .collect();
    // Leaderboard: lowest mean SHD first.
    let mut order: Vec<usize> = (0..models).collect();
    let shd = |m: usize| reports[m].metrics["shd"].value;
    order.sort_by(|&a, &b| shd(a).total_cmp(&shd(b)).then(a.cmp(&b)));
    let shd_samples: Vec<Vec<f64>> = (0..models)
        .map(|m| {
            resampled
                .iter()
                .map(|r| to_tally(&r[m][0]).metrics()[0])
                .collect()
        })
        .collect();
    let mut comparisons = Vec::new();
    for (i, &a) in order.iter().enumerate() {
        for &b in &order[i + 1..] {
            let (low, high) = paired_difference(&shd_samples[a], &shd_samples[b]);
            let (mut a_closer, mut b_closer, mut only_a, mut only_b) = (0, 0, 0, 0);
            for (ta, tb) in tallies[a].iter().zip(&tallies[b]) {
                if let (Some(ta), Some(tb)) = (ta, tb) {
                    match ta.shd.cmp(&tb.shd) {
                        std::cmp::Ordering::Less => a_closer += 1,
                        std::cmp::Ordering::Greater => b_closer += 1,
                        _ => {}
                    }
                    match (ta.exact, tb.exact) {
                        (1, 0) => only_a += 1,
                        (0, 1) => only_b += 1,
                        _ => {}
                    }
                }
            }
            comparisons.push(GraphComparison {
                a: reports[a].name.clone(),
                b: reports[b].name.clone(),
                shd_difference: Estimate {
                    value: shd(a) - shd(b),
                    low,
                    high,
                },
                a_closer,
                b_closer,
                only_a_exact: only_a,
                only_b_exact: only_b,
                mcnemar_p: mcnemar_exact(only_a, only_b),
                significant: o.bootstrap > 0 && (low > 0.0 || high < 0.0),
            });
        }
    }
    GraphReport {
        task: "graph",
        items: ds.items.len(),
        premises,
        bootstrap: serde_json::json!({
            "resamples": o.bootstrap,
            "seed": o.seed,
            "unit": "premise",
            "note": "95% percentile intervals; premises are resampled with replacement, not items",
        }),
        options: o.clone(),
        models: order.iter().map(|&m| reports[m].clone()).collect(),
        comparisons,
    }
}
