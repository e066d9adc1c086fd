//! In-process timing for `benches/peer/pairs_scipy.py`: the same work the
//! script gives scipy, on the same points.
//!
//! ```sh
//! cargo run --release --example pair_timing -- analyze POINTS.npy BOX_A
//! cargo run --release --example pair_timing -- pairs POINTS.npy R
//! ```

use std::path::Path;
use std::time::Instant;

use sacsim::analysis::pairstats::{AnalyzeConfig, analyze};
use sacsim::analysis::spatial::pairs_within_cells;
use sacsim::output::load::{LoadOptions, load};
use sacsim::structure::Region;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (mode, path) = (args[1].as_str(), Path::new(&args[2]));
    let x: f64 = args[3].parse()?;
    match mode {
        "analyze" => {
            let p = load(
                path,
                &LoadOptions {
                    region: Some(Region::Periodic { size: [x, x, 0.0] }),
                    ..Default::default()
                },
            )?;
            let t = Instant::now();
            let s = analyze(
                &p,
                &AnalyzeConfig {
                    bootstrap: 0,
                    ..Default::default()
                },
            )?;
            println!(
                "{:.4} s  mean NN {:.6} nm  pair fraction {:.6}  groups {}",
                t.elapsed().as_secs_f64(),
                s.mean_nn_nm.value,
                s.pair_fraction.value,
                s.groups.groups
            );
        }
        "pairs" => {
            let (data, _, _) = sacsim::io::raster::read_npy_f64(path)?;
            let pts: Vec<[f64; 2]> = data.chunks(2).map(|c| [c[0], c[1]]).collect();
            let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
            for p in &pts {
                for k in 0..2 {
                    lo[k] = lo[k].min(p[k]);
                    hi[k] = hi[k].max(p[k]);
                }
            }
            let t = Instant::now();
            let pairs = pairs_within_cells(&pts, x, (lo, [hi[0] - lo[0], hi[1] - lo[1]]), false);
            println!("{:.4} s  {} pairs", t.elapsed().as_secs_f64(), pairs.len());
        }
        _ => return Err("mode: analyze | pairs".into()),
    }
    Ok(())
}
