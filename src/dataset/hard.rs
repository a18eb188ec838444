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
//! and cell, the candidates and the kept, and every filtering round. Matching, fitting, judging
//! and the record run on rayon's threads; what is kept does not depend on their number.

use super::config::Config;
use crate::causal::Relation;
use crate::text::{PairSurface, Premise, Surface};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

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

    /// The cell packed in an integer that sorts as the cell does: its fields in declaration
    /// order, most significant first (relation 3 bits, the flags 1 bit, the counts 8 bits).
    fn key(&self) -> u64 {
        let fields: [(u64, u32); 9] = [
            (self.relation.index() as u64, 3),
            (u64::from(self.variables), 8),
            (u64::from(self.correlated), 1),
            (u64::from(self.separated), 1),
            (u64::from(self.mentions_x), 8),
            (u64::from(self.mentions_y), 8),
            (u64::from(self.mentions_both), 8),
            (u64::from(self.conditioned), 8),
            (u64::from(self.statements), 8),
        ];
        fields.iter().fold(0, |key, &(v, bits)| key << bits | v)
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
    let mut counts: HashMap<u64, [u64; 2]> = HashMap::new();
    for cells in units {
        for c in cells {
            counts.entry(c.cell.key()).or_default()[usize::from(c.valid)] += 1;
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
    hash: impl Fn(usize, usize) -> u64 + Sync,
) -> (Vec<Vec<bool>>, serde_json::Value) {
    let matcher = Matcher::new(cells, splits, &hash);
    let keep = matcher.marks(&matcher.keep(&vec![true; matcher.len()]));
    let record = matcher.record(&keep);
    (matcher.per_unit(&keep), record)
}

/// A matching group: items of one split (`None` without splits) and cell.
type Group = (Option<usize>, Cell);

/// Every item's (split, cell) group and place in its group's tie-breaking order, computed once
/// for all rounds. Items are numbered flat: unit by unit, in item order.
struct Matcher {
    /// `(split, cell)` of each group, sorted.
    groups: Vec<Group>,
    /// Flat item numbers by group, then label (invalid first), then ascending `(hash, unit,
    /// item)`: the order in which matching takes them.
    order: Vec<u32>,
    /// Group `g`'s items of label `v` are `order[starts[2 g + v]..starts[2 g + v + 1]]`.
    starts: Vec<usize>,
    /// Flat number of each unit's first item, then the number of items.
    offsets: Vec<usize>,
}

impl Matcher {
    fn new(
        cells: &[&[ItemCell]],
        splits: &[Option<usize>],
        hash: &(impl Fn(usize, usize) -> u64 + Sync),
    ) -> Matcher {
        use rayon::prelude::*;
        let mut offsets = Vec::with_capacity(cells.len() + 1);
        offsets.push(0);
        for unit in cells {
            offsets.push(offsets.last().copied().unwrap_or(0) + unit.len());
        }
        let total = offsets[cells.len()];
        assert!(u32::try_from(total).is_ok(), "too many items to balance");
        // (split, cell and label, hash, flat number): sorted, it lists the groups in order and
        // each group's labels (invalid first) in the order matching takes them (flat numbers
        // follow (unit, item)). The split (`None` first), the cell and the label are packed in
        // one integer that sorts as they do.
        let mut keyed: Vec<(u128, u64, u32)> = (0..total)
            .into_par_iter()
            .map(|i| {
                let u = offsets.partition_point(|&o| o <= i) - 1;
                let c = &cells[u][i - offsets[u]];
                let split = splits[u].map_or(0, |s| s as u128 + 1);
                let key = (split << 64 | u128::from(c.cell.key())) << 1 | u128::from(c.valid);
                (key, hash(u, i - offsets[u]), i as u32)
            })
            .collect();
        keyed.par_sort_unstable();
        let first: Vec<usize> = (0..total)
            .into_par_iter()
            .filter(|&i| i == 0 || keyed[i].0 >> 1 != keyed[i - 1].0 >> 1)
            .collect();
        let (groups, sides): (Vec<Group>, Vec<[usize; 2]>) = (0..first.len())
            .into_par_iter()
            .map(|g| {
                let (start, end) = (first[g], first.get(g + 1).copied().unwrap_or(total));
                let invalid = keyed[start..end].partition_point(|k| k.0 & 1 == 0);
                let flat = keyed[start].2 as usize;
                let u = offsets.partition_point(|&o| o <= flat) - 1;
                let group = (splits[u], cells[u][flat - offsets[u]].cell);
                (group, [start, start + invalid])
            })
            .unzip();
        let mut starts: Vec<usize> = sides.into_iter().flatten().collect();
        starts.push(total);
        let order = keyed.into_par_iter().map(|k| k.2).collect();
        Matcher {
            groups,
            order,
            starts,
            offsets,
        }
    }

    /// Number of items.
    fn len(&self) -> usize {
        self.offsets[self.offsets.len() - 1]
    }

    /// Group `g`'s items of label `valid`, in matching order.
    fn side(&self, g: usize, valid: bool) -> &[u32] {
        let s = 2 * g + usize::from(valid);
        &self.order[self.starts[s]..self.starts[s + 1]]
    }

    /// The matched items among those `allowed` marks (by flat number), as ascending flat
    /// numbers: in each group, as many of each label as the rarer has, the first in matching
    /// order.
    fn keep<'a>(&'a self, allowed: &'a [bool]) -> Vec<u32> {
        use rayon::prelude::*;
        let mut chosen: Vec<u32> = (0..self.groups.len())
            .into_par_iter()
            .flat_map_iter(|g| {
                let allowed_of =
                    |side: &'a [u32]| side.iter().copied().filter(|&i| allowed[i as usize]);
                let (invalid, valid) = (self.side(g, false), self.side(g, true));
                let m = allowed_of(invalid).count().min(allowed_of(valid).count());
                allowed_of(invalid).take(m).chain(allowed_of(valid).take(m))
            })
            .collect();
        chosen.par_sort_unstable();
        chosen
    }

    /// `(unit, item)` of a flat number.
    fn unit_item(&self, i: u32) -> (usize, usize) {
        let i = i as usize;
        let u = self.offsets.partition_point(|&o| o <= i) - 1;
        (u, i - self.offsets[u])
    }

    /// Flat marks of the items `kept` (ascending flat numbers).
    fn marks(&self, kept: &[u32]) -> Vec<bool> {
        let mut marks = vec![false; self.len()];
        for &i in kept {
            marks[i as usize] = true;
        }
        marks
    }

    /// Per unit, the flat marks `flat`.
    fn per_unit(&self, flat: &[bool]) -> Vec<Vec<bool>> {
        self.offsets
            .windows(2)
            .map(|w| flat[w[0]..w[1]].to_vec())
            .collect()
    }

    /// Per relation and cell (over all splits): candidates of each label, and kept.
    fn record(&self, keep: &[bool]) -> serde_json::Value {
        use rayon::prelude::*;
        // (cell, [candidates invalid, candidates valid, kept valid]) per group, then per cell.
        let mut per_group: Vec<(Cell, [u64; 3])> = (0..self.groups.len())
            .into_par_iter()
            .map(|g| {
                let valid = self.side(g, true);
                let kept = valid.iter().filter(|&&i| keep[i as usize]).count();
                (
                    self.groups[g].1,
                    [
                        self.side(g, false).len() as u64,
                        valid.len() as u64,
                        kept as u64,
                    ],
                )
            })
            .collect();
        per_group.par_sort_unstable_by_key(|r| r.0);
        let mut per_cell: Vec<(Cell, [u64; 3])> = Vec::with_capacity(per_group.len());
        for (cell, counts) in per_group {
            match per_cell.last_mut() {
                Some((last, sum)) if *last == cell => {
                    for (s, c) in sum.iter_mut().zip(counts) {
                        *s += c;
                    }
                }
                _ => per_cell.push((cell, counts)),
            }
        }
        // A row of numbers per cell, under the record's `columns`: thousands of small maps
        // (each with its field names) cost more to build and write than the dataset's items.
        let rows: Vec<(&'static str, serde_json::Value)> = per_cell
            .into_par_iter()
            .map(|(cell, [invalid, valid, kept])| {
                (
                    cell.relation.as_str(),
                    json!([
                        cell.variables,
                        cell.correlated,
                        cell.separated,
                        cell.mentions_x,
                        cell.mentions_y,
                        cell.mentions_both,
                        cell.conditioned,
                        cell.statements,
                        valid,
                        invalid,
                        kept,
                        kept
                    ]),
                )
            })
            .collect();
        let mut by_relation: BTreeMap<&str, Vec<serde_json::Value>> = BTreeMap::new();
        for (relation, row) in rows {
            by_relation.entry(relation).or_default().push(row);
        }
        let by_relation: serde_json::Map<String, serde_json::Value> = by_relation
            .into_iter()
            .map(|(r, rows)| (r.to_string(), serde_json::Value::Array(rows)))
            .collect();
        let mut record = json!({"columns": CELL_COLUMNS});
        record["by_relation"] = serde_json::Value::Object(by_relation); // `json!` would copy it
        record
    }
}

/// The columns of a row of the manifest's record of cells (`hard_balance.cells.by_relation`):
/// the cell's features, then its candidate and kept items by label.
pub const CELL_COLUMNS: [&str; 12] = [
    "variables",
    "correlated",
    "separated",
    "mentions_x_bin",
    "mentions_y_bin",
    "mentions_both_bin",
    "conditioned_bin",
    "statements_bin",
    "candidates_valid",
    "candidates_invalid",
    "kept_valid",
    "kept_invalid",
];

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
    let matcher = Matcher::new(cells, splits, &hash);
    let mut allowed = vec![true; matcher.len()];
    let mut keep = matcher.keep(&allowed);
    // The learned readers, in the order of [`Fitted::p_valid_learned`].
    let learned: [usize; 2] =
        ["tree", "logistic"].map(|name| READERS.iter().position(|r| *r == name).expect("a reader"));
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
    let fold: Vec<u64> = (0..cells.len())
        .into_par_iter()
        .map(|u| {
            if held_out(u) {
                FILTER_FOLDS
            } else {
                hash(u, usize::MAX) % FILTER_FOLDS
            }
        })
        .collect();
    // Accuracy tallies are kept per split: `None` first, then the splits in order.
    let slot = |u: usize| splits[u].map_or(0, |s| s + 1);
    let slots = (0..cells.len()).map(|u| slot(u) + 1).max().unwrap_or(0);
    let mut rounds = Vec::new();
    for _ in 0..FILTER_ROUNDS {
        // (unit, item) of every kept item, in order.
        let kept: Vec<(u32, u32)> = keep
            .par_iter()
            .map(|&i| {
                let (u, k) = matcher.unit_item(i);
                (u as u32, k as u32)
            })
            .collect();
        let fitted: Vec<Fitted> = (0..=FILTER_FOLDS)
            .into_par_iter()
            .map(|f| {
                let train: Vec<ReaderItem> = kept
                    .iter()
                    .map(|&(u, k)| (u as usize, k as usize))
                    .filter(|&(u, _)| !held_out(u) && fold[u] != f)
                    .map(|(u, k)| view(u, k))
                    .collect();
                Fitted::fit(&train)
            })
            .collect();
        // Per kept item: the probability each learned reader gives its true label.
        let judged: Vec<[f64; 2]> = kept
            .par_iter()
            .map(|&(u, k)| {
                let (u, k) = (u as usize, k as usize);
                let it = view(u, k);
                fitted[fold[u] as usize].p_valid_learned(&it).map(|p| {
                    if it.label == 1 {
                        p
                    } else {
                        1.0 - p
                    }
                })
            })
            .collect();
        // Per split, relation and reader: [right, all] on the held-out premises (all premises
        // when there is no train split). Integers, so the sums do not depend on the threads.
        let by_split: Vec<[[[u64; 2]; 2]; 6]> = kept
            .par_iter()
            .zip(&judged)
            .filter(|((u, _), _)| train.is_none() || held_out(*u as usize))
            .fold(
                || vec![[[[0u64; 2]; 2]; 6]; slots],
                |mut t, (&(u, k), p)| {
                    let rel = cells[u as usize][k as usize].cell.relation.index();
                    let counts = &mut t[slot(u as usize)][rel];
                    for (r, &p) in p.iter().enumerate() {
                        counts[r][0] += u64::from(p > 0.5);
                        counts[r][1] += 1;
                    }
                    t
                },
            )
            .reduce(
                || vec![[[[0u64; 2]; 2]; 6]; slots],
                |mut a, b| {
                    for (a, b) in a
                        .iter_mut()
                        .flatten()
                        .flatten()
                        .zip(b.iter().flatten().flatten())
                    {
                        a[0] += b[0];
                        a[1] += b[1];
                    }
                    a
                },
            );
        let rate = |t: [u64; 2]| t[0] as f64 / t[1].max(1) as f64;
        // Per reader: [right, all] over every split and relation (integers, so that the
        // manifest reads back exactly when shards are merged).
        let overall: Vec<[u64; 2]> = (0..learned.len())
            .map(|r| {
                by_split
                    .iter()
                    .flatten()
                    .fold([0, 0], |a, t| [a[0] + t[r][0], a[1] + t[r][1]])
            })
            .collect();
        // Relations on which some reader beats chance in some held-out split: their
        // confidently-right items go. Above chance by more than one standard error, and above
        // [`CHANCE`]: small groups are not filtered for their noise, but none is left above
        // [`CEILING`].
        let mut leaking = [false; 6];
        for per_relation in &by_split {
            for (rel, t) in per_relation.iter().enumerate() {
                leaking[rel] |= t.iter().any(|&rt| {
                    let noise = 0.5 / (rt[1].max(1) as f64).sqrt();
                    rate(rt) > (0.5 + noise).clamp(CHANCE, CEILING)
                });
            }
        }
        let dropped: Vec<usize> = kept
            .par_iter()
            .zip(&judged)
            .filter(|((u, k), p)| {
                leaking[cells[*u as usize][*k as usize].cell.relation.index()]
                    && p.iter().any(|&p| p >= CONFIDENT)
            })
            .map(|((u, k), _)| matcher.offsets[*u as usize] + *k as usize)
            .collect();
        for &i in &dropped {
            allowed[i] = false;
        }
        rounds.push(json!({
            "held_out": learned.iter().zip(&overall).map(|(&r, [right, all])| (READERS[r], json!({"right": right, "items": all}))).collect::<BTreeMap<_, _>>(),
            "kept_items": kept.len(),
            "dropped": dropped.len(),
        }));
        if dropped.is_empty() {
            break;
        }
        keep = matcher.keep(&allowed);
    }
    let keep = matcher.marks(&keep);
    let record = matcher.record(&keep);
    (matcher.per_unit(&keep), record, rounds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_grow_geometrically() {
        let bins: Vec<u8> = [0, 1, 2, 3, 4, 5, 6, 8, 11, 12, 16].map(bin).to_vec();
        assert_eq!(bins, [0, 1, 3, 4, 5, 5, 6, 7, 7, 8, 9]);
    }

    use rand::{Rng, SeedableRng};

    /// SplitMix64's finaliser: the tie-breaking hash of the tests.
    fn splitmix(mut x: u64) -> u64 {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^ (x >> 31)
    }

    fn test_hash(u: usize, k: usize) -> u64 {
        splitmix(splitmix(u as u64) ^ k as u64)
    }

    /// Random units of items whose labels lean on the surface (so that the learned readers beat
    /// chance and filtering runs several rounds), with a split per unit.
    fn random_units(seed: u64, units: usize) -> (Vec<Vec<ItemCell>>, Vec<Option<usize>>) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut all = Vec::new();
        let mut splits = Vec::new();
        for _ in 0..units {
            let variables = rng.random_range(4..8u32);
            let statements = rng.random_range(3..12u32);
            let items = rng.random_range(10..40);
            let unit: Vec<ItemCell> = (0..items)
                .map(|_| {
                    let s = PairSurface {
                        correlated: rng.random_bool(0.6),
                        separated: rng.random_bool(0.3),
                        mentions_x: rng.random_range(0..6),
                        mentions_y: rng.random_range(0..6),
                        mentions_both: rng.random_range(0..3),
                        conditioned: rng.random_range(0..4),
                        statements,
                        variables,
                    };
                    let relation = Relation::ALL[rng.random_range(0..6)];
                    let lean = 0.25 + 0.1 * f64::from(s.mentions_x.min(5))
                        - 0.15 * f64::from(u8::from(s.separated));
                    ItemCell {
                        valid: rng.random_bool(lean.clamp(0.05, 0.95)),
                        cell: Cell::of(relation, &s),
                        surface: s,
                    }
                })
                .collect();
            all.push(unit);
            let r: f64 = rng.random();
            splits.push(Some(if r < 0.7 {
                0
            } else if r < 0.85 {
                1
            } else {
                2
            }));
        }
        (all, splits)
    }

    /// Matching as first written: per (split, cell) group, every item of each label, and the
    /// `m` least by `(hash, unit, item)` of each, `m` the rarer label's count.
    fn brute_force_matching(
        units: &[Vec<ItemCell>],
        splits: &[Option<usize>],
        allowed: &[Vec<bool>],
    ) -> Vec<Vec<bool>> {
        // Per group and label: (hash, unit, item) of each allowed item.
        type Pool = [Vec<(u64, usize, usize)>; 2];
        let mut pools: BTreeMap<Group, Pool> = BTreeMap::new();
        for (u, unit) in units.iter().enumerate() {
            for (k, c) in unit.iter().enumerate() {
                if allowed[u][k] {
                    pools.entry((splits[u], c.cell)).or_default()[usize::from(c.valid)].push((
                        test_hash(u, k),
                        u,
                        k,
                    ));
                }
            }
        }
        let mut keep: Vec<Vec<bool>> = units.iter().map(|u| vec![false; u.len()]).collect();
        for mut pool in pools.into_values() {
            let m = pool[0].len().min(pool[1].len());
            for side in &mut pool {
                side.sort();
                for &(_, u, k) in &side[..m] {
                    keep[u][k] = true;
                }
            }
        }
        keep
    }

    #[test]
    fn cell_keys_sort_as_cells() {
        let (units, _) = random_units(3, 60);
        let cells: Vec<Cell> = units.iter().flatten().map(|c| c.cell).collect();
        for a in &cells[..200] {
            for b in &cells {
                assert_eq!(a.key().cmp(&b.key()), a.cmp(b), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn matching_agrees_with_brute_force() {
        let (units, splits) = random_units(11, 200);
        let views: Vec<&[ItemCell]> = units.iter().map(|u| u.as_slice()).collect();
        let (keep, record) = matched_keep(&views, &splits, test_hash);
        let all: Vec<Vec<bool>> = units.iter().map(|u| vec![true; u.len()]).collect();
        assert_eq!(keep, brute_force_matching(&units, &splits, &all));
        // The record: candidates and kept per cell and label ([invalid, valid] each), counted
        // here from the items.
        let mut expected: BTreeMap<Cell, [u64; 4]> = BTreeMap::new();
        for (unit, keep) in units.iter().zip(&keep) {
            for (c, &k) in unit.iter().zip(keep) {
                let e = expected.entry(c.cell).or_default();
                e[usize::from(c.valid)] += 1;
                e[2 + usize::from(c.valid)] += u64::from(k);
            }
        }
        let listed: Vec<serde_json::Value> = Relation::ALL
            .iter()
            .flat_map(|r| {
                record["by_relation"][r.as_str()]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .collect();
        // Each row's values looked up by its column's name, so that a column out of place fails.
        let expected: Vec<serde_json::Value> = expected
            .into_iter()
            .map(|(c, [invalid, valid, kept_invalid, kept_valid])| {
                let value = |column: &str| -> serde_json::Value {
                    match column {
                        "variables" => json!(c.variables),
                        "correlated" => json!(c.correlated),
                        "separated" => json!(c.separated),
                        "mentions_x_bin" => json!(c.mentions_x),
                        "mentions_y_bin" => json!(c.mentions_y),
                        "mentions_both_bin" => json!(c.mentions_both),
                        "conditioned_bin" => json!(c.conditioned),
                        "statements_bin" => json!(c.statements),
                        "candidates_valid" => json!(valid),
                        "candidates_invalid" => json!(invalid),
                        "kept_valid" => json!(kept_valid),
                        "kept_invalid" => json!(kept_invalid),
                        other => panic!("unknown column {other}"),
                    }
                };
                serde_json::Value::Array(CELL_COLUMNS.iter().map(|c| value(c)).collect())
            })
            .collect();
        assert_eq!(listed, expected);
        // Matching a subset: the same rule on the allowed items only.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let allowed: Vec<Vec<bool>> = units
            .iter()
            .map(|u| u.iter().map(|_| rng.random_bool(0.7)).collect())
            .collect();
        let matcher = Matcher::new(&views, &splits, &test_hash);
        let flat: Vec<bool> = allowed.iter().flatten().copied().collect();
        let keep = matcher.per_unit(&matcher.marks(&matcher.keep(&flat)));
        assert_eq!(keep, brute_force_matching(&units, &splits, &allowed));
    }

    #[test]
    fn filtering_does_not_depend_on_the_threads() {
        let (units, splits) = random_units(7, 400);
        let views: Vec<&[ItemCell]> = units.iter().map(|u| u.as_slice()).collect();
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| filtered_keep(&views, &splits, Some(0), test_hash))
        };
        let (keep, record, rounds) = run(1);
        assert!(rounds.len() > 1, "filtering ran one round: {rounds:?}");
        assert!(rounds[0]["dropped"].as_u64().unwrap() > 0);
        for threads in [2, 4] {
            let (k, c, r) = run(threads);
            assert_eq!(k, keep, "{threads} threads");
            assert_eq!(c, record, "{threads} threads");
            assert_eq!(r, rounds, "{threads} threads");
        }
        // Whatever was filtered, the kept items are matched: as many valid as invalid per
        // split and cell.
        let mut balance: BTreeMap<(Option<usize>, Cell), i64> = BTreeMap::new();
        for ((unit, keep), split) in units.iter().zip(&keep).zip(&splits) {
            for (c, &k) in unit.iter().zip(keep) {
                if k {
                    *balance.entry((*split, c.cell)).or_default() += if c.valid { 1 } else { -1 };
                }
            }
        }
        assert!(balance.values().all(|&d| d == 0));
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
        let column = |name: &str| CELL_COLUMNS.iter().position(|c| *c == name).unwrap();
        assert_eq!(
            record["columns"].as_array().unwrap().len(),
            CELL_COLUMNS.len()
        );
        let rows = record["by_relation"]["parent"].as_array().unwrap();
        assert_eq!(rows.len(), 2);
        let total =
            |name: &str| -> u64 { rows.iter().map(|r| r[column(name)].as_u64().unwrap()).sum() };
        assert_eq!(total("kept_valid"), 3);
        assert_eq!(total("kept_invalid"), 3);
        // Per cell over both splits, as counted by hand above: (candidates valid, invalid,
        // kept valid, invalid); cell a is the correlated one.
        let counts = |correlated: bool| -> Vec<u64> {
            let row = rows
                .iter()
                .find(|r| r[column("correlated")] == correlated)
                .unwrap();
            [
                "candidates_valid",
                "candidates_invalid",
                "kept_valid",
                "kept_invalid",
            ]
            .map(|c| row[column(c)].as_u64().unwrap())
            .to_vec()
        };
        assert_eq!(counts(true), [3, 3, 2, 2]);
        assert_eq!(counts(false), [1, 1, 1, 1]);
    }
}
