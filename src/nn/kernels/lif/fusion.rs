//! Output shapes of the fused LIF methods for Burn's fusion on the GPU backends, which
//! records an operation (and so needs its outputs' shapes) before it runs. One function per
//! method of [`super::LifBackend`], taking the same arguments as tensor specs.

use burn::backend::fusion::custom::TensorSpec;
use burn::tensor::Shape;

use super::config::LifOpConfig;

type Seven = (
    TensorSpec,
    TensorSpec,
    TensorSpec,
    TensorSpec,
    TensorSpec,
    TensorSpec,
    TensorSpec,
);

fn spec(like: &TensorSpec, dims: &[usize]) -> TensorSpec {
    TensorSpec::new(Shape::from(dims.to_vec()), like.dtype)
}

fn seven(x: &TensorSpec, cfg: &LifOpConfig) -> Seven {
    let (b, t, ns) = (x.shape[0], x.shape[1], x.shape[2]);
    let n = ns / cfg.options.n_syn;
    let w = if cfg.options.differentiable_traces {
        2 * n + ns
    } else {
        n
    };
    let rec = |d: &[usize]| {
        if cfg.options.record_states {
            spec(x, d)
        } else {
            spec(x, &[1, 1, 1])
        }
    };
    (
        spec(x, &[b, t, w]),
        rec(&[b, t, n]),
        rec(&[b, t, ns]),
        rec(&[b, t, ns]),
        spec(x, &[b, n]),
        spec(x, &[b, ns]),
        spec(x, &[b, n]),
    )
}

#[allow(clippy::too_many_arguments)]
pub(super) fn forward(
    x: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    cfg: &LifOpConfig,
) -> Seven {
    seven(x, cfg)
}

#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub(super) fn train(
    x: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    cfg: &LifOpConfig,
) -> (
    TensorSpec,
    TensorSpec,
    TensorSpec,
    TensorSpec,
    TensorSpec,
    TensorSpec,
    TensorSpec,
    TensorSpec,
) {
    let (a, b, c, d, e, f, g) = seven(x, cfg);
    let (bs, t, ns) = (x.shape[0], x.shape[1], x.shape[2]);
    let n = ns / cfg.options.n_syn;
    (a, b, c, d, e, f, g, spec(x, &[bs * t * (n + ns)]))
}

#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub(super) fn adjoint(
    leak_mem: &TensorSpec,
    leak_syn: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    first: &TensorSpec,
    _: &TensorSpec,
    _: &TensorSpec,
    cfg: &LifOpConfig,
) -> (
    TensorSpec,
    TensorSpec,
    TensorSpec,
    TensorSpec,
    TensorSpec,
    TensorSpec,
) {
    let (b, t, n) = (first.shape[0], first.shape[1], leak_mem.shape[0]);
    let ns = n * cfg.options.n_syn;
    let u = first;
    let w = if cfg.has_rec { vec![n, ns] } else { vec![1, 1] };
    (
        spec(u, &[b, t, ns]),
        spec(leak_mem, &[n]),
        spec(leak_syn, &[ns]),
        spec(u, &[n]),
        spec(u, &[n]),
        spec(u, &w),
    )
}
