//! Seeded random DAGs: the same graph for the same `(seed, index)` on any machine and thread count.
//!
//! Every graph draws from its own ChaCha12 stream (`seed` picks the key, `index` the stream), and
//! all integer draws go through [`below`], so no platform-dependent sampling is involved.

use super::dag::Dag;
use super::nodeset::{NodeSet, MAX_NODES};

/// Largest number of nodes a sampler draws graphs on (as edge lists; [`Dag`]s stop at 64).
pub const MAX_SAMPLE_NODES: usize = 128;

/// Parent sets of up to 128 nodes.
type Parents = Vec<u128>;
use num_bigint::BigUint;
use num_traits::{One, Zero};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha12Rng;

/// How random DAGs are drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sampler {
    /// Erdos-Renyi over a uniformly random node order: each forward pair is an edge with
    /// probability `p`.
    ErdosRenyi { p: f64 },
    /// Exactly `m` edges, chosen uniformly among the forward pairs of a uniformly random order.
    Edges { m: usize },
    /// Exactly uniform over all labelled DAGs on `n` nodes (Kuipers & Moffa 2015).
    Uniform,
}

impl Sampler {
    /// The sampler named as `graph sample --sampler` names it (`er`, `edges`, `uniform`), with
    /// its parameter: `edge_prob` for `er`, `edges` (required) for `edges`.
    pub fn named(name: &str, edge_prob: f64, edges: Option<usize>) -> Result<Sampler, String> {
        match name {
            "er" => Ok(Sampler::ErdosRenyi { p: edge_prob }),
            "edges" => edges
                .map(|m| Sampler::Edges { m })
                .ok_or_else(|| "--sampler edges needs --edges M".to_string()),
            "uniform" => Ok(Sampler::Uniform),
            other => Err(format!(
                "unknown sampler {other:?} (one of er, edges, uniform)"
            )),
        }
    }
}

/// Why a sampler cannot be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SampleError {
    #[error("samplers draw graphs of at most {MAX_SAMPLE_NODES} nodes, got {0}")]
    TooManyNodes(usize),
    #[error("edge probability must lie in [0, 1], got {0}")]
    BadProbability(f64),
    #[error("{m} edges asked for, but {n} nodes allow at most {max} (with the in-degree limit)")]
    TooManyEdges { m: usize, n: usize, max: usize },
    #[error("the uniform sampler does not support a maximum in-degree")]
    UniformWithMaxInDegree,
}

/// A seeded DAG sampler for one number of nodes; cheap to share across threads.
#[derive(Debug, Clone)]
pub struct DagSampler {
    n: usize,
    sampler: Sampler,
    max_in_degree: Option<usize>,
    counts: Option<DagCounts>,
}

impl DagSampler {
    /// A sampler of DAGs on `n` nodes. `max_in_degree` caps parents per node (ER keeps a random
    /// subset of the drawn parents; `Edges` skips pairs into full nodes); not for `Uniform`.
    pub fn new(
        n: usize,
        sampler: Sampler,
        max_in_degree: Option<usize>,
    ) -> Result<DagSampler, SampleError> {
        if n > MAX_SAMPLE_NODES {
            return Err(SampleError::TooManyNodes(n));
        }
        let mut counts = None;
        match sampler {
            Sampler::ErdosRenyi { p } => {
                if !(0.0..=1.0).contains(&p) {
                    return Err(SampleError::BadProbability(p));
                }
            }
            Sampler::Edges { m } => {
                let max = max_edges(n, max_in_degree);
                if m > max {
                    return Err(SampleError::TooManyEdges { m, n, max });
                }
            }
            Sampler::Uniform => {
                if max_in_degree.is_some() {
                    return Err(SampleError::UniformWithMaxInDegree);
                }
                counts = Some(DagCounts::new(n));
            }
        }
        Ok(DagSampler {
            n,
            sampler,
            max_in_degree,
            counts,
        })
    }

    /// Number of nodes of the graphs drawn.
    pub fn n(&self) -> usize {
        self.n
    }

    /// The `index`-th graph of the stream `seed` as a [`Dag`]; needs `n <= 64`.
    pub fn sample(&self, seed: u64, index: u64) -> Dag {
        assert!(
            self.n <= MAX_NODES,
            "a Dag has at most {MAX_NODES} nodes; use sample_edges"
        );
        let parents = self.sample_parents(seed, index);
        Dag::from_parents_unchecked(parents.into_iter().map(|p| NodeSet(p as u64)).collect())
    }

