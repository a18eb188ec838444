//! Built-in baselines: answers computed from the item's text, no model involved.
//!
//! `oracle` reads the premise back into statements, recovers the MEC and decides the hypothesis:
//! it proves that every item is answerable from its premise alone. The others show what trivial
//! strategies earn.
//!
//! On graph items (`generate --task graph`) the oracle writes the CPDAG recovered from the
//! premise; `empty` writes no edges, `correlation` every correlated pair as undirected,
//! `complete` every pair as undirected and `random` a seeded random mark per pair. The yes/no
//! baselines `always-valid` and `always-invalid` do not answer graph items, nor `empty` and
//! `complete` yes/no items.

use crate::causal::relations::relations_in;
use crate::causal::{Cpdag, Relation};
use crate::graph::{child_sets_into, NodeSet};
use crate::text::{parse_hypothesis, parse_premise};
use rand::SeedableRng;
use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

/// A built-in answerer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Baseline {
    /// Decides the hypothesis over the MEC recovered from the premise text.
    Oracle,
    /// Yes or no with probability 1/2, seeded by the item id.
    Random,
    AlwaysInvalid,
    AlwaysValid,
    /// A naive reader: every causal claim is valid when the two variables correlate (on graph
    /// items: every correlated pair adjacent, undirected).
    Correlation,
    /// Graph items: no edges.
    Empty,
    /// Graph items: every pair adjacent, undirected.
    Complete,
}

impl Baseline {
    /// All baselines, in the order `corrcause run` lists them.
    pub const ALL: [Baseline; 5] = [
        Baseline::Oracle,
        Baseline::Random,
        Baseline::AlwaysInvalid,
        Baseline::AlwaysValid,
        Baseline::Correlation,
    ];

    /// The baselines run by default on graph items, in order.
    pub const GRAPH: [Baseline; 5] = [
        Baseline::Oracle,
        Baseline::Empty,
        Baseline::Correlation,
        Baseline::Complete,
        Baseline::Random,
    ];

    /// Whether this baseline answers graph items (`graph`) or yes/no items.
    pub fn answers(self, graph: bool) -> bool {
        match self {
            Baseline::Oracle | Baseline::Random | Baseline::Correlation => true,
            Baseline::AlwaysInvalid | Baseline::AlwaysValid => !graph,
            Baseline::Empty | Baseline::Complete => graph,
        }
    }

    /// The model spec: `baseline:oracle`, ...
    pub fn spec(self) -> &'static str {
        match self {
            Baseline::Oracle => "baseline:oracle",
            Baseline::Random => "baseline:random",
            Baseline::AlwaysInvalid => "baseline:always-invalid",
            Baseline::AlwaysValid => "baseline:always-valid",
            Baseline::Correlation => "baseline:correlation",
            Baseline::Empty => "baseline:empty",
            Baseline::Complete => "baseline:complete",
        }
    }

    /// Reads a `baseline:NAME` spec.
    pub fn from_spec(spec: &str) -> Option<Baseline> {
        Baseline::ALL
            .into_iter()
            .chain(Baseline::GRAPH)
            .find(|b| b.spec() == spec)
    }
}

impl fmt::Display for Baseline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.spec())
    }
}

