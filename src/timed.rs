//! `.timed()`: a module that takes and returns time series instead of clocked arrays
//! (Rockpool's `TimedModuleWrapper`).
//!
//! A [`Timed`] module keeps an internal clock (an integer step counter; `t = step·dt`
//! seconds). Each [`Timed::evolve`] call:
//!
//! 1. decides how many steps to run: `num_timesteps` if given, else
//!    `floor((duration + 1e-6)/dt)` where `duration` defaults to the input's
//!    `t_stop − t` (its `duration` when periodic); zero steps is an error;
//! 2. builds the clocked input on the time base `t + k·dt`: a [`TsContinuous`] is sampled there
//!    (use a periodic series for inputs that should repeat), a [`TsEvent`] is rasterised into
//!    bins `[t + k·dt, t + (k+1)·dt)` (counts, or 0/1 when `add_events` is off), and no input
//!    gives zeros;
//! 3. evolves the module (which keeps its final state) and advances the clock;
//! 4. returns the output of batch 0 as a [`TsEvent`] for spiking modules (events mid-bin) or
//!    a [`TsContinuous`] otherwise (`previous` interpolation), and the records as time series
//!    (traces named `spikes`, and the `{name}_output` of spiking children, become events).

use burn::tensor::Tensor;
use ndarray::Array2;

use crate::error::{Error, Result};
use crate::module::{DynTensor, Evolve, ModuleExt, ModuleView, Node, StateTree, Tree, Value};
use crate::timeseries::{Interp, TimeSeries, TsContinuous, TsEvent};

/// The result of a timed evolution.
#[derive(Clone, Debug)]
pub struct TimedEvolution {
    /// Output of batch 0 as a time series.
    pub output: TimeSeries,
    /// Final state (batched, as [`crate::module::Evolution::state`]).
    pub state: StateTree,
    /// Records of batch 0 as time series, nested like the module's records.
    pub record: Tree<TimeSeries>,
}

/// A module wrapped to work in real time (see the module docs).
#[derive(Debug)]
pub struct Timed<M> {
    module: M,
    dt: f64,
    step: u64,
    add_events: bool,
}

/// Adds `.timed()` to every module with dynamics.
pub trait TimedExt: Evolve + burn::module::Module + Sized {
    /// Wraps the module; `dt` (seconds) defaults to the module's `dt` simulation parameter.
    /// As in Rockpool's `Module.timed()`, event inputs are rasterised as 0/1 per bin unless
    /// [`Timed::with_add_events`] turns counting on.
    fn timed(self, dt: Option<f64>) -> Result<Timed<Self>> {
        Timed::new(self, dt)
    }
}

impl<M: Evolve + burn::module::Module + Sized> TimedExt for M {}

/// The `dt` simulation parameter of a module or of its first child that has one.
pub fn module_dt(m: &dyn ModuleView) -> Option<f64> {
    for (name, a) in m.own_attributes() {
        if name == "dt"
            && let Value::Float(dt) = a.value
        {
            return Some(dt);
        }
    }
    m.submodules().into_iter().find_map(|(_, s)| module_dt(s))
}

impl<M: Evolve + burn::module::Module> Timed<M> {
    /// Wraps `module`; `dt` (seconds) defaults to the module's own `dt`.
    pub fn new(module: M, dt: Option<f64>) -> Result<Self> {
        let dt = match dt.or_else(|| module_dt(&module)) {
            Some(dt) if dt > 0.0 && dt.is_finite() => dt,
            Some(dt) => return Err(Error::value("dt", format!("must be positive, got {dt}"))),
            None => {
                return Err(Error::value(
                    "dt",
                    format!(
                        "{} has no `dt` simulation parameter; pass dt to .timed()",
                        module.class_name()
                    ),
                ));
            }
        };
        Ok(Self {
            module,
            dt,
            step: 0,
            add_events: false,
        })
    }

    /// Counts every event in a bin (`true`) instead of clipping to one (`false`, the default).
    pub fn with_add_events(mut self, add_events: bool) -> Self {
        self.add_events = add_events;
        self
    }

    /// The time step, seconds.
    pub fn dt(&self) -> f64 {
        self.dt
    }

    /// The current time of the internal clock, seconds.
    pub fn t(&self) -> f64 {
        self.step as f64 * self.dt
    }

