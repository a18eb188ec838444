//! `NodeSet`: a set of node indices `0..64` as one machine word.

use std::fmt;

/// The largest number of nodes a graph may have: node sets are one `u64`.
pub const MAX_NODES: usize = 64;

/// A set of nodes `0..64` stored as a bitset; bit `i` set means node `i` is in the set.
///
/// Invariant: none. Every `u64` is a valid set; graphs check that members are `< n`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct NodeSet(pub u64);

impl NodeSet {
    /// The empty set.
    pub const EMPTY: NodeSet = NodeSet(0);

    /// The set `{0, 1, ..., n-1}`.
    #[inline]
    pub fn full(n: usize) -> NodeSet {
        debug_assert!(n <= MAX_NODES);
        if n == MAX_NODES {
            NodeSet(u64::MAX)
        } else {
            NodeSet((1u64 << n) - 1)
        }
    }

    /// The set holding only `v`.
    #[inline]
    pub fn single(v: usize) -> NodeSet {
        debug_assert!(v < MAX_NODES);
        NodeSet(1u64 << v)
    }

    /// Whether `v` is in the set.
    #[inline]
    pub fn contains(self, v: usize) -> bool {
        v < MAX_NODES && (self.0 >> v) & 1 == 1
    }

    /// Adds `v`.
    #[inline]
    pub fn insert(&mut self, v: usize) {
        self.0 |= 1u64 << v;
    }

    /// Removes `v`.
    #[inline]
    pub fn remove(&mut self, v: usize) {
        self.0 &= !(1u64 << v);
    }

    /// The set with `v` added.
    #[inline]
    pub fn with(self, v: usize) -> NodeSet {
        NodeSet(self.0 | (1u64 << v))
    }

    /// The set with `v` removed.
    #[inline]
    pub fn without(self, v: usize) -> NodeSet {
        NodeSet(self.0 & !(1u64 << v))
    }

    /// Number of nodes in the set.
    #[inline]
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// Whether the set is empty.
    #[inline]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The smallest node in the set, if any.
    #[inline]
    pub fn first(self) -> Option<usize> {
        if self.0 == 0 {
            None
        } else {
            Some(self.0.trailing_zeros() as usize)
        }
    }

    /// Whether every node of `self` is in `other`.
    #[inline]
    pub fn is_subset(self, other: NodeSet) -> bool {
        self.0 & !other.0 == 0
    }

    /// Whether the two sets share a node.
    #[inline]
    pub fn intersects(self, other: NodeSet) -> bool {
        self.0 & other.0 != 0
    }

    /// The nodes in increasing order.
    #[inline]
    pub fn iter(self) -> NodeSetIter {
        NodeSetIter(self.0)
    }

    /// The nodes as a sorted vector.
    pub fn to_vec(self) -> Vec<usize> {
        self.iter().collect()
    }
}

impl std::ops::BitOr for NodeSet {
    type Output = NodeSet;
    #[inline]
    fn bitor(self, rhs: NodeSet) -> NodeSet {
        NodeSet(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for NodeSet {
    #[inline]
    fn bitor_assign(&mut self, rhs: NodeSet) {
        self.0 |= rhs.0;
    }
}

impl std::ops::BitAnd for NodeSet {
    type Output = NodeSet;
    #[inline]
    fn bitand(self, rhs: NodeSet) -> NodeSet {
        NodeSet(self.0 & rhs.0)
    }
}

impl std::ops::BitAndAssign for NodeSet {
    #[inline]
    fn bitand_assign(&mut self, rhs: NodeSet) {
        self.0 &= rhs.0;
    }
}

impl std::ops::Sub for NodeSet {
    type Output = NodeSet;
    /// Set difference.
    #[inline]
    fn sub(self, rhs: NodeSet) -> NodeSet {
        NodeSet(self.0 & !rhs.0)
    }
}

impl std::ops::SubAssign for NodeSet {
    #[inline]
    fn sub_assign(&mut self, rhs: NodeSet) {
        self.0 &= !rhs.0;
    }
}

impl FromIterator<usize> for NodeSet {
    fn from_iter<I: IntoIterator<Item = usize>>(iter: I) -> NodeSet {
        let mut s = NodeSet::EMPTY;
        for v in iter {
            s.insert(v);
        }
        s
    }
}

impl IntoIterator for NodeSet {
    type Item = usize;
    type IntoIter = NodeSetIter;
    fn into_iter(self) -> NodeSetIter {
        self.iter()
    }
}

impl From<u64> for NodeSet {
    fn from(bits: u64) -> NodeSet {
        NodeSet(bits)
    }
}

impl From<NodeSet> for u64 {
    fn from(s: NodeSet) -> u64 {
        s.0
    }
}

impl fmt::Debug for NodeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// Iterator over the nodes of a [`NodeSet`] in increasing order.
#[derive(Clone)]
pub struct NodeSetIter(u64);

impl Iterator for NodeSetIter {
    type Item = usize;
    #[inline]
    fn next(&mut self) -> Option<usize> {
        if self.0 == 0 {
            None
        } else {
            let v = self.0.trailing_zeros() as usize;
            self.0 &= self.0 - 1;
            Some(v)
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.0.count_ones() as usize;
        (n, Some(n))
    }
}

impl ExactSizeIterator for NodeSetIter {}

/// Iterates over every subset of `set` (the empty set first, `set` itself last), in increasing
/// order of the subsets' bit patterns.
pub fn subsets(set: NodeSet) -> impl Iterator<Item = NodeSet> {
    let mask = set.0;
    let mut next = Some(0u64);
    std::iter::from_fn(move || {
        let cur = next?;
        next = if cur == mask {
            None
        } else {
            Some((cur.wrapping_sub(mask)) & mask)
        };
        Some(NodeSet(cur))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_set_operations() {
        let mut s = NodeSet::EMPTY;
        s.insert(3);
        s.insert(63);
        s.insert(0);
        assert_eq!(s.to_vec(), vec![0, 3, 63]);
        assert_eq!(s.len(), 3);
        assert!(s.contains(63) && !s.contains(62) && !s.contains(64));
        s.remove(3);
        assert_eq!(s.to_vec(), vec![0, 63]);
        assert_eq!(NodeSet::full(64).len(), 64);
        assert_eq!(NodeSet::full(5).to_vec(), vec![0, 1, 2, 3, 4]);
        assert_eq!(
            (NodeSet::full(5) - NodeSet::single(2)).to_vec(),
            vec![0, 1, 3, 4]
        );
        assert_eq!(format!("{:?}", NodeSet(0b101)), "{0, 2}");
    }

    #[test]
    fn subsets_lists_each_subset_once() {
        let set = NodeSet(0b1011_0100);
        let all: Vec<NodeSet> = subsets(set).collect();
        assert_eq!(all.len(), 16);
        assert_eq!(all[0], NodeSet::EMPTY);
        assert_eq!(*all.last().unwrap(), set);
        let mut sorted = all.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 16);
        assert!(all.iter().all(|s| s.is_subset(set)));
        assert_eq!(subsets(NodeSet::EMPTY).count(), 1);
    }
}
