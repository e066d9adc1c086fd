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
