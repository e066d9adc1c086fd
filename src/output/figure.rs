//! Figure plumbing shared by the PNG writers: the embedded font, charts
//! rendered in memory, and the scale bar every image crop carries.

use std::sync::Once;

use plotters::prelude::*;

static FONT: Once = Once::new();

/// Register the embedded font for plotters (idempotent). Plots use DejaVu
/// Sans compiled into the binary (Bitstream Vera licence,
/// `assets/fonts`), so they render on machines without fonts.
pub fn register_font() {
    FONT.call_once(|| {
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            include_bytes!("../../assets/fonts/DejaVuSans.ttf"),
        );
    });
}

/// Encode an RGB8 buffer as PNG in memory.
pub fn encode_rgb(rgb: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut out),
        rgb,
        width,
        height,
        image::ExtendedColorType::Rgb8,
    )
    .expect("in-memory PNG");
    out
}

/// Render a chart into a PNG in memory.
pub fn chart_png(
    width: u32,
    height: u32,
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>),
) -> Vec<u8> {
    register_font();
    let mut rgb = vec![0u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        root.fill(&WHITE).expect("draw");
        draw(&root);
        root.present().expect("draw");
    }
    encode_rgb(&rgb, width, height)
}

/// A line chart of (x, y) points.
pub fn line_png(title: &str, x_label: &str, y_label: &str, points: &[(f64, f64)]) -> Vec<u8> {
    let (x_max, y_max) = points
        .iter()
        .fold((1.0f64, 1e-9f64), |(a, b), p| (a.max(p.0), b.max(p.1)));
    chart_png(900, 520, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..x_max, 0.0..y_max * 1.05)
            .expect("chart");
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .label_style(("sans-serif", 15))
            .draw()
            .expect("mesh");
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                RGBColor(60, 110, 180).stroke_width(2),
            ))
            .expect("line");
    })
}

/// The scale-bar length (nm) for a field `width_nm` wide: the largest
/// 1-2-5 step not above a fifth of the width.
pub fn scale_bar_nm(width_nm: f64) -> f64 {
    let target = width_nm / 5.0;
    let decade = 10f64.powf(target.log10().floor());
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|m| m * decade)
        .find(|&l| l <= target)
        .unwrap_or(decade)
}

/// Draw a white scale bar with its length in nm (bottom left, on a dark
/// box) onto an RGB8 image of `nx` x `ny` pixels of `pixel_angstrom`.
/// Images narrower than 40 px get none.
pub fn draw_scale_bar(rgb: &mut [u8], nx: usize, ny: usize, pixel_angstrom: f64) {
    if nx < 40 || ny < 24 || pixel_angstrom.is_nan() || pixel_angstrom <= 0.0 {
        return;
    }
    let nm = scale_bar_nm(nx as f64 * pixel_angstrom / 10.0);
    let len = (10.0 * nm / pixel_angstrom).round() as i32;
    let label = if nm >= 1.0 {
        format!("{nm} nm")
    } else {
        format!("{} Å", 10.0 * nm)
    };
    register_font();
    let font = ((ny.min(nx) as f64 / 24.0).clamp(10.0, 28.0)) as i32;
    let (x0, y1) = (font / 2, ny as i32 - font / 2);
    let bar = (font / 4).max(2);
    let root = BitMapBackend::with_buffer(rgb, (nx as u32, ny as u32)).into_drawing_area();
    let box_w = len.max(font * label.chars().count() as i32 * 6 / 10) + font / 2;
    let _ = root.draw(&Rectangle::new(
        [
            (x0 - font / 4, y1 - bar - font - font / 2),
            (x0 + box_w, y1 + font / 4),
        ],
        BLACK.mix(0.6).filled(),
    ));
    let _ = root.draw(&Rectangle::new(
        [(x0, y1 - bar), (x0 + len, y1)],
        WHITE.filled(),
    ));
    let _ = root.draw(&Text::new(
        label,
        (x0, y1 - bar - font - font / 4),
        ("sans-serif", font).into_font().color(&WHITE),
    ));
    let _ = root.present();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_bars_are_one_two_five_steps_near_a_fifth() {
        assert_eq!(scale_bar_nm(48.0), 5.0);
        assert_eq!(scale_bar_nm(20.0), 2.0);
        assert_eq!(scale_bar_nm(4.8), 0.5);
        assert_eq!(scale_bar_nm(100.0), 20.0);
    }

    #[test]
    fn the_bar_is_as_long_as_its_label_says() {
        // 480 px of 0.1 Å = 4.8 nm: a 0.5 nm = 50 px bar.
        let (nx, ny) = (480, 480);
        let mut rgb = vec![0u8; 3 * nx * ny];
        draw_scale_bar(&mut rgb, nx, ny, 0.1);
        let row = ny - 20 / 2 - 1;
        let white = (0..nx)
            .filter(|&x| rgb[3 * (row * nx + x)..3 * (row * nx + x) + 3] == [255; 3])
            .count();
        assert_eq!(white, 50, "bar pixels on its bottom row");
    }
}
