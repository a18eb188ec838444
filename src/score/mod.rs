//! Scoring: model answers against the ground truth, with bootstrap intervals over premises,
//! breakdowns, per-premise consistency, paired comparisons and analytic reference rows.
//!
//! Items of one premise are not independent (they share a graph and a text), so every interval
//! resamples premises, not items. Graph items (`generate --task graph`) are scored as causal
//! discovery by [`graph`].

pub mod data;
/// Reading answers lives with the rest of the text; re-exported where the scorer uses it.
pub use crate::text::answer;
pub use group_key::{group_order, GroupKey};
pub mod export;
pub mod graph;
pub mod group_key;
pub mod harness;
pub mod metrics;
pub mod plan;
pub mod shortcuts;

use crate::causal::Relation;
use answer::Answer;
use data::{Dataset, Predictions};
use metrics::{
    estimates, mcnemar_exact, metrics as point, paired_difference, Confusion, Estimate, METRICS,
};
use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::BuildHasherDefault;
use std::sync::atomic::{AtomicBool, Ordering};

/// Items per block when the distinct group combinations are found in parallel.
const BLOCK: usize = 4096;

/// What an unreadable answer counts as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Unparsed {
    /// The wrong answer (the default).
    Wrong,
    /// "invalid", as Corr2Cause's scorer did.
    Invalid,
    /// Left out of that model's metrics.
    Exclude,
}

/// What an item with no prediction counts as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Missing {
    Wrong,
    Exclude,
}

/// Scoring options.
#[derive(Clone, Debug, Serialize)]
pub struct Options {
    pub unparsed: Unparsed,
    pub missing: Missing,
    pub bootstrap: usize,
    pub seed: u64,
}

/// Metrics by name, each with its interval.
pub type MetricMap = BTreeMap<&'static str, Estimate>;

/// One group of a breakdown.
#[derive(Clone, Debug, Serialize)]
pub struct Group {
    pub items: u64,
    pub metrics: MetricMap,
}

/// Answer sets no DAG could make true together, per premise.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Consistency {
    /// Premises with at least one parsed answer.
    pub premises: usize,
    /// Premises whose "valid" answers contradict each other or the premise.
    pub incoherent_premises: usize,
    /// Violations by kind.
    pub violations: BTreeMap<&'static str, usize>,
}

/// Everything reported about one model.
#[derive(Clone, Debug, Serialize)]
pub struct ModelReport {
    pub name: String,
    /// Items that count towards the metrics.
    pub items: u64,
    pub unparsed: u64,
    pub missing: u64,
    pub metrics: MetricMap,
    /// Three-way accuracy and macro-F1, when the dataset has `label3` and the answers are 3-way.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub three_way: Option<MetricMap>,
    pub confusion: Confusion,
    pub by_relation: BTreeMap<GroupKey, Group>,
    pub by_n: BTreeMap<GroupKey, Group>,
    pub by_split: BTreeMap<GroupKey, Group>,
    pub by_mec_size: BTreeMap<GroupKey, Group>,
    /// By the rung of inference that decides the label (the dataset's `depth` field).
    pub by_depth: BTreeMap<GroupKey, Group>,
    /// Breakdowns by each variant field the dataset carries (`by_names`, `by_style`, ...).
    #[serde(flatten)]
    pub by_variant: BTreeMap<String, BTreeMap<GroupKey, Group>>,
    pub consistency: Consistency,
    pub unparsed_examples: Vec<serde_json::Value>,
}

/// A reference row computed analytically for the same items.
#[derive(Clone, Debug, Serialize)]
pub struct Reference {
    pub name: &'static str,
    pub metrics: BTreeMap<&'static str, f64>,
}

