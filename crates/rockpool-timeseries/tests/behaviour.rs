//! Hand-computed checks: bin edges, periodic wrapping, limits, errors, file round trips.

use std::path::PathBuf;

use ndarray::{Array2, array};
use rockpool_timeseries::{
    FillValue, Interp, TimeSeries, TimeSeriesError, TsContinuous, TsEvent, load_timeseries,
};

fn ramp() -> TsContinuous {
    TsContinuous::new(vec![0.0, 1.0, 2.0, 3.0], array![[0.0], [1.0], [4.0], [9.0]])
        .unwrap()
        .with_name("ramp")
}

/// A fresh directory under the system temp dir, or `ROCKPOOL_TS_EXPORT_DIR` when set (used
/// once by hand to check that Python Rockpool reads what we write).
fn scratch(test: &str) -> PathBuf {
    let dir = match std::env::var_os("ROCKPOOL_TS_EXPORT_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => std::env::temp_dir().join(format!("rockpool-ts-{}-{test}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// --------------------------------------------------------------------------------------------
// Construction

#[test]
fn constructors_validate_with_clear_messages() {
    let err = TsContinuous::new(vec![0.0, 2.0, 1.0], Array2::zeros((3, 1))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "times must be non-decreasing: time 1 s at index 2 comes after 2 s"
    );
    let err = TsContinuous::new(vec![0.0, 1.0], Array2::zeros((3, 2))).unwrap_err();
    assert!(err.to_string().contains("expected 2, found 3"), "{err}");
    let err = TsContinuous::new(vec![0.0, f64::NAN], Array2::zeros((2, 1))).unwrap_err();
    assert!(err.to_string().contains("time at index 1"), "{err}");
    let err = ramp().with_t_start(0.5).unwrap_err();
    assert_eq!(
        err.to_string(),
        "t_start 0.5 s is after the first sample at 0 s"
    );
    let err = ramp().with_t_stop(2.5).unwrap_err();
    assert_eq!(
        err.to_string(),
        "t_stop 2.5 s is before the last sample at 3 s"
    );
    // Within 1e-9 s the limits snap onto the samples.
    assert_eq!(ramp().with_t_start(1e-10).unwrap().t_start(), 0.0);
    assert_eq!(ramp().with_t_stop(3.0 - 1e-10).unwrap().t_stop(), 3.0);
    assert!(TsContinuous::empty(2, 1.0, 0.0).is_err());

    let err = TsEvent::new(vec![0.1, 0.3], vec![0, 2], 0.3).unwrap_err();
    assert_eq!(
        err.to_string(),
        "t_stop 0.3 s must be strictly after the last event at 0.3 s"
    );
    let err = TsEvent::new(vec![0.1, 0.3], vec![0, 2], 1.0)
        .unwrap()
        .with_num_channels(2)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "num_channels 2 is too small: channel 2 has events"
    );
    let ev = TsEvent::new(vec![0.1, 0.3], vec![0, 2], 1.0).unwrap();
    assert_eq!((ev.t_start(), ev.num_channels()), (0.1, 3));
    let silent = TsEvent::new(vec![], vec![], 2.0).unwrap();
    assert_eq!(
        (silent.t_start(), silent.t_stop(), silent.num_channels()),
        (0.0, 2.0, 0)
    );
}

// --------------------------------------------------------------------------------------------
// Continuous sampling

#[test]
fn sampling_errors_name_the_time_and_the_limit() {
    let ts = ramp().with_t_stop(4.0).unwrap();
    let err = ts.sample(&[4.2]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "series 'ramp': sample time 4.2 s is after t_stop 4 s (sample inside the series, or \
         turn `beyond_range_exception` off to get NaN/fill values)"
    );
    let err = ts
        .clone()
        .with_interp(Interp::Linear)
        .sample(&[3.5])
        .unwrap_err();
    assert!(
        err.to_string().contains("after the last sample at 3 s"),
        "{err}"
    );
    let err = ts.sample(&[-0.5]).unwrap_err();
    assert!(
        err.to_string().contains("before the first sample at 0 s"),
        "{err}"
    );
    // Previous interpolation holds the last sample until t_stop.
    assert_eq!(ts.sample(&[3.5, 4.0]).unwrap(), array![[9.0], [9.0]]);
    // Snapping: 1e-10 s beyond t_stop is t_stop; switched off, it is an error.
    assert_eq!(ts.sample(&[4.0 + 1e-10]).unwrap(), array![[9.0]]);
    assert!(
        ts.clone()
            .with_approx_limit_times(false)
            .sample(&[4.0 + 1e-10])
            .is_err()
    );
}

#[test]
fn without_the_exception_outside_is_nan_and_gaps_are_filled() {
    let ts = ramp()
        .with_limits(-1.0, 4.0)
        .unwrap()
        .with_interp(Interp::Linear)
        .with_beyond_range_exception(false);
    let v = ts.sample(&[-2.0, -0.5, 3.5, 5.0]).unwrap();
    assert!(v[[0, 0]].is_nan() && v[[3, 0]].is_nan());
    assert_eq!((v[[1, 0]], v[[2, 0]]), (-0.5, 11.5)); // linear extrapolation inside the limits
    let filled = ts
        .with_fill_value(FillValue::Value(7.0))
        .sample(&[-0.5, 1.5, 3.5])
        .unwrap();
    assert_eq!(filled, array![[7.0], [2.5], [7.0]]);
}

#[test]
fn periodic_series_wrap_onto_one_period() {
    // Period 4 s: t -> (t mod 4); previous interpolation.
    let ts = ramp().with_t_stop(4.0).unwrap().with_periodic(true);
    let v = ts.sample(&[-1.0, 4.0, 5.5, 11.0, 400.25]).unwrap();
    assert_eq!(v.column(0).to_vec(), vec![9.0, 0.0, 1.0, 9.0, 0.0]);
    assert!(ts.contains(&[-100.0, 100.0]));
    let zero = TsContinuous::new(vec![1.0], array![[3.0]])
        .unwrap()
        .with_periodic(true);
    assert!(matches!(
        zero.sample(&[1.0]),
        Err(TimeSeriesError::ZeroPeriod { .. })
    ));
}

#[test]
fn a_single_sample_is_constant_over_its_limits() {
    let ts = TsContinuous::new(vec![1.0], array![[3.0, 4.0]])
        .unwrap()
        .with_limits(0.5, 2.0)
        .unwrap()
        .with_beyond_range_exception(false);
    let v = ts.sample(&[0.4, 0.5, 1.0, 2.0, 2.1]).unwrap();
    assert!(v[[0, 0]].is_nan() && v[[4, 1]].is_nan());
    assert_eq!(v.row(1).to_vec(), vec![3.0, 4.0]);
    assert_eq!(v.row(3).to_vec(), vec![3.0, 4.0]);
}

#[test]
fn clocked_round_trip() {
    let samples = array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
    let ts = TsContinuous::from_clocked(samples.clone(), 0.5, 1.0, false, "clk", Interp::Previous)
        .unwrap();
    assert_eq!(ts.times(), &[1.0, 1.5, 2.0]);
    assert_eq!((ts.t_start(), ts.t_stop(), ts.name()), (1.0, 2.5, "clk"));
    assert_eq!(ts.to_clocked(0.5).unwrap(), samples);
    assert!(matches!(
        ts.to_clocked(0.0),
        Err(TimeSeriesError::InvalidDt { .. })
    ));
}

#[test]
fn clip_inserts_limit_samples_and_rejects_reversed_windows() {
    let ts = ramp();
    let c = ts.clip(Some(0.5), Some(2.5), None, true, true).unwrap();
    assert_eq!(c.times(), &[0.5, 1.0, 2.0, 2.5]);
    assert_eq!(c.samples().column(0).to_vec(), vec![0.0, 1.0, 4.0, 4.0]);
    assert_eq!((c.t_start(), c.t_stop()), (0.5, 2.5));
    let err = ts.clip(Some(2.0), Some(1.0), None, true, true).unwrap_err();
    assert_eq!(err.to_string(), "t_start 2 s is after t_stop 1 s");
    assert!(matches!(
        ts.clip(None, None, Some(&[1]), true, true),
        Err(TimeSeriesError::ChannelOutOfRange {
            channel: 1,
            num_channels: 1
        })
    ));
}

#[test]
fn arithmetic_broadcasts_and_treats_nan_as_zero_for_sums() {
    let ts = TsContinuous::new(vec![0.0, 1.0], array![[f64::NAN, 1.0], [1.0, 2.0]]).unwrap();
    assert_eq!((&ts + 1.0).samples(), &array![[1.0, 2.0], [2.0, 3.0]]);
    assert_eq!((1.0 - &ts).samples(), &array![[1.0, 0.0], [0.0, -1.0]]);
    assert!((&ts * 2.0).samples()[[0, 0]].is_nan());
    let per_channel = ndarray::arr1(&[10.0, 20.0]);
    assert_eq!(
        ts.try_add(&per_channel).unwrap().samples(),
        &array![[10.0, 21.0], [11.0, 22.0]]
    );
    let column = array![[1.0], [2.0]];
    assert_eq!(ts.try_mul(&column).unwrap().samples()[[1, 1]], 4.0);
    let err = ts.try_add(&ndarray::arr1(&[1.0, 2.0, 3.0])).unwrap_err();
    assert!(
        err.to_string()
            .contains("[3] cannot be broadcast to samples of shape [2, 2]"),
        "{err}"
    );
    // NumPy's floor division: 1 // 0.1 == 9.
    let one = TsContinuous::from_values(vec![0.0], vec![1.0]).unwrap();
    assert_eq!(one.try_floor_div(0.1).unwrap().samples()[[0, 0]], 9.0);
    assert_eq!((-&one).samples()[[0, 0]], -1.0);
    assert_eq!((ts.min(), ts.max()), (Some(1.0), Some(2.0)));
}

#[test]
fn combining_checks_channel_counts_and_offsets() {
    let two = TsContinuous::new(vec![0.0], array![[1.0, 2.0]])
        .unwrap()
        .with_name("two");
    let err = two.merge(&[&ramp()], true).unwrap_err();
    assert_eq!(
        err.to_string(),
        "series 'two': other series number 0 has 1 channels, this one has 2"
    );
    assert!(ramp().append_t_many(&[&ramp()], &[None, None]).is_err());
    // Default offset: median sample interval (1 s) after t_stop.
    let joined = ramp().append_t(&ramp(), None).unwrap();
    assert_eq!(joined.times(), &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
    assert_eq!(joined.t_stop(), 7.0);
}

// --------------------------------------------------------------------------------------------
// Events

#[test]
fn raster_bins_are_half_open_and_use_floor() {
    // dt = 0.5 s, bins [0, 0.5), [0.5, 1), [1, 1.5), [1.5, 2).
    let ev = TsEvent::new(vec![0.0, 0.49, 0.5, 1.0, 1.99], vec![0, 0, 1, 1, 0], 2.0).unwrap();
    let r = ev.raster_counts(0.5, None, None, None, None).unwrap();
    assert_eq!(r, array![[2, 0], [0, 1], [0, 1], [1, 0]]);
    // An event exactly at the window's end is outside it.
    let r = ev
        .raster_counts(0.5, Some(0.0), Some(1.0), None, None)
        .unwrap();
    assert_eq!(r, array![[2, 0], [0, 1]]);
    // 0.3 / 0.1 = 2.9999999999999996: bin 2, as in Rockpool.
    let ev = TsEvent::new(vec![0.3], vec![0], 0.4).unwrap();
    let r = ev.raster_counts(0.1, Some(0.0), None, None, None).unwrap();
    assert_eq!(r.column(0).to_vec(), vec![0, 0, 1, 0]);
    // ceil(1.0 / 0.3) = 4 bins; boolean rasters merge coincident events.
    let ev = TsEvent::new(vec![0.1, 0.1, 0.2], vec![0, 0, 0], 1.0)
        .unwrap()
        .with_t_start(0.0)
        .unwrap();
    assert_eq!(
        ev.raster(0.3, None, None, None, None).unwrap(),
        array![[true], [false], [false], [false]]
    );
    assert_eq!(
        ev.raster_counts(0.3, None, None, None, None).unwrap()[[0, 0]],
        3
    );
    // Exactly num_timesteps rows; channels pick and order columns, unknown ones stay empty.
    let r = ev
        .raster_counts(0.1, None, None, Some(2), Some(&[5, 0]))
        .unwrap();
    assert_eq!(r, array![[0, 0], [0, 2]]);
}

#[test]
fn raster_arguments_are_checked() {
    let ev = TsEvent::new(vec![0.1], vec![0], 1.0).unwrap();
    let err = ev.raster(0.1, None, Some(1.0), Some(10), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "give at most one of t_stop (1 s) and num_timesteps (10)"
    );
    assert!(matches!(
        ev.raster(-0.1, None, None, None, None),
        Err(TimeSeriesError::InvalidDt { .. })
    ));
    assert!(ev.raster(0.1, Some(2.0), Some(1.0), None, None).is_err());
    assert!(matches!(
        ev.raster(1e-300, None, None, None, None),
        Err(TimeSeriesError::TooManySteps { .. })
    ));
    // Absurd channel indices are errors or empty columns, never a huge allocation.
    let r = ev
        .raster_counts(0.5, Some(0.0), None, None, Some(&[usize::MAX, 0]))
        .unwrap();
    assert_eq!(r.shape(), &[2, 2]);
    assert_eq!((r.column(0).sum(), r.column(1).sum()), (0, 1));
    assert!(matches!(
        TsEvent::new(vec![0.0], vec![usize::MAX], 1.0),
        Err(TimeSeriesError::ChannelTooLarge { .. })
    ));
    assert!(ev.remap_channels(&[usize::MAX]).is_err());
    assert!(ev.clone().with_num_channels(usize::MAX).is_err());
}

#[test]
fn periodic_events_tile_windows() {
    let ev = TsEvent::new(vec![0.0, 0.25], vec![0, 1], 0.5)
        .unwrap()
        .with_periodic(true);
    let (times, channels) = ev.events_in(Some(-0.5), Some(1.0), None).unwrap();
    assert_eq!(times, vec![-0.5, -0.25, 0.0, 0.25, 0.5, 0.75]);
    assert_eq!(channels, vec![0, 1, 0, 1, 0, 1]);
    let r = ev
        .raster_counts(0.25, Some(0.0), Some(1.5), None, None)
        .unwrap();
    assert_eq!(r.column(0).to_vec(), vec![1, 0, 1, 0, 1, 0]);
    assert!(ev.events_in(Some(1.0), Some(0.0), None).is_err());
}

#[test]
fn from_raster_makes_n_events_mid_bin() {
    let counts = array![[2u32, 0], [0, 1]];
    let ev = TsEvent::from_raster(counts.view(), 0.5, 1.0, None, "r", false, None, false).unwrap();
    assert_eq!(ev.times(), &[1.25, 1.25, 1.75]);
    assert_eq!(ev.channels(), &[0, 0, 1]);
    assert_eq!(
        (ev.t_start(), ev.t_stop(), ev.num_channels()),
        (1.0, 2.0, 2)
    );
    let back = ev.raster_counts(0.5, None, None, None, None).unwrap();
    assert_eq!(back, counts);
    let err = TsEvent::from_raster(counts.view(), 0.5, 1.0, Some(1.5), "r", false, None, false);
    assert!(matches!(
        err,
        Err(TimeSeriesError::TStopNotAfterLastEvent { .. })
    ));
}

#[test]
fn channel_edits() {
    let ev = TsEvent::new(vec![0.0, 0.1, 0.2], vec![0, 3, 1], 1.0).unwrap();
    let clipped = ev.clip(None, None, Some(&[3, 1]), true).unwrap();
    assert_eq!(clipped.channels(), &[1, 0]);
    assert_eq!(clipped.num_channels(), 2);
    assert!(ev.remap_channels(&[0, 1]).is_err());
    let remapped = ev.remap_channels(&[9, 8, 7, 6]).unwrap();
    assert_eq!(
        (remapped.channels(), remapped.num_channels()),
        (&[9, 6, 8][..], 10)
    );
    let both = ev.append_c(&ev);
    assert_eq!(both.channels(), &[0, 4, 3, 7, 1, 5]);
    assert_eq!(both.num_channels(), 8);
    let merged = ev.merge(&[&ev], &[0.05], true).unwrap();
    assert_eq!(merged.len(), 6);
    assert_eq!(merged.t_stop(), 1.05);
}

// --------------------------------------------------------------------------------------------
// Files

#[test]
fn files_round_trip() {
    let dir = scratch("roundtrip");
    let ts = TsContinuous::new(
        vec![0.0, 0.1, 0.3],
        array![[1.0, -1.0], [2.0, f64::NAN], [3.0, 0.5]],
    )
    .unwrap()
    .with_t_stop(0.5)
    .unwrap()
    .with_periodic(true)
    .with_name("from rust")
    .with_interp(Interp::Linear);
    // `.npz` is appended, as np.savez does.
    let path = ts.save(dir.join("rust_continuous")).unwrap();
    assert_eq!(path, dir.join("rust_continuous.npz"));
    let back = TsContinuous::load(&path).unwrap();
    assert_eq!(back.times(), ts.times());
    assert_eq!(back.name(), "from rust");
    assert_eq!(
        (back.t_stop(), back.periodic(), back.interp()),
        (0.5, true, Interp::Linear)
    );
    assert!(back.samples()[[1, 1]].is_nan() && back.samples()[[2, 1]] == 0.5);

    let ev = TsEvent::new(vec![0.0, 0.25, 0.25, 0.7], vec![2, 0, 1, 2], 1.0)
        .unwrap()
        .with_num_channels(4)
        .unwrap()
        .with_name("rust spikes");
    let path = ev.save(dir.join("rust_events.npz")).unwrap();
    assert_eq!(TsEvent::load(&path).unwrap(), ev);

    let empty = TsEvent::empty(0.5, 2.0, 3).unwrap();
    let path = empty.save(dir.join("rust_empty_events.npz")).unwrap();
    assert_eq!(TsEvent::load(&path).unwrap(), empty);
    let flat = TsContinuous::new(vec![0.0, 1.0], array![[1.0], [2.0]])
        .unwrap()
        .with_interp(Interp::Nearest);
    let path = TimeSeries::from(flat.clone())
        .save(dir.join("rust_nearest.npz"))
        .unwrap();
    assert_eq!(
        load_timeseries(&path).unwrap(),
        TimeSeries::Continuous(flat)
    );

    if std::env::var_os("ROCKPOOL_TS_EXPORT_DIR").is_none() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
