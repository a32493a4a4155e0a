//! The user guide: chapters for a scientist coming from Python Rockpool, from a first module to
//! a network running on a simulated Xylo chip.
//!
//! The chapters live in `docs/guide/` as Markdown and are included here, so every Rust code
//! block in them is compiled and run by `cargo test --doc`, with its values checked: a chapter
//! that no longer matches the library fails the test suite instead of going stale.
//!
//! 1. [`getting_started`] — modules, `evolve`, parameters and state, networks.
//! 2. [`time_series`] — `TsContinuous`, `TsEvent` and `.timed()`: working in seconds.
//! 3. [`spiking_neurons`] — the LIF equations step by step, spikes, surrogate gradients.
//! 4. [`training`] — datasets as tensors, losses, Burn's optimisers, the built-in trainer.
//! 5. [`xylo_deployment`] — mapping, quantisation, export and the bit-exact simulator.
//! 6. [`event_datasets`] — SHD, N-MNIST and friends: downloads, transforms, streamed training.
//! 7. [`nir`] — networks from snnTorch, Norse, Sinabs … through NIR to Xylo, and back.
//! 8. [`xylo_audio`] — from a WAV file through XyloAudio 3's front end to the chip.
//! 9. [`xylo_imu`] — accelerometer data through the XyloIMU interface.
//!
//! The runnable programs in `examples/` go further (plots, a training run, a custom module).

#[doc = include_str!("../docs/guide/getting_started.md")]
pub mod getting_started {}

#[doc = include_str!("../docs/guide/time_series.md")]
pub mod time_series {}

#[doc = include_str!("../docs/guide/spiking_neurons.md")]
pub mod spiking_neurons {}

#[doc = include_str!("../docs/guide/training.md")]
pub mod training {}

#[doc = include_str!("../docs/guide/xylo_deployment.md")]
pub mod xylo_deployment {}

#[doc = include_str!("../docs/guide/event_datasets.md")]
pub mod event_datasets {}

#[doc = include_str!("../docs/guide/nir.md")]
pub mod nir {}

#[doc = include_str!("../docs/guide/xylo_audio.md")]
pub mod xylo_audio {}

#[doc = include_str!("../docs/guide/xylo_imu.md")]
pub mod xylo_imu {}
