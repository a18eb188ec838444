//! Hard balancing (`generate --balance hard`): within each relation, valid and invalid items are
//! matched on what a shallow reader sees of the premise (see [`crate::text::surface`]), so that
//! no reader of the surface can tell them apart.
//!
//! Every item gets a cell: its relation, the number of variables, whether the pair is stated to
//! correlate, whether it is ever stated independent, and binned counts of the sentences naming x,
//! naming y, naming both, conditioning on x or y, and of the premise's sentences. In each split
//! and cell, as many valid as invalid items are kept (all of the rarer label, a seeded choice of
//! the other). Where cells lack one label, more graphs are drawn rather than the cells relaxed
//! (see `generate`). Matching leaves the learned readers slightly above chance, so
//! [`filtered_keep`] then filters adversarially against them. The manifest records, per relation
//! and cell, the candidates and the kept, and every filtering round.

use super::config::Config;
use crate::causal::Relation;
use crate::text::{PairSurface, Premise, Surface};
use serde_json::json;
use std::collections::BTreeMap;

/// The surface cell of an item (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cell {
    pub relation: Relation,
    pub variables: u8,
    pub correlated: bool,
    pub separated: bool,
    pub mentions_x: u8,
    pub mentions_y: u8,
    pub mentions_both: u8,
    pub conditioned: u8,
    pub statements: u8,
}

/// Bin of a count: 0, 1, then bins a factor of about 1.4 wide (two per power of two).
pub fn bin(count: u32) -> u8 {
    if count == 0 {
        return 0;
    }
    let c = f64::from(count);
    (1.0 + (2.0 * c.log2()).floor()) as u8
}

impl Cell {
    /// The cell of an item about `relation` with the surface `s`.
    pub fn of(relation: Relation, s: &PairSurface) -> Cell {
        Cell {
            relation,
            variables: s.variables as u8,
            correlated: s.correlated,
            separated: s.separated,
            mentions_x: bin(s.mentions_x),
            mentions_y: bin(s.mentions_y),
            mentions_both: bin(s.mentions_both),
            conditioned: bin(s.conditioned),
            statements: bin(s.statements),
        }
    }

    fn json(&self) -> serde_json::Value {
        json!({
            "variables": self.variables,
            "correlated": self.correlated,
            "separated": self.separated,
            "mentions_x_bin": self.mentions_x,
            "mentions_y_bin": self.mentions_y,
            "mentions_both_bin": self.mentions_both,
            "conditioned_bin": self.conditioned,
            "statements_bin": self.statements,
        })
    }
}

/// An item as hard balancing sees it: its binary label, its surface and its cell.
#[derive(Clone, Copy, Debug)]
pub struct ItemCell {
    pub valid: bool,
    pub cell: Cell,
    pub surface: PairSurface,
}

/// The cells of a premise's items, in item order (pair by pair, then relation), given the
/// items' binary labels in that order.
pub fn item_cells(config: &Config, premise: &Premise, labels: &[bool]) -> Vec<ItemCell> {
    let surface = Surface::of(premise);
    let n = premise.n;
    let mut out = Vec::with_capacity(labels.len());
    for x in 0..n {
        for y in x + 1..n {
            let s = surface.pair(x, y);
            for &relation in &config.relations {
                out.push(ItemCell {
                    valid: labels[out.len()],
                    cell: Cell::of(relation, &s),
                    surface: s,
                });
            }
        }
    }
    out
}

/// Share of items in cells (per relation, over all splits) where one label is missing: what
/// drawing more graphs could win back.
pub fn lacking_share<'a>(units: impl IntoIterator<Item = &'a [ItemCell]>) -> f64 {
    let mut counts: BTreeMap<Cell, [u64; 2]> = BTreeMap::new();
    for cells in units {
        for c in cells {
            counts.entry(c.cell).or_default()[usize::from(c.valid)] += 1;
        }
    }
    let total: u64 = counts.values().map(|c| c[0] + c[1]).sum();
    let lacking: u64 = counts
        .values()
        .filter(|c| c[0] == 0 || c[1] == 0)
        .map(|c| c[0] + c[1])
        .sum();
    if total == 0 {
        0.0
    } else {
        lacking as f64 / total as f64
    }
}

