//! `sacsim profile`: intensity line profiles across atoms (the source
//! paper's Fig. 1f) with a two-peak fit, along a line given in Å or
//! through detected pairs.

use std::path::PathBuf;

use anyhow::{Result, bail};
use serde::Serialize;

use sacsim::analysis::pairstats::{AnalyzeConfig, analyze_with_neighbours, mutual_pairs};
use sacsim::analysis::profile::{fit_two_peaks, line_profile};
use sacsim::output::load::{LoadOptions, load};
use sacsim::output::profile::{PairProfile, write_pair_profiles, write_profile};
use sacsim::values::Pair;

/// Arguments of `sacsim profile`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The image and its frame.
    #[command(flatten)]
    input: super::image_input::ImageInput,
    /// Start of the line (Å, image frame).
    #[arg(
        long,
        value_name = "X,Y",
        requires = "to",
        conflicts_with = "detections",
        allow_hyphen_values = true
    )]
    from: Option<Pair<f64>>,
    /// End of the line (Å).
    #[arg(
        long,
        value_name = "X,Y",
        requires = "from",
        allow_hyphen_values = true
    )]
    to: Option<Pair<f64>>,
    /// Detections of this image (a detect directory or CSV, Å): profile
    /// every mutual nearest-neighbour pair in --pair-window, or one pair
    /// with --pair.
    #[arg(long, value_name = "DIR")]
    detections: Option<PathBuf>,
    /// One pair: the detections' row indices (from 0).
    #[arg(long, value_name = "I,J", requires = "detections")]
    pair: Option<Pair<usize>>,
    /// Pair window (nm) for all pairs.
    #[arg(long = "pair-window", value_name = "MIN,MAX", default_value_t = AnalyzeConfig::default().window_nm)]
    window_nm: Pair<f64>,
    /// Band width across the line the profile averages over (Å).
    #[arg(long, value_name = "Å", default_value_t = 0.5)]
    width: f64,
    /// Sample spacing along and across the line (Å).
    #[arg(long, value_name = "Å", default_value_t = 0.05)]
    step: f64,
    /// How far a pair's profile runs beyond each atom (Å).
    #[arg(long, value_name = "Å", default_value_t = 1.5)]
    extend: f64,
    /// Output directory.
    #[arg(short, long, value_name = "DIR", default_value = "profile")]
    output: PathBuf,
}

/// The settings recorded in params.json.
#[derive(Serialize)]
struct Settings {
    from_angstrom: Option<[f64; 2]>,
    to_angstrom: Option<[f64; 2]>,
    detections: Option<String>,
    pair: Option<[usize; 2]>,
    pair_window_nm: [f64; 2],
    width_angstrom: f64,
    step_angstrom: f64,
    extend_angstrom: f64,
}

/// Start σ of the peak fit (Å): about a 80 kV, 30 mrad probe.
const SIGMA_GUESS: f64 = 0.4;

