//! The ground truth of an image: every atom (or every metal) that lies in
//! the field, with its position in Å and in pixel coordinates
//! (x_px = (x − x0)/px; pixel centres at integers).

use serde::Serialize;

use crate::structure::ImageFrame;
use crate::structure::Structure;

/// One atom as the image sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TruthAtom {
    /// Index in the structure.
    pub atom: usize,
    /// Element symbol.
    pub element: String,
    /// Atomic number.
    pub z: u32,
    /// Site tag (0 = support).
    pub site: u32,
    /// Position (Å), x and y of the periodic image inside the field.
    pub position: [f64; 3],
    /// Pixel coordinates (x, y).
    pub pixel: [f64; 2],
}

/// Atoms whose projected position (or a periodic image of it) falls in
/// the image field [−0.5, n − 0.5) pixels; metals only unless `all`.
pub fn truth_atoms(structure: &Structure, frame: &ImageFrame, all: bool) -> Vec<TruthAtom> {
    let (w, h) = (
        frame.nx() as f64 * frame.pixel[0],
        frame.ny() as f64 * frame.pixel[1],
    );
    let a = structure.lattice.vector(0);
    let b = structure.lattice.vector(1);
    let reach = |k: usize| {
        if structure.pbc[k] {
            ((w + h) / structure.lattice.face_widths()[k]).ceil() as i64 + 1
        } else {
            0
        }
    };
    let (ra, rb) = (reach(0), reach(1));
    let mut out = Vec::new();
    for (i, atom) in structure.atoms.iter().enumerate() {
        if !all && !atom.element.is_metal() {
            continue;
        }
        for ia in -ra..=ra {
            for ib in -rb..=rb {
                let p = atom.position + a * ia as f64 + b * ib as f64;
                let px = frame.to_pixel([p.x, p.y]);
                if px[0] >= -0.5
                    && px[1] >= -0.5
                    && px[0] < frame.nx() as f64 - 0.5
                    && px[1] < frame.ny() as f64 - 0.5
                {
                    out.push(TruthAtom {
                        atom: i,
                        element: atom.element.symbol().to_string(),
                        z: atom.element.z(),
                        site: atom.site,
                        position: [p.x, p.y, p.z],
                        pixel: px,
                    });
                }
            }
        }
    }
    out
}

/// Move every atom's pixel to where the scan `map` shows it in the
/// acquired image (drift, flyback, line jitter), and keep those that show
/// inside its [−0.5, n − 0.5) pixels; positions in Å stay the specimen's.
pub fn as_scanned(truth: &mut Vec<TruthAtom>, map: &super::noise::ScanMap, frame: &ImageFrame) {
    let [nx, ny] = frame.shape;
    for t in truth.iter_mut() {
        t.pixel = map.apparent_pixel([t.position[0], t.position[1]]);
    }
    truth.retain(|t| {
        let [x, y] = t.pixel;
        (-0.5..nx as f64 - 0.5).contains(&x) && (-0.5..ny as f64 - 0.5).contains(&y)
    });
}

/// The truth table as CSV: `atom,element,z,site,x_A,y_A,z_A,x_px,y_px`.
pub fn truth_csv(atoms: &[TruthAtom]) -> String {
    let mut out = String::from("atom,element,z,site,x_A,y_A,z_A,x_px,y_px\n");
    for t in atoms {
        out.push_str(&format!(
            "{},{},{},{},{:.6},{:.6},{:.6},{:.6},{:.6}\n",
            t.atom,
            t.element,
            t.z,
            t.site,
            t.position[0],
            t.position[1],
            t.position[2],
            t.pixel[0],
            t.pixel[1]
        ));
    }
    out
}

/// Radius of the aperture a metal atom's signal is summed over (Å).
pub const VISIBILITY_APERTURE: f64 = 0.8;

/// How plainly each atom shows in a noisy image: the aperture
/// signal-to-noise ratio S / √Var, with S the electrons in a
/// [`VISIBILITY_APERTURE`] disc of the clean image above the median of a
/// 1.6-2.4 Å annulus around it, and Var the shot noise of the disc's
/// electrons plus `read_noise_e`² (read-out noise in electrons) per pixel.
/// `electrons_per_value` converts clean values to electrons (dose · pixel
/// area); None (no noise): every atom infinitely plain. Pixels of `truth`
/// are those of `clean` (before scan distortions). Hand labellers mark
/// atoms from about 3 upwards (10th percentile of the labelled atoms of
/// the real tuning images, docs/DECISIONS.md).
pub fn visibility(
    clean: &super::incoherent::Image,
    truth: &[TruthAtom],
    electrons_per_value: Option<f64>,
    read_noise_e: f64,
) -> Vec<f64> {
    let Some(k) = electrons_per_value else {
        return vec![f64::INFINITY; truth.len()];
    };
    let [nx, ny] = clean.frame.shape;
    let [px, py] = clean.frame.pixel;
    truth
        .iter()
        .map(|t| {
            let [cx, cy] = t.pixel;
            let reach = 2.4;
            let (rx, ry) = ((reach / px).ceil() as i64, (reach / py).ceil() as i64);
            let (mut disc, mut ring) = (Vec::new(), Vec::new());
            for iy in (cy.round() as i64 - ry).max(0)..=(cy.round() as i64 + ry).min(ny as i64 - 1)
            {
                for ix in
                    (cx.round() as i64 - rx).max(0)..=(cx.round() as i64 + rx).min(nx as i64 - 1)
                {
                    let r = ((ix as f64 - cx) * px).hypot((iy as f64 - cy) * py);
                    let v = clean.at(ix as usize, iy as usize) as f64;
                    if r <= VISIBILITY_APERTURE {
                        disc.push(v);
                    } else if (1.6..=2.4).contains(&r) {
                        ring.push(v);
                    }
                }
            }
            if disc.is_empty() || ring.is_empty() {
                return 0.0;
            }
            ring.sort_by(f64::total_cmp);
            let background = ring[ring.len() / 2];
            let signal: f64 = disc.iter().map(|v| (v - background) * k).sum();
            let variance: f64 = disc.iter().map(|v| v.max(0.0) * k).sum::<f64>()
                + disc.len() as f64 * read_noise_e * read_noise_e;
            signal / variance.max(f64::MIN_POSITIVE).sqrt()
        })
        .collect()
}
