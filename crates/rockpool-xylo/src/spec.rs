//! [`XyloSpec`]: the matrices and per-neuron parameters of one network on a Xylo core.
//!
//! This is Rockpool's "specification" dictionary as a typed struct. A mapper fills a
//! `XyloSpec<f64>` (float weights and thresholds, float `dash = log2(tau / dt)`), a quantiser
//! turns it into a `XyloSpec<i32>`, and the integer spec feeds the validator, the
//! configuration writer and the simulator.
//!
//! Layout (all arrays row-major, `ndarray` standard layout):
//!
//! | field | shape | meaning |
//! | --- | --- | --- |
//! | `weights_in` | `(Nin, Nien, Nsyn)` | input channel → hidden neuron `0..Nien`, synapse |
//! | `weights_rec` | `(Nhid, Nhid, Nsyn)` | hidden (pre) → hidden (post), synapse of post |
//! | `weights_out` | `(Noen, Nout)` | row `k` is hidden neuron `Nhid - Noen + k` → readout |
//! | `dash_mem`, `dash_syn`, `dash_syn_2`, `threshold`, `bias` | `(Nhid,)` | hidden neurons |
//! | `dash_mem_out`, `dash_syn_out`, `threshold_out`, `bias_out` | `(Nout,)` | readout neurons |
//! | `aliases` | `Nhid` lists | alias targets of each hidden neuron |
//!
//! `Nsyn` is 1 or 2 (Rockpool drops the synapse axis for one synapse; here it is always
//! present, use `insert_axis(Axis(2))` on a 2-D matrix). The input-expansion neurons are the
//! *first* `Nien` hidden neurons and the output-expansion neurons the *last* `Noen`, which is
//! how XyloAudio 3 and XyloIMU are wired; on XyloAudio 2 every hidden neuron is both, so a
//! mapper for it simply uses `Nien = Noen = Nhid`.

use ndarray::{Array1, Array2, Array3};

use crate::error::{Result, XyloError};

/// An element type a [`XyloSpec`] can hold: `f64` (before quantisation) or `i32` (after).
///
/// Integers are held as `i32` rather than the chip's `i8`/`i16` so that out-of-range values
/// can be represented and reported by the validator instead of silently wrapping.
pub trait SpecElement: Copy + PartialEq + std::fmt::Debug + 'static {
    /// Zero.
    const ZERO: Self;
    /// One.
    const ONE: Self;
    /// Whether the value is zero (a missing connection).
    fn is_zero(self) -> bool {
        self == Self::ZERO
    }
}

impl SpecElement for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
}

impl SpecElement for i32 {
    const ZERO: Self = 0;
    const ONE: Self = 1;
}