/// A seeded hash of an item id (FNV-1a), seeding the random baseline per item.
fn hash_id(seed: u64, id: &str) -> u64 {
    let mut h = seed ^ 0x9E37_79B9_7F4A_7C15;
    for b in id.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// What a premise tells the baselines: its names, MEC members' relations, and correlations.
struct Reading {
    names: Vec<String>,
    /// Pairs x < y that correlate.
    correlated: Vec<(usize, usize)>,
    /// The MEC's CPDAG, when the premise has one.
    cpdag: Option<Cpdag>,
    /// Its members, listed on first need (yes/no items).
    members: std::sync::OnceLock<Members>,
}

/// The members of a MEC as their parent and child sets, `n` a member, in two allocations: a
/// premise of six variables can have hundreds of members and a dataset thousands of premises,
/// all freed on one thread at the end of a run.
struct Members {
    n: usize,
    parents: Vec<NodeSet>,
    children: Vec<NodeSet>,
}

impl Members {
    fn of(cpdag: &Cpdag) -> Members {
        let n = cpdag.n();
        let (mut parents, mut children) = (Vec::new(), Vec::new());
        cpdag.for_each_member(|member| {
            parents.extend_from_slice(member);
            let at = children.len();
            children.resize(at + n, NodeSet::EMPTY);
            child_sets_into(member, &mut children[at..]);
        });
        Members {
            n,
            parents,
            children,
        }
    }

    /// Whether `relation` holds for `(x, y)` in every member.
    fn all_hold(&self, relation: Relation, x: usize, y: usize) -> bool {
        assert!(x != y && x < self.n && y < self.n);
        self.parents
            .chunks(self.n)
            .zip(self.children.chunks(self.n))
            .all(|(ps, cs)| relations_in(ps, cs, x, y) >> relation.index() & 1 == 1)
    }
}

/// The reading of a premise, or why it has none.
fn readable(r: &std::result::Result<Reading, String>) -> std::result::Result<&Reading, String> {
    r.as_ref().map_err(|e| format!("premise: {e}"))
}

/// What a premise implies, or why it cannot be read; shared by the items of the premise.
type Cached = std::sync::Arc<std::result::Result<Reading, String>>;

/// Shards of the premise cache: a premise's shard is chosen by its hash, computed outside any
/// lock, so threads seldom wait for one another (one lock for every item serialised the
/// hashing of every premise text).
const SHARDS: usize = 64;

/// One shard: by premise hash, the premises with that hash and their readings.
type Shard = Mutex<HashMap<u64, Vec<(String, Cached)>>>;

/// Answers items, caching what each distinct premise implies. Shareable across threads.
pub struct Answerer {
    baseline: Baseline,
    seed: u64,
    cache: Vec<Shard>,
}

impl Answerer {
    pub fn new(baseline: Baseline, seed: u64) -> Answerer {
        Answerer {
            baseline,
            seed,
            cache: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }

    fn reading(&self, premise: &str) -> Cached {
        use std::hash::BuildHasher;
        let hash =
            std::hash::BuildHasherDefault::<std::hash::DefaultHasher>::default().hash_one(premise);
        let shard = &self.cache[(hash % SHARDS as u64) as usize];
        let find = |cached: &HashMap<u64, Vec<(String, Cached)>>| {
            cached
                .get(&hash)?
                .iter()
                .find(|(p, _)| p == premise)
                .map(|(_, r)| r.clone())
        };
        if let Some(r) = find(&shard.lock().expect("cache")) {
            return r;
        }
        let computed = parse_premise(premise).map(|p| Reading {
            names: p.names.clone(),
            correlated: p.premise.correlations.clone(),
            cpdag: p.mec().ok(),
            members: std::sync::OnceLock::new(),
        });
        let mut cached = shard.lock().expect("cache");
        // Another thread may have read the same premise meanwhile: keep one reading.
        if let Some(r) = find(&cached) {
            return r;
        }
        let r = std::sync::Arc::new(computed);
        cached
            .entry(hash)
            .or_default()
            .push((premise.to_string(), r.clone()));
        r
    }

    /// The raw answer ("Yes" or "No") to one item; an error when the text cannot be read.
    pub fn answer(
        &self,
        id: &str,
        premise: &str,
        hypothesis: &str,
    ) -> std::result::Result<&'static str, String> {
        let yes_no = |b: bool| if b { "Yes" } else { "No" };
        match self.baseline {
            Baseline::AlwaysInvalid => Ok("No"),
            Baseline::AlwaysValid => Ok("Yes"),
            Baseline::Random => {
                let h = hash_id(self.seed, id);
                let h = (h ^ (h >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
                Ok(yes_no((h >> 40) & 1 == 1))
            }
            Baseline::Oracle | Baseline::Correlation => {
                let reading = self.reading(premise);
                let reading = readable(&reading)?;
                let h = parse_hypothesis(hypothesis, &reading.names)
                    .map_err(|e| format!("hypothesis: {e}"))?;
                if self.baseline == Baseline::Correlation {
                    return Ok(yes_no(reading.correlated.contains(&(h.x, h.y))));
                }
                let cpdag = reading
                    .cpdag
                    .as_ref()
                    .ok_or("premise: no DAG has these statements")?;
                let members = reading.members.get_or_init(|| Members::of(cpdag));
                Ok(yes_no(members.all_hold(h.relation, h.x, h.y)))
            }
            Baseline::Empty | Baseline::Complete => Err(format!(
                "{} answers graph items (generate --task graph), not yes/no ones",
                self.baseline
            )),
        }
    }

    /// The raw answer to one graph item over `variables`: edge lines (`A -> B`, `A -- B`), or
    /// "no edges"; an error when the baseline does not answer graph items or the text cannot be
    /// read.
    pub fn answer_graph(
        &self,
        id: &str,
        premise: &str,
        variables: &[String],
    ) -> std::result::Result<String, String> {
        let n = variables.len();
        let pairs = || (0..n).flat_map(move |x| (x + 1..n).map(move |y| (x, y)));
        // (from, to, directed)
        let edges: Vec<(usize, usize, bool)> = match self.baseline {
            Baseline::AlwaysInvalid | Baseline::AlwaysValid => {
                return Err(format!(
                    "{} answers yes/no items; on graph items use baseline:oracle, baseline:empty, baseline:correlation, baseline:complete or baseline:random",
                    self.baseline
                ))
            }
            Baseline::Empty => Vec::new(),
            Baseline::Complete => pairs().map(|(x, y)| (x, y, false)).collect(),
            Baseline::Random => {
                let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(hash_id(self.seed, id));
                pairs()
                    .filter_map(|(x, y)| match crate::graph::sample::below(&mut rng, 4) {
                        0 => None,
                        1 => Some((x, y, true)),
                        2 => Some((y, x, true)),
                        _ => Some((x, y, false)),
                    })
                    .collect()
            }
            Baseline::Oracle | Baseline::Correlation => {
                let reading = self.reading(premise);
                let reading = readable(&reading)?;
                if reading.names != variables {
                    return Err(format!(
                        "the premise names {} but the item's variables are {}",
                        reading.names.join(", "),
                        variables.join(", ")
                    ));
                }
                if self.baseline == Baseline::Correlation {
                    reading.correlated.iter().map(|&(x, y)| (x, y, false)).collect()
                } else {
                    let cpdag = reading
                        .cpdag
                        .as_ref()
                        .ok_or("premise: no DAG has these statements")?;
                    let directed = cpdag.directed_edges().into_iter().map(|(a, b)| (a, b, true));
                    let undirected = cpdag
                        .undirected_edges()
                        .into_iter()
                        .map(|(a, b)| (a, b, false));
                    directed.chain(undirected).collect()
                }
            }
        };
        if edges.is_empty() {
            return Ok("no edges".into());
        }
        Ok(edges
            .iter()
            .map(|&(a, b, directed)| {
                format!(
                    "{} {} {}",
                    variables[a],
                    if directed { "->" } else { "--" },
                    variables[b]
                )
            })
            .collect::<Vec<_>>()
            .join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::causal::Relation;
    use crate::graph::Dag;
    use crate::text::{hypothesis, Premise, PremiseForm, Style};

    #[test]
    fn oracle_and_correlation_read_the_text() {
        let g = Dag::new(3, [(0, 2), (1, 2)]).unwrap();
        let names: Vec<String> = ["A", "B", "C"].iter().map(|s| s.to_string()).collect();
        let premise = Premise::of(&g, PremiseForm::All).render(&names);
        let oracle = Answerer::new(Baseline::Oracle, 0);
        let naive = Answerer::new(Baseline::Correlation, 0);
        let ask = |a: &Answerer, r, x: &str, y: &str| {
            a.answer("i", &premise, &hypothesis(Style::Original, r, x, y))
                .unwrap()
        };
        // A -> C <- B is compelled.
        assert_eq!(ask(&oracle, Relation::Parent, "A", "C"), "Yes");
        assert_eq!(ask(&oracle, Relation::HasCollider, "A", "B"), "Yes");
        assert_eq!(ask(&oracle, Relation::Child, "A", "C"), "No");
        // The naive reader says yes whenever the pair correlates.
        assert_eq!(ask(&naive, Relation::Child, "A", "C"), "Yes");
        assert_eq!(ask(&naive, Relation::HasCollider, "A", "B"), "No");
        assert!(oracle
            .answer("i", "nonsense", "A directly causes C.")
            .is_err());
        assert_eq!(
            Baseline::from_spec("baseline:oracle"),
            Some(Baseline::Oracle)
        );
        assert_eq!(Baseline::from_spec("baseline:nope"), None);
    }
}
