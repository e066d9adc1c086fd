//! [`SampleConfig`]: a large sample as users describe it (`sacsim sample`
//! flags, the `[sample]` table of the study and dataset TOML), turned into
//! the model's [`SampleSpec`] by [`SampleConfig::spec`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::sample::{DEFAULT_MIX, Mix, PlacementMode, SampleSpec, ShapeChoice, Support};
use crate::model::{DEFAULT_A, DEFAULT_MN3_DISTANCE, DEFAULT_VACUUM};
use crate::values::Dims;

/// Amorphous supports thinner than this (nm) are no support at all: less
/// than one atomic layer (C-C 0.142 nm).
pub const MIN_AMORPHOUS_THICKNESS_NM: f64 = 0.05;

/// Clustered placement without a distance: pairs within this many times
/// the minimum separation.
pub const CLUSTER_DISTANCE_PER_SEPARATION: f64 = 1.5;

/// How sites are spread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Hard-core uniform random.
    Random,
    /// A share of sites in close pairs.
    Clustered,
}

impl FromStr for Placement {
    type Err = Error;
    fn from_str(text: &str) -> Result<Placement> {
        match text.trim().to_ascii_lowercase().as_str() {
            "random" => Ok(Placement::Random),
            "clustered" => Ok(Placement::Clustered),
            _ => Err(Error::UnknownName {
                kind: "placement",
                name: text.into(),
                valid: "random, clustered".into(),
            }),
        }
    }
}

impl fmt::Display for Placement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Placement::Random => "random",
            Placement::Clustered => "clustered",
        })
    }
}

crate::values::serde_as_text!(Placement);

/// The kind of carbon under the sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupportKind {
    /// A free-standing sheet.
    None,
    /// Amorphous carbon (thickness and density set separately).
    Amorphous,
    /// N turbostratic graphene layers.
    Layers(usize),
}

impl FromStr for SupportKind {
    type Err = Error;
    fn from_str(text: &str) -> Result<SupportKind> {
        let t = text.trim().to_ascii_lowercase();
        match t.as_str() {
            "none" => Ok(SupportKind::None),
            "amorphous" => Ok(SupportKind::Amorphous),
            _ => match t.strip_prefix("layers:").map(str::parse::<usize>) {
                Some(Ok(n)) => Ok(SupportKind::Layers(n)),
                _ => Err(Error::UnknownName {
                    kind: "support",
                    name: text.into(),
                    valid: "none, amorphous, layers:N (e.g. layers:5)".into(),
                }),
            },
        }
    }
}

impl fmt::Display for SupportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SupportKind::None => f.write_str("none"),
            SupportKind::Amorphous => f.write_str("amorphous"),
            SupportKind::Layers(n) => write!(f, "layers:{n}"),
        }
    }
}

crate::values::serde_as_text!(SupportKind);