/// Two models compared on the same items.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    pub a: String,
    pub b: String,
    /// F1 of `a` minus F1 of `b`, with its paired bootstrap interval.
    pub f1_difference: Estimate,
    /// Items only `a` gets right, and only `b`.
    pub only_a_correct: u64,
    pub only_b_correct: u64,
    /// McNemar's exact test on per-item correctness.
    pub mcnemar_p: f64,
    /// Whether the F1 interval excludes 0.
    pub significant: bool,
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub items: usize,
    pub premises: usize,
    pub bootstrap: serde_json::Value,
    pub options: Options,
    /// Models, best F1 first.
    pub models: Vec<ModelReport>,
    pub references: Vec<Reference>,
    pub comparisons: Vec<Comparison>,
    /// Models grouped so that no model differs significantly (F1) from the first of its group.
    pub groups: Vec<Vec<String>>,
}

/// The keys that decide an item's groups: relation, N, split, MEC size bucket, variants.
type GroupCombo = (
    Option<Relation>,
    Option<u16>,
    Option<u8>,
    Option<&'static str>,
    Option<u8>,
    [u8; 5],
);

/// Breakdown dimensions: the five fixed ones, then the variant fields.
const DIMENSIONS: usize = 5 + data::VARIANT_FIELDS.len();

/// One bootstrap resample: per model the confusion of every slot, and the 3x3 matrix.
type Resampled = (Vec<Vec<Confusion>>, Vec<Option<[u64; 9]>>);

/// The MEC-size group of the breakdowns.
pub(crate) fn mec_bucket(size: u64) -> &'static str {
    match size {
        0..=1 => "1",
        2 => "2",
        3..=4 => "3-4",
        5..=9 => "5-9",
        10..=99 => "10-99",
        _ => "100+",
    }
}

/// Group keys of an item, one per dimension (`None` when the dataset does not say).
fn group_keys(ds: &Dataset, item: &data::Item) -> [Option<String>; DIMENSIONS] {
    std::array::from_fn(|d| match d {
        0 => item.relation.map(|r| r.as_str().to_string()),
        1 => item.n.map(|n| n.to_string()),
        2 => item.split.map(|s| ds.splits[s as usize].clone()),
        3 => item.mec_size.map(|s| mec_bucket(s).to_string()),
        4 => item
            .depth
            .map(|d| crate::causal::Depth::NAMES[d as usize].to_string()),
        v => match item.variants[v - 5] {
            0 => None,
            k => Some(ds.variant_values[k as usize - 1].clone()),
        },
    })
}

/// Per model: each item's decided prediction (None = excluded), and the 3-way one.
struct Decided {
    binary: Vec<Option<u8>>,
    three: Option<Vec<Option<u8>>>,
    unparsed: u64,
    missing: u64,
}

fn decide(ds: &Dataset, p: &Predictions, o: &Options) -> Decided {
    // Per item on every core: a model's answers are as many as the dataset's items.
    let counted = |which: fn(&Option<Answer>) -> bool| {
        p.answers.par_iter().filter(|&a| which(a)).count() as u64
    };
    let missing = counted(|a| a.is_none());
    let unparsed = counted(|a| *a == Some(Answer::Unparsed));
    let binary = ds
        .items
        .par_iter()
        .zip(&p.answers)
        .map(|(item, a)| match a {
            None => (o.missing == Missing::Wrong).then_some(1 - item.label),
            Some(Answer::Unparsed) => match o.unparsed {
                Unparsed::Wrong => Some(1 - item.label),
                Unparsed::Invalid => Some(0),
                Unparsed::Exclude => None,
            },
            Some(a) => a.binary(),
        })
        .collect();
    // Three-way when the dataset has three-way labels and every parsed answer is three-way.
    let parsed = |a: &&Option<Answer>| a.is_some_and(|a| a != Answer::Unparsed);
    let three_way = ds.has_label3
        && p.answers.par_iter().any(|a| parsed(&a))
        && p.answers
            .par_iter()
            .filter(parsed)
            .all(|a| a.and_then(Answer::three_way).is_some());
    let three = three_way.then(|| {
        ds.items
            .par_iter()
            .zip(&p.answers)
            .map(|(item, a)| {
                let wrong = item.label3.map(|l| (l + 1) % 3);
                match a {
                    None => (o.missing == Missing::Wrong).then_some(wrong).flatten(),
                    Some(Answer::Unparsed) => match o.unparsed {
                        Unparsed::Wrong => wrong,
                        Unparsed::Invalid => Some(2),
                        Unparsed::Exclude => None,
                    },
                    Some(a) => a.three_way(),
                }
            })
            .collect()
    });
    Decided {
        binary,
        three,
        unparsed,
        missing,
    }
}