    /// The `index`-th graph of the stream `seed` as sorted edges `(from, to)`; any `n <= 128`.
    pub fn sample_edges(&self, seed: u64, index: u64) -> Vec<(usize, usize)> {
        let parents = self.sample_parents(seed, index);
        let mut edges = Vec::new();
        for (v, &ps) in parents.iter().enumerate() {
            edges.extend(bits128(ps).map(|p| (p, v)));
        }
        edges.sort_unstable();
        edges
    }

    fn sample_parents(&self, seed: u64, index: u64) -> Parents {
        let mut rng = ChaCha12Rng::seed_from_u64(seed);
        rng.set_stream(index);
        match self.sampler {
            Sampler::ErdosRenyi { p } => self.erdos_renyi(&mut rng, p),
            Sampler::Edges { m } => self.fixed_edges(&mut rng, m),
            Sampler::Uniform => self.uniform(&mut rng),
        }
    }

    fn erdos_renyi(&self, rng: &mut ChaCha12Rng, p: f64) -> Parents {
        let order = permutation(rng, self.n);
        let mut parents = vec![0u128; self.n];
        for j in 0..self.n {
            let mut drawn: Vec<usize> =
                (0..j).filter(|_| unit(rng) < p).map(|i| order[i]).collect();
            if let Some(d) = self.max_in_degree {
                if drawn.len() > d {
                    partial_shuffle(rng, &mut drawn, d);
                    drawn.truncate(d);
                }
            }
            parents[order[j]] = drawn.into_iter().fold(0, |acc, p| acc | 1u128 << p);
        }
        parents
    }

    fn fixed_edges(&self, rng: &mut ChaCha12Rng, m: usize) -> Parents {
        let order = permutation(rng, self.n);
        let mut pairs: Vec<(usize, usize)> = Vec::with_capacity(self.n * self.n / 2);
        for j in 0..self.n {
            for i in 0..j {
                pairs.push((order[i], order[j]));
            }
        }
        let cap = self.max_in_degree.unwrap_or(usize::MAX);
        let mut parents = vec![0u128; self.n];
        let mut taken = 0;
        // Lazy Fisher-Yates: draw pairs without replacement until m are placed.
        for k in 0..pairs.len() {
            if taken == m {
                break;
            }
            let pick = k + below(rng, (pairs.len() - k) as u64) as usize;
            pairs.swap(k, pick);
            let (a, b) = pairs[k];
            if (parents[b].count_ones() as usize) < cap {
                parents[b] |= 1u128 << a;
                taken += 1;
            }
        }
        debug_assert_eq!(taken, m);
        parents
    }

    fn uniform(&self, rng: &mut ChaCha12Rng) -> Parents {
        let counts = self
            .counts
            .as_ref()
            .expect("uniform sampler has its counts");
        let n = self.n;
        if n == 0 {
            return Vec::new();
        }
        // Layer sizes: k1 sources, then the sources of what remains, and so on.
        let mut layers = Vec::new();
        let r = random_below(rng, &counts.total[n]);
        let mut k = pick(&r, (1..=n).map(|k| &counts.by_sources[n][k]));
        layers.push(k);
        let mut m = n - k;
        while m > 0 {
            let base = (BigUint::one() << k) - 1u32;
            let weights: Vec<BigUint> = (1..=m)
                .map(|s| (base.pow(s as u32) * &counts.by_sources[m][s]) << (k * (m - s)))
                .collect();
            let total: BigUint = weights.iter().sum();
            let r = random_below(rng, &total);
            let s = pick(&r, weights.iter());
            layers.push(s);
            k = s;
            m -= s;
        }
        // Positions 0..n in layer order; each node of layer j >= 1 takes a non-empty set of
        // parents in layer j-1 and any set of parents in earlier layers.
        let mut parents = vec![0u128; n];
        let mut start = 0;
        let mut prev = 0..0;
        for &size in &layers {
            let layer = start..start + size;
            for v in layer.clone() {
                if !prev.is_empty() {
                    let near = loop {
                        let bits = random_bits(rng, prev.len());
                        if bits != 0 {
                            break bits;
                        }
                    };
                    let far = random_bits(rng, prev.start);
                    parents[v] = far | (near << prev.start);
                }
            }
            prev = layer;
            start += size;
        }
        // Uniformly random labels.
        let perm = permutation(rng, n);
        let mut out = vec![0u128; n];
        for (v, &ps) in parents.iter().enumerate() {
            out[perm[v]] = bits128(ps).fold(0, |acc, p| acc | 1u128 << perm[p]);
        }
        out
    }
}

