//! Spike generation with surrogate gradients.
//!
//! Forward (all kinds, Rockpool's multi-spike rule): with membrane `u` and threshold `θ > 0`,
//! `S = min(max_spikes, floor(u/θ))` if `u ≥ θ`, else `0` — a spike count per time step.
//!
//! Backward: the Heaviside step has no useful derivative, so each kind defines a surrogate for
//! `∂S/∂u` and `∂S/∂θ`:
//!
//! | kind | `∂S/∂u` | `∂S/∂θ` |
//! |---|---|---|
//! | `StepPwl` (Rockpool's `StepPWL`, default) | `[u ≥ θ − w] / θ` | `−u/θ² · [u ≥ θ − w]` |
//! | `PeriodicExponential` (Rockpool) | `pdf = exp(−|p − θ/2|/w)/θ` | `−pdf · u/θ` |
//! | `FastSigmoid` | `1/(1 + k|x|)²` | `−∂S/∂u` |
//! | `Sigmoid` | `k σ(kx)(1 − σ(kx))` | `−∂S/∂u` |
//! | `Arctan` | `(k/2) / (1 + (π k x / 2)²)` | `−∂S/∂u` |
//!
//! with `x = u − θ`, `w` the window (default 0.5), `k` the slope, and for the periodic
//! exponential `v = u − θ/2`, `n = min(floor(v/θ), max_spikes − 1)`, `p = v − nθ` if `u ≥ θ`
//! else `v` (a bump of width `w` centred on every multiple of θ).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A surrogate-gradient spike function (see the module docs for the formulas).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Surrogate {
    /// Rockpool's `StepPWL`: gradient `1/θ` above `θ − window`.
    StepPwl {
        /// Width below threshold where the gradient is on (default 0.5).
        #[serde(default = "half")]
        window: f32,
    },
    /// Rockpool's `PeriodicExponential`: a bump around every multiple of θ.
    PeriodicExponential {
        /// Width of each bump (default 0.5).
        #[serde(default = "half")]
        window: f32,
    },
    /// Fast sigmoid (SuperSpike): `1/(1 + k|u − θ|)²`.
    FastSigmoid {
        /// Slope `k` (default 10).
        #[serde(default = "ten")]
        slope: f32,
    },
    /// Logistic sigmoid derivative of slope `k`.
    Sigmoid {
        /// Slope `k` (default 5).
        #[serde(default = "five")]
        slope: f32,
    },
    /// Arc-tangent derivative of slope `k`.
    Arctan {
        /// Slope `k` (default 2).
        #[serde(default = "two")]
        slope: f32,
    },
}

fn half() -> f32 {
    0.5
}
fn ten() -> f32 {
    10.0
}
fn five() -> f32 {
    5.0
}
fn two() -> f32 {
    2.0
}

impl Default for Surrogate {
    fn default() -> Self {
        Surrogate::StepPwl { window: 0.5 }
    }
}

impl Surrogate {
    /// The spike count for membrane `u` and threshold `thr` (forward, all kinds).
    #[inline]
    pub fn spikes(u: f32, thr: f32, max_spikes: f32) -> f32 {
        if u >= thr {
            (u / thr).floor().min(max_spikes)
        } else {
            0.0
        }
    }

    /// `(∂S/∂u, ∂S/∂θ)` at membrane `u`, threshold `thr`.
    #[inline]
    pub fn grads(self, u: f32, thr: f32, max_spikes: f32) -> (f32, f32) {
        match self {
            Surrogate::StepPwl { window } => {
                if u >= thr - window {
                    (1.0 / thr, -u / (thr * thr))
                } else {
                    (0.0, 0.0)
                }
            }
            Surrogate::PeriodicExponential { window } => {
                let v = u - thr / 2.0;
                let p = if u >= thr {
                    let n = (v / thr).floor().min(max_spikes - 1.0);
                    v - n * thr
                } else {
                    v
                };
                let pdf = (-(p - thr / 2.0).abs() / window).exp() / thr;
                (pdf, -pdf * u / thr)
            }
            Surrogate::FastSigmoid { slope } => {
                let d = 1.0 / (1.0 + slope * (u - thr).abs()).powi(2);
                (d, -d)
            }
            Surrogate::Sigmoid { slope } => {
                let s = 1.0 / (1.0 + (-slope * (u - thr)).exp());
                let d = slope * s * (1.0 - s);
                (d, -d)
            }
            Surrogate::Arctan { slope } => {
                let z = std::f32::consts::FRAC_PI_2 * slope * (u - thr);
                let d = (slope / 2.0) / (1.0 + z * z);
                (d, -d)
            }
        }
    }

