//! Shallow readers: rules and small learners that answer an item from the surface of its premise
//! (see [`crate::text::surface`]) and its hypothesis alone, with no causal inference. A benchmark
//! whose labels they predict measures reading, not reasoning; `corrcause audit --shortcuts`
//! scores them and `generate --balance hard` builds datasets on which they are at chance.
//!
//! Each reader is fitted per relation on training items: the label prior, letter order (for
//! directed claims, valid iff the claimed cause comes first in the alphabet), stated correlation
//! and its negation, never separated and its negation, a depth-3 decision tree (CART, Gini) and a
//! logistic regression (Newton's method, a light ridge) over the surface features.

#![allow(clippy::needless_range_loop)] // index loops read best in the linear algebra

use crate::causal::Relation;
use crate::text::PairSurface;

/// The readers, in report order.
pub const READERS: [&str; 8] = [
    "prior",
    "letter_order",
    "correlated",
    "not_correlated",
    "never_separated",
    "separated",
    "tree",
    "logistic",
];

/// Depth of the decision tree.
pub const TREE_DEPTH: usize = 3;
/// Fewest training items in a leaf of the tree.
const MIN_LEAF: usize = 5;
/// Number of surface features.
const F: usize = 8;

/// What a reader sees of one item, and its label.
#[derive(Clone, Copy, Debug)]
pub struct ReaderItem {
    pub relation: Relation,
    pub surface: PairSurface,
    /// For directed claims: whether the claimed cause's name comes first in the alphabet.
    pub cause_first: Option<bool>,
    /// 1 = valid.
    pub label: u8,
}

/// Whether the claim names a cause and an effect, and which of `(x, y)` is the cause.
pub fn claimed_cause_is_x(relation: Relation) -> Option<bool> {
    match relation {
        Relation::Parent | Relation::NonParentAncestor => Some(true),
        Relation::Child | Relation::NonChildDescendant => Some(false),
        Relation::HasCollider | Relation::HasConfounder => None,
    }
}

/// A fitted decision tree: leaves hold the share of valid training items.
#[derive(Clone, Debug)]
enum Tree {
    Leaf(f64),
    Split {
        feature: usize,
        threshold: f64,
        below: Box<Tree>,
        above: Box<Tree>,
    },
}

impl Tree {
    /// CART on `rows`: at each node the split (feature, then threshold, ascending) of least Gini
    /// impurity, thresholds halfway between neighbouring values.
    fn fit(rows: &[([f64; F], u8)], depth: usize) -> Tree {
        // The distinct values of each feature, ascending, and each row's rank among them: a
        // node then finds its best split by counting, with no sorting. (Features are counts:
        // few distinct values.)
        let mut values: Vec<Vec<f64>> = vec![Vec::new(); F];
        // (`+ 0.0` makes -0 and 0 one value, as `<` sees them.)
        for (x, _) in rows {
            for (f, v) in values.iter_mut().enumerate() {
                if let Err(at) = v.binary_search_by(|a| a.total_cmp(&(x[f] + 0.0))) {
                    v.insert(at, x[f] + 0.0);
                }
            }
        }
        let ranks: Vec<[u32; F]> = rows
            .iter()
            .map(|(x, _)| {
                std::array::from_fn(|f| {
                    values[f]
                        .binary_search_by(|a| a.total_cmp(&(x[f] + 0.0)))
                        .expect("a listed value") as u32
                })
            })
            .collect();
        let mut fitter = TreeFitter {
            rows,
            values: &values,
            ranks: &ranks,
            counts: Vec::new(),
        };
        let mut at: Vec<u32> = (0..rows.len() as u32).collect();
        fitter.grow(&mut at, depth)
    }

    fn p_valid(&self, x: &[f64; F]) -> f64 {
        match self {
            Tree::Leaf(p) => *p,
            Tree::Split {
                feature,
                threshold,
                below,
                above,
            } => {
                if x[*feature] < *threshold {
                    below.p_valid(x)
                } else {
                    above.p_valid(x)
                }
            }
        }
    }
}

