//! The crate's public surface end to end: task configurations from TOML, generation through
//! `TaskConfig`, splitting and batching, and npz round trips.

use rockpool_tasks::{
    DelayConfig, FrozenNoiseConfig, Keyword, KeywordConfig, KeywordOutput, Spacing, Targets,
    TaskConfig, load_npz_dataset, save_npz_dataset,
};

#[test]
fn toml_names_each_task_and_fills_defaults() {
    let t: TaskConfig = toml::from_str("type = \"frozen_noise\"\nnum_classes = 6\n").unwrap();
    assert_eq!(
        t,
        TaskConfig::FrozenNoise(FrozenNoiseConfig {
            num_classes: 6,
            ..Default::default()
        })
    );
    let t: TaskConfig = toml::from_str(
        r#"
        type = "keyword"
        keywords = ["rising_chirp", "tone_pair"]
        spacing = "mel"
        output = "envelope"
        "#,
    )
    .unwrap();
    let TaskConfig::Keyword(k) = &t else {
        panic!("{t:?}")
    };
    assert_eq!(k.keywords, [Keyword::RisingChirp, Keyword::TonePair]);
    assert_eq!(k.spacing, Spacing::Mel);
    assert_eq!(k.output, KeywordOutput::Envelope);
    assert_eq!(k.sample_rate, 16_000.0);
    let t: TaskConfig = toml::from_str("type = \"delay\"\ndelay = 25\n").unwrap();
    assert_eq!(t.name(), "delay");
    assert_eq!(
        t,
        TaskConfig::Delay(DelayConfig {
            delay: 25,
            ..Default::default()
        })
    );
}

#[test]
fn toml_rejects_typos_and_unknown_tasks() {
    let e = toml::from_str::<TaskConfig>("type = \"frozen_noise\"\nnum_clases = 6\n").unwrap_err();
    assert!(e.to_string().contains("num_clases"), "{e}");
    let e = toml::from_str::<TaskConfig>("type = \"mnist\"\n").unwrap_err();
    assert!(e.to_string().contains("mnist"), "{e}");
    let e =
        toml::from_str::<TaskConfig>("type = \"keyword\"\nkeywords = [\"hello\"]\n").unwrap_err();
    assert!(e.to_string().contains("hello"), "{e}");
    assert!(toml::from_str::<TaskConfig>("num_classes = 6\n").is_err());
}

#[test]
fn configs_round_trip_through_toml() {
    for t in [
        TaskConfig::from(FrozenNoiseConfig::default()),
        TaskConfig::from(KeywordConfig::default()),
        TaskConfig::from(DelayConfig::default()),
    ] {
        let text = toml::to_string(&t).unwrap();
        assert!(text.contains(&format!("type = \"{}\"", t.name())), "{text}");
        assert_eq!(toml::from_str::<TaskConfig>(&text).unwrap(), t);
    }
}

#[test]
fn every_task_is_deterministic_and_well_formed() {
    let tasks = [
        TaskConfig::from(FrozenNoiseConfig::default()),
        TaskConfig::from(KeywordConfig {
            duration: 0.35,
            ..Default::default()
        }),
        TaskConfig::from(DelayConfig::default()),
    ];
    for t in &tasks {
        t.validate().unwrap();
        let a = t.generate(20, 42).unwrap();
        assert_eq!(a, t.generate(20, 42).unwrap(), "{}", t.name());
        assert_ne!(a.x, t.generate(20, 43).unwrap().x, "{}", t.name());
        assert_eq!(a.len(), 20);
        assert_eq!(a.name, t.name());
        assert_eq!(a.dt, 1e-3);
        assert!(
            a.x.iter()
                .all(|&v| (0.0..=15.0).contains(&v) && v.fract() == 0.0)
        );
        // Empty datasets are fine too.
        assert!(t.generate(0, 1).unwrap().is_empty());
    }
    assert!(
        TaskConfig::from(DelayConfig {
            num_steps: 0,
            ..Default::default()
        })
        .validate()
        .is_err()
    );
}

#[test]
fn train_valid_workflow() {
    let data = FrozenNoiseConfig::default().generate(400, 1).unwrap();
    let (train, valid) = data.split(0.75, 2).unwrap();
    assert_eq!(train.class_counts(), Some(vec![75; 4]));
    assert_eq!(valid.class_counts(), Some(vec![25; 4]));
    // Validation data from another seed shares the frozen patterns (and so the task).
    let other = FrozenNoiseConfig::default().generate(4, 99).unwrap();
    assert_eq!(other.class_names, train.class_names);
    let mut seen = vec![0; train.len()];
    for batch in train.batches(64, true, 3).unwrap() {
        assert!(batch.len() <= 64);
        let Targets::Class(labels) = &batch.y else {
            unreachable!()
        };
        for (row, &i) in batch.indices.iter().enumerate() {
            seen[i] += 1;
            assert_eq!(labels[row], train.y.as_class().unwrap()[i]);
            assert_eq!(
                batch.x.index_axis(ndarray::Axis(0), row),
                train.x.index_axis(ndarray::Axis(0), i)
            );
        }
    }
    assert!(seen.iter().all(|&s| s == 1));
}