/// A large sample: sheet size, sites, doping and support.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, clap::Args)]
#[serde(deny_unknown_fields, default)]
pub struct SampleConfig {
    /// Area x by y (nm); the sheet is the nearest rectangular graphene cell.
    #[arg(long = "size", value_name = "XxY", default_value_t = SampleConfig::default().size_nm)]
    pub size_nm: Dims<f64>,
    /// Sites per nm² of projected area.
    #[arg(long = "density", value_name = "PER_NM2", default_value_t = SampleConfig::default().density_per_nm2)]
    pub density_per_nm2: f64,
    /// Site kinds with fractions summing to 1 (kinds: co-n4, l-comn,
    /// comn-n6, pt-n3, co1-nc, m2n6-low/Co+Mn, ...).
    #[arg(long = "mix", value_name = "KIND:FRACTION,...", default_value_t = SampleConfig::default().mix)]
    pub mix: Mix,
    /// Minimum in-plane metal-metal distance between sites (Å) [default:
    /// the smallest at which sites share and bond no atoms, 5.19 Å for MN4].
    #[arg(long = "min-separation", value_name = "Å")]
    pub min_separation_angstrom: Option<f64>,
    /// Placement: random (hard-core uniform) or clustered.
    #[arg(long = "placement", default_value_t = SampleConfig::default().placement)]
    pub placement: Placement,
    /// Clustered: share of sites with a neighbour site within the cluster
    /// distance.
    #[arg(long = "cluster-fraction", default_value_t = SampleConfig::default().cluster_fraction)]
    pub cluster_fraction: f64,
    /// Clustered: pair distance between nearest metals of two sites (Å)
    /// [default: 1.5 x the minimum separation].
    #[arg(long = "cluster-distance", value_name = "Å")]
    pub cluster_distance_angstrom: Option<f64>,
    /// N doping of the free lattice (at.%).
    #[arg(long = "n-doping", value_name = "AT%", default_value_t = SampleConfig::default().n_doping_percent)]
    pub n_doping_percent: f64,
    /// Share of the doped N that is pyridinic (the rest graphitic).
    #[arg(long = "pyridinic-fraction", default_value_t = SampleConfig::default().pyridinic_fraction)]
    pub pyridinic_fraction: f64,
    /// Extra carbon vacancies (at.%).
    #[arg(long = "vacancies", value_name = "AT%", default_value_t = SampleConfig::default().vacancies_percent)]
    pub vacancies_percent: f64,
    /// Support: none, amorphous, or layers:N (turbostratic graphene).
    #[arg(long = "support", default_value_t = SampleConfig::default().support)]
    pub support: SupportKind,
    /// Amorphous support thickness (nm); below 0.05 nm: no support.
    #[arg(long = "support-thickness", value_name = "NM", default_value_t = SampleConfig::default().support_thickness_nm)]
    pub support_thickness_nm: f64,
    /// Amorphous support shape: slab (of --support-thickness), wedge:T0,T1
    /// (thickness T0 -> T1 nm across x), rod:R (a cylinder of radius R nm
    /// along y, vacuum beyond), field:MEAN,RMS,CORR (random thickness, nm).
    #[arg(long = "support-shape", value_name = "SHAPE", default_value_t = SampleConfig::default().support_shape)]
    pub support_shape: ShapeChoice,
    /// Amorphous support density (g/cm³).
    #[arg(long = "support-density", value_name = "G_CM3", default_value_t = SampleConfig::default().support_density_g_cm3)]
    pub support_density_g_cm3: f64,
    /// Put sites on both faces (a second N-doped sheet under the support).
    #[arg(long = "both-faces")]
    pub both_faces: bool,
    /// Graphene lattice constant (Å).
    #[arg(long = "a", value_name = "Å", default_value_t = SampleConfig::default().a_angstrom)]
    pub a_angstrom: f64,
    /// Target M-N distance of MN3 sites (Å).
    #[arg(long = "mn3-distance", value_name = "Å", default_value_t = SampleConfig::default().mn3_distance_angstrom)]
    pub mn3_distance_angstrom: f64,
    /// Vacuum along z (Å).
    #[arg(long = "vacuum", value_name = "Å", default_value_t = SampleConfig::default().vacuum_angstrom)]
    pub vacuum_angstrom: f64,
    /// Seed of every random choice.
    #[arg(long = "seed", default_value_t = SampleConfig::default().seed)]
    pub seed: u64,
}

