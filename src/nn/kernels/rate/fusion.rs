//! Output shapes of the fused Rate methods for Burn's fusion on the GPU backends, which
//! records an operation (and so needs its outputs' shapes) before it runs. One function per
//! method of [`super::RateBackend`], taking the same arguments as tensor specs.

use burn::backend::fusion::custom::TensorSpec;
use burn::tensor::Shape;

use super::config::RateOpConfig;

fn spec(like: &TensorSpec, dims: &[usize]) -> TensorSpec {
    TensorSpec::new(Shape::from(dims.to_vec()), like.dtype)
}

type Four = (TensorSpec, TensorSpec, TensorSpec, TensorSpec);

fn four(input: &TensorSpec, cfg: &RateOpConfig) -> Four {
    let (b, t, n) = (input.shape[0], input.shape[1], input.shape[2]);
    let rec = if cfg.options.record_states {
        vec![b, t, n]
    } else {
        vec![1, 1, 1]
    };
    (
        spec(input, &[b, t, n]),
        spec(input, &rec),
        spec(input, &rec),
        spec(input, &[b, n]),
    )
}

#[allow(clippy::too_many_arguments)]
pub(super) fn forward(
    input: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    cfg: &RateOpConfig,
) -> Four {
    four(input, cfg)
}

#[allow(clippy::too_many_arguments)]
pub(super) fn train(
    input: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    cfg: &RateOpConfig,
) -> (TensorSpec, TensorSpec, TensorSpec, TensorSpec, TensorSpec) {
    let (y, x, r, xl) = four(input, cfg);
    let len = 2 * input.shape.num_elements();
    (y, x, r, xl, spec(input, &[len]))
}

#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub(super) fn adjoint(
    a: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    x0: &TensorSpec,
    y: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    cfg: &RateOpConfig,
) -> (
    TensorSpec,
    TensorSpec,
    TensorSpec,
    TensorSpec,
    TensorSpec,
    TensorSpec,
) {
    let n = a.shape[0];
    let w = if cfg.has_rec { vec![n, n] } else { vec![1, 1] };
    (
        y.clone(),
        spec(a, &[n]),
        spec(a, &[n]),
        spec(a, &[n]),
        spec(a, &w),
        x0.clone(),
    )
}