/// The training rows of a tree with each feature's distinct values and each row's ranks.
struct TreeFitter<'a> {
    rows: &'a [([f64; F], u8)],
    values: &'a [Vec<f64>],
    ranks: &'a [[u32; F]],
    /// Per rank: [rows, valid rows] of the node being split (reused).
    counts: Vec<[usize; 2]>,
}

impl TreeFitter<'_> {
    /// The tree of the rows `at` (indices into `rows`; reordered).
    fn grow(&mut self, at: &mut [u32], depth: usize) -> Tree {
        let n = at.len();
        let valid = at.iter().filter(|&&i| self.rows[i as usize].1 == 1).count();
        let share = if n == 0 { 0.5 } else { valid as f64 / n as f64 };
        if depth == 0 || valid == 0 || valid == n || n < 2 * MIN_LEAF {
            return Tree::Leaf(share);
        }
        let parent = gini(valid, n);
        // (impurity, feature, threshold)
        let mut best: Option<(f64, usize, f64)> = None;
        for f in 0..F {
            let values = &self.values[f];
            self.counts.clear();
            self.counts.resize(values.len(), [0, 0]);
            for &i in at.iter() {
                let c = &mut self.counts[self.ranks[i as usize][f] as usize];
                c[0] += 1;
                c[1] += usize::from(self.rows[i as usize].1);
            }
            // Candidate thresholds lie between neighbouring values present in the node.
            let (mut below, mut v_below) = (0, 0);
            let mut last: Option<usize> = None;
            for (r, &[rows, v]) in self.counts.iter().enumerate() {
                if rows == 0 {
                    continue;
                }
                if let Some(lo) = last {
                    if below >= MIN_LEAF && n - below >= MIN_LEAF {
                        let impurity = gini(v_below, below) + gini(valid - v_below, n - below);
                        if best.is_none_or(|b| impurity < b.0 - 1e-12) {
                            best = Some((impurity, f, (values[lo] + values[r]) / 2.0));
                        }
                    }
                }
                below += rows;
                v_below += v;
                last = Some(r);
            }
        }
        match best {
            Some((impurity, feature, threshold)) if impurity < parent - 1e-9 => {
                let split = partition(at, |&i| self.rows[i as usize].0[feature] < threshold);
                let (below, above) = at.split_at_mut(split);
                Tree::Split {
                    feature,
                    threshold,
                    below: Box::new(self.grow(below, depth - 1)),
                    above: Box::new(self.grow(above, depth - 1)),
                }
            }
            _ => Tree::Leaf(share),
        }
    }
}

/// Gini impurity of `t` rows of which `v` are valid, times `t`.
fn gini(v: usize, t: usize) -> f64 {
    let p = v as f64 / t as f64;
    t as f64 * 2.0 * p * (1.0 - p)
}

/// Moves the rows where `pred` holds to the front; returns how many there are.
fn partition<T>(rows: &mut [T], pred: impl Fn(&T) -> bool) -> usize {
    let mut k = 0;
    for i in 0..rows.len() {
        if pred(&rows[i]) {
            rows.swap(i, k);
            k += 1;
        }
    }
    k
}

/// A fitted logistic regression on standardised features.
#[derive(Clone, Debug)]
struct Logistic {
    mean: [f64; F],
    scale: [f64; F],
    /// Intercept, then one weight per feature.
    w: [f64; F + 1],
}

/// Ridge penalty on the (standardised) weights, not the intercept: keeps Newton's method defined
/// when a feature is constant or separates the labels.
const RIDGE: f64 = 1e-2;

