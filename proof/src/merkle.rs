//! A Merkle tree over the log's entries, RFC 6962 §2.1 (Certificate Transparency) with BLAKE3 as
//! the hash, so one entry can be proven to be in a checkpointed log without the rest of it.
//!
//! - The leaves are the entries' chain hashes in sequence order (entry `n` is leaf `n - 1`):
//!   a chain hash covers everything the entry says, so a leaf fixes the entry.
//! - `leaf_hash(d) = BLAKE3(0x00 || d)`, `node_hash(l, r) = BLAKE3(0x01 || l || r)`: the
//!   prefixes keep a leaf from passing for a node (second pre-images).
//! - `MTH({}) = BLAKE3("")`; `MTH(D[n])` for `n > 1` splits at `k`, the largest power of two
//!   below `n`: `node_hash(MTH(D[0:k]), MTH(D[k:n]))`.
//! - An inclusion proof is RFC 6962's audit path `PATH(m, D[n])`, checked with the algorithm of
//!   RFC 9162 §2.1.3.2.
//!
//! [`Frontier`] keeps the roots of the perfect subtrees of the leaves seen so far, so the root
//! after each append costs `O(log n)`; [`root`] and [`audit_path`] work on a slice of leaves.

/// The bytes of a hash.
pub type Hash = [u8; 32];

/// `BLAKE3(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = blake3::Hasher::new();
    hasher.update(&[0x00]);
    hasher.update(data);
    *hasher.finalize().as_bytes()
}

/// `BLAKE3(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = blake3::Hasher::new();
    hasher.update(&[0x01]);
    hasher.update(left);
    hasher.update(right);
    *hasher.finalize().as_bytes()
}

/// The hash of the empty tree.
pub fn empty_root() -> Hash {
    *blake3::hash(b"").as_bytes()
}

/// The largest power of two strictly below `n` (`n > 1`).
fn split(n: usize) -> usize {
    debug_assert!(n > 1);
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// `MTH(D[n])` over leaf hashes (already `leaf_hash`ed).
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// `PATH(m, D[n])`: the audit path of leaf `index` among `leaves`, nearest sibling first.
pub fn audit_path(index: usize, leaves: &[Hash]) -> Vec<Hash> {
    assert!(index < leaves.len(), "the leaf is in the tree");
    let mut path = Vec::new();
    let mut index = index;
    let mut leaves = leaves;
    // RFC 6962 builds the path from the root down and emits it leaf first; collect the
    // siblings root first, then reverse.
    while leaves.len() > 1 {
        let k = split(leaves.len());
        if index < k {
            path.push(root(&leaves[k..]));
            leaves = &leaves[..k];
        } else {
            path.push(root(&leaves[..k]));
            leaves = &leaves[k..];
            index -= k;
        }
    }
    path.reverse();
    path
}

/// Whether `path` proves that `leaf` (a leaf hash) is leaf `index` of the tree of `size` leaves
/// whose root is `expected_root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    path: &[Hash],
    expected_root: &Hash,
) -> bool {
    if index >= size {
        return false;
    }
    let mut f_n = index;
    let mut s_n = size - 1;
    let mut r = *leaf;
    for p in path {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    s_n == 0 && &r == expected_root
}

/// The roots of the perfect subtrees over the leaves appended so far (largest first): enough to
/// give the tree's root and to take the next leaf in `O(log n)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// `(height, root)`, heights strictly decreasing.
    subtrees: Vec<(u32, Hash)>,
}

impl Frontier {
    /// How many leaves it holds.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut node = (0u32, leaf);
        while let Some(&(height, left)) = self.subtrees.last() {
            if height != node.0 {
                break;
            }
            self.subtrees.pop();
            node = (height + 1, node_hash(&left, &node.1));
        }
        self.subtrees.push(node);
        self.size += 1;
    }

    /// `MTH` of the leaves so far.
    pub fn root(&self) -> Hash {
        let mut subtrees = self.subtrees.iter().rev();
        let Some(&(_, mut root)) = subtrees.next() else {
            return empty_root();
        };
        for (_, left) in subtrees {
            root = node_hash(left, &root);
        }
        root
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n as u32).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn the_tree_has_rfc_6962_s_shape() {
        let d = leaves(7);
        // RFC 6962 §2.1.3's seven-leaf example: the root splits 4 + 3, and 3 splits 2 + 1.
        let ab = node_hash(&d[0], &d[1]);
        let cd = node_hash(&d[2], &d[3]);
        let ef = node_hash(&d[4], &d[5]);
        let expected = node_hash(&node_hash(&ab, &cd), &node_hash(&ef, &d[6]));
        assert_eq!(root(&d), expected);
        // The audit paths the RFC lists: d0 is [b, h, l], d3 is [c, g, l], d4 is [f, j, k],
        // d6 is [i, k] (b = d[1], c = d[2], f = d[5], j = d[6], g = ab, h = cd, i = ef).
        let k = node_hash(&ab, &cd);
        assert_eq!(audit_path(0, &d), vec![d[1], cd, node_hash(&ef, &d[6])]);
        assert_eq!(audit_path(3, &d), vec![d[2], ab, node_hash(&ef, &d[6])]);
        assert_eq!(audit_path(4, &d), vec![d[5], d[6], k]);
        assert_eq!(audit_path(6, &d), vec![ef, k]);
        assert_eq!(root(&[]), *blake3::hash(b"").as_bytes());
        assert_eq!(root(&d[..1]), d[0]);
        assert_ne!(leaf_hash(b""), empty_root(), "a leaf is prefixed");
    }

    #[test]
    fn the_frontier_gives_the_same_root_as_the_whole_tree() {
        let d = leaves(70);
        let mut frontier = Frontier::default();
        assert_eq!(frontier.root(), root(&[]));
        for n in 1..=d.len() {
            frontier.push(d[n - 1]);
            assert_eq!(frontier.root(), root(&d[..n]), "{n} leaves");
            assert_eq!(frontier.size(), n as u64);
        }
    }

    #[test]
    fn every_path_verifies_and_nothing_else_does() {
        for n in 1..=33usize {
            let d = leaves(n);
            let r = root(&d);
            for m in 0..n {
                let path = audit_path(m, &d);
                assert!(
                    verify_inclusion(&d[m], m as u64, n as u64, &path, &r),
                    "{m} of {n}"
                );
                // Another leaf, index, size or root fails; so does a changed or shortened path.
                let other = leaf_hash(b"other");
                assert!(!verify_inclusion(&other, m as u64, n as u64, &path, &r));
                if n > 1 {
                    let m2 = (m + 1) % n;
                    assert!(!verify_inclusion(&d[m], m2 as u64, n as u64, &path, &r));
                }
                // (A path alone does not fix the tree's size: trees of n and n + 1 leaves can give
                // a leaf paths of the same shape. The size is the checkpoint's signed sequence.)
                assert!(!verify_inclusion(&d[m], m as u64, n as u64, &path, &other));
                assert!(!verify_inclusion(&d[m], n as u64, n as u64, &path, &r));
                for i in 0..path.len() {
                    let mut bad = path.clone();
                    bad[i][0] ^= 1;
                    assert!(!verify_inclusion(&d[m], m as u64, n as u64, &bad, &r));
                }
                if !path.is_empty() {
                    let short = &path[..path.len() - 1];
                    assert!(!verify_inclusion(&d[m], m as u64, n as u64, short, &r));
                    let mut long = path.clone();
                    long.push(r);
                    assert!(!verify_inclusion(&d[m], m as u64, n as u64, &long, &r));
                }
            }
        }
    }
}