    /// The wrapped module.
    pub fn module(&self) -> &M {
        &self.module
    }

    /// Mutable access to the wrapped module.
    pub fn module_mut(&mut self) -> &mut M {
        &mut self.module
    }

    /// Unwraps.
    pub fn into_inner(self) -> M {
        self.module
    }

    /// Sets the clock back to zero.
    pub fn reset_time(&mut self) {
        self.step = 0;
    }

    /// Resets the clock and the module's state.
    pub fn reset_all(&mut self) {
        self.reset_time();
        self.module.reset_state();
    }

    /// Evolves over `input` (or silence) for `duration` seconds or `num_timesteps` steps
    /// (see the module docs for the defaults).
    pub fn evolve(
        &mut self,
        input: Option<&TimeSeries>,
        duration: Option<f64>,
        num_timesteps: Option<usize>,
        record: bool,
    ) -> Result<TimedEvolution> {
        let t0 = self.t();
        let steps = self.num_steps(input, duration, num_timesteps, t0)?;
        let size_in = self.module.size_in();
        crate::nn::defaults::check_elements(
            "timed input (time steps × channels)",
            &[steps, size_in],
        )?;
        let clocked = self.clocked_input(input, steps, t0, size_in)?;
        self.check_clocked(&clocked, input, t0)?;
        let device = crate::device::device_of(&self.module)?;
        let data = burn::tensor::TensorData::new(
            clocked.iter().map(|&x| x as f32).collect::<Vec<f32>>(),
            [1, steps, clocked.ncols()],
        );
        let x = Tensor::<3>::from_data(data, &device);
        let ev = ModuleExt::evolve(&mut self.module, x, record)?;
        self.step += steps as u64;

        let name = self.module.class_name();
        // A module that decimates in time (a front end) emits fewer, longer steps.
        let out_dt = self.dt * self.module.time_ratio();
        let out_steps = ev.output.dims()[1];
        let output = to_series(
            &DynTensor::D3(ev.output.clone()),
            self.module.spiking_output(),
            out_dt,
            t0,
            &format!("Output of '{name}'"),
        )?;
        let clocks = Clocks {
            dt: self.dt,
            out_dt,
            out_steps,
        };
        let rec = wrap_records(&self.module, &ev.record, clocks, t0)?;
        Ok(TimedEvolution {
            output,
            state: ev.state,
            record: rec,
        })
    }

    fn num_steps(
        &self,
        input: Option<&TimeSeries>,
        duration: Option<f64>,
        num_timesteps: Option<usize>,
        t0: f64,
    ) -> Result<usize> {
        if let Some(n) = num_timesteps {
            if n == 0 {
                return Err(Error::value("num_timesteps", "must be at least 1"));
            }
            return Ok(n);
        }
        let duration = match (duration, input) {
            (Some(d), _) => d,
            (None, Some(ts)) => {
                let (periodic, t_stop, dur) = match ts {
                    TimeSeries::Continuous(c) => (c.periodic(), c.t_stop(), c.duration()),
                    TimeSeries::Event(e) => (e.periodic(), e.t_stop(), e.duration()),
                };
                if periodic { dur } else { t_stop - t0 }
            }
            (None, None) => {
                return Err(Error::value(
                    "duration",
                    "without an input series, give a duration or num_timesteps",
                ));
            }
        };
        let n = ((duration + 1e-6) / self.dt).floor();
        if n.is_nan() || n < 1.0 {
            return Err(Error::value(
                "duration",
                format!(
                    "{duration} s from t = {t0} s is shorter than one time step ({} s); \
                     the input may already be used up (call reset_time())",
                    self.dt
                ),
            ));
        }
        Ok(n as usize)
    }

