//! Transforms and binning: hand-computed results, seeded reproducibility, TOML forms.

use ndarray::array;
use rockpool_events::{
    Compose, EventPipeline, EventStream, SensorSize, ToFrame, Transform, sample_seed,
};

fn cam(events: &[(f64, u16, u16, u8)]) -> EventStream {
    let mut s = EventStream::default();
    for &(t, x, y, p) in events {
        s.push(t, x, y, p);
    }
    s
}

fn one(
    step: Transform,
    ev: EventStream,
    sensor: SensorSize,
    seed: u64,
) -> (EventStream, SensorSize) {
    Compose::new(vec![step])
        .unwrap()
        .apply(ev, sensor, seed)
        .unwrap()
}

fn sensor(w: usize, h: usize, p: usize) -> SensorSize {
    SensorSize::new(w, h, p).unwrap()
}

/// Every pixel of a `w × h × 2` sensor once, at increasing times.
fn full_grid(w: u16, h: u16) -> EventStream {
    let mut s = EventStream::default();
    let mut t = 0.0;
    for p in 0..2 {
        for y in 0..h {
            for x in 0..w {
                s.push(t, x, y, p);
                t += 1e-4;
            }
        }
    }
    s
}

#[test]
fn to_frame_by_hand() {
    let ev =
        EventStream::from_channels(vec![0.0, 0.0009, 0.001, 0.0025, 0.003], vec![0, 0, 1, 2, 2])
            .unwrap();
    let f = ToFrame::new(1e-3).unwrap();
    // 0.003 / 0.001 is 2.9999999999999996 in f64; the event still belongs to bin 3 = [0.003, 0.004).
    assert_eq!(f.bin_of(0.003), Some(3));
    let r = f.apply(&ev, sensor(3, 1, 1)).unwrap();
    assert_eq!(
        r,
        array![
            [2.0f32, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [0.0, 0.0, 1.0],
            [0.0, 0.0, 1.0]
        ]
    );
    // Crop to 2 bins, pad to 6.
    let r = f.with_bins(2).apply(&ev, sensor(3, 1, 1)).unwrap();
    assert_eq!(r, array![[2.0f32, 0.0, 0.0], [0.0, 1.0, 0.0]]);
    let r = f.with_bins(6).apply(&ev, sensor(3, 1, 1)).unwrap();
    assert_eq!(
        (r.shape(), r.sum(), r.row(5).sum()),
        (&[6, 3][..], 5.0, 0.0)
    );
    // Camera channels: x + W·y + W·H·p on a 2 × 2 × 2 sensor.
    let ev = cam(&[(0.0, 1, 1, 1), (0.0, 1, 0, 0), (0.0049, 0, 1, 1)]);
    let r = ToFrame::new(5e-3)
        .unwrap()
        .apply(&ev, sensor(2, 2, 2))
        .unwrap();
    assert_eq!(r, array![[0.0f32, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0]]);
    // Empty stream, negative times, out-of-sensor events, bad dt.
    assert_eq!(
        f.apply(&EventStream::default(), SensorSize::SHD)
            .unwrap()
            .shape(),
        &[0, 700]
    );
    let neg = EventStream::from_channels(vec![-0.5, 0.0], vec![0, 1]).unwrap();
    assert_eq!(
        f.apply(&neg, sensor(2, 1, 1)).unwrap(),
        array![[0.0f32, 1.0]]
    );
    assert!(
        f.apply(&neg, sensor(1, 1, 1))
            .unwrap_err()
            .to_string()
            .contains("outside the sensor")
    );
    assert!(ToFrame::new(0.0).is_err() && ToFrame::new(f64::NAN).is_err());
    // A raster too large for the limit is refused, not allocated.
    let far = EventStream::from_channels(vec![1e9], vec![0]).unwrap();
    let m = ToFrame::new(1e-6)
        .unwrap()
        .apply(&far, SensorSize::SHD)
        .unwrap_err()
        .to_string();
    assert!(m.contains("over the limit"), "{m}");
}

#[test]
fn downsample_by_hand() {
    let ev = cam(&[(0.1, 33, 0, 1), (0.2, 1, 33, 0), (0.3, 2, 3, 1)]);
    let step = Transform::Downsample {
        spatial_factor: 0.5,
        channel_factor: 1.0,
        time_factor: 2.0,
    };
    let (out, s) = one(step, ev, SensorSize::NMNIST, 0);
    assert_eq!(s, sensor(17, 17, 2));
    assert_eq!(
        (out.x, out.y, out.p, out.t),
        (
            vec![16, 0, 1],
            vec![0, 16, 1],
            vec![1, 0, 1],
            vec![0.2, 0.4, 0.6]
        )
    );
    // SHD channels: 700 → 70 units.
    let ev = EventStream::from_channels(vec![0.0, 0.1], vec![699, 10]).unwrap();
    let step = Transform::Downsample {
        spatial_factor: 1.0,
        channel_factor: 0.1,
        time_factor: 1.0,
    };
    let (out, s) = one(step.clone(), ev, SensorSize::SHD, 0);
    assert_eq!((s, out.x), (sensor(70, 1, 1), vec![69, 1]));
    // channel_factor is for one-row sensors.
    let m = Compose::new(vec![step])
        .unwrap()
        .output_sensor(SensorSize::NMNIST)
        .unwrap_err()
        .to_string();
    assert!(m.contains("channel_factor"), "{m}");
}

#[test]
fn denoise_and_refractory_by_hand() {
    let ev = cam(&[
        (0.0, 1, 1, 0),    // no neighbour before it: dropped
        (0.001, 2, 1, 1),  // (1, 1) 1 ms before, within 5 ms: kept
        (0.1, 0, 0, 0),    // neighbours (1, 0), (0, 1) silent: dropped
        (0.1005, 1, 0, 0), // (0, 0) 0.5 ms before: kept; (1, 1) is 100 ms old
        (0.2, 3, 3, 0),    // isolated: dropped
    ]);
    let (out, _) = one(
        Transform::Denoise { filter_time: 0.005 },
        ev,
        sensor(4, 4, 2),
        0,
    );
    assert_eq!(out.t, vec![0.001, 0.1005]);
    // One-row sensors: x ± 1 only.
    let ev = EventStream::from_channels(vec![0.0, 0.001, 0.002], vec![5, 6, 9]).unwrap();
    let (out, _) = one(
        Transform::Denoise { filter_time: 0.01 },
        ev,
        SensorSize::SHD,
        0,
    );
    assert_eq!(out.x, vec![6]);

    let ev = cam(&[
        (0.0, 1, 1, 0),
        (0.0005, 1, 1, 1),
        (0.0007, 2, 1, 0),
        (0.0012, 1, 1, 0),
        (0.002, 1, 1, 0),
    ]);
    let (out, _) = one(
        Transform::RefractoryPeriod { period: 0.001 },
        ev,
        sensor(4, 4, 2),
        0,
    );
    // (1,1): 0 kept, 0.5 ms refractory (either polarity), 1.2 ms kept, 2 ms is 0.8 ms after 1.2.
    assert_eq!(out.t, vec![0.0, 0.0007, 0.0012]);
}

#[test]
fn crops_and_merge() {
    let ev = EventStream::from_channels(vec![0.0, 0.1, 0.2, 0.3], vec![0, 1, 2, 3]).unwrap();
    let (out, _) = one(
        Transform::CropTime {
            min: 0.1,
            max: Some(0.3),
        },
        ev.clone(),
        SensorSize::SHD,
        0,
    );
    assert_eq!(out.x, vec![1, 2]);
    let (out, _) = one(
        Transform::CropTime {
            min: 0.15,
            max: None,
        },
        ev,
        SensorSize::SHD,
        0,
    );
    assert_eq!(out.x, vec![2, 3]);

    let grid = full_grid(34, 34);
    let step = Transform::RandomCrop {
        width: 10,
        height: 7,
    };
    let (a, s) = one(step.clone(), grid.clone(), SensorSize::NMNIST, 3);
    assert_eq!(s, sensor(10, 7, 2));
    assert_eq!(a.len(), 10 * 7 * 2);
    assert!(a.x.iter().all(|&x| x < 10) && a.y.iter().all(|&y| y < 7));
    assert!(a.t.windows(2).all(|w| w[0] <= w[1]));
    let offsets: std::collections::HashSet<u64> = (0..20)
        .map(|seed| {
            let (c, _) = one(step.clone(), grid.clone(), SensorSize::NMNIST, seed);
            // The crop's origin, recovered from the first event's time index.
            (c.t[0] / 1e-4).round() as u64
        })
        .collect();
    assert!(
        offsets.len() > 5,
        "crops should move with the seed: {offsets:?}"
    );
    let big = Transform::RandomCrop {
        width: 35,
        height: 1,
    };
    assert!(
        Compose::new(vec![big])
            .unwrap()
            .apply(grid.clone(), SensorSize::NMNIST, 0)
            .is_err()
    );

    let (m, s) = one(Transform::MergePolarities, grid, SensorSize::NMNIST, 0);
    assert_eq!(
        (s.polarities, m.p.iter().map(|&p| p as usize).sum::<usize>()),
        (1, 0)
    );
}

#[test]
fn random_steps_are_seeded() {
    let grid = full_grid(34, 34);
    let steps = [
        Transform::TimeJitter {
            std: 1e-3,
            clip_negative: true,
        },
        Transform::SpatialJitter {
            std_x: 1.0,
            std_y: 1.0,
            clip_outliers: true,
        },
        Transform::DropEvent { p: 0.3 },
        Transform::RandomCrop {
            width: 20,
            height: 20,
        },
    ];
    for step in steps {
        let c = Compose::new(vec![step.clone()]).unwrap();
        let a = c.apply(grid.clone(), SensorSize::NMNIST, 11).unwrap();
        let b = c.apply(grid.clone(), SensorSize::NMNIST, 11).unwrap();
        let other = c.apply(grid.clone(), SensorSize::NMNIST, 12).unwrap();
        assert!(a == b, "{step:?} must be reproducible");
        assert!(a.0 != other.0, "{step:?} must differ between seeds");
        assert!(
            a.0.t.windows(2).all(|w| w[0] <= w[1]),
            "{step:?} must keep times sorted"
        );
        assert!(a.0.x.iter().all(|&x| (x as usize) < a.1.width));
        assert!(a.0.y.iter().all(|&y| (y as usize) < a.1.height));
    }
    // Drop: exactly round(p · E) events go, the rest keep their order.
    let (d, _) = one(
        Transform::DropEvent { p: 0.3 },
        grid.clone(),
        SensorSize::NMNIST,
        5,
    );
    assert_eq!(
        d.len(),
        grid.len() - (0.3 * grid.len() as f64).round() as usize
    );
    assert_eq!(
        one(
            Transform::DropEvent { p: 1.0 },
            grid.clone(),
            SensorSize::NMNIST,
            5
        )
        .0
        .len(),
        0
    );
    assert_eq!(
        one(
            Transform::DropEvent { p: 0.0 },
            grid.clone(),
            SensorSize::NMNIST,
            5
        )
        .0,
        grid
    );
    // Zero noise is the identity.
    assert_eq!(
        one(
            Transform::TimeJitter {
                std: 0.0,
                clip_negative: true
            },
            grid.clone(),
            SensorSize::NMNIST,
            5
        )
        .0,
        grid
    );
    // Time jitter's spread: the sample std of the shifts is near `std`.
    let flat = EventStream::from_channels(vec![1.0; 20000], vec![0; 20000]).unwrap();
    let (j, _) = one(
        Transform::TimeJitter {
            std: 0.01,
            clip_negative: true,
        },
        flat,
        SensorSize::SHD,
        9,
    );
    let mean = j.t.iter().sum::<f64>() / j.len() as f64;
    let sd = (j.t.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / j.len() as f64).sqrt();
    assert!(
        (mean - 1.0).abs() < 5e-4 && (sd - 0.01).abs() < 5e-4,
        "mean {mean}, sd {sd}"
    );
    // clip_negative drops events pushed before 0.
    let early = EventStream::from_channels(vec![0.0; 1000], vec![0; 1000]).unwrap();
    let (j, _) = one(
        Transform::TimeJitter {
            std: 0.01,
            clip_negative: true,
        },
        early.clone(),
        SensorSize::SHD,
        1,
    );
    assert!(j.len() > 350 && j.len() < 650 && j.t.iter().all(|&t| t >= 0.0));
    let (j, _) = one(
        Transform::TimeJitter {
            std: 0.01,
            clip_negative: false,
        },
        early,
        SensorSize::SHD,
        1,
    );
    assert_eq!(j.len(), 1000);

    // Step k draws from stream k: appending a step leaves the earlier steps' draws alone, and
    // the same step at another position draws differently.
    let drop = Transform::DropEvent { p: 0.5 };
    let alone = Compose::new(vec![drop.clone()])
        .unwrap()
        .apply(grid.clone(), SensorSize::NMNIST, 4)
        .unwrap();
    let first = Compose::new(vec![drop.clone(), Transform::MergePolarities]).unwrap();
    let (b, _) = first.apply(grid.clone(), SensorSize::NMNIST, 4).unwrap();
    assert!(alone.0.t == b.t);
    let second = Compose::new(vec![Transform::MergePolarities, drop]).unwrap();
    let (c, _) = second.apply(grid, SensorSize::NMNIST, 4).unwrap();
    assert!(alone.0.t != c.t);

    assert_ne!(sample_seed(1, 0, 1), sample_seed(1, 1, 0));
    assert_ne!(sample_seed(1, 0, 0), sample_seed(2, 0, 0));
    assert_eq!(sample_seed(7, 3, 9), sample_seed(7, 3, 9));
}

#[test]
fn spatial_jitter_clamps_or_drops() {
    let corner =
        EventStream::new(vec![0.0; 500], vec![0; 500], vec![0; 500], vec![0; 500]).unwrap();
    let s = sensor(3, 3, 1);
    let clip = Transform::SpatialJitter {
        std_x: 2.0,
        std_y: 2.0,
        clip_outliers: true,
    };
    let (a, _) = one(clip, corner.clone(), s, 2);
    assert!(a.len() < 400 && !a.is_empty());
    let clamp = Transform::SpatialJitter {
        std_x: 2.0,
        std_y: 2.0,
        clip_outliers: false,
    };
    let (b, _) = one(clamp, corner, s, 2);
    assert_eq!(b.len(), 500);
    assert!(b.x.iter().chain(&b.y).all(|&v| v < 3) && b.x.contains(&2));
}

#[test]
fn toml_forms() {
    #[derive(serde::Deserialize, Debug)]
    struct C {
        #[allow(dead_code)]
        transforms: Compose,
    }
    let c: C = toml::from_str(
        r#"transforms = [
            { kind = "time_jitter", std = 1e-3 },
            { kind = "spatial_jitter", std_x = 0.5 },
            { kind = "drop_event", p = 0.1 },
            { kind = "downsample", channel_factor = 0.5 },
            { kind = "denoise", filter_time = 0.01 },
            { kind = "refractory_period", period = 1e-3 },
            { kind = "random_crop", width = 5, height = 1 },
            { kind = "crop_time", max = 1.0 },
            { kind = "merge_polarities" },
        ]"#,
    )
    .unwrap();
    assert_eq!(
        c.transforms.steps()[0],
        Transform::TimeJitter {
            std: 1e-3,
            clip_negative: true
        }
    );
    assert_eq!(
        c.transforms.steps()[3],
        Transform::Downsample {
            spatial_factor: 1.0,
            channel_factor: 0.5,
            time_factor: 1.0
        }
    );
    assert_eq!(
        c.transforms.output_sensor(SensorSize::SHD).unwrap(),
        sensor(5, 1, 1)
    );
    for (bad, what) in [
        (
            r#"transforms = [{ kind = "time_jitter", std = 1e-3, sdt = 2 }]"#,
            "unknown field `sdt`",
        ),
        (
            r#"transforms = [{ kind = "time_warp" }]"#,
            "unknown variant `time_warp`",
        ),
        (
            r#"transforms = [{ kind = "drop_event", p = 1.5 }]"#,
            "must be in [0, 1]",
        ),
        (
            r#"transforms = [{ kind = "time_jitter", std = -1.0 }]"#,
            "must be finite and >= 0",
        ),
    ] {
        let m = toml::from_str::<C>(bad).unwrap_err().to_string();
        assert!(m.contains(what), "{bad}: {m}");
    }
    let p: EventPipeline = toml::from_str(
        r#"
        transforms = [{ kind = "downsample", spatial_factor = 0.5 }]
        frame = { dt = 0.01, bins = 3 }
    "#,
    )
    .unwrap();
    assert_eq!(p.channels(SensorSize::NMNIST).unwrap(), 17 * 17 * 2);
    let r = p
        .apply(cam(&[(0.015, 33, 33, 1)]), SensorSize::NMNIST, 0)
        .unwrap();
    assert_eq!(r.shape(), &[3, 578]);
    assert_eq!(r[[1, 16 + 17 * 16 + 17 * 17]], 1.0);
    assert!(toml::from_str::<EventPipeline>("frame = { dt = 0.01, bin = 3 }").is_err());
}