impl Logistic {
    fn fit(rows: &[([f64; F], u8)]) -> Logistic {
        let n = rows.len().max(1) as f64;
        let mut mean = [0.0; F];
        for (x, _) in rows {
            for f in 0..F {
                mean[f] += x[f] / n;
            }
        }
        let mut scale = [0.0; F];
        for (x, _) in rows {
            for f in 0..F {
                scale[f] += (x[f] - mean[f]).powi(2) / n;
            }
        }
        for s in &mut scale {
            *s = if *s > 1e-12 { s.sqrt() } else { 1.0 };
        }
        let mut model = Logistic {
            mean,
            scale,
            w: [0.0; F + 1],
        };
        // The standardised inputs, computed once for every Newton step.
        let inputs: Vec<[f64; F + 1]> = rows.iter().map(|(x, _)| model.inputs(x)).collect();
        for _ in 0..50 {
            let mut grad = [0.0; F + 1];
            let mut hess = [[0.0; F + 1]; F + 1];
            for (z, (_, y)) in inputs.iter().zip(rows) {
                let p = model.p(z);
                let r = f64::from(*y) - p;
                let w = (p * (1.0 - p)).max(1e-9);
                for i in 0..=F {
                    grad[i] += r * z[i];
                    for j in 0..=i {
                        hess[i][j] += w * z[i] * z[j];
                    }
                }
            }
            for i in 0..=F {
                for j in 0..i {
                    hess[j][i] = hess[i][j];
                }
                if i > 0 {
                    grad[i] -= RIDGE * model.w[i];
                    hess[i][i] += RIDGE;
                }
            }
            let Some(step) = solve(hess, grad) else { break };
            let mut size = 0.0f64;
            for i in 0..=F {
                model.w[i] += step[i];
                size = size.max(step[i].abs());
            }
            if size < 1e-6 {
                break;
            }
        }
        model
    }

    fn inputs(&self, x: &[f64; F]) -> [f64; F + 1] {
        let mut z = [1.0; F + 1];
        for f in 0..F {
            z[f + 1] = (x[f] - self.mean[f]) / self.scale[f];
        }
        z
    }

    fn p(&self, z: &[f64; F + 1]) -> f64 {
        let t: f64 = z.iter().zip(&self.w).map(|(a, b)| a * b).sum();
        1.0 / (1.0 + (-t.clamp(-40.0, 40.0)).exp())
    }

    fn p_valid(&self, x: &[f64; F]) -> f64 {
        self.p(&self.inputs(x))
    }
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting; `None` if singular.
fn solve<const K: usize>(mut a: [[f64; K]; K], mut b: [f64; K]) -> Option<[f64; K]> {
    for c in 0..K {
        let p = (c..K).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
        if a[p][c].abs() < 1e-12 {
            return None;
        }
        a.swap(c, p);
        b.swap(c, p);
        for r in c + 1..K {
            let m = a[r][c] / a[c][c];
            for k in c..K {
                a[r][k] -= m * a[c][k];
            }
            b[r] -= m * b[c];
        }
    }
    let mut x = [0.0; K];
    for c in (0..K).rev() {
        let s: f64 = (c + 1..K).map(|k| a[c][k] * x[k]).sum();
        x[c] = (b[c] - s) / a[c][c];
    }
    Some(x)
}

/// Every reader fitted per relation on a training set.
#[derive(Clone, Debug)]
pub struct Fitted {
    /// Share of valid training items per relation (0.5 with none).
    prior: [f64; 6],
    tree: Vec<Tree>,
    logistic: Vec<Logistic>,
}

impl Fitted {
    /// Fits every reader on `train`, relation by relation.
    pub fn fit<'a>(train: impl IntoIterator<Item = &'a ReaderItem>) -> Fitted {
        let mut rows: Vec<Vec<([f64; F], u8)>> = vec![Vec::new(); 6];
        for item in train {
            rows[item.relation.index()].push((item.surface.features(), item.label));
        }
        use rayon::prelude::*;
        let fitted: Vec<(f64, Tree, Logistic)> = rows
            .into_par_iter()
            .map(|r| {
                let prior = if r.is_empty() {
                    0.5
                } else {
                    r.iter().filter(|x| x.1 == 1).count() as f64 / r.len() as f64
                };
                let (tree, logistic) =
                    rayon::join(|| Tree::fit(&r, TREE_DEPTH), || Logistic::fit(&r));
                (prior, tree, logistic)
            })
            .collect();
        let mut prior = [0.5; 6];
        let (mut tree, mut logistic) = (Vec::new(), Vec::new());
        for (k, (p, t, l)) in fitted.into_iter().enumerate() {
            prior[k] = p;
            tree.push(t);
            logistic.push(l);
        }
        Fitted {
            prior,
            tree,
            logistic,
        }
    }