/// The most edges a DAG on `n` nodes can have with an optional in-degree cap.
fn max_edges(n: usize, max_in_degree: Option<usize>) -> usize {
    (0..n)
        .map(|j| j.min(max_in_degree.unwrap_or(usize::MAX)))
        .sum()
}

/// Numbers of labelled DAGs: `by_sources[m][k]` on `m` nodes with exactly `k` sources, and
/// `total[m]` on `m` nodes (OEIS A003024), as exact big integers.
#[derive(Debug, Clone)]
pub struct DagCounts {
    /// `by_sources[m][k]`: labelled DAGs on `m` nodes with exactly `k` sources (`k >= 1`).
    pub by_sources: Vec<Vec<BigUint>>,
    /// `total[m]`: labelled DAGs on `m` nodes.
    pub total: Vec<BigUint>,
}

impl DagCounts {
    /// Counts for every number of nodes up to `n`, by the recurrence
    /// `a(m,k) = C(m,k) * sum_s (2^k-1)^s * 2^(k(m-k-s)) * a(m-k,s)`, with `a(k,k) = 1`.
    pub fn new(n: usize) -> DagCounts {
        let mut by_sources: Vec<Vec<BigUint>> = vec![vec![BigUint::zero(); n + 1]; n + 1];
        let mut total = vec![BigUint::zero(); n + 1];
        total[0] = BigUint::one();
        let binom = binomials(n);
        for m in 1..=n {
            for k in 1..=m {
                let rest = m - k;
                let value = if rest == 0 {
                    BigUint::one()
                } else {
                    let base = (BigUint::one() << k) - 1u32;
                    let mut power = BigUint::one();
                    let mut sum = BigUint::zero();
                    for (s, count) in by_sources[rest].iter().enumerate().take(rest + 1).skip(1) {
                        power *= &base;
                        sum += (&power * count) << (k * (rest - s));
                    }
                    sum
                };
                by_sources[m][k] = value * &binom[m][k];
            }
            total[m] = by_sources[m].iter().sum();
        }
        DagCounts { by_sources, total }
    }
}

fn binomials(n: usize) -> Vec<Vec<BigUint>> {
    let mut c = vec![vec![BigUint::zero(); n + 1]; n + 1];
    for m in 0..=n {
        c[m][0] = BigUint::one();
        for k in 1..=m {
            c[m][k] = &c[m - 1][k - 1] + &c[m - 1][k];
        }
    }
    c
}

/// The index of the bucket that `r` falls into when `weights` are laid end to end (1-based).
fn pick<'a>(r: &BigUint, weights: impl Iterator<Item = &'a BigUint>) -> usize {
    let mut acc = BigUint::zero();
    for (i, w) in weights.enumerate() {
        acc += w;
        if *r < acc {
            return i + 1;
        }
    }
    unreachable!("r is below the total weight")
}

/// A uniform integer in `[0, bound)`, by rejection on `bits(bound)` random bits.
fn random_below(rng: &mut impl RngCore, bound: &BigUint) -> BigUint {
    debug_assert!(!bound.is_zero());
    let bits = bound.bits() as usize;
    loop {
        let mut words: Vec<u32> = (0..bits.div_ceil(32)).map(|_| rng.next_u32()).collect();
        if !bits.is_multiple_of(32) {
            let last = words.len() - 1;
            words[last] &= (1u32 << (bits % 32)) - 1;
        }
        let r = BigUint::new(words);
        if r < *bound {
            return r;
        }
    }
}

/// `count <= 128` uniform random bits in the low bits of a word.
fn random_bits(rng: &mut impl RngCore, count: usize) -> u128 {
    let word = |rng: &mut dyn RngCore, c: usize| match c {
        0 => 0,
        64 => rng.next_u64() as u128,
        c => (rng.next_u64() & ((1u64 << c) - 1)) as u128,
    };
    if count <= 64 {
        word(rng, count)
    } else {
        let low = word(rng, 64);
        low | (word(rng, count - 64) << 64)
    }
}

