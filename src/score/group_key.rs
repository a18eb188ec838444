//! The order of the groups of a breakdown (by N, by MEC size, by split, ...): numbers as numbers
//! and ranges by their lower end (`5, 6, 10` and `1, 2, 3-4, 5-9, 10-99, 100+`), words in
//! alphabetical order. Every report and chart takes its order from [`group_order`], through the
//! [`GroupKey`] that breakdowns are keyed by.

use std::cmp::Ordering;

/// A run of digits (an optional decimal part included), or of anything else.
#[derive(Debug, PartialEq, Eq)]
enum Chunk<'a> {
    /// Integer digits without leading zeros, and decimal digits without trailing zeros.
    Number(&'a str, &'a str),
    Text(&'a str),
}

fn chunks(s: &str) -> Vec<Chunk<'_>> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        if bytes[i].is_ascii_digit() {
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let int = s[start..i].trim_start_matches('0');
            let mut frac = "";
            if i + 1 < bytes.len() && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit() {
                let f = i + 1;
                i = f;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                frac = s[f..i].trim_end_matches('0');
            }
            out.push(Chunk::Number(int, frac));
        } else {
            while i < bytes.len() && !bytes[i].is_ascii_digit() {
                i += 1;
            }
            out.push(Chunk::Text(&s[start..i]));
        }
    }
    out
}

/// The order of group names: chunk by chunk, numbers by value (before words), words as text; a
/// name that is a prefix of another comes first (`3` before `3-4`). Names equal in value but not
/// in text (`07`, `7`) are ordered by their text, so the order is total.
pub fn group_order(a: &str, b: &str) -> Ordering {
    let (x, y) = (chunks(a), chunks(b));
    for (p, q) in x.iter().zip(&y) {
        let o = match (p, q) {
            (Chunk::Number(i, f), Chunk::Number(j, g)) => {
                i.len().cmp(&j.len()).then(i.cmp(j)).then(f.cmp(g))
            }
            (Chunk::Number(..), Chunk::Text(_)) => Ordering::Less,
            (Chunk::Text(_), Chunk::Number(..)) => Ordering::Greater,
            (Chunk::Text(s), Chunk::Text(t)) => s.cmp(t),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    x.len().cmp(&y.len()).then_with(|| a.cmp(b))
}

/// The name of a group in a breakdown, ordered by [`group_order`]; serialised as its text.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct GroupKey(pub String);

impl Ord for GroupKey {
    fn cmp(&self, other: &Self) -> Ordering {
        group_order(&self.0, &other.0)
    }
}

impl PartialOrd for GroupKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for GroupKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for GroupKey {
    fn from(s: &str) -> GroupKey {
        GroupKey(s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sorted(keys: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = keys.iter().map(|s| s.to_string()).collect();
        v.sort_by(|a, b| group_order(a, b));
        v
    }

    #[test]
    fn numbers_and_ranges_sort_by_value() {
        assert_eq!(
            sorted(&["10", "5", "6", "7", "8", "9"]),
            ["5", "6", "7", "8", "9", "10"]
        );
        assert_eq!(
            sorted(&["1", "10-99", "2", "3-4", "5-9", "100+"]),
            ["1", "2", "3-4", "5-9", "10-99", "100+"]
        );
        assert_eq!(
            sorted(&["test", "train", "dev", "0.5", "0.25", "2"]),
            ["0.25", "0.5", "2", "dev", "test", "train"]
        );
    }

    proptest! {
        // An independent order: parse the lower and upper ends as numbers.
        #[test]
        fn agrees_with_numeric_order(ranges in proptest::collection::vec((0u64..10_000_000_000, 0u64..1000, any::<bool>()), 1..40)) {
            let keys: Vec<String> = ranges.iter().map(|&(lo, w, range)| if range { format!("{lo}-{}", lo + w) } else { lo.to_string() }).collect();
            let mut by_order = keys.clone();
            by_order.sort_by(|a, b| group_order(a, b));
            let mut by_value = keys.clone();
            let ends = |k: &String| -> (u64, Option<u64>) {
                match k.split_once('-') {
                    Some((a, b)) => (a.parse().unwrap(), Some(b.parse().unwrap())),
                    None => (k.parse().unwrap(), None),
                }
            };
            by_value.sort_by_key(ends);
            prop_assert_eq!(by_order, by_value);
        }

        #[test]
        fn is_a_total_order(a in "[0-9a-c.+-]{0,6}", b in "[0-9a-c.+-]{0,6}", c in "[0-9a-c.+-]{0,6}") {
            prop_assert_eq!(group_order(&a, &b), group_order(&b, &a).reverse());
            prop_assert_eq!(group_order(&a, &b) == Ordering::Equal, a == b);
            if group_order(&a, &b) != Ordering::Greater && group_order(&b, &c) != Ordering::Greater {
                prop_assert_ne!(group_order(&a, &c), Ordering::Greater);
            }
        }
    }
}