    /// Refuses a clocked input holding NaN or ±inf (an all-NaN series, or a series with the
    /// range exception off sampled outside its range), naming the time and channel.
    fn check_clocked(
        &self,
        clocked: &Array2<f64>,
        input: Option<&TimeSeries>,
        t0: f64,
    ) -> Result<()> {
        let Some(((k, c), x)) = clocked.indexed_iter().find(|(_, x)| !x.is_finite()) else {
            return Ok(());
        };
        let name = match input {
            Some(TimeSeries::Continuous(ts)) => ts.name().to_string(),
            Some(TimeSeries::Event(ts)) => ts.name().to_string(),
            None => String::new(),
        };
        let all_nan = clocked.iter().all(|x| x.is_nan());
        let detail = if all_nan {
            format!(
                "holds no value at any of the {} time steps (every sample is NaN)",
                clocked.nrows()
            )
        } else {
            format!(
                "has no finite value at t = {} s (time step {k}, channel {c}): got {x}",
                t0 + k as f64 * self.dt
            )
        };
        Err(Error::value(
            format!("input series '{name}'"),
            format!("{detail}; the module needs finite inputs"),
        ))
    }

    fn clocked_input(
        &self,
        input: Option<&TimeSeries>,
        steps: usize,
        t0: f64,
        size_in: usize,
    ) -> Result<Array2<f64>> {
        let ts_err =
            |e: crate::timeseries::TimeSeriesError| Error::value("input series", e.to_string());
        Ok(match input {
            None => Array2::zeros((steps, size_in)),
            Some(TimeSeries::Continuous(c)) => {
                let times: Vec<f64> = (0..steps).map(|k| t0 + k as f64 * self.dt).collect();
                c.sample(&times).map_err(ts_err)?
            }
            Some(TimeSeries::Event(e)) => {
                let channels: Vec<usize> = (0..size_in).collect();
                if e.num_channels() > size_in {
                    return Err(Error::Shape {
                        what: "event input channels".into(),
                        expected: format!("at most {size_in} (the module's size_in)"),
                        got: e.num_channels().to_string(),
                    });
                }
                let counts = e
                    .raster_counts(self.dt, Some(t0), None, Some(steps), Some(&channels))
                    .map_err(ts_err)?;
                if self.add_events {
                    counts.mapv(f64::from)
                } else {
                    counts.mapv(|n| if n > 0 { 1.0 } else { 0.0 })
                }
            }
        })
    }
}

/// Batch 0 of a `[B, T, …]` trace as `(T, C)` rows.
fn batch0_rows(t: &DynTensor) -> Result<Array2<f64>> {
    let shape = t.shape();
    if shape.len() < 2 {
        return Err(Error::value(
            "record",
            format!("trace of rank {} has no time axis", shape.len()),
        ));
    }
    let steps = shape[1];
    let width: usize = shape[2..].iter().product();
    let v = t.to_vec_f32();
    let take = steps * width;
    Ok(Array2::from_shape_vec(
        (steps, width),
        v[..take].iter().map(|&x| f64::from(x)).collect(),
    )
    .expect("sizes agree"))
}

fn to_series(t: &DynTensor, spiking: bool, dt: f64, t0: f64, name: &str) -> Result<TimeSeries> {
    let rows = batch0_rows(t)?;
    let ts_err = |e: crate::timeseries::TimeSeriesError| Error::value(name, e.to_string());
    if spiking {
        let counts = rows.mapv(|x| x.max(0.0).round() as u32);
        let width = counts.ncols();
        Ok(TimeSeries::Event(
            TsEvent::from_raster(counts.view(), dt, t0, None, name, false, Some(width), false)
                .map_err(ts_err)?,
        ))
    } else {
        Ok(TimeSeries::Continuous(
            TsContinuous::from_clocked(rows, dt, t0, false, name, Interp::Previous)
                .map_err(ts_err)?,
        ))
    }
}

/// The time bases of one timed evolution: the input's, and the output's (different when a module
/// decimates in time).
#[derive(Clone, Copy)]
struct Clocks {
    dt: f64,
    out_dt: f64,
    out_steps: usize,
}

impl Clocks {
    /// The step of a record with `steps` rows: the output's when it has the output's length
    /// (records after a decimating module), else the input's.
    fn of(&self, t: &DynTensor) -> f64 {
        let steps = t.shape().get(1).copied().unwrap_or(0);
        if self.out_dt != self.dt && steps == self.out_steps {
            self.out_dt
        } else {
            self.dt
        }
    }
}

