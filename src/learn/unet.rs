//! A small U-Net (Ronneberger et al. 2015) for atom heatmaps: two 3 x 3
//! convolutions with ReLU per level, 2 x 2 max-pooling down, nearest
//! upsampling and skip concatenation up, a 1 x 1 head giving one logit
//! per pixel. Widths [c, 2c, 4c] over three levels; inputs must be
//! multiples of 4 pixels on each side.

use candle_core::{DType, Device, Module, Result, Tensor};
use candle_nn::{Conv2d, Conv2dConfig, VarBuilder, VarMap, conv2d};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// Two 3 x 3 convolutions with ReLU.
struct Block(Conv2d, Conv2d);

impl Block {
    fn new(cin: usize, cout: usize, vb: VarBuilder) -> Result<Block> {
        let cfg = Conv2dConfig {
            padding: 1,
            ..Default::default()
        };
        Ok(Block(
            conv2d(cin, cout, 3, cfg, vb.pp("a"))?,
            conv2d(cout, cout, 3, cfg, vb.pp("b"))?,
        ))
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.1.forward(&self.0.forward(x)?.relu()?)?.relu()
    }
}

/// The network.
pub struct UNet {
    down1: Block,
    down2: Block,
    bottom: Block,
    up2: Block,
    up1: Block,
    head: Conv2d,
}

impl UNet {
    /// Build with base width `c` under `vb`.
    pub fn new(c: usize, vb: VarBuilder) -> Result<UNet> {
        Ok(UNet {
            down1: Block::new(1, c, vb.pp("down1"))?,
            down2: Block::new(c, 2 * c, vb.pp("down2"))?,
            bottom: Block::new(2 * c, 4 * c, vb.pp("bottom"))?,
            up2: Block::new(6 * c, 2 * c, vb.pp("up2"))?,
            up1: Block::new(3 * c, c, vb.pp("up1"))?,
            head: conv2d(c, 1, 1, Default::default(), vb.pp("head"))?,
        })
    }

    /// Logits [B, 1, H, W] of images [B, 1, H, W].
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (_, _, h, w) = x.dims4()?;
        let d1 = self.down1.forward(x)?;
        let d2 = self.down2.forward(&d1.max_pool2d(2)?)?;
        let b = self.bottom.forward(&d2.max_pool2d(2)?)?;
        let u2 = b.upsample_nearest2d(h / 2, w / 2)?;
        let u2 = self.up2.forward(&Tensor::cat(&[&u2, &d2], 1)?)?;
        let u1 = u2.upsample_nearest2d(h, w)?;
        let u1 = self.up1.forward(&Tensor::cat(&[&u1, &d1], 1)?)?;
        self.head.forward(&u1)
    }
}

/// ln(0.01 / 0.99): the head's starting logit.
const HEAD_PRIOR_LOGIT: f32 = -4.595;

/// Re-initialise every variable from `seed` (He normal for weights, zero
/// biases), in name order: candle's CPU generator cannot be seeded, and
/// the same seed must give the same network.
pub fn seed_variables(vars: &VarMap, seed: u64) -> Result<()> {
    let data = vars.data().lock().expect("variables");
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for name in names {
        let var = &data[name];
        let dims = var.dims().to_vec();
        let n: usize = dims.iter().product();
        // The head starts near P(atom) = 1 % everywhere (bias ln(0.01/0.99),
        // small weights; Lin et al. 2017): atoms are sparse, and a head that
        // starts at 50 % spends its first hundreds of steps unlearning it.
        let head = name.starts_with("head");
        let values: Vec<f32> = if name.ends_with("bias") {
            vec![if head { HEAD_PRIOR_LOGIT } else { 0.0 }; n]
        } else {
            let fan_in: usize = dims[1..].iter().product();
            let sd = (2.0 / fan_in as f64).sqrt() * if head { 0.01 } else { 1.0 };
            let normal = Normal::new(0.0, sd).expect("finite");
            (0..n).map(|_| normal.sample(&mut rng) as f32).collect()
        };
        var.set(&Tensor::from_vec(values, dims, &Device::Cpu)?.to_dtype(DType::F32)?)?;
    }
    Ok(())
}
