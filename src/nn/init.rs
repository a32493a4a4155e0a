//! Weight initialisers, as Rockpool defines them for a weight shape `(rows, cols)`:
//! `kaiming` U(±√(6/rows)), `xavier` U(±√(6/(rows+cols))), `unit_eigs` N(0,1)/√rows,
//! `uniform_sqrt` U(±√(1/rows)), and `zeros`. Draws come from this thread's generator
//! ([`crate::rng`]), which [`crate::device::seed`] seeds.

use burn::tensor::{Device, Tensor, TensorData};

/// A weight initialiser.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WeightInit {
    /// Uniform in ±√(6/rows) (He / Kaiming uniform, Rockpool's default).
    #[default]
    Kaiming,
    /// Uniform in ±√(6/(rows+cols)) (Glorot / Xavier uniform).
    Xavier,
    /// Normal(0, 1)/√rows: a random matrix with eigenvalues of order one.
    UnitEigs,
    /// Uniform in ±√(1/rows).
    UniformSqrt,
    /// All zeros.
    Zeros,
}

impl WeightInit {
    /// Draws a `[rows, cols]` weight matrix on `device`.
    pub fn init(self, rows: usize, cols: usize, device: &Device) -> Tensor<2> {
        let r = rows.max(1) as f64;
        match self {
            WeightInit::Kaiming => uniform([rows, cols], (6.0 / r).sqrt(), device),
            WeightInit::Xavier => uniform(
                [rows, cols],
                (6.0 / (rows + cols).max(1) as f64).sqrt(),
                device,
            ),
            WeightInit::UnitEigs => Tensor::from_data(
                TensorData::new(
                    crate::rng::normal(rows * cols, 0.0, 1.0 / r.sqrt()),
                    [rows, cols],
                ),
                device,
            ),
            WeightInit::UniformSqrt => uniform([rows, cols], (1.0 / r).sqrt(), device),
            WeightInit::Zeros => Tensor::zeros([rows, cols], device),
        }
    }
}

/// Uniform values in `[-bound, bound)`, drawn from this thread's generator
/// ([`crate::rng`], seeded by [`crate::device::seed`]).
pub fn uniform<const D: usize>(shape: [usize; D], bound: f64, device: &Device) -> Tensor<D> {
    let n = shape.iter().product();
    Tensor::from_data(
        TensorData::new(crate::rng::uniform(n, -bound, bound), shape),
        device,
    )
}

rockpool_io::text_enum! {
    WeightInit("weight initialiser") {
        Kaiming => "kaiming",
        Xavier => "xavier",
        UnitEigs => "unit_eigs",
        UniformSqrt => "uniform_sqrt",
        Zeros => "zeros",
    }
}
