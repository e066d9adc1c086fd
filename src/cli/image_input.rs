//! The image argument shared by `detect` and `convert`: a file or a
//! `simulate` directory, and the flags that place it.

use std::path::PathBuf;

use sacsim::output::image::{PlacedImage, load_image};
use sacsim::values::{Pair, PixelSize};

/// An image and the flags that set or override its frame.
#[derive(clap::Args, Debug)]
pub struct ImageInput {
    /// An image: PNG, TIFF (any integer or float width, palette-grey), 2D
    /// .npy, or a `sacsim simulate` directory (its image.npy with its frame).
    pub image: PathBuf,
    /// Pixel size (Å), or PX,PY [default: from the params.json of a sacsim
    /// image directory (the image's or the one it sits in), else from the
    /// TIFF's calibration tags].
    #[arg(long, value_name = "Å[,Å]")]
    pub pixel_size: Option<PixelSize>,
    /// Position (Å) of pixel (0, 0) [default: from the same source, else 0,0].
    #[arg(long, value_name = "X,Y", allow_hyphen_values = true)]
    pub origin: Option<Pair<f64>>,
}

impl ImageInput {
    /// Read the image and place it.
    pub fn load(&self) -> sacsim::Result<PlacedImage> {
        load_image(
            &self.image,
            self.pixel_size.map(|p| p.0),
            self.origin.map(|o| o.0),
        )
    }
}
