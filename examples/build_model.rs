//! Build a DFT-ready model with the library and write its POSCAR.
//!
//! ```sh
//! cargo run --release --example build_model -- Fe Ni 8   # FeN3-NiN3 in an 8 x 8 cell
//! ```

use sacsim::io::Format;
use sacsim::model::{ModelSpec, Motif, build_model};
use sacsim::structure::Element;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let metal =
        |i: usize, default: &str| Element::from_symbol(args.get(i).map_or(default, String::as_str));
    let (a, b) = (metal(0, "Co")?, metal(1, "Mn")?);
    let n: usize = args.get(2).map_or(Ok(6), |s| s.parse())?;
    let mut spec = ModelSpec::new(Motif::M2N6Low, vec![a, b]);
    spec.cell = spec.cell.with_size(n, n);
    spec.fix_beyond = Some(6.0); // relax only around the site
    let model = build_model(&spec)?;
    let s = &model.structure;
    let m = s.metal_indices();
    println!(
        "{}: {} atoms, M-M {:.3} Å",
        s.formula(),
        s.len(),
        s.distance(m[0], m[1])
    );
    std::fs::write("POSCAR", Format::Poscar.render(s))?;
    println!("wrote POSCAR");
    Ok(())
}
