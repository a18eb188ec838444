//! Metrics with the valid class positive, bootstrap intervals over premises, and McNemar's exact
//! test.

use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;
use serde::Serialize;

/// Counts of a binary confusion matrix (valid = positive).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Confusion {
    pub tp: u64,
    pub fp: u64,
    pub fn_: u64,
    pub tn: u64,
}

impl Confusion {
    /// Adds one item with true label `label` and predicted `predicted` (1 = valid).
    #[inline]
    pub fn add(&mut self, label: u8, predicted: u8) {
        match (label, predicted) {
            (1, 1) => self.tp += 1,
            (0, 1) => self.fp += 1,
            (1, _) => self.fn_ += 1,
            _ => self.tn += 1,
        }
    }

    #[inline]
    pub fn merge(&mut self, other: &Confusion) {
        self.tp += other.tp;
        self.fp += other.fp;
        self.fn_ += other.fn_;
        self.tn += other.tn;
    }

    pub fn total(&self) -> u64 {
        self.tp + self.fp + self.fn_ + self.tn
    }
}

/// The metrics reported for every model and group, in report order.
pub const METRICS: [&str; 6] = [
    "f1",
    "precision",
    "recall",
    "accuracy",
    "balanced_accuracy",
    "mcc",
];

/// The six metrics of a confusion matrix, as fractions.
///
/// Where a ratio is 0/0 the answer is vacuous: precision with no positive prediction, recall with
/// no positive item, F1 with neither, and MCC with a constant column or row count as 1 when no
/// item was got wrong the way that ratio measures, and 0 otherwise.
pub fn metrics(c: &Confusion) -> [f64; 6] {
    rates(c.tp as f64, c.fp as f64, c.fn_ as f64, c.tn as f64)
}

/// [`metrics`] on real-valued (expected) counts.
pub fn rates(tp: f64, fp: f64, fn_: f64, tn: f64) -> [f64; 6] {
    let vacuous = |wrong: f64| if wrong == 0.0 { 1.0 } else { 0.0 };
    let precision = if tp + fp > 0.0 {
        tp / (tp + fp)
    } else {
        vacuous(fn_)
    };
    let recall = if tp + fn_ > 0.0 {
        tp / (tp + fn_)
    } else {
        vacuous(fp)
    };
    let specificity = if tn + fp > 0.0 {
        tn / (tn + fp)
    } else {
        vacuous(fn_)
    };
    let f1 = if tp + fp + fn_ > 0.0 {
        2.0 * tp / (2.0 * tp + fp + fn_)
    } else {
        1.0
    };
    let total = tp + fp + fn_ + tn;
    let accuracy = if total > 0.0 { (tp + tn) / total } else { 0.0 };
    let balanced = if tp + fn_ == 0.0 {
        specificity
    } else if tn + fp == 0.0 {
        recall
    } else {
        (recall + specificity) / 2.0
    };
    let denom = ((tp + fp) * (tp + fn_) * (tn + fp) * (tn + fn_)).sqrt();
    let mcc = if denom > 0.0 {
        (tp * tn - fp * fn_) / denom
    } else {
        vacuous(fp + fn_)
    };
    [f1, precision, recall, accuracy, balanced, mcc]
}

/// A value with its 95% bootstrap interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Estimate {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// Premises drawn with replacement, `resamples` times, the same for every model so that paired
/// differences are paired: `draws[b]` lists how often each premise is drawn in resample `b`.
pub struct Resamples {
    pub counts: Vec<Vec<u32>>,
}

impl Resamples {
    /// `resamples` draws of `premises` premises, seeded.
    pub fn new(premises: usize, resamples: usize, seed: u64) -> Resamples {
        use rayon::prelude::*;
        let counts = (0..resamples)
            .into_par_iter()
            .map(|b| {
                let mut rng = ChaCha12Rng::seed_from_u64(seed);
                rng.set_stream(b as u64);
                let mut c = vec![0u32; premises];
                for _ in 0..premises {
                    c[crate::graph::sample::below(&mut rng, premises as u64) as usize] += 1;
                }
                c
            })
            .collect();
        Resamples { counts }
    }

    /// The confusion matrix of each resample, from per-premise matrices.
    pub fn confusions(&self, per_premise: &[Confusion]) -> Vec<Confusion> {
        use rayon::prelude::*;
        self.counts
            .par_iter()
            .map(|draw| {
                let mut c = Confusion::default();
                for (k, p) in draw.iter().zip(per_premise) {
                    if *k > 0 {
                        let k = u64::from(*k);
                        c.tp += k * p.tp;
                        c.fp += k * p.fp;
                        c.fn_ += k * p.fn_;
                        c.tn += k * p.tn;
                    }
                }
                c
            })
            .collect()
    }
}

/// The 2.5th and 97.5th percentiles of `values` (sorted in place).
pub fn interval(values: &mut [f64]) -> (f64, f64) {
    if values.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    values.sort_unstable_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    let at =
        |q: f64| values[((q * (values.len() - 1) as f64).round() as usize).min(values.len() - 1)];
    (at(0.025), at(0.975))
}

/// The interval of `a - b` over paired resamples (the same premises drawn for both models);
/// resamples where either value is undefined (NaN) are left out.
pub fn paired_difference(a: &[f64], b: &[f64]) -> (f64, f64) {
    let mut diffs: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(x, y)| x - y)
        .filter(|d| !d.is_nan())
        .collect();
    interval(&mut diffs)
}

