//! Metal-site motifs as recipes on the graphene lattice: which C atoms to
//! remove, which to replace by N, and where the metals go (docs/PHYSICS.md §2).
//!
//! All recipes are written for the motif anchored at A(0, 0) in its first
//! orientation; [`Recipe::rotated`] gives the two others (120° and 240°
//! about A(0, 0)) and [`Recipe::shifted`] moves it. Unrelaxed distances with
//! a = 2.46 Å: M-N = a·√(84)/12 = 1.879 Å for a metal at the midpoint of a
//! removed C-C bond; M-M = a = 2.46 Å in the dual sites.

use crate::error::{Error, Result};

use super::graphene::{GrapheneCell, Site};

/// Where a metal atom sits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Placement {
    /// In plane, at the midpoint of the (removed) bond between two sites.
    BondMidpoint(Site, Site),
    /// Above a (removed) site, lifted out of plane to a target M-N distance.
    AboveSite(Site),
}

impl Placement {
    fn map(self, f: impl Fn(Site) -> Site) -> Placement {
        match self {
            Placement::BondMidpoint(a, b) => Placement::BondMidpoint(f(a), f(b)),
            Placement::AboveSite(a) => Placement::AboveSite(f(a)),
        }
    }
}

/// Remove these C, make these N, put metals here.
#[derive(Debug, Clone, PartialEq)]
pub struct Recipe {
    /// C sites removed (the vacancy).
    pub remove: Vec<Site>,
    /// C sites replaced by N.
    pub nitrogen: Vec<Site>,
    /// One placement per metal, in the order the metals are given.
    pub metals: Vec<Placement>,
}

impl Recipe {
    /// The recipe rotated `times` x 120° about A(0, 0).
    pub fn rotated(&self, times: u8) -> Recipe {
        let rot = |mut s: Site| {
            for _ in 0..times % 3 {
                s = s.rotated_120();
            }
            s
        };
        self.map(rot)
    }

    /// The recipe translated by (di, dj) primitive cells.
    pub fn shifted(&self, di: i64, dj: i64) -> Recipe {
        self.map(|s| s.shifted(di, dj))
    }

    fn map(&self, f: impl Fn(Site) -> Site + Copy) -> Recipe {
        Recipe {
            remove: self.remove.iter().map(|&s| f(s)).collect(),
            nitrogen: self.nitrogen.iter().map(|&s| f(s)).collect(),
            metals: self.metals.iter().map(|p| p.map(f)).collect(),
        }
    }

    /// In-plane metal positions (Å, z = 0) for lattice constant `a`: the
    /// bond midpoint or the site under a lifted metal.
    pub fn metal_positions(&self, a: f64) -> Vec<[f64; 2]> {
        let cell = GrapheneCell {
            a,
            ..GrapheneCell::hexagonal(1, 1)
        };
        let at = |s: Site| cell.site_position(s);
        self.metals
            .iter()
            .map(|p| {
                let v = match *p {
                    Placement::BondMidpoint(s, t) => (at(s) + at(t)) / 2.0,
                    Placement::AboveSite(s) => at(s),
                };
                [v.x, v.y]
            })
            .collect()
    }

    /// The largest in-plane distance between two of the recipe's metals
    /// (Å; 0 for one metal or none).
    pub fn metal_span(&self, a: f64) -> f64 {
        let p = self.metal_positions(a);
        p.iter()
            .flat_map(|u| p.iter().map(move |v| (u[0] - v[0]).hypot(u[1] - v[1])))
            .fold(0.0, f64::max)
    }

    /// Two recipes applied together (M1M2-N8 is two MN4).
    fn merged(mut self, other: Recipe) -> Recipe {
        self.remove.extend(other.remove);
        self.nitrogen.extend(other.nitrogen);
        self.metals.extend(other.metals);
        self
    }
}

/// The site motifs sacsim builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Motif {
    /// Pristine graphene, no metal.
    Pristine,
    /// MN4 in a divacancy (pyridinic N4).
    MN4,
    /// MN3C1: the MN4 divacancy with one N left as C.
    MN3C1,
    /// MN3 in a single vacancy, metal lifted out of plane.
    MN3,
    /// N-bridged M2N6: two MN4 sharing two N, M-M 2.46 Å.
    M2N6Bridged,
    /// Low-coordinated N3M-MN3 with a direct M-M bond, 2.46 Å.
    M2N6Low,
    /// M1M2-N8: two separate MN4, 4.92 Å apart (no shared N, no N-N bond).
    M1M2N8,
}

impl Motif {
    /// Every motif, in documentation order.
    pub const ALL: [Motif; 7] = [
        Motif::Pristine,
        Motif::MN4,
        Motif::MN3C1,
        Motif::MN3,
        Motif::M2N6Bridged,
        Motif::M2N6Low,
        Motif::M1M2N8,
    ];