#[test]
fn generated_keyword_data_survives_npz() {
    let dir = tempfile::tempdir().unwrap();
    let d = KeywordConfig {
        output: KeywordOutput::Envelope,
        ..Default::default()
    }
    .generate(6, 8)
    .unwrap();
    let path = dir.path().join("kw.npz");
    save_npz_dataset(&d, &path).unwrap();
    let back = load_npz_dataset(&path, 0.5).unwrap();
    assert_eq!(back.x, d.x);
    assert_eq!(back.y, d.y);
    assert_eq!(back.dt, 1e-3);
    assert_eq!(back.name, "kw");
}

/// Generation speed in a release build: `cargo test --release -p rockpool-tasks -- --ignored
/// --nocapture speed`.
#[test]
#[ignore = "timing; run in release"]
fn speed() {
    for (t, n) in [
        (TaskConfig::from(FrozenNoiseConfig::default()), 4000),
        (TaskConfig::from(DelayConfig::default()), 4000),
        (TaskConfig::from(KeywordConfig::default()), 1000),
    ] {
        let start = std::time::Instant::now();
        let d = t.generate(n, 0).unwrap();
        let secs = start.elapsed().as_secs_f64();
        let spikes = d.x.sum() / n as f32;
        println!(
            "{:>12}: {n} samples {:?} in {secs:.3} s, {spikes:.0} input spikes/sample",
            t.name(),
            d.x.dim()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// hostile sizes and empty data (issue 13)
// ---------------------------------------------------------------------------------------------

#[test]
fn sizes_beyond_the_limit_are_refused_before_allocation() {
    use rockpool_tasks::MAX_ELEMENTS;
    let tasks: [TaskConfig; 3] = [
        FrozenNoiseConfig::default().into(),
        KeywordConfig::default().into(),
        DelayConfig::default().into(),
    ];
    for task in &tasks {
        let e = task.generate(1_000_000_000_000, 0).unwrap_err().to_string();
        assert!(
            e.contains("n_samples")
                && e.contains("1000000000000")
                && e.contains(&MAX_ELEMENTS.to_string()),
            "{}: {e}",
            task.name()
        );
    }
    // Products that overflow usize are refused too, not wrapped.
    let huge = FrozenNoiseConfig {
        num_steps: 1 << 33,
        num_channels: 1 << 33,
        ..FrozenNoiseConfig::default()
    };
    let e = huge.validate().unwrap_err().to_string();
    assert!(e.contains("num_steps") && e.contains("limit"), "{e}");
    let huge = DelayConfig {
        num_steps: 1 << 40,
        num_channels: 1 << 40,
        ..DelayConfig::default()
    };
    assert!(huge.validate().unwrap_err().to_string().contains("limit"));
    // Spikes are drawn one by one: absurd rates and caps are refused, not run for ever.
    let fast = FrozenNoiseConfig {
        rate: 1e9,
        ..FrozenNoiseConfig::default()
    };
    let e = fast.validate().unwrap_err().to_string();
    assert!(
        e.contains("`rate` = 1000000000") && e.contains("spikes per step"),
        "{e}"
    );
    let capped = KeywordConfig {
        max_spikes_per_step: u32::MAX,
        ..KeywordConfig::default()
    };
    let e = capped.validate().unwrap_err().to_string();
    assert!(
        e.contains("max_spikes_per_step") && e.contains("at most 1000"),
        "{e}"
    );
    let long = KeywordConfig {
        duration: 1e9,
        ..KeywordConfig::default()
    };
    let e = long.validate().unwrap_err().to_string();
    assert!(e.contains("duration") && e.contains("limit"), "{e}");
}

#[test]
fn datasets_without_steps_channels_or_with_absurd_labels_are_refused() {
    use ndarray::Array3;
    use rockpool_tasks::{Dataset, MAX_CLASSES};
    for shape in [(2, 0, 3), (2, 3, 0)] {
        let e = Dataset::new(Array3::zeros(shape), Targets::Class(vec![0, 1]), 1e-3, "d")
            .unwrap_err()
            .to_string();
        assert!(e.contains("at least one time step and one channel"), "{e}");
    }
    let e = Dataset::new(
        Array3::zeros((2, 1, 1)),
        Targets::Class(vec![0, 1_000_000_000_000]),
        1e-3,
        "d",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("1000000000000") && e.contains(&MAX_CLASSES.to_string()),
        "{e}"
    );
    let e = Dataset::new(
        Array3::zeros((2, 3, 1)),
        Targets::Sequence(Array3::zeros((2, 3, 0))),
        1e-3,
        "d",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("at least one channel"), "{e}");
}
