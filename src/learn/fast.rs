//! The U-Net's forward pass for inference, without autograd: each 3 x 3
//! convolution is an im2col over bands of rows followed by one matrix
//! product (nalgebra, which hands f32 products to matrixmultiply's
//! sgemm), in parallel over bands. candle's CPU convolution spends most
//! of its time building its patch matrix pixel by pixel (3.9 s for a
//! 1024² input on 2 cores); here every patch-matrix column is a shifted
//! copy of one input row, so the product dominates.
//!
//! The weights are [`super::unet::UNet`]'s (same names, same layout), and
//! the result equals candle's forward pass to float rounding (unit test).

use std::collections::HashMap;

use candle_core::Tensor;
use nalgebra::DMatrix;
use rayon::prelude::*;

/// Output pixels per band of the patch matrix (rows of whole image
/// lines): a few MB of patches per band, bands spread over the threads.
const BAND_PIXELS: usize = 8192;

/// One convolution: weights as a (c_in · k², c_out) matrix (column o is
/// output channel o's kernel in candle's [c_in, kh, kw] order), biases.
struct Conv {
    weights: DMatrix<f32>,
    bias: Vec<f32>,
    c_in: usize,
    kernel: usize,
}

impl Conv {
    fn load(tensors: &HashMap<String, Tensor>, name: &str) -> candle_core::Result<Conv> {
        let get = |suffix: &str| {
            tensors
                .get(&format!("{name}.{suffix}"))
                .ok_or_else(|| candle_core::Error::Msg(format!("no {name}.{suffix}")))
        };
        let w = get("weight")?;
        let (c_out, c_in, kh, kw) = w.dims4()?;
        if kh != kw || !(kh == 1 || kh == 3) {
            return Err(candle_core::Error::Msg(format!(
                "{name}: {kh} x {kw} kernel"
            )));
        }
        let flat = w.flatten_all()?.to_vec1::<f32>()?;
        let k = c_in * kh * kw;
        Ok(Conv {
            // Column-major (k, c_out): column o is flat[o·k .. (o+1)·k].
            weights: DMatrix::from_vec(k, c_out, flat),
            bias: get("bias")?.to_vec1::<f32>()?,
            c_in,
            kernel: kh,
        })
    }

    /// Convolve a [c_in, h, w] image (zero padding, same size), add the
    /// bias and optionally clamp at zero: [c_out, h, w].
    fn forward(&self, x: &[f32], [w, h]: [usize; 2], relu: bool) -> Vec<f32> {
        let c_out = self.bias.len();
        let k = self.weights.nrows();
        let rows = (BAND_PIXELS / w).max(1);
        let bands: Vec<(usize, DMatrix<f32>)> = (0..h.div_ceil(rows))
            .into_par_iter()
            .map(|b| {
                let (y0, y1) = (b * rows, ((b + 1) * rows).min(h));
                let p = (y1 - y0) * w;
                // Patch matrix (p, k), column-major: column j = (c, dy, dx)
                // is channel c shifted by (dy, dx), zero outside.
                let mut cols = DMatrix::<f32>::zeros(p, k);
                let r = self.kernel as i64 / 2;
                let mut j = 0;
                for c in 0..self.c_in {
                    let plane = &x[c * w * h..(c + 1) * w * h];
                    for dy in -r..=r {
                        for dx in -r..=r {
                            let col = cols.column_mut(j);
                            let col = col.data.into_slice_mut();
                            for y in y0..y1 {
                                let sy = y as i64 + dy;
                                if sy < 0 || sy >= h as i64 {
                                    continue;
                                }
                                let src = &plane[sy as usize * w..][..w];
                                let dst = &mut col[(y - y0) * w..][..w];
                                // dst[x] = src[x + dx] where that exists.
                                if dx >= 0 {
                                    let d = dx as usize;
                                    dst[..w - d].copy_from_slice(&src[d..]);
                                } else {
                                    let d = (-dx) as usize;
                                    dst[d..].copy_from_slice(&src[..w - d]);
                                }
                            }
                            j += 1;
                        }
                    }
                }
                (y0, cols * &self.weights)
            })
            .collect();
        let mut out = vec![0f32; c_out * w * h];
        for (y0, band) in bands {
            let p = band.nrows();
            for o in 0..c_out {
                let dst = &mut out[o * w * h + y0 * w..][..p];
                let bias = self.bias[o];
                for (d, &v) in dst.iter_mut().zip(band.column(o).iter()) {
                    let v = v + bias;
                    *d = if relu { v.max(0.0) } else { v };
                }
            }
        }
        out
    }
}

