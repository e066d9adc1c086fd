//! Scoring detections against ground truth: one-to-one matching within a
//! radius that maximises the number of matches and, among those, minimises
//! the total distance (Kuhn-Munkres, `pathfinding`, on each connected
//! component of the candidate pairs: exact, and fast because components
//! are small at atomic spacings). Then precision, recall, F1, localisation
//! RMSE (pm) and element-assignment accuracy.

use pathfinding::kuhn_munkres::kuhn_munkres;
use pathfinding::matrix::Matrix;
use serde::Serialize;

use super::spatial::NeighborIndex;
use crate::error::{Error, Result};
use crate::structure::Positions;

/// The scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scores {
    /// Matching radius (Å).
    pub radius_angstrom: f64,
    /// Detections.
    pub detections: usize,
    /// Ground-truth atoms.
    pub truth: usize,
    /// Matched pairs.
    pub matched: usize,
    /// matched / detections.
    pub precision: f64,
    /// matched / truth.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Root-mean-square distance of matched pairs (pm).
    pub rmse_pm: f64,
    /// Mean displacement of matched pairs, x and y (pm): systematic offset.
    pub mean_offset_pm: [f64; 2],
    /// Share of matched pairs whose elements agree (when both are known).
    pub element_accuracy: Option<f64>,
    /// (detection index, truth index, distance Å) of every match.
    #[serde(skip)]
    pub matches: Vec<(usize, usize, f64)>,
}