impl Default for SampleConfig {
    /// 20 x 20 nm, 0.5 sites/nm² of the paper's L-Co1Mn1-NC mix, random,
    /// no doping, no support (5 nm at 2.0 g/cm³ when amorphous).
    fn default() -> SampleConfig {
        SampleConfig {
            size_nm: Dims([20.0, 20.0]),
            density_per_nm2: 0.5,
            mix: DEFAULT_MIX.parse().expect("the default mix parses"),
            min_separation_angstrom: None,
            placement: Placement::Random,
            cluster_fraction: 0.5,
            cluster_distance_angstrom: None,
            n_doping_percent: 0.0,
            pyridinic_fraction: 0.5,
            vacancies_percent: 0.0,
            support: SupportKind::None,
            support_thickness_nm: 5.0,
            support_shape: ShapeChoice::Slab,
            support_density_g_cm3: 2.0,
            both_faces: false,
            a_angstrom: DEFAULT_A,
            mn3_distance_angstrom: DEFAULT_MN3_DISTANCE,
            vacuum_angstrom: DEFAULT_VACUUM,
            seed: 1,
        }
    }
}

impl SampleConfig {
    /// The sample specification (validated when the sample is built); a
    /// shaped support other than amorphous is refused here.
    pub fn spec(&self) -> Result<SampleSpec> {
        if self.support_shape != ShapeChoice::Slab && self.support != SupportKind::Amorphous {
            return Err(Error::invalid(
                "--support-shape",
                format!(
                    "{} needs --support amorphous (the support is {})",
                    self.support_shape, self.support
                ),
            ));
        }
        let support = match self.support {
            SupportKind::None => Support::None,
            SupportKind::Amorphous
                if self.support_shape == ShapeChoice::Slab
                    && self.support_thickness_nm < MIN_AMORPHOUS_THICKNESS_NM =>
            {
                Support::None
            }
            SupportKind::Amorphous => Support::Amorphous {
                shape: self.support_shape.shape(self.support_thickness_nm),
                density_g_cm3: self.support_density_g_cm3,
            },
            SupportKind::Layers(count) => Support::Layers { count },
        };
        let mut spec = SampleSpec {
            size_nm: self.size_nm.0,
            a: self.a_angstrom,
            density: self.density_per_nm2,
            mix: self.mix.0.clone(),
            min_separation: self.min_separation_angstrom,
            placement: PlacementMode::Random,
            n_doping_percent: self.n_doping_percent,
            pyridinic_fraction: self.pyridinic_fraction,
            vacancies_percent: self.vacancies_percent,
            support,
            both_faces: self.both_faces,
            mn3_distance: self.mn3_distance_angstrom,
            vacuum: self.vacuum_angstrom,
            seed: self.seed,
        };
        if self.placement == Placement::Clustered {
            spec.placement = PlacementMode::Clustered {
                fraction: self.cluster_fraction,
                distance: self
                    .cluster_distance_angstrom
                    .unwrap_or_else(|| CLUSTER_DISTANCE_PER_SEPARATION * spec.separation()),
            };
        }
        Ok(spec)
    }
}

impl Default for SampleSpec {
    /// The spec of [`SampleConfig::default`].
    fn default() -> SampleSpec {
        SampleConfig::default()
            .spec()
            .expect("the default sample config is valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_support_cut_off_is_one_place() {
        for s in ["none", "amorphous", "layers:3"] {
            assert_eq!(s.parse::<SupportKind>().unwrap().to_string(), s);
        }
        assert!("layers:x".parse::<SupportKind>().is_err());
        assert!("grid".parse::<Placement>().is_err());
        let thin = SampleConfig {
            support: SupportKind::Amorphous,
            support_thickness_nm: 0.04,
            ..SampleConfig::default()
        };
        assert_eq!(thin.spec().unwrap().support, Support::None);
        let c = SampleConfig {
            placement: Placement::Clustered,
            ..SampleConfig::default()
        };
        let spec = c.spec().unwrap();
        match spec.placement {
            PlacementMode::Clustered { distance, .. } => {
                assert!((distance - 1.5 * spec.separation()).abs() < 1e-12)
            }
            PlacementMode::Random => panic!("clustered"),
        }
        let mix: Mix = "l-comn:0.67,co-n4:0.33".parse().unwrap();
        assert_eq!(mix.to_string(), "l-comn:0.67,co-n4:0.33");
    }
}