/// Each metric with its interval, from the full-data matrix and the resampled ones. A resample
/// that drew no item of the group (possible for a small breakdown group) says nothing about it
/// and is left out, rather than counted as a score of 0.
pub fn estimates(full: &Confusion, resampled: &[Confusion]) -> [Estimate; 6] {
    let per: Vec<[f64; 6]> = resampled
        .iter()
        .filter(|c| c.total() > 0)
        .map(metrics)
        .collect();
    estimate_each(metrics(full), &per)
}

/// Each of `K` values with the interval of its resampled values.
pub fn estimate_each<const K: usize>(value: [f64; K], samples: &[[f64; K]]) -> [Estimate; K] {
    std::array::from_fn(|m| {
        let mut v: Vec<f64> = samples.iter().map(|x| x[m]).collect();
        let (low, high) = interval(&mut v);
        Estimate {
            value: value[m],
            low,
            high,
        }
    })
}

/// McNemar's exact test: two-sided p-value for `b` items only the first model gets right and `c`
/// only the second gets right (binomial, p = 1/2).
pub fn mcnemar_exact(b: u64, c: u64) -> f64 {
    let n = b + c;
    if n == 0 {
        return 1.0;
    }
    let k = b.min(c);
    // ln C(n, i) - n ln 2, summed for i = 0..=k in log space.
    let ln_fact = |m: u64| -> f64 { (1..=m).map(|i| (i as f64).ln()).sum() };
    let ln_n = ln_fact(n);
    let mut ln_i = 0.0; // ln i!
    let mut ln_rest = ln_n; // ln (n - i)!
    let mut terms = Vec::with_capacity(k as usize + 1);
    for i in 0..=k {
        if i > 0 {
            ln_i += (i as f64).ln();
            ln_rest -= ((n - i + 1) as f64).ln();
        }
        terms.push(ln_n - ln_i - ln_rest - n as f64 * std::f64::consts::LN_2);
    }
    let max = terms.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let tail = max.exp() * terms.iter().map(|t| (t - max).exp()).sum::<f64>();
    (2.0 * tail).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resamples_without_the_group_are_left_out_of_its_interval() {
        // A group answered perfectly: every resample that holds it scores 1; one that drew none
        // of its premises must not pull the interval down to 0 (it did: accuracy 1.0 [0.0, 1.0]).
        let right = |k: u64| Confusion {
            tp: k,
            fp: 0,
            fn_: 0,
            tn: k,
        };
        let mut samples = vec![Confusion::default(); 30];
        samples.extend((1..=70).map(right));
        let [f1, _, _, acc, _, mcc] = estimates(&right(3), &samples);
        for e in [f1, acc, mcc] {
            assert_eq!((e.value, e.low, e.high), (1.0, 1.0, 1.0));
        }
    }

    #[test]
    fn hand_computed_metrics() {
        // TP 6, FP 2, FN 4, TN 8.
        let c = Confusion {
            tp: 6,
            fp: 2,
            fn_: 4,
            tn: 8,
        };
        let [f1, p, r, acc, bal, mcc] = metrics(&c);
        assert!((p - 0.75).abs() < 1e-12);
        assert!((r - 0.6).abs() < 1e-12);
        assert!((f1 - 2.0 * 0.75 * 0.6 / 1.35).abs() < 1e-12);
        assert!((acc - 0.7).abs() < 1e-12);
        assert!((bal - (0.6 + 0.8) / 2.0).abs() < 1e-12);
        let expected_mcc = (6.0 * 8.0 - 2.0 * 4.0) / ((8.0f64) * 10.0 * 10.0 * 12.0).sqrt();
        assert!((mcc - expected_mcc).abs() < 1e-12);
        // Always invalid: no positive predictions.
        let never = Confusion {
            tp: 0,
            fp: 0,
            fn_: 15,
            tn: 85,
        };
        assert_eq!(metrics(&never), [0.0, 0.0, 0.0, 0.85, 0.5, 0.0]);
        // Nothing valid and nothing claimed: perfect, not zero.
        let vacuous = Confusion {
            tp: 0,
            fp: 0,
            fn_: 0,
            tn: 40,
        };
        assert_eq!(metrics(&vacuous), [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]);
        let false_alarm = Confusion {
            tp: 0,
            fp: 3,
            fn_: 0,
            tn: 37,
        };
        assert_eq!(metrics(&false_alarm)[..3], [0.0, 0.0, 0.0]);
    }

    #[test]
    fn mcnemar_matches_the_binomial() {
        // b = 1, c = 9: p = 2 * (C(10,0) + C(10,1)) / 1024 = 22 / 1024.
        assert!((mcnemar_exact(1, 9) - 22.0 / 1024.0).abs() < 1e-12);
        assert_eq!(mcnemar_exact(5, 5), 1.0);
        assert_eq!(mcnemar_exact(0, 0), 1.0);
        assert!(mcnemar_exact(0, 30) < 1e-8);
        // Large counts stay finite.
        let p = mcnemar_exact(49_000, 51_000);
        assert!(p > 0.0 && p < 1e-8, "{p}");
    }

    #[test]
    fn resamples_are_seeded() {
        let a = Resamples::new(50, 20, 7);
        let b = Resamples::new(50, 20, 7);
        assert_eq!(a.counts, b.counts);
        assert!(a.counts.iter().all(|c| c.iter().sum::<u32>() == 50));
    }
}