fn consistency(ds: &Dataset, p: &Predictions) -> Consistency {
    let parsed = |a: &Option<Answer>| a.as_ref().is_some_and(|a| *a != Answer::Unparsed);
    // The premises with an answer read, marked on every core (a flag set twice is still set).
    let answered: Vec<AtomicBool> = (0..ds.premises.len())
        .map(|_| AtomicBool::new(false))
        .collect();
    ds.items
        .par_iter()
        .zip(&p.answers)
        .filter(|(_, a)| parsed(a))
        .for_each(|(item, _)| answered[item.premise as usize].store(true, Ordering::Relaxed));
    // Every claim "relation r holds for the pair (x, y)" of a premise, sorted by premise and
    // without repeats, found on every core.
    let mut claims: Vec<(u32, Relation, u16, u16)> = ds
        .items
        .par_iter()
        .zip(&p.answers)
        .filter_map(|(item, a)| match (a, item.relation, item.pair) {
            (Some(a), Some(r), Some((x, y))) if *a != Answer::Unparsed && a.binary() == Some(1) => {
                Some((item.premise, r, x, y))
            }
            _ => None,
        })
        .collect();
    claims.par_sort_unstable();
    claims.dedup();
    // The kinds of violation each claim makes, premise by premise.
    let kinds: Vec<Vec<&'static str>> = claims
        .par_chunk_by(|a, b| a.0 == b.0)
        .map(|set| {
            let facts = &ds.premises[set[0].0 as usize];
            let mut kinds: Vec<&'static str> = Vec::new();
            for &(premise, r, x, y) in set {
                use Relation::*;
                let has = |rel| set.binary_search(&(premise, rel, x, y)).is_ok();
                if matches!(r, Parent | NonParentAncestor)
                    && (has(Child) || has(NonChildDescendant))
                {
                    kinds.push("causes_both_ways");
                }
                if matches!(
                    r,
                    Parent | Child | NonParentAncestor | NonChildDescendant | HasConfounder
                ) && facts.marginally_independent.contains(&(x, y))
                {
                    kinds.push("dependence_claimed_for_an_independent_pair");
                }
                if matches!(r, Parent | Child) && facts.separable.contains(&(x, y)) {
                    kinds.push("direct_cause_claimed_for_a_separable_pair");
                }
            }
            kinds
        })
        .collect();
    let mut c = Consistency {
        premises: answered
            .par_iter()
            .filter(|a| a.load(Ordering::Relaxed))
            .count(),
        ..Default::default()
    };
    for kinds in kinds.into_iter().filter(|k| !k.is_empty()) {
        c.incoherent_premises += 1;
        for k in kinds {
            *c.violations.entry(k).or_default() += 1;
        }
    }
    c
}

fn metric_map(e: [Estimate; 6]) -> MetricMap {
    METRICS.iter().copied().zip(e).collect()
}

/// Three-way accuracy and macro-F1 of a 3x3 matrix (rows true, columns predicted).
fn three_way_metrics(m: &[u64; 9]) -> [f64; 2] {
    let total: u64 = m.iter().sum();
    let correct = m[0] + m[4] + m[8];
    let acc = if total == 0 {
        0.0
    } else {
        correct as f64 / total as f64
    };
    let f1 = (0..3)
        .map(|k| {
            let tp = m[k * 3 + k] as f64;
            let fp: f64 = (0..3)
                .filter(|&r| r != k)
                .map(|r| m[r * 3 + k] as f64)
                .sum();
            let fn_: f64 = (0..3)
                .filter(|&c| c != k)
                .map(|c| m[k * 3 + c] as f64)
                .sum();
            if tp == 0.0 {
                0.0
            } else {
                2.0 * tp / (2.0 * tp + fp + fn_)
            }
        })
        .sum::<f64>()
        / 3.0;
    [acc, f1]
}

