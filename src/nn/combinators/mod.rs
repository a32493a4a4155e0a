//! Composition: [`sequential::Sequential`] chains modules, [`residual::Residual`] adds a
//! block's input to its output, and [`layer::Layer`] is the enum of every built-in module
//! (containers included) that they hold by default and that network files build. The three
//! form one unit: the containers name `Layer` as their default element, and `Layer` holds
//! the containers. [`synnet`] builds Rockpool's `SynNet` from them (a `LayerConfig` kind).

pub mod layer;
pub mod residual;
pub mod sequential;
pub mod synnet;
pub mod wavesense;