/// Weights and neuron parameters of one network on a Xylo SNN core (see the
/// [module docs](self) for shapes). `T` is `f64` before and `i32` after quantisation.
///
/// In the integer form the units are the chip's: weights are int8 steps, thresholds, biases
/// and states int16 steps, dashes are right-shift amounts (the decay per step is
/// `x >> dash`), weight shifts are left-shift amounts applied to every weight of the matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct XyloSpec<T: SpecElement> {
    /// Input weights `(Nin, Nien, Nsyn)`: channel → hidden neuron `0..Nien`, synapse.
    pub weights_in: Array3<T>,
    /// Recurrent weights `(Nhid, Nhid, Nsyn)`: pre-synaptic neuron → post-synaptic neuron,
    /// synapse of the post-synaptic neuron.
    pub weights_rec: Array3<T>,
    /// Readout weights `(Noen, Nout)`: row `k` belongs to hidden neuron `Nhid - Noen + k`.
    pub weights_out: Array2<T>,
    /// Membrane decay shift of each hidden neuron `(Nhid,)`; float form `log2(tau_mem / dt)`.
    pub dash_mem: Array1<T>,
    /// Decay shift of synapse 1 of each hidden neuron `(Nhid,)`.
    pub dash_syn: Array1<T>,
    /// Decay shift of synapse 2 of each hidden neuron `(Nhid,)` (ignored with one synapse).
    pub dash_syn_2: Array1<T>,
    /// Membrane decay shift of each readout neuron `(Nout,)`.
    pub dash_mem_out: Array1<T>,
    /// Synaptic decay shift of each readout neuron `(Nout,)`.
    pub dash_syn_out: Array1<T>,
    /// Firing threshold of each hidden neuron `(Nhid,)`.
    pub threshold: Array1<T>,
    /// Firing threshold of each readout neuron `(Nout,)`.
    pub threshold_out: Array1<T>,
    /// Membrane bias added every step to each hidden neuron `(Nhid,)`.
    pub bias: Array1<T>,
    /// Membrane bias added every step to each readout neuron `(Nout,)`.
    pub bias_out: Array1<T>,
    /// Left shift applied to every input weight.
    pub weight_shift_in: i32,
    /// Left shift applied to every recurrent weight.
    pub weight_shift_rec: i32,
    /// Left shift applied to every readout weight.
    pub weight_shift_out: i32,
    /// Alias targets of each hidden neuron (`Nhid` lists of hidden-neuron ids): the events of
    /// neuron `i` are also emitted as events of each target. The chips support one target.
    pub aliases: Vec<Vec<usize>>,
    /// Simulation time step, in seconds (informational for the integer model).
    pub dt: f64,
}

/// The sizes of a [`XyloSpec`], checked for consistency by [`XyloSpec::dims`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SpecDims {
    /// Input channels `Nin`.
    pub n_in: usize,
    /// Hidden neurons `Nhid`.
    pub n_hidden: usize,
    /// Readout neurons `Nout`.
    pub n_out: usize,
    /// Synapses per hidden neuron `Nsyn` (1 or 2).
    pub n_syn: usize,
    /// Input-expansion neurons `Nien` (hidden ids `0..Nien` receive input weights).
    pub n_ien: usize,
    /// Output-expansion neurons `Noen` (hidden ids `Nhid-Noen..Nhid` drive the readout).
    pub n_oen: usize,
}

impl SpecDims {
    /// Hidden-neuron id of row 0 of `weights_out` (`Nhid - Noen`).
    pub fn oen_offset(&self) -> usize {
        self.n_hidden - self.n_oen
    }
}

impl<T: SpecElement> XyloSpec<T> {
    /// A network of `n_in` channels, `n_hidden` hidden and `n_out` readout neurons with
    /// `n_syn` synapses, every hidden neuron both input- and output-expansion neuron: all
    /// weights, thresholds and biases zero, every dash 1 (Rockpool's default), weight shifts
    /// 0, no aliases, `dt` = 1 ms.
    pub fn zeros(n_in: usize, n_hidden: usize, n_out: usize, n_syn: usize) -> Self {
        Self::zeros_with_expansion(n_in, n_hidden, n_out, n_syn, n_hidden, n_hidden)
    }

    /// Like [`zeros`](Self::zeros), with `n_ien` input-expansion and `n_oen` output-expansion
    /// neurons (`weights_in` is `(n_in, n_ien, n_syn)`, `weights_out` is `(n_oen, n_out)`).
    pub fn zeros_with_expansion(
        n_in: usize,
        n_hidden: usize,
        n_out: usize,
        n_syn: usize,
        n_ien: usize,
        n_oen: usize,
    ) -> Self {
        let hid = |v: T| Array1::from_elem(n_hidden, v);
        let out = |v: T| Array1::from_elem(n_out, v);
        XyloSpec {
            weights_in: Array3::from_elem((n_in, n_ien, n_syn), T::ZERO),
            weights_rec: Array3::from_elem((n_hidden, n_hidden, n_syn), T::ZERO),
            weights_out: Array2::from_elem((n_oen, n_out), T::ZERO),
            dash_mem: hid(T::ONE),
            dash_syn: hid(T::ONE),
            dash_syn_2: hid(T::ONE),
            dash_mem_out: out(T::ONE),
            dash_syn_out: out(T::ONE),
            threshold: hid(T::ZERO),
            threshold_out: out(T::ZERO),
            bias: hid(T::ZERO),
            bias_out: out(T::ZERO),
            weight_shift_in: 0,
            weight_shift_rec: 0,
            weight_shift_out: 0,
            aliases: vec![Vec::new(); n_hidden],
            dt: 1e-3,
        }
    }