/// Match detections to truth within `radius` Å and score them.
pub fn evaluate(detections: &Positions, truth: &Positions, radius: f64) -> Result<Scores> {
    if !(radius > 0.0 && radius.is_finite()) {
        return Err(Error::invalid(
            "--radius",
            format!("{radius} Å; give a positive matching radius (0.5-1 Å is usual)"),
        ));
    }
    let (nd, nt) = (detections.len(), truth.len());
    // Candidate pairs: detection-truth within the radius.
    let all: Vec<[f64; 2]> = detections
        .points
        .iter()
        .chain(&truth.points)
        .map(|p| [p[0], p[1]])
        .collect();
    let pairs: Vec<(usize, usize, f64)> = if all.len() >= 2 {
        NeighborIndex::<2>::new(&all, None)
            .pairs_within(radius)
            .into_iter()
            .filter(|&(i, j, _)| i < nd && j >= nd)
            .map(|(i, j, d)| (i, j - nd, d))
            .collect()
    } else {
        Vec::new()
    };
    // Connected components of the bipartite candidate graph.
    let mut parent: Vec<usize> = (0..nd + nt).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    for &(i, j, _) in &pairs {
        let (a, b) = (find(&mut parent, i), find(&mut parent, nd + j));
        if a != b {
            parent[a.max(b)] = a.min(b);
        }
    }
    let mut comps: std::collections::BTreeMap<usize, Vec<(usize, usize, f64)>> = Default::default();
    for &(i, j, d) in &pairs {
        let r = find(&mut parent, i);
        comps.entry(r).or_default().push((i, j, d));
    }
    let mut matches = Vec::new();
    for edges in comps.values() {
        if edges.len() == 1 {
            matches.push(edges[0]);
            continue;
        }
        let mut rows: Vec<usize> = edges.iter().map(|e| e.0).collect();
        let mut cols: Vec<usize> = edges.iter().map(|e| e.1).collect();
        rows.sort_unstable();
        rows.dedup();
        cols.sort_unstable();
        cols.dedup();
        let transpose = rows.len() > cols.len();
        let (r, c) = if transpose {
            (&cols, &rows)
        } else {
            (&rows, &cols)
        };
        // Weight W − d (in fm): maximising it matches as many as possible,
        // then the shortest total distance; 0 means "no edge".
        const W: i64 = 1_000_000_000;
        let mut m = Matrix::new(r.len(), c.len(), 0i64);
        for &(i, j, d) in edges {
            let (a, b) = if transpose { (j, i) } else { (i, j) };
            let (ra, cb) = (
                r.binary_search(&a).expect("row"),
                c.binary_search(&b).expect("col"),
            );
            m[(ra, cb)] = W - (d * 1e5).round() as i64;
        }
        let (_, assign) = kuhn_munkres(&m);
        for (ra, &cb) in assign.iter().enumerate() {
            if m[(ra, cb)] > 0 {
                let (a, b) = (r[ra], c[cb]);
                let (i, j) = if transpose { (b, a) } else { (a, b) };
                let d = edges.iter().find(|e| e.0 == i && e.1 == j).expect("edge").2;
                matches.push((i, j, d));
            }
        }
    }
    matches.sort_by_key(|m| (m.0, m.1));
    let k = matches.len() as f64;
    let precision = if nd > 0 { k / nd as f64 } else { 0.0 };
    let recall = if nt > 0 { k / nt as f64 } else { 0.0 };
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    let rmse_pm = if k > 0.0 {
        (matches.iter().map(|m| m.2 * m.2).sum::<f64>() / k).sqrt() * 100.0
    } else {
        f64::NAN
    };
    let mean_offset_pm = if k > 0.0 {
        let sx: f64 = matches
            .iter()
            .map(|m| truth.points[m.1][0] - detections.points[m.0][0])
            .sum();
        let sy: f64 = matches
            .iter()
            .map(|m| truth.points[m.1][1] - detections.points[m.0][1])
            .sum();
        [-sx / k * 100.0, -sy / k * 100.0]
    } else {
        [f64::NAN; 2]
    };
    let known: Vec<bool> = matches
        .iter()
        .filter_map(|m| {
            match (
                detections.elements.get(m.0).copied().flatten(),
                truth.elements.get(m.1).copied().flatten(),
            ) {
                (Some(a), Some(b)) => Some(a == b),
                _ => None,
            }
        })
        .collect();
    let element_accuracy = (!known.is_empty())
        .then(|| known.iter().filter(|&&x| x).count() as f64 / known.len() as f64);
    Ok(Scores {
        radius_angstrom: radius,
        detections: nd,
        truth: nt,
        matched: matches.len(),
        precision,
        recall,
        f1,
        rmse_pm,
        mean_offset_pm,
        element_accuracy,
        matches,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structure::Region;

    fn pos(points: &[[f64; 2]]) -> Positions {
        Positions {
            points: points.iter().map(|p| [p[0], p[1], 0.0]).collect(),
            elements: vec![None; points.len()],
            region: Region::Open {
                origin: [0.0; 3],
                size: [100.0, 100.0, 0.0],
            },
            dims: 2,
            source: "t".into(),
        }
    }

    #[test]
    fn matching_is_one_to_one_and_prefers_more_matches() {
        // Greedy would pair d0 with t0 (0.3 Å) and leave t1 unmatched;
        // the optimum pairs d0-t1 and d1-t0.
        let det = pos(&[[10.0, 10.0], [10.7, 10.0]]);
        let tru = pos(&[[10.3, 10.0], [9.5, 10.0]]);
        let s = evaluate(&det, &tru, 0.6).unwrap();
        assert_eq!(s.matched, 2);
        assert_eq!(
            s.matches.iter().map(|m| (m.0, m.1)).collect::<Vec<_>>(),
            vec![(0, 1), (1, 0)]
        );
        assert_eq!((s.precision, s.recall, s.f1), (1.0, 1.0, 1.0));
        // A false positive and a miss.
        let s = evaluate(
            &pos(&[[10.0, 10.0], [50.0, 50.0]]),
            &pos(&[[10.1, 10.0], [80.0, 80.0]]),
            0.5,
        )
        .unwrap();
        assert_eq!((s.matched, s.precision, s.recall), (1, 0.5, 0.5));
        assert!((s.rmse_pm - 10.0).abs() < 1e-9);
    }
}
