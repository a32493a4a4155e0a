//! [`Lif::evolve_reference`]: the LIF dynamics in plain tensor operations, one step at a
//! time, in f64, with straight-through surrogates — the reference the fused operation is
//! tested against (values, records and gradients).

use burn::tensor::{FloatDType, Tensor, TensorData};

use super::{Lif, LifOutput, LifState};
use crate::error::Result;
use crate::module::{Evolution, StateTree, Tree, auto_batch};

impl Lif {
    /// The same dynamics in plain tensor operations (per-step loop, straight-through
    /// surrogate): the reference the fused operation is tested against. It computes in f64
    /// (inputs and parameters are cast up, results cast back to f32), so it is at least as
    /// accurate as the fused op's f64 state. Noise is not supported here.
    pub fn evolve_reference(&self, input: Tensor<3>, state: StateTree) -> Result<Evolution> {
        let (n, syn) = (self.n(), self.n_syn());
        let ns = n * syn;
        let input = auto_batch(input, ns, "Lif")?.cast(FloatDType::F64);
        let [b, t, _] = input.dims();
        let st = LifState::from_tree(&state, b, n, syn, "Lif")?;
        let up = |x: Tensor<2>| x.cast(FloatDType::F64);
        let (mut v, mut i, mut s) = (up(st.vmem), up(st.isyn.reshape([b, ns])), up(st.spikes));
        let (leak_mem, leak_syn) = self.leaks();
        let alpha = leak_mem
            .cast(FloatDType::F64)
            .neg()
            .add_scalar(1.0)
            .unsqueeze_dim::<2>(0);
        let beta = leak_syn
            .cast(FloatDType::F64)
            .neg()
            .add_scalar(1.0)
            .unsqueeze_dim::<2>(0);
        let thr = up(self.threshold.val().unsqueeze_dim::<2>(0));
        let bias = up(self.bias.val().unsqueeze_dim::<2>(0));
        let w = self.w_rec.as_ref().map(|w| up(w.val()));
        let (mut outs, mut vs, mut is, mut rs) = (vec![], vec![], vec![], vec![]);
        for step in 0..t {
            let x = input
                .clone()
                .slice([0..b, step..step + 1, 0..ns])
                .reshape([b, ns]);
            let rec = w.as_ref().map(|w| s.clone().matmul(w.clone()));
            let mut a = i + x;
            if let Some(r) = &rec {
                a = a + r.clone();
            }
            i = a * beta.clone();
            let isum = i.clone().reshape([b, n, syn]).sum_dim(2).reshape([b, n]);
            let u = v * alpha.clone() + isum + bias.clone();
            s = self.spike_ste(u.clone(), thr.clone());
            v = u - s.clone() * thr.clone();
            outs.push(s.clone());
            vs.push(v.clone());
            is.push(i.clone().reshape([b, n, syn]));
            rs.push(
                rec.unwrap_or_else(|| up(Tensor::zeros([b, ns], &input.device())))
                    .reshape([b, n, syn]),
            );
        }
        let down3 = |x: Tensor<3>| x.cast(FloatDType::F32);
        let down4 = |x: Tensor<4>| x.cast(FloatDType::F32);
        let spikes = down3(Tensor::stack::<3>(outs, 1));
        let vmem = down3(Tensor::stack::<3>(vs, 1));
        let output = match self.output {
            LifOutput::Spikes => spikes.clone(),
            LifOutput::Vmem => vmem.clone(),
        };
        let record = Tree::new()
            .with("vmem", vmem.into())
            .with("isyn", down4(Tensor::stack::<4>(is, 1)).into())
            .with("irec", down4(Tensor::stack::<4>(rs, 1)).into())
            .with("spikes", spikes.clone().into());
        let down2 = |x: Tensor<2>| x.cast(FloatDType::F32);
        Ok(Evolution {
            output,
            state: LifState {
                vmem: down2(v),
                isyn: down3(i.reshape([b, n, syn])),
                spikes: down2(s),
            }
            .into_tree(),
            record,
        })
    }

    /// Spike counts with the surrogate gradient, as tensor operations: the forward value is
    /// the count, the gradient `∂S/∂u`, `∂S/∂θ` of the surrogate (computed on the host, in
    /// f64; `u` and `thr` are f64 tensors).
    fn spike_ste(&self, u: Tensor<2>, thr: Tensor<2>) -> Tensor<2> {
        let [b, n] = u.dims();
        let device = u.device();
        let thr = thr.expand([b, n]);
        let uh = u.clone().into_data().try_to_vec_as::<f64>().expect("f64");
        let th = thr.clone().into_data().try_to_vec_as::<f64>().expect("f64");
        let max = self.max_spikes_per_dt;
        let mut count = Vec::with_capacity(uh.len());
        let mut du = Vec::with_capacity(uh.len());
        let mut dth = Vec::with_capacity(uh.len());
        for (&uu, &tt) in uh.iter().zip(&th) {
            count.push(if uu >= tt {
                (uu / tt).floor().min(max)
            } else {
                0.0
            });
            let (a, c) = self.surrogate.grads(uu as f32, tt as f32, max as f32);
            du.push(f64::from(a));
            dth.push(f64::from(c));
        }
        let mk = |v: Vec<f64>| {
            Tensor::<2>::from_data(TensorData::new(v, [b, n]), &device).cast(FloatDType::F64)
        };
        let h = u * mk(du) + thr * mk(dth);
        mk(count) + (h.clone() - h.detach())
    }
}
