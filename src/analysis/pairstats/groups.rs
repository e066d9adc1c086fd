//! Groups: connected components of points closer than the cutoff.

use crate::structure::Positions;

/// Union-find group sizes of points closer than `cutoff` (Å).
pub(super) fn group_sizes(p: &Positions, pairs: &[(usize, usize, f64)]) -> Vec<usize> {
    let mut parent: Vec<usize> = (0..p.len()).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for &(i, j, _) in pairs {
        let (a, b) = (find(&mut parent, i), find(&mut parent, j));
        if a != b {
            parent[a.max(b)] = a.min(b);
        }
    }
    let mut sizes = vec![0usize; p.len()];
    for i in 0..p.len() {
        sizes[find(&mut parent, i)] += 1;
    }
    sizes.retain(|&s| s > 0);
    sizes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structure::Region;

    #[test]
    fn union_find_matches_a_hand_count() {
        let p = Positions {
            points: vec![[0.0; 3]; 7],
            elements: vec![None; 7],
            region: Region::Periodic {
                size: [1.0, 1.0, 0.0],
            },
            dims: 2,
            source: String::new(),
        };
        // 0-1-2 a chain, 3-4 a pair, 5 and 6 alone.
        let mut sizes = group_sizes(&p, &[(0, 1, 1.0), (2, 1, 1.0), (4, 3, 1.0)]);
        sizes.sort();
        assert_eq!(sizes, vec![1, 1, 2, 3]);
    }
}