fn wrap_records(
    module: &dyn ModuleView,
    record: &StateTree,
    clocks: Clocks,
    t0: f64,
) -> Result<Tree<TimeSeries>> {
    let subs = module.submodules();
    let mut out = Tree::new();
    for (name, node) in record.iter() {
        match node {
            Node::Leaf(t) => {
                let spiking = name == "spikes"
                    || name.strip_suffix("_output").is_some_and(|child| {
                        subs.iter().any(|(n, m)| n == child && m.spiking_output())
                    });
                out.insert(name, to_series(t, spiking, clocks.of(t), t0, name)?);
            }
            Node::Branch(sub) => {
                let child = subs
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, m)| *m)
                    .unwrap_or(module);
                out.insert_branch(name, wrap_records(child, sub, clocks, t0)?);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{InstantConfig, RateConfig};
    use crate::test_util::device;

    #[test]
    fn continuous_input_on_the_time_base() {
        let dev = device();
        // An identity module: the output is the sampled input.
        let inst = InstantConfig::new(1).init().unwrap();
        let mut timed = inst.timed(Some(0.1)).unwrap();
        let ts = TsContinuous::new(
            vec![0.0, 0.25, 0.5],
            Array2::from_shape_vec((3, 1), vec![1.0, 2.0, 3.0]).unwrap(),
        )
        .unwrap()
        .with_t_stop(0.6)
        .unwrap();
        let _ = dev;
        let ev = timed
            .evolve(Some(&TimeSeries::Continuous(ts)), None, None, false)
            .unwrap();
        let TimeSeries::Continuous(out) = ev.output else {
            panic!("continuous output")
        };
        // floor((0.6 + 1e-6)/0.1) = 6 steps at 0, 0.1, …, 0.5; `previous` interpolation.
        assert_eq!(out.times(), [0.0, 0.1, 0.2, 0.30000000000000004, 0.4, 0.5]);
        let v: Vec<f64> = out.samples().iter().copied().collect();
        assert_eq!(v, [1.0, 1.0, 1.0, 2.0, 2.0, 3.0]);
        assert!((timed.t() - 0.6).abs() < 1e-12);
        // The input is used up.
        let err = timed
            .evolve(Some(&TimeSeries::Continuous(out)), None, None, false)
            .unwrap_err();
        assert!(err.to_string().contains("reset_time"), "{err}");
    }

    #[test]
    fn events_rasterised_and_dt_from_module() {
        let dev = device();
        let rate = RateConfig::new(2).with_dt(0.01).init(&dev).unwrap();
        let timed = rate.timed(None).unwrap();
        assert_eq!(timed.dt(), 0.01);
        // Two events in bin 1 on channel 0, one in bin 3 on channel 1.
        let ev = TsEvent::new(vec![0.011, 0.019, 0.035], vec![0, 0, 1], 0.05).unwrap();
        let clocked = timed
            .clocked_input(Some(&TimeSeries::Event(ev.clone())), 5, 0.0, 2)
            .unwrap();
        assert_eq!(clocked.column(0).to_vec(), [0.0, 1.0, 0.0, 0.0, 0.0]);
        assert_eq!(clocked.column(1).to_vec(), [0.0, 0.0, 0.0, 1.0, 0.0]);
        let timed = timed.with_add_events(true);
        let clocked = timed
            .clocked_input(Some(&TimeSeries::Event(ev)), 5, 0.0, 2)
            .unwrap();
        assert_eq!(clocked.column(0).to_vec(), [0.0, 2.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn records_become_series_and_reset_all() {
        let dev = device();
        let rate = RateConfig::new(3).init(&dev).unwrap();
        let mut timed = rate.timed(None).unwrap();
        let ev = timed.evolve(None, Some(0.02), None, true).unwrap();
        let TimeSeries::Continuous(x) = ev.record.get("x").unwrap() else {
            panic!()
        };
        assert_eq!(x.samples().dim(), (20, 3));
        assert_eq!(x.t_start(), 0.0);
        let ev2 = timed.evolve(None, None, Some(5), false).unwrap();
        let TimeSeries::Continuous(o) = ev2.output else {
            panic!()
        };
        assert!(
            (o.t_start() - 0.02).abs() < 1e-12,
            "second call starts where the first ended"
        );
        timed.reset_all();
        assert_eq!(timed.t(), 0.0);
        assert!(
            timed.evolve(None, None, None, false).is_err(),
            "no input and no duration"
        );
    }
}