    /// Checks the shape parameter (window or slope must be positive and finite).
    pub fn validate(self) -> Result<(), String> {
        let (name, v) = match self {
            Surrogate::StepPwl { window } | Surrogate::PeriodicExponential { window } => {
                ("window", window)
            }
            Surrogate::FastSigmoid { slope }
            | Surrogate::Sigmoid { slope }
            | Surrogate::Arctan { slope } => ("slope", slope),
        };
        if v.is_finite() && v > 0.0 {
            Ok(())
        } else {
            Err(format!(
                "surrogate {self}: {name} must be positive, got {v}"
            ))
        }
    }
}

impl fmt::Display for Surrogate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Surrogate::StepPwl { window } => write!(f, "step_pwl(window={window})"),
            Surrogate::PeriodicExponential { window } => {
                write!(f, "periodic_exponential(window={window})")
            }
            Surrogate::FastSigmoid { slope } => write!(f, "fast_sigmoid(slope={slope})"),
            Surrogate::Sigmoid { slope } => write!(f, "sigmoid(slope={slope})"),
            Surrogate::Arctan { slope } => write!(f, "arctan(slope={slope})"),
        }
    }
}

impl FromStr for Surrogate {
    type Err = String;
    /// Parses a name with default shape parameter (`step_pwl`, `periodic_exponential`,
    /// `fast_sigmoid`, `sigmoid`, `arctan`; Rockpool's `StepPWL` / `PeriodicExponential` too),
    /// or the printed form `name(window=0.3)` / `name(slope=4)`.
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (name, arg) = match s.split_once('(') {
            Some((n, rest)) => {
                let inner = rest.trim_end_matches(')');
                let v = inner
                    .split_once('=')
                    .map(|(_, v)| v)
                    .unwrap_or(inner)
                    .trim()
                    .parse::<f32>()
                    .map_err(|e| format!("bad surrogate parameter in '{s}': {e}"))?;
                (n.trim(), Some(v))
            }
            None => (s, None),
        };
        let out = match name.to_ascii_lowercase().replace('-', "_").as_str() {
            "step_pwl" | "steppwl" => Surrogate::StepPwl {
                window: arg.unwrap_or(0.5),
            },
            "periodic_exponential" | "periodicexponential" => Surrogate::PeriodicExponential {
                window: arg.unwrap_or(0.5),
            },
            "fast_sigmoid" | "fastsigmoid" | "superspike" => Surrogate::FastSigmoid {
                slope: arg.unwrap_or(10.0),
            },
            "sigmoid" => Surrogate::Sigmoid {
                slope: arg.unwrap_or(5.0),
            },
            "arctan" | "atan" => Surrogate::Arctan {
                slope: arg.unwrap_or(2.0),
            },
            other => {
                return Err(format!(
                    "unknown surrogate '{other}' (step_pwl, periodic_exponential, fast_sigmoid, sigmoid, arctan)"
                ));
            }
        };
        out.validate()?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_counts_spikes_with_cap() {
        assert_eq!(Surrogate::spikes(0.99, 1.0, 10.0), 0.0);
        assert_eq!(Surrogate::spikes(1.0, 1.0, 10.0), 1.0);
        assert_eq!(Surrogate::spikes(3.7, 1.0, 10.0), 3.0);
        assert_eq!(Surrogate::spikes(3.7, 1.0, 2.0), 2.0);
        assert_eq!(Surrogate::spikes(1.1, 0.5, 10.0), 2.0);
    }