    /// Checks that all shapes agree and returns the sizes.
    ///
    /// # Errors
    /// [`XyloError::Shape`] naming the first field whose shape disagrees with `weights_rec`
    /// (which fixes `Nhid` and `Nsyn`), `weights_in` (`Nin`, `Nien`) or `weights_out`
    /// (`Noen`, `Nout`); [`XyloError::Value`] if `Nsyn` is not 1 or 2, `Nien`/`Noen` exceed
    /// `Nhid`, or `dt` is not a positive finite number.
    pub fn dims(&self) -> Result<SpecDims> {
        let [n_hidden, n_hidden2, n_syn] = *shape3(&self.weights_rec);
        if n_hidden != n_hidden2 {
            return Err(XyloError::shape(
                "weights_rec",
                self.weights_rec.shape(),
                "a square (Nhid, Nhid, Nsyn)",
            ));
        }
        if !(1..=2).contains(&n_syn) {
            return Err(XyloError::value(
                "Nsyn (last axis of weights_rec)",
                n_syn,
                "Xylo neurons have 1 or 2 synapses",
            ));
        }
        let [n_in, n_ien, n_syn_in] = *shape3(&self.weights_in);
        if n_syn_in != n_syn {
            return Err(XyloError::shape(
                "weights_in",
                self.weights_in.shape(),
                format!("(Nin, Nien, Nsyn) with Nsyn = {n_syn} as in weights_rec"),
            ));
        }
        if n_ien > n_hidden {
            return Err(XyloError::value(
                "Nien (axis 1 of weights_in)",
                n_ien,
                format!(
                    "input weights can only reach the {n_hidden} hidden neurons (Nien <= Nhid)"
                ),
            ));
        }
        let (n_oen, n_out) = self.weights_out.dim();
        if n_oen > n_hidden {
            return Err(XyloError::value(
                "Noen (axis 0 of weights_out)",
                n_oen,
                format!(
                    "readout weights can only come from the {n_hidden} hidden neurons (Noen <= Nhid)"
                ),
            ));
        }
        for (field, a) in [
            ("dash_mem", &self.dash_mem),
            ("dash_syn", &self.dash_syn),
            ("dash_syn_2", &self.dash_syn_2),
            ("threshold", &self.threshold),
            ("bias", &self.bias),
        ] {
            if a.len() != n_hidden {
                return Err(XyloError::shape(
                    field,
                    a.shape(),
                    format!("(Nhid,) = ({n_hidden},)"),
                ));
            }
        }
        for (field, a) in [
            ("dash_mem_out", &self.dash_mem_out),
            ("dash_syn_out", &self.dash_syn_out),
            ("threshold_out", &self.threshold_out),
            ("bias_out", &self.bias_out),
        ] {
            if a.len() != n_out {
                return Err(XyloError::shape(
                    field,
                    a.shape(),
                    format!("(Nout,) = ({n_out},)"),
                ));
            }
        }
        if self.aliases.len() != n_hidden {
            return Err(XyloError::shape(
                "aliases",
                &[self.aliases.len()],
                format!("one list per hidden neuron ({n_hidden})"),
            ));
        }
        if !(self.dt.is_finite() && self.dt > 0.0) {
            return Err(XyloError::value(
                "dt",
                self.dt,
                "the time step must be a positive number of seconds",
            ));
        }
        Ok(SpecDims {
            n_in,
            n_hidden,
            n_out,
            n_syn,
            n_ien,
            n_oen,
        })
    }