    /// Command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Motif::Pristine => "pristine",
            Motif::MN4 => "mn4",
            Motif::MN3C1 => "mn3c1",
            Motif::MN3 => "mn3",
            Motif::M2N6Bridged => "m2n6-bridged",
            Motif::M2N6Low => "m2n6-low",
            Motif::M1M2N8 => "m1m2-n8",
        }
    }

    /// Look a motif up by name (case-insensitive; also accepts `graphene`,
    /// `m2n6`, `n3m-mn3`).
    pub fn from_name(name: &str) -> Result<Motif> {
        let key = name.trim().to_ascii_lowercase();
        let alias = match key.as_str() {
            "graphene" => Some(Motif::Pristine),
            "m2n6" => Some(Motif::M2N6Bridged),
            "n3m-mn3" => Some(Motif::M2N6Low),
            _ => None,
        };
        alias
            .or_else(|| Motif::ALL.into_iter().find(|m| m.name() == key))
            .ok_or_else(|| Error::UnknownName {
                kind: "motif",
                name: name.to_string(),
                valid: Motif::ALL.map(|m| m.name()).join(", "),
            })
    }

    /// The largest in-plane metal-metal distance of the motif (Å), from
    /// its recipe.
    pub fn metal_span(self, a: f64) -> f64 {
        self.recipe().metal_span(a)
    }

    /// How many metal atoms the motif holds.
    pub fn metal_count(self) -> usize {
        self.recipe().metals.len()
    }

    /// Nominal number of N bound to each metal.
    pub fn nitrogen_per_metal(self) -> usize {
        match self {
            Motif::Pristine => 0,
            Motif::MN3C1 | Motif::MN3 | Motif::M2N6Low => 3,
            Motif::MN4 | Motif::M2N6Bridged | Motif::M1M2N8 => 4,
        }
    }

    /// The recipe in its first orientation, anchored at A(0, 0).
    pub fn recipe(self) -> Recipe {
        use Placement::*;
        let (a, b) = (Site::a, Site::b);
        let mn4 = || Recipe {
            remove: vec![a(0, 0), b(0, 0)],
            nitrogen: vec![b(-1, 0), b(-1, -1), a(1, 0), a(1, 1)],
            metals: vec![BondMidpoint(a(0, 0), b(0, 0))],
        };
        match self {
            Motif::Pristine => Recipe {
                remove: vec![],
                nitrogen: vec![],
                metals: vec![],
            },
            Motif::MN4 => mn4(),
            Motif::MN3C1 => Recipe {
                nitrogen: vec![b(-1, 0), b(-1, -1), a(1, 0)],
                ..mn4()
            },
            Motif::MN3 => Recipe {
                remove: vec![a(0, 0)],
                nitrogen: vec![b(0, 0), b(-1, 0), b(-1, -1)],
                metals: vec![AboveSite(a(0, 0))],
            },
            Motif::M2N6Bridged => Recipe {
                remove: vec![a(0, 0), b(0, 0), a(0, 1), b(0, 1)],
                nitrogen: vec![a(1, 0), a(1, 1), a(1, 2), b(-1, -1), b(-1, 0), b(-1, 1)],
                metals: vec![
                    BondMidpoint(a(0, 0), b(0, 0)),
                    BondMidpoint(a(0, 1), b(0, 1)),
                ],
            },
            Motif::M2N6Low => Recipe {
                remove: vec![a(0, 0), b(0, 0), a(1, 0), b(1, 0)],
                nitrogen: vec![b(-1, 0), b(-1, -1), a(1, 1), b(0, -1), a(2, 0), a(2, 1)],
                metals: vec![
                    BondMidpoint(a(0, 0), b(0, 0)),
                    BondMidpoint(a(1, 0), b(1, 0)),
                ],
            },
            // Two MN4 two cells apart along a2 (4.92 Å): the closest
            // translation with no shared N and no N-N bond (a1 + 2a2 and the
            // other √3·a translations give an N-N bond, 2·a1 too).
            Motif::M1M2N8 => mn4().merged(mn4().shifted(0, 2)),
        }
    }
}

crate::values::named_value!(Motif);

impl std::fmt::Display for Motif {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metal_spans_come_from_the_recipes() {
        let a = 2.46;
        for (m, span) in [
            (Motif::Pristine, 0.0),
            (Motif::MN4, 0.0),
            (Motif::MN3, 0.0),
            (Motif::M2N6Bridged, a),
            (Motif::M2N6Low, a),
            (Motif::M1M2N8, 2.0 * a),
        ] {
            assert!((m.metal_span(a) - span).abs() < 1e-12, "{m}");
            // Every orientation spans the same.
            for t in 0..3 {
                assert!((m.recipe().rotated(t).metal_span(a) - span).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn names_round_trip_and_unknown_lists_valid() {
        for m in Motif::ALL {
            assert_eq!(Motif::from_name(m.name()).unwrap(), m);
        }
        assert_eq!(Motif::from_name("N3M-MN3").unwrap(), Motif::M2N6Low);
        let e = Motif::from_name("mn5").unwrap_err().to_string();
        assert!(
            e.contains("unknown motif 'mn5'") && e.contains("m2n6-low"),
            "{e}"
        );
    }

    #[test]
    fn rotation_three_times_is_identity_and_once_moves_the_vacancy() {
        for m in Motif::ALL {
            let r = m.recipe();
            assert_eq!(r.rotated(3), r);
            let sites = |r: &Recipe| {
                let mut v: Vec<_> = r
                    .remove
                    .iter()
                    .chain(&r.nitrogen)
                    .map(|s| (s.sub == super::super::graphene::Sublattice::A, s.i, s.j))
                    .collect();
                v.sort();
                v
            };
            // MN3 is threefold symmetric: its rotations are the same site.
            if m == Motif::Pristine || m == Motif::MN3 {
                assert_eq!(sites(&r.rotated(1)), sites(&r), "{m}");
            } else {
                assert_ne!(sites(&r.rotated(1)), sites(&r), "{m}");
                assert_ne!(sites(&r.rotated(2)), sites(&r.rotated(1)), "{m}");
            }
        }
    }
}
