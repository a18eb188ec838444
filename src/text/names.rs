//! Variable names for premises and hypotheses.
//!
//! A naming is applied by relabelling the graph first and then naming node `k` with the `k`-th
//! name, so statements listed in node order are also listed in name order: with shuffled names or
//! words, nothing about a node's place in the graph shows through the order of the text.

use crate::graph::sample::{partial_shuffle, permutation};
use rand::RngCore;
use std::fmt;
use std::str::FromStr;

/// How variables are named.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Naming {
    /// A, B, C, ... in node order (Corr2Cause).
    Letters,
    /// Z, Y, X, ... in node order (Corr2Cause's variable refactorization).
    Reversed,
    /// Letters, with the nodes relabelled by a seeded random permutation.
    Shuffled,
    /// Neutral nouns from a built-in list, seeded, with the nodes relabelled at random.
    Words,
}

impl Naming {
    /// The option value (`letters`, `reversed`, `shuffled`, `words`).
    pub fn as_str(self) -> &'static str {
        match self {
            Naming::Letters => "letters",
            Naming::Reversed => "reversed",
            Naming::Shuffled => "shuffled",
            Naming::Words => "words",
        }
    }

    /// Whether the naming relabels the graph at random (and so needs a random stream).
    pub fn is_random(self) -> bool {
        matches!(self, Naming::Shuffled | Naming::Words)
    }

    /// For a graph on `n` nodes: the relabelling to apply first (`perm[v]` = new index of `v`;
    /// `None` keeps the graph), and the names of the nodes after it, by index.
    pub fn assign(self, n: usize, rng: &mut impl RngCore) -> (Option<Vec<usize>>, Vec<String>) {
        match self {
            Naming::Letters => (None, (0..n).map(letter_name).collect()),
            Naming::Reversed => (None, (0..n).map(reversed_name).collect()),
            Naming::Shuffled => (Some(permutation(rng, n)), (0..n).map(letter_name).collect()),
            Naming::Words => {
                let perm = permutation(rng, n);
                let mut words: Vec<&str> = WORDS.to_vec();
                partial_shuffle(rng, &mut words, n);
                let mut chosen: Vec<String> = words[..n].iter().map(|w| w.to_string()).collect();
                chosen.sort();
                (Some(perm), chosen)
            }
        }
    }
}

impl fmt::Display for Naming {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Naming {
    type Err = String;
    fn from_str(s: &str) -> Result<Naming, String> {
        match s {
            "letters" => Ok(Naming::Letters),
            "reversed" => Ok(Naming::Reversed),
            "shuffled" => Ok(Naming::Shuffled),
            "words" => Ok(Naming::Words),
            _ => Err(format!(
                "unknown naming {s:?} (letters, reversed, shuffled, words)"
            )),
        }
    }
}

/// A, B, ..., Z, AA, AB, ... (spreadsheet columns).
pub fn letter_name(k: usize) -> String {
    let mut k = k + 1;
    let mut out = Vec::new();
    while k > 0 {
        k -= 1;
        out.push(b'A' + (k % 26) as u8);
        k /= 26;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII")
}

/// Z, Y, ..., A, then ZZ, ZY, ...: Corr2Cause's refactorization (node k -> letter 91-k, 1-based).
pub fn reversed_name(k: usize) -> String {
    letter_name(k)
        .bytes()
        .map(|b| (b'Z' - (b - b'A')) as char)
        .collect()
}

/// Neutral everyday nouns with no obvious causal ties between them (at least 64, all distinct).
pub const WORDS: &[&str] = &[
    "anchor", "apron", "badge", "basket", "beacon", "blanket", "bottle", "bracket", "bucket",
    "button", "candle", "canvas", "carpet", "chisel", "cushion", "doorbell", "easel", "envelope",
    "feather", "folder", "funnel", "goblet", "hammock", "helmet", "kettle", "ladder", "lantern",
    "locket", "magnet", "marble", "mitten", "napkin", "needle", "notebook", "paddle", "pebble",
    "pencil", "pillow", "pitcher", "puzzle", "quilt", "ribbon", "saddle", "satchel", "scarf",
    "shovel", "spindle", "sponge", "spoon", "stapler", "teapot", "thimble", "ticket", "trowel",
    "trumpet", "tulip", "umbrella", "vase", "violin", "wallet", "whistle", "wicker", "window",
    "zipper",
];

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn letters_and_reversed() {
        let names: Vec<String> = (0..6).map(letter_name).collect();
        assert_eq!(names, ["A", "B", "C", "D", "E", "F"]);
        assert_eq!(letter_name(25), "Z");
        assert_eq!(letter_name(26), "AA");
        assert_eq!(letter_name(27), "AB");
        let rev: Vec<String> = (0..3).map(reversed_name).collect();
        assert_eq!(rev, ["Z", "Y", "X"]);
    }

    #[test]
    fn words_are_distinct_and_enough() {
        let mut w = WORDS.to_vec();
        w.sort();
        w.dedup();
        assert_eq!(w.len(), WORDS.len());
        assert!(WORDS.len() >= 64);
        let mut rng = rand_chacha::ChaCha12Rng::seed_from_u64(1);
        let (perm, names) = Naming::Words.assign(10, &mut rng);
        assert_eq!(perm.unwrap().len(), 10);
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "words are assigned in alphabetical order");
    }
}