    /// Applies `f` to every number (weights, dashes, thresholds, biases), keeping shifts,
    /// aliases and `dt`.
    pub fn map<U: SpecElement>(&self, mut f: impl FnMut(T) -> U) -> XyloSpec<U> {
        XyloSpec {
            weights_in: self.weights_in.mapv(&mut f),
            weights_rec: self.weights_rec.mapv(&mut f),
            weights_out: self.weights_out.mapv(&mut f),
            dash_mem: self.dash_mem.mapv(&mut f),
            dash_syn: self.dash_syn.mapv(&mut f),
            dash_syn_2: self.dash_syn_2.mapv(&mut f),
            dash_mem_out: self.dash_mem_out.mapv(&mut f),
            dash_syn_out: self.dash_syn_out.mapv(&mut f),
            threshold: self.threshold.mapv(&mut f),
            threshold_out: self.threshold_out.mapv(&mut f),
            bias: self.bias.mapv(&mut f),
            bias_out: self.bias_out.mapv(&mut f),
            weight_shift_in: self.weight_shift_in,
            weight_shift_rec: self.weight_shift_rec,
            weight_shift_out: self.weight_shift_out,
            aliases: self.aliases.clone(),
            dt: self.dt,
        }
    }
}

impl XyloSpec<i32> {
    /// The float form of an integer spec (for re-quantising or inspection).
    pub fn to_f64(&self) -> XyloSpec<f64> {
        self.map(f64::from)
    }
}

fn shape3<T>(a: &Array3<T>) -> &[usize; 3] {
    a.shape().try_into().expect("Array3 has three axes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeros_has_consistent_dims() {
        let s = XyloSpec::<i32>::zeros_with_expansion(3, 10, 2, 2, 4, 5);
        let d = s.dims().unwrap();
        assert_eq!(
            d,
            SpecDims {
                n_in: 3,
                n_hidden: 10,
                n_out: 2,
                n_syn: 2,
                n_ien: 4,
                n_oen: 5
            }
        );
        assert_eq!(d.oen_offset(), 5);
        assert!(s.dash_mem.iter().all(|&d| d == 1));
    }

    #[test]
    fn dims_names_the_bad_field() {
        let mut s = XyloSpec::<f64>::zeros(2, 4, 1, 1);
        s.threshold = Array1::zeros(3);
        let e = s.dims().unwrap_err().to_string();
        assert!(e.contains("`threshold`") && e.contains("(4,)"), "{e}");

        let mut s = XyloSpec::<f64>::zeros(2, 4, 1, 1);
        s.weights_in = Array3::zeros((2, 4, 2));
        assert!(s.dims().unwrap_err().to_string().contains("weights_in"));

        let mut s = XyloSpec::<f64>::zeros(2, 4, 1, 1);
        s.weights_rec = Array3::zeros((4, 4, 3));
        assert!(s.dims().unwrap_err().to_string().contains("1 or 2"));

        let mut s = XyloSpec::<f64>::zeros(2, 4, 1, 1);
        s.aliases.pop();
        assert!(s.dims().unwrap_err().to_string().contains("aliases"));

        let mut s = XyloSpec::<f64>::zeros(2, 4, 1, 1);
        s.weights_out = Array2::zeros((5, 1));
        assert!(s.dims().unwrap_err().to_string().contains("Noen"));
    }

    #[test]
    fn map_converts_types() {
        let mut s = XyloSpec::<i32>::zeros(1, 2, 1, 1);
        s.threshold[1] = 7;
        let f = s.to_f64();
        assert_eq!(f.threshold[1], 7.0);
        assert_eq!(f.dims().unwrap(), s.dims().unwrap());
    }
}