    /// The probability of "valid" reader `reader` (an index into [`READERS`]) gives `item`; the
    /// rules answer 0 or 1.
    pub fn p_valid(&self, reader: usize, item: &ReaderItem) -> f64 {
        let r = item.relation.index();
        let s = &item.surface;
        let rule = |b: bool| f64::from(u8::from(b));
        match READERS[reader] {
            "prior" => self.prior[r],
            "letter_order" => item.cause_first.map_or(self.prior[r], rule),
            "correlated" => rule(s.correlated),
            "not_correlated" => rule(!s.correlated),
            "never_separated" => rule(!s.separated),
            "separated" => rule(s.separated),
            "tree" => self.tree[r].p_valid(&s.features()),
            "logistic" => self.logistic[r].p_valid(&s.features()),
            other => unreachable!("unknown reader {other}"),
        }
    }

    /// What the learned readers (`tree`, then `logistic`) give `item` as its probability of
    /// "valid": [`Fitted::p_valid`] of both, the features computed once.
    pub fn p_valid_learned(&self, item: &ReaderItem) -> [f64; 2] {
        let r = item.relation.index();
        let x = item.surface.features();
        [self.tree[r].p_valid(&x), self.logistic[r].p_valid(&x)]
    }

    /// The answer of reader `reader` for `item` (1 = valid); a tie counts as valid.
    pub fn predict(&self, reader: usize, item: &ReaderItem) -> u8 {
        u8::from(self.p_valid(reader, item) >= 0.5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(relation: Relation, correlated: bool, mx: u32, label: u8) -> ReaderItem {
        ReaderItem {
            relation,
            surface: PairSurface {
                correlated,
                separated: false,
                mentions_x: mx,
                mentions_y: 3,
                mentions_both: 1,
                conditioned: 0,
                statements: 10,
                variables: 5,
            },
            cause_first: claimed_cause_is_x(relation),
            label,
        }
    }

    #[test]
    fn learners_find_a_threshold_and_a_direction() {
        // Valid iff mentions_x >= 7: the tree and the regression both learn it exactly.
        let train: Vec<ReaderItem> = (0..200)
            .map(|k| item(Relation::Parent, k % 3 == 0, k % 12, u8::from(k % 12 >= 7)))
            .collect();
        let fitted = Fitted::fit(&train);
        let tree = READERS.iter().position(|r| *r == "tree").unwrap();
        let logistic = READERS.iter().position(|r| *r == "logistic").unwrap();
        for it in &train {
            assert_eq!(fitted.predict(tree, it), it.label);
            assert_eq!(fitted.predict(logistic, it), it.label);
        }
        // The prior is the share of valid items.
        let valid = train.iter().filter(|i| i.label == 1).count() as f64;
        let p = fitted.p_valid(0, &train[0]);
        assert!((p - valid / 200.0).abs() < 1e-12, "{p}");
    }

    /// Random rows of small integer features whose labels lean on features 2 and 6.
    fn random_rows(seed: u64, n: usize) -> Vec<([f64; F], u8)> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                let x: [f64; F] = std::array::from_fn(|f| {
                    f64::from(rng.random_range(0..[2, 2, 7, 5, 3, 4, 9, 3][f]))
                });
                let lean = 0.2 + 0.08 * x[2] - 0.05 * x[6] + 0.2 * x[0];
                (x, u8::from(rng.random_bool(lean.clamp(0.05, 0.95))))
            })
            .collect()
    }

    /// CART by brute force: every feature, every midpoint between neighbouring distinct values,
    /// both sides counted afresh; the least impurity wins, the first in (feature, threshold)
    /// order on a tie (within 1e-12).
    fn brute_force_tree(rows: &[([f64; F], u8)], depth: usize) -> Tree {
        let n = rows.len();
        let valid = rows.iter().filter(|r| r.1 == 1).count();
        let share = if n == 0 { 0.5 } else { valid as f64 / n as f64 };
        let pure = valid == 0 || valid == n;
        if pure || depth == 0 || n < 2 * MIN_LEAF {
            return Tree::Leaf(share);
        }
        let mut best: Option<(f64, usize, f64)> = None;
        for f in 0..F {
            let mut values: Vec<f64> = rows.iter().map(|r| r.0[f]).collect();
            values.sort_by(f64::total_cmp);
            values.dedup();
            for pair in values.windows(2) {
                let t = (pair[0] + pair[1]) / 2.0;
                let below: Vec<&([f64; F], u8)> = rows.iter().filter(|r| r.0[f] < t).collect();
                let v_below = below.iter().filter(|r| r.1 == 1).count();
                if below.len() < MIN_LEAF || n - below.len() < MIN_LEAF {
                    continue;
                }
                let impurity = gini(v_below, below.len()) + gini(valid - v_below, n - below.len());
                if best.is_none_or(|b| impurity < b.0 - 1e-12) {
                    best = Some((impurity, f, t));
                }
            }
        }
        match best {
            Some((impurity, feature, threshold)) if impurity < gini(valid, n) - 1e-9 => {
                let (below, above): (Vec<_>, Vec<_>) =
                    rows.iter().partition(|r| r.0[feature] < threshold);
                Tree::Split {
                    feature,
                    threshold,
                    below: Box::new(brute_force_tree(&below, depth - 1)),
                    above: Box::new(brute_force_tree(&above, depth - 1)),
                }
            }
            _ => Tree::Leaf(share),
        }
    }

    #[test]
    fn tree_agrees_with_brute_force() {
        for seed in 0..40 {
            let rows = random_rows(seed, 20 + 15 * seed as usize);
            for depth in [1, TREE_DEPTH, 5] {
                let fast = format!("{:?}", Tree::fit(&rows, depth));
                assert_eq!(
                    fast,
                    format!("{:?}", brute_force_tree(&rows, depth)),
                    "seed {seed}"
                );
            }
        }
    }

    #[test]
    fn logistic_reaches_the_penalised_optimum() {
        // At the fit, the gradient of the ridge-penalised log-likelihood (computed here on the
        // standardised inputs) vanishes.
        for seed in 0..10 {
            let rows = random_rows(100 + seed, 300);
            let m = Logistic::fit(&rows);
            let mut grad = [0.0; F + 1];
            for (x, y) in &rows {
                let mut z = [1.0; F + 1];
                for f in 0..F {
                    z[f + 1] = (x[f] - m.mean[f]) / m.scale[f];
                }
                let t: f64 = (0..=F).map(|i| z[i] * m.w[i]).sum();
                let p = 1.0 / (1.0 + (-t).exp());
                for i in 0..=F {
                    grad[i] += (f64::from(*y) - p) * z[i];
                }
            }
            for i in 1..=F {
                grad[i] -= RIDGE * m.w[i];
            }
            assert!(grad.iter().all(|g| g.abs() < 1e-6), "seed {seed}: {grad:?}");
        }
    }

    #[test]
    fn linear_solve() {
        let x = solve([[2.0, 1.0], [1.0, 3.0]], [3.0, 5.0]).unwrap();
        assert!((x[0] - 0.8).abs() < 1e-12 && (x[1] - 1.4).abs() < 1e-12);
        assert!(solve([[1.0, 1.0], [1.0, 1.0]], [1.0, 2.0]).is_none());
    }
}