/// The items of each premise in item order: premise p's are `order[starts[p]..starts[p + 1]]`.
struct ByPremise {
    starts: Vec<u32>,
    order: Vec<u32>,
}

impl ByPremise {
    fn of(ds: &Dataset) -> ByPremise {
        let (items, n, premises) = (&ds.items, ds.items.len(), ds.premises.len());
        // Premises are numbered in order of first appearance: where the number goes up by at
        // most one from an item to the next, from the first premise to the last, each premise's
        // items are consecutive (how datasets are written), and that is found on every core.
        let consecutive = n > 0
            && items[0].premise == 0
            && items[n - 1].premise as usize + 1 == premises
            && items
                .par_windows(2)
                .all(|w| w[1].premise.wrapping_sub(w[0].premise) <= 1);
        if consecutive {
            let changes: Vec<u32> = (1..n)
                .into_par_iter()
                .filter(|&i| items[i].premise != items[i - 1].premise)
                .map(|i| i as u32)
                .collect();
            let mut starts = Vec::with_capacity(premises + 1);
            starts.push(0);
            starts.extend(changes);
            starts.push(n as u32);
            debug_assert_eq!(starts.len(), premises + 1);
            let order = (0..n as u32).into_par_iter().collect();
            return ByPremise { starts, order };
        }
        let mut starts = vec![0u32; premises + 1];
        for item in items {
            starts[item.premise as usize + 1] += 1;
        }
        for p in 0..premises {
            starts[p + 1] += starts[p];
        }
        let mut next = starts.clone();
        let mut order = vec![0u32; n];
        for (i, item) in items.iter().enumerate() {
            let at = &mut next[item.premise as usize];
            order[*at as usize] = i as u32;
            *at += 1;
        }
        ByPremise { starts, order }
    }

    /// The items of premise `p`.
    fn items(&self, p: usize) -> &[u32] {
        &self.order[self.starts[p] as usize..self.starts[p + 1] as usize]
    }
}