/// 2 x 2 max-pooling of [c, h, w] (h, w even).
fn max_pool(x: &[f32], c: usize, [w, h]: [usize; 2]) -> Vec<f32> {
    let (w2, h2) = (w / 2, h / 2);
    let mut out = vec![0f32; c * w2 * h2];
    out.par_chunks_mut(w2 * h2).enumerate().for_each(|(ch, o)| {
        let plane = &x[ch * w * h..];
        for y in 0..h2 {
            for xx in 0..w2 {
                let at = |dy: usize, dx: usize| plane[(2 * y + dy) * w + 2 * xx + dx];
                o[y * w2 + xx] = at(0, 0).max(at(0, 1)).max(at(1, 0)).max(at(1, 1));
            }
        }
    });
    out
}

/// Nearest-neighbour 2x upsampling of [c, h, w].
fn upsample(x: &[f32], c: usize, [w, h]: [usize; 2]) -> Vec<f32> {
    let (w2, h2) = (2 * w, 2 * h);
    let mut out = vec![0f32; c * w2 * h2];
    out.par_chunks_mut(w2 * h2).enumerate().for_each(|(ch, o)| {
        let plane = &x[ch * w * h..];
        for y in 0..h2 {
            for xx in 0..w2 {
                o[y * w2 + xx] = plane[(y / 2) * w + xx / 2];
            }
        }
    });
    out
}

/// Two 3 x 3 convolutions with ReLU.
struct Block(Conv, Conv);

impl Block {
    fn load(t: &HashMap<String, Tensor>, name: &str) -> candle_core::Result<Block> {
        Ok(Block(
            Conv::load(t, &format!("{name}.a"))?,
            Conv::load(t, &format!("{name}.b"))?,
        ))
    }

    fn forward(&self, x: &[f32], size: [usize; 2]) -> Vec<f32> {
        self.1.forward(&self.0.forward(x, size, true), size, true)
    }

    fn c_out(&self) -> usize {
        self.1.bias.len()
    }
}

/// The U-Net for inference.
pub struct FastUNet {
    down1: Block,
    down2: Block,
    bottom: Block,
    up2: Block,
    up1: Block,
    head: Conv,
}

impl FastUNet {
    /// The network from [`super::unet::UNet`]'s tensors.
    pub fn load(tensors: &HashMap<String, Tensor>) -> candle_core::Result<FastUNet> {
        Ok(FastUNet {
            down1: Block::load(tensors, "down1")?,
            down2: Block::load(tensors, "down2")?,
            bottom: Block::load(tensors, "bottom")?,
            up2: Block::load(tensors, "up2")?,
            up1: Block::load(tensors, "up1")?,
            head: Conv::load(tensors, "head")?,
        })
    }

    /// Logits of a one-channel `[w, h]` image (both multiples of 4), as
    /// [`super::unet::UNet::forward`] gives them.
    pub fn forward(&self, x: &[f32], [w, h]: [usize; 2]) -> Vec<f32> {
        let (half, quarter) = ([w / 2, h / 2], [w / 4, h / 4]);
        let d1 = self.down1.forward(x, [w, h]);
        let c1 = self.down1.c_out();
        let d2 = self.down2.forward(&max_pool(&d1, c1, [w, h]), half);
        let c2 = self.down2.c_out();
        let b = self.bottom.forward(&max_pool(&d2, c2, half), quarter);
        let u2 = [upsample(&b, self.bottom.c_out(), quarter), d2].concat();
        let u2 = self.up2.forward(&u2, half);
        let u1 = [upsample(&u2, self.up2.c_out(), half), d1].concat();
        let u1 = self.up1.forward(&u1, [w, h]);
        self.head.forward(&u1, [w, h], false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::unet::{UNet, seed_variables};
    use candle_core::{DType, Device};
    use candle_nn::{VarBuilder, VarMap};

    #[test]
    fn the_fast_pass_equals_candles() {
        // A seeded width-4 network, a 40 x 36 input with structure at every
        // scale: the same logits to float rounding, edges included.
        let vars = VarMap::new();
        let vb = VarBuilder::from_varmap(&vars, DType::F32, &Device::Cpu);
        let net = UNet::new(4, vb).unwrap();
        seed_variables(&vars, 9).unwrap();
        let (w, h) = (40, 36);
        let input: Vec<f32> = (0..w * h)
            .map(|k| ((k % w) as f32 * 0.37).sin() + ((k / w) as f32 * 0.21).cos() * 2.0)
            .collect();
        let x = Tensor::from_vec(input.clone(), (1, 1, h, w), &Device::Cpu).unwrap();
        let want = net
            .forward(&x)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let tensors: HashMap<String, Tensor> = vars
            .data()
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_tensor().clone()))
            .collect();
        let got = FastUNet::load(&tensors).unwrap().forward(&input, [w, h]);
        assert_eq!(got.len(), want.len());
        let worst = got
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        let scale = want.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(worst <= 1e-5 * scale.max(1.0), "{worst} of {scale}");
    }
}