/// Which items to keep: in each split and cell, all of the rarer label and as many of the other,
/// chosen by `hash(unit, item)`; with the manifest's record of candidates and kept per relation
/// and cell.
pub fn matched_keep(
    cells: &[&[ItemCell]],
    splits: &[Option<usize>],
    hash: impl Fn(usize, usize) -> u64,
) -> (Vec<Vec<bool>>, serde_json::Value) {
    let matcher = Matcher::new(cells, splits, &hash);
    let all: Vec<Vec<bool>> = cells.iter().map(|c| vec![true; c.len()]).collect();
    let keep = matcher.keep(&all);
    let record = matcher.record(&keep);
    (keep, record)
}

/// Every item's (split, cell) group and tie-breaking hash, computed once for all rounds.
struct Matcher {
    /// `(split, cell)` of each group, sorted.
    groups: Vec<(Option<usize>, Cell)>,
    /// (group, valid, hash, unit, item) of every item.
    items: Vec<(u32, bool, u64, u32, u32)>,
    shape: Vec<usize>,
}

impl Matcher {
    fn new(
        cells: &[&[ItemCell]],
        splits: &[Option<usize>],
        hash: &impl Fn(usize, usize) -> u64,
    ) -> Matcher {
        let mut index: BTreeMap<(Option<usize>, Cell), u32> = BTreeMap::new();
        for (u, unit) in cells.iter().enumerate() {
            for c in unit.iter() {
                index.entry((splits[u], c.cell)).or_insert(0);
            }
        }
        for (g, v) in index.values_mut().enumerate() {
            *v = g as u32;
        }
        let mut items = Vec::new();
        for (u, unit) in cells.iter().enumerate() {
            for (k, c) in unit.iter().enumerate() {
                items.push((
                    index[&(splits[u], c.cell)],
                    c.valid,
                    hash(u, k),
                    u as u32,
                    k as u32,
                ));
            }
        }
        Matcher {
            groups: index.into_keys().collect(),
            items,
            shape: cells.iter().map(|c| c.len()).collect(),
        }
    }

    /// The matched items among those `allowed` marks.
    fn keep(&self, allowed: &[Vec<bool>]) -> Vec<Vec<bool>> {
        let mut pools: Vec<[Vec<(u64, u32, u32)>; 2]> = vec![Default::default(); self.groups.len()];
        for &(g, valid, h, u, k) in &self.items {
            if allowed[u as usize][k as usize] {
                pools[g as usize][usize::from(valid)].push((h, u, k));
            }
        }
        let mut keep: Vec<Vec<bool>> = self.shape.iter().map(|&l| vec![false; l]).collect();
        for mut pool in pools {
            let m = pool[0].len().min(pool[1].len());
            for side in &mut pool {
                if m < side.len() {
                    side.select_nth_unstable(m);
                }
                for &(_, u, k) in &side[..m] {
                    keep[u as usize][k as usize] = true;
                }
            }
        }
        keep
    }

    /// Per relation and cell (over all splits): candidates of each label, and kept.
    fn record(&self, keep: &[Vec<bool>]) -> serde_json::Value {
        // cell -> [candidates invalid, candidates valid, kept valid]
        let mut record: BTreeMap<Cell, [u64; 3]> = BTreeMap::new();
        for &(g, valid, _, u, k) in &self.items {
            let r = record.entry(self.groups[g as usize].1).or_default();
            r[usize::from(valid)] += 1;
            r[2] += u64::from(valid && keep[u as usize][k as usize]);
        }
        let mut by_relation: BTreeMap<&str, Vec<serde_json::Value>> = BTreeMap::new();
        for (cell, [invalid, valid, kept]) in record {
            by_relation
                .entry(cell.relation.as_str())
                .or_default()
                .push(json!({
                    "cell": cell.json(),
                    "candidates": {"valid": valid, "invalid": invalid},
                    "kept": {"valid": kept, "invalid": kept},
                }));
        }
        json!(by_relation)
    }
}