/// Scores every model in `predictions` against `ds`.
pub fn score(ds: &Dataset, predictions: &[Predictions], o: &Options) -> Report {
    let premises = ds.premises.len();
    let decided: Vec<Decided> = predictions.par_iter().map(|p| decide(ds, p, o)).collect();
    // Group registry: (dimension, key) -> index. Keys repeat, so they are looked up once per
    // distinct (relation, n, split, MEC size) combination: the distinct combinations are found
    // on every core (each block's in order of first appearance), then registered in item order,
    // so indices do not depend on the number of threads.
    type Combos = HashMap<GroupCombo, [u16; DIMENSIONS], BuildHasherDefault<data::IdHasher>>;
    let combo_of = |item: &data::Item| -> GroupCombo {
        (
            item.relation,
            item.n,
            item.split,
            item.mec_size.map(mec_bucket),
            item.depth,
            item.variants,
        )
    };
    let firsts: Vec<Vec<usize>> = ds
        .items
        .par_chunks(BLOCK)
        .enumerate()
        .map(|(b, block)| {
            let mut seen = HashSet::<GroupCombo, BuildHasherDefault<data::IdHasher>>::default();
            (0..block.len())
                .filter(|&i| seen.insert(combo_of(&block[i])))
                .map(|i| b * BLOCK + i)
                .collect()
        })
        .collect();
    let mut group_index: BTreeMap<(usize, String), usize> = BTreeMap::new();
    let mut combos = Combos::default();
    for i in firsts.into_iter().flatten() {
        let item = &ds.items[i];
        combos.entry(combo_of(item)).or_insert_with(|| {
            let k = group_keys(ds, item);
            std::array::from_fn(|d| {
                k[d].clone().map_or(u16::MAX, |key| {
                    let next = group_index.len();
                    *group_index.entry((d, key)).or_insert(next) as u16
                })
            })
        });
    }
    let keys: Vec<[u16; DIMENSIONS]> = ds
        .items
        .par_iter()
        .map(|item| combos[&combo_of(item)])
        .collect();
    let groups = group_index.len();
    let by_premise = ByPremise::of(ds);
    // Per model and premise: (slot, confusion) with slot 0 the whole premise and 1 + g a group.
    let per_premise: Vec<Vec<Vec<(u16, Confusion)>>> = decided
        .iter()
        .map(|d| {
            (0..premises)
                .into_par_iter()
                .map(|p| {
                    let mut slots: Vec<(u16, Confusion)> = Vec::new();
                    for &i in by_premise.items(p) {
                        let (i, item) = (i as usize, &ds.items[i as usize]);
                        let Some(pred) = d.binary[i] else { continue };
                        for slot in std::iter::once(0)
                            .chain(keys[i].iter().filter(|&&g| g != u16::MAX).map(|&g| g + 1))
                        {
                            match slots.iter_mut().find(|(s, _)| *s == slot) {
                                Some((_, c)) => c.add(item.label, pred),
                                None => {
                                    let mut c = Confusion::default();
                                    c.add(item.label, pred);
                                    slots.push((slot, c));
                                }
                            }
                        }
                    }
                    slots
                })
                .collect()
        })
        .collect();
    let three_per_premise: Vec<Option<Vec<[u64; 9]>>> = decided
        .iter()
        .map(|d| {
            d.three.as_ref().map(|three| {
                let mut m = vec![[0u64; 9]; premises];
                for (item, pred) in ds.items.iter().zip(three) {
                    if let (Some(t), Some(p)) = (item.label3, pred) {
                        m[item.premise as usize][t as usize * 3 + *p as usize] += 1;
                    }
                }
                m
            })
        })
        .collect();
    // Each model's tallies as flat arrays: premise p owns entries offsets[p]..offsets[p+1].
    struct Flat {
        offsets: Vec<u32>,
        slots: Vec<u16>,
        counts: Vec<Confusion>,
    }
    let flat: Vec<Flat> = per_premise
        .iter()
        .map(|pp| {
            let offsets: Vec<u32> = std::iter::once(0)
                .chain(pp.iter().scan(0u32, |at, slots| {
                    *at += slots.len() as u32;
                    Some(*at)
                }))
                .collect();
            let entries = offsets[premises] as usize;
            let (mut slots, mut counts) =
                (Vec::with_capacity(entries), Vec::with_capacity(entries));
            for &(slot, c) in pp.iter().flatten() {
                slots.push(slot);
                counts.push(c);
            }
            Flat {
                offsets,
                slots,
                counts,
            }
        })
        .collect();
    drop(per_premise);
    // Full-data totals (sums of counts, the same in any order).
    let totals: Vec<Vec<Confusion>> = flat
        .iter()
        .map(|f| {
            let zero = || vec![Confusion::default(); 1 + groups];
            f.slots
                .par_iter()
                .zip(&f.counts)
                .fold(zero, |mut t, (s, c)| {
                    t[*s as usize].merge(c);
                    t
                })
                .reduce(zero, |mut a, b| {
                    a.iter_mut().zip(&b).for_each(|(a, b)| a.merge(b));
                    a
                })
        })
        .collect();
    // Bootstrap: resample b draws premises from its own stream and counts how often each is
    // drawn; every model then sums its tallies weighted by those counts, in one sequential pass.
    let models = predictions.len();
    let resampled: Vec<Resampled> = (0..o.bootstrap)
        .into_par_iter()
        .map(|b| {
            let mut rng = ChaCha12Rng::seed_from_u64(o.seed);
            rng.set_stream(b as u64);
            let mut drawn = vec![0u32; premises];
            for _ in 0..premises {
                drawn[crate::graph::sample::below(&mut rng, premises as u64) as usize] += 1;
            }
            let acc: Vec<Vec<Confusion>> = flat
                .iter()
                .map(|f| {
                    let mut acc = vec![Confusion::default(); 1 + groups];
                    for (p, &k) in drawn.iter().enumerate() {
                        if k == 0 {
                            continue;
                        }
                        let k = u64::from(k);
                        for e in f.offsets[p] as usize..f.offsets[p + 1] as usize {
                            let (a, c) = (&mut acc[f.slots[e] as usize], &f.counts[e]);
                            a.tp += k * c.tp;
                            a.fp += k * c.fp;
                            a.fn_ += k * c.fn_;
                            a.tn += k * c.tn;
                        }
                    }
                    acc
                })
                .collect();
            let three: Vec<Option<[u64; 9]>> = three_per_premise
                .iter()
                .map(|t| {
                    t.as_ref().map(|src| {
                        let mut m = [0u64; 9];
                        for (p, &k) in drawn.iter().enumerate() {
                            for (a, x) in m.iter_mut().zip(src[p]) {
                                *a += u64::from(k) * x;
                            }
                        }
                        m
                    })
                })
                .collect();
            (acc, three)
        })
        .collect();
    let estimate_of = |m: usize, slot: usize| -> [Estimate; 6] {
        let samples: Vec<Confusion> = resampled.iter().map(|(acc, _)| acc[m][slot]).collect();
        estimates(&totals[m][slot], &samples)
    };
    // Each model's estimates over the whole data (slot 0) and each group it answered in (slot
    // 1 + g), each from its resampled tallies, found on every core.
    let estimated: Vec<Vec<Option<[Estimate; 6]>>> = (0..models)
        .map(|m| {
            (0..1 + groups)
                .into_par_iter()
                .map(|slot| {
                    (slot == 0 || totals[m][slot].total() > 0).then(|| estimate_of(m, slot))
                })
                .collect()
        })
        .collect();
    let mut reports: Vec<ModelReport> = (0..models)
        .map(|m| {
            let mut dims: [BTreeMap<GroupKey, Group>; DIMENSIONS] = Default::default();
            for ((d, key), &g) in &group_index {
                let Some(estimates) = estimated[m][1 + g] else {
                    continue;
                };
                dims[*d].insert(
                    GroupKey(key.clone()),
                    Group {
                        items: totals[m][1 + g].total(),
                        metrics: metric_map(estimates),
                    },
                );
            }
            let mut dims = dims.into_iter();
            let mut next = || dims.next().expect("one map per dimension");
            let (by_relation, by_n, by_split, by_mec_size, by_depth) =
                (next(), next(), next(), next(), next());
            let by_variant: BTreeMap<String, BTreeMap<GroupKey, Group>> = data::VARIANT_FIELDS
                .iter()
                .map(|f| (format!("by_{f}"), next()))
                .filter(|(_, groups)| !groups.is_empty())
                .collect();
            let three_way = three_per_premise[m].as_ref().map(|tp| {
                let mut full = [0u64; 9];
                for p in tp {
                    for (a, x) in full.iter_mut().zip(p) {
                        *a += x;
                    }
                }
                let value = three_way_metrics(&full);
                let samples: Vec<[f64; 2]> = resampled
                    .iter()
                    .map(|(_, t)| three_way_metrics(&t[m].expect("three-way")))
                    .collect();
                ["accuracy", "macro_f1"]
                    .into_iter()
                    .zip(metrics::estimate_each(value, &samples))
                    .collect()
            });
            ModelReport {
                name: predictions[m].name.clone(),
                items: totals[m][0].total(),
                unparsed: decided[m].unparsed,
                missing: decided[m].missing,
                metrics: metric_map(estimated[m][0].expect("the whole data is estimated")),
                three_way,
                confusion: totals[m][0],
                by_relation,
                by_n,
                by_split,
                by_mec_size,
                by_depth,
                by_variant,
                consistency: consistency(ds, &predictions[m]),
                unparsed_examples: predictions[m]
                    .unparsed_examples
                    .iter()
                    .map(|(id, out)| serde_json::json!({"id": id, "output": out}))
                    .collect(),
            }
        })
        .collect();
    // Leaderboard order, and the resampled F1 of each model in that order.
    let mut order: Vec<usize> = (0..models).collect();
    order.sort_by(|&a, &b| {
        reports[b].metrics["f1"]
            .value
            .partial_cmp(&reports[a].metrics["f1"].value)
            .expect("no NaN")
            .then(a.cmp(&b))
    });
    let f1_samples: Vec<Vec<f64>> = (0..models)
        .map(|m| {
            resampled
                .iter()
                .map(|(acc, _)| point(&acc[m][0])[0])
                .collect()
        })
        .collect();
    let mut comparisons = Vec::new();
    for (i, &a) in order.iter().enumerate() {
        for &b in &order[i + 1..] {
            let (low, high) = paired_difference(&f1_samples[a], &f1_samples[b]);
            let (mut only_a, mut only_b) = (0u64, 0u64);
            for (k, item) in ds.items.iter().enumerate() {
                if let (Some(pa), Some(pb)) = (decided[a].binary[k], decided[b].binary[k]) {
                    match (pa == item.label, pb == item.label) {
                        (true, false) => only_a += 1,
                        (false, true) => only_b += 1,
                        _ => {}
                    }
                }
            }
            let value = reports[a].metrics["f1"].value - reports[b].metrics["f1"].value;
            comparisons.push(Comparison {
                a: reports[a].name.clone(),
                b: reports[b].name.clone(),
                f1_difference: Estimate { value, low, high },
                only_a_correct: only_a,
                only_b_correct: only_b,
                mcnemar_p: mcnemar_exact(only_a, only_b),
                significant: o.bootstrap > 0 && (low > 0.0 || high < 0.0),
            });
        }
    }
    let mut groups_out: Vec<Vec<String>> = Vec::new();
    let mut placed = vec![false; models];
    for (i, &head) in order.iter().enumerate() {
        if placed[head] {
            continue;
        }
        placed[head] = true;
        let mut group = vec![reports[head].name.clone()];
        for &m in &order[i + 1..] {
            let c = comparisons
                .iter()
                .find(|c| c.a == reports[head].name && c.b == reports[m].name)
                .expect("compared");
            if !placed[m] && !c.significant {
                placed[m] = true;
                group.push(reports[m].name.clone());
            }
        }
        groups_out.push(group);
    }
    let ordered: Vec<ModelReport> = order.iter().map(|&m| reports[m].clone()).collect();
    reports.clear();
    Report {
        items: ds.items.len(),
        premises,
        bootstrap: serde_json::json!({
            "resamples": o.bootstrap,
            "seed": o.seed,
            "unit": "premise",
            "note": "95% percentile intervals; premises are resampled with replacement, not items, because the items of one premise share its graph and text and are not independent",
        }),
        options: o.clone(),
        models: ordered,
        references: references(ds),
        comparisons,
        groups: groups_out,
    }
}

/// Always-invalid, and uniform random guessing (valid with probability 1/2), in expectation.
fn references(ds: &Dataset) -> Vec<Reference> {
    let valid = ds.items.iter().filter(|i| i.label == 1).count() as f64;
    let invalid = ds.items.len() as f64 - valid;
    let from = |tp: f64, fp: f64, fn_: f64, tn: f64| -> BTreeMap<&'static str, f64> {
        METRICS
            .iter()
            .copied()
            .zip(metrics::rates(tp, fp, fn_, tn))
            .collect()
    };
    vec![
        Reference {
            name: "always-invalid",
            metrics: from(0.0, 0.0, valid, invalid),
        },
        Reference {
            name: "random (p = 1/2)",
            metrics: from(valid / 2.0, invalid / 2.0, valid / 2.0, invalid / 2.0),
        },
    ]
}