/// The set bits of a 128-bit set, in increasing order.
fn bits128(mut set: u128) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        if set == 0 {
            return None;
        }
        let v = set.trailing_zeros() as usize;
        set &= set - 1;
        Some(v)
    })
}

/// A uniform integer in `[0, bound)` (`bound > 0`) by Lemire's multiply-and-reject method; the
/// same draws on every platform.
pub fn below(rng: &mut impl RngCore, bound: u64) -> u64 {
    debug_assert!(bound > 0);
    let threshold = bound.wrapping_neg() % bound;
    loop {
        let x = rng.next_u64();
        let m = (x as u128) * (bound as u128);
        if (m as u64) >= threshold {
            return (m >> 64) as u64;
        }
    }
}

/// A uniform real in `[0, 1)` with 53 random bits.
pub fn unit(rng: &mut impl RngCore) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A uniformly random permutation of `0..n` (Fisher-Yates).
pub fn permutation(rng: &mut impl RngCore, n: usize) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    partial_shuffle(rng, &mut p, n);
    p
}

/// Puts a uniformly random `k`-subset of `items`, in random order, at its front.
pub fn partial_shuffle<T>(rng: &mut impl RngCore, items: &mut [T], k: usize) {
    let len = items.len();
    for i in 0..k.min(len.saturating_sub(1)) {
        let j = i + below(rng, (len - i) as u64) as usize;
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_oeis_a003024() {
        let c = DagCounts::new(8);
        let expected: [u64; 9] = [1, 1, 3, 25, 543, 29281, 3781503, 1138779265, 783702329343];
        for (m, &e) in expected.iter().enumerate() {
            assert_eq!(c.total[m], BigUint::from(e), "m = {m}");
        }
    }

    #[test]
    fn same_seed_and_index_same_graph() {
        for sampler in [
            Sampler::ErdosRenyi { p: 0.3 },
            Sampler::Edges { m: 7 },
            Sampler::Uniform,
        ] {
            let s = DagSampler::new(9, sampler, None).unwrap();
            assert_eq!(s.sample(42, 3), s.sample(42, 3));
            let distinct: std::collections::HashSet<Vec<(usize, usize)>> =
                (0..20).map(|i| s.sample(42, i).edges()).collect();
            assert!(distinct.len() > 10, "{sampler:?} repeats itself");
        }
    }

    #[test]
    fn fixed_edges_and_in_degree_cap() {
        let s = DagSampler::new(10, Sampler::Edges { m: 12 }, Some(2)).unwrap();
        for i in 0..50 {
            let g = s.sample(1, i);
            assert_eq!(g.num_edges(), 12);
            assert!((0..10).all(|v| g.parents(v).len() <= 2));
        }
        let er = DagSampler::new(12, Sampler::ErdosRenyi { p: 0.9 }, Some(3)).unwrap();
        for i in 0..50 {
            let g = er.sample(1, i);
            assert!((0..12).all(|v| g.parents(v).len() <= 3));
        }
        assert_eq!(
            DagSampler::new(4, Sampler::Edges { m: 7 }, None).unwrap_err(),
            SampleError::TooManyEdges { m: 7, n: 4, max: 6 }
        );
        assert!(DagSampler::new(4, Sampler::ErdosRenyi { p: 1.5 }, None).is_err());
        assert!(DagSampler::new(4, Sampler::Uniform, Some(2)).is_err());
    }

    #[test]
    fn uniform_handles_one_hundred_nodes() {
        let s = DagSampler::new(100, Sampler::Uniform, None).unwrap();
        let edges = s.sample_edges(7, 0);
        // A uniform DAG on 100 nodes has about n^2/4 = 2,500 edges.
        assert!(edges.len() > 2200 && edges.len() < 2800, "{}", edges.len());
        assert!(edges.iter().all(|&(a, b)| a < 100 && b < 100 && a != b));
        let g = petgraph::graph::DiGraph::<(), ()>::from_edges(
            edges.iter().map(|&(a, b)| (a as u32, b as u32)),
        );
        assert!(!petgraph::algo::is_cyclic_directed(&g));
    }

    #[test]
    fn below_is_in_range_and_covers_it() {
        let mut rng = ChaCha12Rng::seed_from_u64(5);
        let mut seen = [0u32; 7];
        for _ in 0..7000 {
            seen[below(&mut rng, 7) as usize] += 1;
        }
        assert!(seen.iter().all(|&c| c > 800 && c < 1200), "{seen:?}");
    }
}
