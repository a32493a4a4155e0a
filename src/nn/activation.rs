//! [`Activation`]: the activation functions of rate neurons (ReLU, tanh, sigmoid), on tensors
//! and on single host values, with their derivatives. It lives below both the models
//! (`nn::rate`) and the fused kernels (`nn::kernels::rate`), which share it.

use burn::tensor::{Tensor, activation};

/// Activation function of a [`Rate`](super::Rate) neuron, applied to `x − threshold`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Activation {
    /// `max(z, 0)`.
    #[default]
    Relu,
    /// `tanh(z)`.
    Tanh,
    /// `(tanh(z) + 1) / 2`.
    Sigmoid,
}

impl Activation {
    /// Applies the activation element-wise.
    pub fn apply<const D: usize>(self, z: Tensor<D>) -> Tensor<D> {
        match self {
            Activation::Relu => activation::relu(z),
            Activation::Tanh => z.tanh(),
            Activation::Sigmoid => (z.tanh() + 1.0) * 0.5,
        }
    }

    /// The activation of one value `z` (host arithmetic, used by the fused operation).
    pub fn value(self, z: f64) -> f64 {
        match self {
            Activation::Relu => z.max(0.0),
            Activation::Tanh => z.tanh(),
            Activation::Sigmoid => (z.tanh() + 1.0) * 0.5,
        }
    }

    /// The derivative `dH/dz` at `z`. ReLU's is taken as 0 at `z = 0`, as Burn's `relu`
    /// backward does.
    pub fn derivative(self, z: f64) -> f64 {
        match self {
            Activation::Relu => {
                if z > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::Tanh => {
                let th = z.tanh();
                1.0 - th * th
            }
            Activation::Sigmoid => {
                let th = z.tanh();
                (1.0 - th * th) * 0.5
            }
        }
    }
}

rockpool_io::text_enum! {
    Activation("activation") {
        Relu => "relu" | "r" | "h_relu",
        Tanh => "tanh" | "t" | "h_tanh",
        Sigmoid => "sigmoid" | "sig" | "s" | "h_sigmoid",
    }
}

crate::text_attr_field!(Activation);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{close, device};

    #[test]
    fn activations_and_names() {
        let dev = device();
        let z = Tensor::<1>::from_floats([-1.0, 0.0, 2.0], &dev);
        let v = |a: Activation| a.apply(z.clone()).to_data().try_to_vec_as::<f32>().unwrap();
        close(&v(Activation::Relu), &[0.0, 0.0, 2.0], 0.0);
        close(
            &v(Activation::Tanh),
            &[(-1.0f32).tanh(), 0.0, 2.0f32.tanh()],
            1e-6,
        );
        close(
            &v(Activation::Sigmoid),
            &[
                ((-1.0f32).tanh() + 1.0) / 2.0,
                0.5,
                (2.0f32.tanh() + 1.0) / 2.0,
            ],
            1e-6,
        );
        for (s, a) in [
            ("r", Activation::Relu),
            ("sig", Activation::Sigmoid),
            ("t", Activation::Tanh),
        ] {
            assert_eq!(s.parse::<Activation>().unwrap(), a);
        }
        assert!(
            "softplus"
                .parse::<Activation>()
                .unwrap_err()
                .to_string()
                .contains("softplus")
        );
    }
}