/// Run `sacsim profile`.
pub fn run(args: Args) -> Result<()> {
    if !(args.extend.is_finite() && args.extend >= 0.0 && args.extend <= 100.0) {
        bail!(sacsim::Error::invalid("--extend", "give 0 to 100 Å"));
    }
    let image = args.input.load()?;
    let settings = Settings {
        from_angstrom: args.from.map(|p| p.0),
        to_angstrom: args.to.map(|p| p.0),
        detections: args.detections.as_ref().map(|d| d.display().to_string()),
        pair: args.pair.map(|p| p.0),
        pair_window_nm: args.window_nm.0,
        width_angstrom: args.width,
        step_angstrom: args.step,
        extend_angstrom: args.extend,
    };
    let data = &image.raster.data;
    let frame = &image.frame;
    let Some(det_path) = &args.detections else {
        let (Some(from), Some(to)) = (args.from, args.to) else {
            bail!(sacsim::Error::invalid(
                "--from/--to",
                "give a line (--from X,Y --to X,Y, Å) or --detections DIR"
            ));
        };
        let p = line_profile(data, frame, from.0, to.0, args.width, args.step)?;
        // Start the peaks at the two brightest local maxima of the profile.
        let mut maxima: Vec<(f64, f64)> = (1..p.value.len().saturating_sub(1))
            .filter(|&k| p.value[k] >= p.value[k - 1] && p.value[k] >= p.value[k + 1])
            .map(|k| (p.value[k], p.s_angstrom[k]))
            .collect();
        maxima.sort_by(|a, b| b.0.total_cmp(&a.0));
        let first = maxima.first().map_or(0.0, |m| m.1);
        let second = maxima
            .iter()
            .find(|m| (m.1 - first).abs() >= 1.0)
            .map_or(first + 1.0, |m| m.1);
        let fit = fit_two_peaks(&p, [first.min(second), first.max(second)], SIGMA_GUESS);
        report(fit.as_ref());
        let files = write_profile(&args.output, &image.path, &settings, &p, fit.as_ref())?;
        super::print_written(&args.output, &files);
        return Ok(());
    };
    let points = load(det_path, &LoadOptions::default())?;
    let (_, nn) = analyze_with_neighbours(
        &points,
        &AnalyzeConfig {
            window_nm: args.window_nm,
            ..AnalyzeConfig::default()
        },
    )?;
    let pairs: Vec<(usize, usize)> = match args.pair {
        Some(Pair([i, j])) => {
            let n = points.len();
            if i >= n || j >= n || i == j {
                bail!(sacsim::Error::invalid(
                    "--pair",
                    format!(
                        "{i},{j}: give two different rows of the {n} detections (0 to {})",
                        n.saturating_sub(1)
                    )
                ));
            }
            vec![(i, j)]
        }
        None => {
            let [a, b] = args.window_nm.0;
            mutual_pairs(&nn, [10.0 * a, 10.0 * b])
        }
    };
    let mut out = Vec::new();
    let mut skipped = 0;
    for &(i, j) in &pairs {
        let ([ax, ay], [bx, by]) = (
            [points.points[i][0], points.points[i][1]],
            [points.points[j][0], points.points[j][1]],
        );
        let d = (bx - ax).hypot(by - ay);
        let u = [(bx - ax) / d, (by - ay) / d];
        let e = args.extend;
        let from = [ax - e * u[0], ay - e * u[1]];
        let to = [bx + e * u[0], by + e * u[1]];
        match line_profile(data, frame, from, to, args.width, args.step) {
            Ok(profile) => {
                let fit = fit_two_peaks(&profile, [e, e + d], SIGMA_GUESS);
                let el = |k: usize| points.elements[k].map(|e| e.symbol().to_string());
                out.push(PairProfile {
                    atoms: [i, j],
                    elements: [el(i), el(j)],
                    distance_angstrom: d,
                    profile,
                    fit,
                });
            }
            Err(e) if args.pair.is_some() => return Err(e.into()),
            Err(_) => skipped += 1,
        }
    }
    if let [one] = out.as_slice() {
        report(one.fit.as_ref());
        let files = write_profile(
            &args.output,
            &image.path,
            &settings,
            &one.profile,
            one.fit.as_ref(),
        )?;
        super::print_written(&args.output, &files);
        return Ok(());
    }
    let fitted: Vec<f64> = out
        .iter()
        .filter_map(|p| p.fit.as_ref())
        .map(|f| f.height_ratio.max(1.0 / f.height_ratio))
        .collect();
    println!(
        "{} pairs profiled ({skipped} too close to the edge), {} fitted; median brighter/dimmer peak ratio {:.3}",
        out.len(),
        fitted.len(),
        median(fitted)
    );
    let files = write_pair_profiles(&args.output, &image.path, &settings, &out)?;
    super::print_written(&args.output, &files);
    Ok(())
}

fn report(fit: Option<&sacsim::analysis::profile::TwoPeaks>) {
    match fit {
        Some(f) => println!(
            "peaks at {:.3} and {:.3} Å ({:.3} Å apart), heights {:.4e} and {:.4e} (ratio {:.4}), σ {:.3} Å",
            f.position_angstrom[0],
            f.position_angstrom[1],
            f.separation_angstrom,
            f.height[0],
            f.height[1],
            f.height_ratio,
            f.sigma_angstrom
        ),
        None => println!("the two-peak fit did not converge; the profile is written without it"),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