    #[test]
    fn surrogate_derivatives_by_hand() {
        let s = Surrogate::StepPwl { window: 0.5 };
        assert_eq!(s.grads(0.6, 1.0, 8.0), (1.0, -0.6));
        assert_eq!(s.grads(0.4, 1.0, 8.0), (0.0, 0.0));
        assert_eq!(s.grads(3.0, 2.0, 8.0), (0.5, -0.75));
        let p = Surrogate::PeriodicExponential { window: 0.5 };
        // u = θ: v = 0.5, n = 0, p = 0.5 → bump centre: pdf = 1/θ.
        let (du, dth) = p.grads(1.0, 1.0, 8.0);
        assert!((du - 1.0).abs() < 1e-6 && (dth + 1.0).abs() < 1e-6);
        // u = 2θ: v = 1.5, n = 1, p = 0.5 → again the centre.
        assert!((p.grads(2.0, 1.0, 8.0).0 - 1.0).abs() < 1e-6);
        // u = 0.25: p = −0.25, |p − 0.5| = 0.75 → exp(−1.5).
        assert!((p.grads(0.25, 1.0, 8.0).0 - (-1.5f32).exp()).abs() < 1e-6);
        let f = Surrogate::FastSigmoid { slope: 10.0 };
        assert!((f.grads(1.1, 1.0, 8.0).0 - 0.25).abs() < 1e-6);
        let g = Surrogate::Sigmoid { slope: 4.0 };
        assert!((g.grads(1.0, 1.0, 8.0).0 - 1.0).abs() < 1e-6);
        let a = Surrogate::Arctan { slope: 2.0 };
        assert!((a.grads(1.0, 1.0, 8.0).0 - 1.0).abs() < 1e-6);
    }

    #[test]
    fn smooth_surrogates_are_derivatives_of_their_primitives() {
        // Finite differences of the primitive functions whose derivatives the smooth
        // surrogates claim to be.
        let eps = 1e-3f64;
        let prim_fast = |x: f64, k: f64| x / (1.0 + k * x.abs());
        let prim_sig = |x: f64, k: f64| 1.0 / (1.0 + (-k * x).exp());
        let prim_atan =
            |x: f64, k: f64| (std::f64::consts::FRAC_PI_2 * k * x).atan() / std::f64::consts::PI;
        for x in [-0.7f64, -0.1, 0.05, 0.3, 1.2] {
            let u = (1.0 + x) as f32;
            let fd =
                |p: &dyn Fn(f64, f64) -> f64, k: f64| (p(x + eps, k) - p(x - eps, k)) / (2.0 * eps);
            let got = Surrogate::FastSigmoid { slope: 3.0 }.grads(u, 1.0, 8.0).0 as f64;
            assert!(
                (got - fd(&prim_fast, 3.0)).abs() < 1e-4,
                "fast sigmoid at {x}"
            );
            let got = Surrogate::Sigmoid { slope: 3.0 }.grads(u, 1.0, 8.0).0 as f64;
            assert!((got - fd(&prim_sig, 3.0)).abs() < 1e-4, "sigmoid at {x}");
            let got = Surrogate::Arctan { slope: 3.0 }.grads(u, 1.0, 8.0).0 as f64;
            assert!((got - fd(&prim_atan, 3.0)).abs() < 1e-4, "arctan at {x}");
        }
    }

    #[test]
    fn parse_names_and_parameters() {
        assert_eq!(
            "StepPWL".parse::<Surrogate>().unwrap(),
            Surrogate::StepPwl { window: 0.5 }
        );
        assert_eq!(
            "fast_sigmoid(slope=4)".parse::<Surrogate>().unwrap(),
            Surrogate::FastSigmoid { slope: 4.0 }
        );
        let s = Surrogate::PeriodicExponential { window: 0.3 };
        assert_eq!(s.to_string().parse::<Surrogate>().unwrap(), s);
        assert!("relu".parse::<Surrogate>().unwrap_err().contains("relu"));
        assert!("sigmoid(slope=-1)".parse::<Surrogate>().is_err());
    }
}
