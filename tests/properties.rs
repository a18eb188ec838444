//! Property tests: invariants of the causal core on random DAGs.

use corrcause::causal::{Cpdag, IndependenceModel};
use corrcause::graph::enumerate::canonical_mask;
use corrcause::graph::{Dag, NodeSet};
use proptest::prelude::*;

/// A random DAG: a random order of `n` nodes and a random subset of its forward pairs.
fn dag(max_n: usize) -> impl Strategy<Value = Dag> {
    (1..=max_n)
        .prop_flat_map(|n| {
            let pairs = n * (n - 1) / 2;
            (
                Just(n),
                Just((0..n).collect::<Vec<usize>>()).prop_shuffle(),
                proptest::collection::vec(proptest::bool::weighted(0.4), pairs),
            )
        })
        .prop_map(|(n, order, keep)| {
            let mut edges = vec![];
            let mut k = 0;
            for i in 0..n {
                for j in i + 1..n {
                    if keep[k] {
                        edges.push((order[i], order[j]));
                    }
                    k += 1;
                }
            }
            Dag::new(n, edges).unwrap()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn cpdag_members_rederive_the_cpdag(g in dag(9)) {
        let cpdag = Cpdag::of(&g);
        let size = cpdag.mec_size();
        prop_assume!(size <= 2000u32.into());
        let members = cpdag.members();
        prop_assert_eq!(size, members.len().into());
        prop_assert!(members.iter().any(|m| m.edges() == g.edges()));
        let mut edge_lists: Vec<_> = members.iter().map(|m| m.edges()).collect();
        edge_lists.dedup();
        prop_assert_eq!(edge_lists.len(), members.len(), "a member is listed twice");
        for m in &members {
            prop_assert_eq!(&Cpdag::of(m), &cpdag);
            prop_assert_eq!(m.v_structures(), g.v_structures());
        }
    }

    #[test]
    fn every_member_has_the_same_independence_model(g in dag(7)) {
        let model = IndependenceModel::of(&g);
        for m in Cpdag::of(&g).members().iter().take(50) {
            prop_assert_eq!(&IndependenceModel::of(m), &model);
        }
    }

    #[test]
    fn d_connection_is_symmetric(g in dag(12), zbits in any::<u64>()) {
        let n = g.n();
        let z = NodeSet(zbits) & NodeSet::full(n);
        for x in (0..n).filter(|&x| !z.contains(x)) {
            let from_x = g.d_connected(x, z);
            for y in (0..n).filter(|&y| y != x && !z.contains(y)) {
                prop_assert_eq!(from_x.contains(y), g.d_connected(y, z).contains(x));
            }
        }
    }

    #[test]
    fn canonical_mask_is_invariant_under_relabelling(g in dag(8), seed in any::<u64>()) {
        let n = g.n();
        let mut perm: Vec<usize> = (0..n).collect();
        let mut s = seed;
        for i in (1..n).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            perm.swap(i, (s >> 33) as usize % (i + 1));
        }
        prop_assert_eq!(canonical_mask(&g.relabel(&perm)), canonical_mask(&g));
    }
}