/// Most rounds of adversarial filtering.
pub const FILTER_ROUNDS: usize = 8;
/// A reader is confidently right on an item when its probability of the true label is at least
/// this.
pub const CONFIDENT: f64 = 0.55;
/// Filtering goes on while some reader is more accurate than this on some relation's held-out
/// kept items of some split (the splits other than train, or all premises, cross-fitted, without
/// a train split).
pub const CHANCE: f64 = 0.52;
/// Largest held-out accuracy left on any relation of any split, whatever its size.
pub const CEILING: f64 = 0.545;
/// Folds of the cross-fitting (by premise) in adversarial filtering.
const FILTER_FOLDS: u64 = 3;

/// Adversarial filtering after matching: the learned readers (tree, logistic) are fitted on the
/// training premises (cross-fitted over folds for the training premises themselves); on each
/// relation where a reader beats [`CHANCE`] (and chance by a standard error, up to [`CEILING`]) on
/// a held-out split, the items a reader gets right with confidence are
/// dropped and the rest matched again, until no reader beats chance on any relation (or
/// [`FILTER_ROUNDS`] rounds). Returns the kept items, the record per cell, and the rounds run.
pub fn filtered_keep(
    cells: &[&[ItemCell]],
    splits: &[Option<usize>],
    train: Option<usize>,
    hash: impl Fn(usize, usize) -> u64 + Sync,
) -> (Vec<Vec<bool>>, serde_json::Value, Vec<serde_json::Value>) {
    use super::readers::{Fitted, ReaderItem, READERS};
    use rayon::prelude::*;
    let mut allowed: Vec<Vec<bool>> = cells.iter().map(|c| vec![true; c.len()]).collect();
    let matcher = Matcher::new(cells, splits, &hash);
    let mut keep = matcher.keep(&allowed);
    let learned: Vec<usize> = ["tree", "logistic"]
        .iter()
        .map(|name| READERS.iter().position(|r| r == name).expect("a reader"))
        .collect();
    let view = |u: usize, k: usize| {
        let c = &cells[u][k];
        ReaderItem {
            relation: c.cell.relation,
            surface: c.surface,
            cause_first: None,
            label: u8::from(c.valid),
        }
    };
    // Training premises are cross-fitted; the others are judged by readers fitted on all the
    // training premises, as the audit fits on the train split and scores the test split.
    let held_out = |u: usize| train.is_some() && splits[u] != train;
    let fold = |u: usize| {
        if held_out(u) {
            FILTER_FOLDS
        } else {
            hash(u, usize::MAX) % FILTER_FOLDS
        }
    };
    let mut rounds = Vec::new();
    for _ in 0..FILTER_ROUNDS {
        let mut kept: Vec<(usize, usize)> = Vec::new();
        for (u, row) in keep.iter().enumerate() {
            kept.extend(
                row.iter()
                    .enumerate()
                    .filter(|(_, &k)| k)
                    .map(|(k, _)| (u, k)),
            );
        }
        let fitted: Vec<Fitted> = (0..=FILTER_FOLDS)
            .into_par_iter()
            .map(|f| {
                let train: Vec<ReaderItem> = kept
                    .iter()
                    .filter(|(u, _)| !held_out(*u) && fold(*u) != f)
                    .map(|&(u, k)| view(u, k))
                    .collect();
                Fitted::fit(&train)
            })
            .collect();
        // Per item: the probability each learned reader gives its true label.
        let judged: Vec<(usize, usize, Vec<f64>)> = kept
            .par_iter()
            .map(|&(u, k)| {
                let it = view(u, k);
                let m = &fitted[fold(u) as usize];
                let p: Vec<f64> = learned
                    .iter()
                    .map(|&r| {
                        let p = m.p_valid(r, &it);
                        if it.label == 1 {
                            p
                        } else {
                            1.0 - p
                        }
                    })
                    .collect();
                (u, k, p)
            })
            .collect();
        // Accuracy on the held-out premises (all premises when there is no train split).
        let scored: Vec<&(usize, usize, Vec<f64>)> = judged
            .iter()
            .filter(|j| train.is_none() || held_out(j.0))
            .collect();
        // Per relation and reader: [right, all] on the scored items.
        let mut tally = [[[0u64; 2]; 2]; 6];
        for (u, k, p) in &scored {
            let rel = cells[*u][*k].cell.relation.index();
            for (r, &p) in p.iter().enumerate() {
                tally[rel][r][0] += u64::from(p > 0.5);
                tally[rel][r][1] += 1;
            }
        }
        let rate = |t: [u64; 2]| t[0] as f64 / t[1].max(1) as f64;
        // Per reader: [right, all] over every relation (integers, so that the manifest reads back
        // exactly when shards are merged).
        let overall: Vec<[u64; 2]> = (0..learned.len())
            .map(|r| {
                tally
                    .iter()
                    .fold([0, 0], |a, t| [a[0] + t[r][0], a[1] + t[r][1]])
            })
            .collect();
        // Relations on which some reader beats chance in some held-out split: their
        // confidently-right items go.
        let mut by_split: BTreeMap<(Option<usize>, usize), [[u64; 2]; 2]> = BTreeMap::new();
        for (u, k, p) in &scored {
            let t = by_split
                .entry((splits[*u], cells[*u][*k].cell.relation.index()))
                .or_default();
            for (r, &p) in p.iter().enumerate() {
                t[r][0] += u64::from(p > 0.5);
                t[r][1] += 1;
            }
        }
        // Above chance by more than one standard error, and above [`CHANCE`]: small groups are
        // not filtered for their noise, but none is left above [`CEILING`].
        let mut leaking = [false; 6];
        for ((_, rel), t) in &by_split {
            leaking[*rel] |= t.iter().any(|&rt| {
                let noise = 0.5 / (rt[1].max(1) as f64).sqrt();
                rate(rt) > (0.5 + noise).clamp(CHANCE, CEILING)
            });
        }
        let mut dropped = 0;
        for (u, k, p) in &judged {
            if leaking[cells[*u][*k].cell.relation.index()] && p.iter().any(|&p| p >= CONFIDENT) {
                allowed[*u][*k] = false;
                dropped += 1;
            }
        }
        rounds.push(json!({
            "held_out": learned.iter().zip(&overall).map(|(&r, [right, all])| (READERS[r], json!({"right": right, "items": all}))).collect::<BTreeMap<_, _>>(),
            "kept_items": kept.len(),
            "dropped": dropped,
        }));
        if dropped == 0 {
            break;
        }
        keep = matcher.keep(&allowed);
    }
    let record = matcher.record(&keep);
    (keep, record, rounds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_grow_geometrically() {
        let bins: Vec<u8> = [0, 1, 2, 3, 4, 5, 6, 8, 11, 12, 16].map(bin).to_vec();
        assert_eq!(bins, [0, 1, 3, 4, 5, 5, 6, 7, 7, 8, 9]);
    }

    #[test]
    fn matching_keeps_equal_labels_per_split_and_cell() {
        let s = PairSurface {
            correlated: true,
            separated: false,
            mentions_x: 3,
            mentions_y: 4,
            mentions_both: 1,
            conditioned: 0,
            statements: 9,
            variables: 4,
        };
        let a = Cell::of(Relation::Parent, &s);
        let b = Cell::of(
            Relation::Parent,
            &PairSurface {
                correlated: false,
                ..s
            },
        );
        let it = |valid, cell| ItemCell {
            valid,
            cell,
            surface: s,
        };
        let units = [
            vec![it(true, a), it(false, a), it(true, a), it(true, b)],
            vec![it(false, a), it(true, a), it(false, b)],
            vec![it(false, a)],
        ];
        let views: Vec<&[ItemCell]> = units.iter().map(|u| u.as_slice()).collect();
        let splits = [Some(0), Some(0), Some(1)];
        let (keep, record) = matched_keep(&views, &splits, |u, k| (u * 7 + k) as u64);
        // Split 0: cell a has 3 valid and 2 invalid -> 2 + 2; cell b 1 + 1. Split 1: nothing.
        let kept = |v: bool| -> usize {
            units
                .iter()
                .zip(&keep)
                .map(|(u, k)| u.iter().zip(k).filter(|(c, &k)| k && c.valid == v).count())
                .sum()
        };
        assert_eq!((kept(true), kept(false)), (3, 3));
        assert!(!keep[2][0]);
        let cells = record["parent"].as_array().unwrap();
        assert_eq!(cells.len(), 2);
        let total_kept: u64 = cells
            .iter()
            .map(|c| c["kept"]["valid"].as_u64().unwrap())
            .sum();
        assert_eq!(total_kept, 3);
    }
}
