//! A simulated image and the continuous image on the fine grid it is
//! sampled from (shared by the incoherent and the multislice models).
//!
//! Pixel convention: pixel (ix, iy) samples the image at
//! (x0 + ix·px, y0 + iy·py) Å; arrays are row-major `[iy][ix]`.

use crate::structure::ImageFrame;

/// A simulated image: values with the frame that places them.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// Origin, pixel size and shape.
    pub frame: ImageFrame,
    /// Row-major values `[iy * nx + ix]`.
    pub data: Vec<f32>,
}

impl Image {
    /// Value at pixel (ix, iy).
    pub fn at(&self, ix: usize, iy: usize) -> f32 {
        self.data[iy * self.frame.nx() + ix]
    }
}

/// The continuous image on the fine periodic grid, before sampling.
#[derive(Debug, Clone)]
pub struct FineImage {
    /// Fine grid size.
    pub nx: usize,
    /// Fine grid size.
    pub ny: usize,
    /// Fine grid spacing (Å).
    pub h: [f64; 2],
    /// Position (Å) of fine grid point (0, 0).
    pub origin: [f64; 2],
    /// Row-major values.
    pub data: Vec<f32>,
    /// Fine points per output pixel.
    pub oversample: usize,
    /// Fine index of output pixel (0, 0).
    pub offset: [usize; 2],
    /// Output image size.
    pub out: [usize; 2],
}

impl FineImage {
    /// The output image sampled at the pixel positions.
    pub fn sample(&self) -> Image {
        let (s, [ox, oy], [nx, ny]) = (self.oversample, self.offset, self.out);
        let data = (0..ny)
            .flat_map(|iy| (0..nx).map(move |ix| (ix, iy)))
            .map(|(ix, iy)| self.data[(oy + iy * s) * self.nx + ox + ix * s])
            .collect();
        Image {
            frame: ImageFrame {
                origin: [
                    self.origin[0] + ox as f64 * self.h[0],
                    self.origin[1] + oy as f64 * self.h[1],
                ],
                pixel: [self.h[0] * s as f64, self.h[1] * s as f64],
                shape: [nx, ny],
            },
            data,
        }
    }

    /// The continuous image at any point (Å), by periodic bicubic
    /// (Catmull-Rom) interpolation of the fine grid.
    pub fn interpolate(&self, x: f64, y: f64) -> f32 {
        let u = (x - self.origin[0]) / self.h[0];
        let v = (y - self.origin[1]) / self.h[1];
        let (iu, iv) = (u.floor(), v.floor());
        let (fu, fv) = ((u - iu) as f32, (v - iv) as f32);
        let w = |t: f32| {
            let t2 = t * t;
            let t3 = t2 * t;
            [
                (-t3 + 2.0 * t2 - t) / 2.0,
                (3.0 * t3 - 5.0 * t2 + 2.0) / 2.0,
                (-3.0 * t3 + 4.0 * t2 + t) / 2.0,
                (t3 - t2) / 2.0,
            ]
        };
        let (wu, wv) = (w(fu), w(fv));
        let mut acc = 0.0f32;
        for (j, wy) in wv.iter().enumerate() {
            let row = (iv as i64 - 1 + j as i64).rem_euclid(self.ny as i64) as usize;
            for (i, wx) in wu.iter().enumerate() {
                let col = (iu as i64 - 1 + i as i64).rem_euclid(self.nx as i64) as usize;
                acc += wx * wy * self.data[row * self.nx + col];
            }
        }
        acc
    }
}

/// The smallest FFT-friendly size >= n (see [`crate::fft::smooth_size`]).
pub fn fft_size(n: usize) -> usize {
    crate::fft::smooth_size(n)
}
