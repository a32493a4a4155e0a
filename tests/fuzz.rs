//! Fuzzing on stable Rust, as ordinary tests: a deterministic, seeded mutation fuzzer with one
//! target per parser and loader (`.npy`, `.npz`, network TOML, training-job TOML, time-series
//! `.npz`, task datasets, Xylo JSON, Xylo rasters, parameter `.npz`, checkpoints).
//!
//! Each target first replays its regression inputs (`tests/fuzz_corpus/<target>/`), then runs
//! mutations (bit flips, byte insertion and deletion, truncation, splicing, interesting
//! integers, random bytes and, for text formats, number and line edits) of a corpus of valid
//! inputs. Every case runs under `catch_unwind` and under a counting global allocator: a case
//! passes when it returns (`Ok` or an error, either is fine), does not panic, and its peak
//! heap stays below [`MEMORY_LIMIT`]. A failing case is written to
//! `$CARGO_TARGET_TMPDIR/fuzz-failures/<target>/` with the reason (an abort, which no test
//! can catch, leaves the input in `…/<target>/current` when the run is repeated with
//! `ROCKPOOL_FUZZ_KEEP_CURRENT=1`); copy it into the corpus folder once fixed. See `docs/fuzzing.md` for longer runs (`ROCKPOOL_FUZZ_CASES`,
//! `ROCKPOOL_FUZZ_SEED`, `ROCKPOOL_FUZZ_SECONDS`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ndarray::{Array2, ArrayD, IxDyn};
use rockpool_io::NpyArray;

// ---------------------------------------------------------------------------------------------
// memory accounting
// ---------------------------------------------------------------------------------------------

/// The most heap one case may hold at its peak.
const MEMORY_LIMIT: usize = 512 << 20;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting the bytes held and their peak.
struct Counting;

fn grew(by: usize) {
    let now = CURRENT.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is forwarded unchanged to `System`; only counters are updated.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// One target at a time, so the peak of the heap belongs to the case being run.
static SERIAL: Mutex<()> = Mutex::new(());

// ---------------------------------------------------------------------------------------------
// the mutator
// ---------------------------------------------------------------------------------------------

/// SplitMix64: small, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Integers that find edge cases: zero, ±1, powers of two and their neighbours, extremes.
const INTERESTING: [u64; 16] = [
    0,
    1,
    2,
    0x7F,
    0x80,
    0xFF,
    0x7FFF,
    0xFFFF,
    0x7FFF_FFFF,
    0x8000_0000,
    0xFFFF_FFFF,
    0x1_0000_0000,
    0x7FFF_FFFF_FFFF_FFFF,
    0x8000_0000_0000_0000,
    u64::MAX,
    u64::MAX - 1,
];

/// Numbers a text format may be given in place of any number.
const INTERESTING_TEXT: [&str; 22] = [
    "0",
    "-1",
    "-0.5",
    "1.5",
    "2",
    "255",
    "65536",
    "4294967296",
    "1000000000000",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "1e300",
    "-1e300",
    "3e38",
    "1e-320",
    "nan",
    "inf",
    "-inf",
    "NaN",
    "Infinity",
    "\"x\"",
];

/// One random edit of `data` (which may become empty); `corpus` supplies splices.
fn mutate(rng: &mut Rng, data: &mut Vec<u8>, corpus: &[Vec<u8>], text: bool) {
    let choices = if text { 14 } else { 10 };
    match rng.below(choices) {
        0 if !data.is_empty() => {
            let i = rng.below(data.len());
            data[i] ^= 1 << rng.below(8);
        }
        1 if !data.is_empty() => {
            let i = rng.below(data.len());
            data[i] = rng.next() as u8;
        }
        2 => {
            let i = rng.below(data.len() + 1);
            let n = 1 + rng.below(16);
            let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            data.splice(i..i, bytes);
        }
        3 if !data.is_empty() => {
            let i = rng.below(data.len());
            let n = 1 + rng.below((data.len() - i).min(64));
            data.drain(i..i + n);
        }
        4 => {
            let n = rng.below(data.len() + 1);
            data.truncate(n);
        }
        5 if !data.is_empty() => {
            // An interesting integer, little or big endian, of 1, 2, 4 or 8 bytes.
            let v = *rng.pick(&INTERESTING);
            let width = *rng.pick(&[1usize, 2, 4, 8]);
            let bytes = if rng.below(2) == 0 {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            };
            let i = rng.below(data.len());
            for (k, b) in bytes.iter().take(width).enumerate() {
                if let Some(d) = data.get_mut(i + k) {
                    *d = *b;
                }
            }
        }
        6 => {
            // Splice: our head, another input's tail.
            let other = rng.pick(corpus);
            let a = rng.below(data.len() + 1);
            let b = rng.below(other.len() + 1);
            data.truncate(a);
            data.extend_from_slice(&other[b..]);
        }
        7 if !data.is_empty() => {
            // Duplicate a range.
            let i = rng.below(data.len());
            let n = 1 + rng.below((data.len() - i).min(256));
            let copy = data[i..i + n].to_vec();
            let at = rng.below(data.len() + 1);
            data.splice(at..at, copy);
        }
        8 if !data.is_empty() => {
            // A byte + or - a small amount (lengths, digits).
            let i = rng.below(data.len());
            data[i] = data[i].wrapping_add((rng.below(7) as u8).wrapping_sub(3));
        }
        9 if !data.is_empty() => {
            // Decimal digits: a number in a header or a text grows.
            let i = rng.below(data.len());
            let digits = format!("{}", rng.pick(&INTERESTING));
            data.splice(i..i, digits.into_bytes());
        }
        10..=11 if text => replace_number(rng, data),
        12 if text => {
            // Delete a line.
            let lines = split_lines(data);
            if lines.len() > 1 {
                let k = rng.below(lines.len());
                let mut out = Vec::new();
                for (j, l) in lines.iter().enumerate() {
                    if j != k {
                        out.extend_from_slice(l);
                    }
                }
                *data = out;
            }
        }
        13 if text => {
            // Duplicate a line (a repeated key or table).
            let lines = split_lines(data);
            if !lines.is_empty() {
                let line = rng.pick(&lines).to_vec();
                let at = rng.below(data.len() + 1);
                data.splice(at..at, line);
            }
        }
        _ => {
            let n = rng.below(64);
            data.extend((0..n).map(|_| rng.next() as u8));
        }
    }
}

/// The lines of `data`, each with its newline.
fn split_lines(data: &[u8]) -> Vec<&[u8]> {
    data.split_inclusive(|&b| b == b'\n').collect()
}

/// Replaces one number in a text with an interesting one.
fn replace_number(rng: &mut Rng, data: &mut Vec<u8>) {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < data.len() {
        if data[i].is_ascii_digit() {
            let start = if i > 0 && data[i - 1] == b'-' {
                i - 1
            } else {
                i
            };
            let mut j = i;
            while j < data.len()
                && (data[j].is_ascii_digit() || matches!(data[j], b'.' | b'e' | b'E' | b'_'))
            {
                j += 1;
            }
            spans.push((start, j));
            i = j;
        } else {
            i += 1;
        }
    }
    if spans.is_empty() {
        return;
    }
    let (a, b) = *rng.pick(&spans);
    let with = rng.pick(&INTERESTING_TEXT).as_bytes().to_vec();
    data.splice(a..b, with);
}

// ---------------------------------------------------------------------------------------------
// the driver
// ---------------------------------------------------------------------------------------------

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// Stable hash of the target name: each target has its own stream for a given seed.
fn name_seed(name: &str) -> u64 {
    name.bytes().fold(0xCBF2_9CE4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
    })
}

fn manifest(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Every file directly in `dir` whose name ends in one of `exts` (sorted).
fn files(dir: &str, exts: &[&str]) -> Vec<Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(manifest(dir)) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            exts.iter().any(|e| name.ends_with(e))
        })
        .collect();
    paths.sort();
    paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// Runs one input; `Err` says why it failed (panic or memory).
fn run_case(target: &dyn Fn(&[u8]) -> bool, input: &[u8]) -> Result<bool, String> {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let outcome = catch_unwind(AssertUnwindSafe(|| target(input)));
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    match outcome {
        Err(payload) => {
            let msg = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "(no message)".into());
            Err(format!("panicked: {msg}"))
        }
        Ok(_) if peak > MEMORY_LIMIT => Err(format!(
            "peak heap {} MiB, over the limit of {} MiB",
            peak >> 20,
            MEMORY_LIMIT >> 20
        )),
        Ok(accepted) => Ok(accepted),
    }
}

/// Replays the regression corpus of `name`, then fuzzes `target` from `seeds`.
///
/// Cases per target: `ROCKPOOL_FUZZ_CASES` (default `default_cases`), stopped early after
/// `ROCKPOOL_FUZZ_SECONDS` (default 6) seconds; seed `ROCKPOOL_FUZZ_SEED` (default 0).
fn fuzz(
    name: &str,
    default_cases: u64,
    text: bool,
    seeds: Vec<Vec<u8>>,
    target: &dyn Fn(&[u8]) -> bool,
) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    assert!(!seeds.is_empty(), "{name}: no seed inputs");
    let cases = env_number("ROCKPOOL_FUZZ_CASES", default_cases);
    let budget = Duration::from_secs(env_number("ROCKPOOL_FUZZ_SECONDS", 6));
    let seed = env_number("ROCKPOOL_FUZZ_SEED", 0);

    // Panics are the expected way a case fails; keep their messages out of the output.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let fail = |input: &[u8], why: String| -> ! {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("fuzz-failures")
            .join(name);
        std::fs::create_dir_all(&dir).ok();
        let file = dir.join(format!("case-{:016x}", name_seed(&format!("{input:?}"))));
        std::fs::write(&file, input).ok();
        std::fs::write(file.with_extension("txt"), &why).ok();
        panic!(
            "fuzz target {name}: {why}\n  input ({} bytes) saved to {}\n  (add it to \
             tests/fuzz_corpus/{name}/ once fixed)",
            input.len(),
            file.display()
        );
    };

    let regressions = files(&format!("tests/fuzz_corpus/{name}"), &[""])
        .into_iter()
        .collect::<Vec<_>>();
    for input in regressions.iter().chain(&seeds) {
        if let Err(why) = run_case(target, input) {
            std::panic::set_hook(hook);
            fail(input, format!("corpus input: {why}"));
        }
    }

    // With ROCKPOOL_FUZZ_KEEP_CURRENT=1 the input being run is kept on disk, so an abort
    // (which no test can catch) leaves it behind; runs are deterministic, so rerunning a
    // failed run with it set finds the input.
    let current = (env_number("ROCKPOOL_FUZZ_KEEP_CURRENT", 0) != 0).then(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("fuzz-failures")
            .join(name);
        std::fs::create_dir_all(&dir).ok();
        dir.join("current")
    });

    let mut rng = Rng(seed ^ name_seed(name));
    let start = Instant::now();
    let (mut done, mut accepted) = (0u64, 0u64);
    while done < cases && start.elapsed() < budget {
        let mut input = rng.pick(&seeds).clone();
        for _ in 0..1 + rng.below(4) {
            mutate(&mut rng, &mut input, &seeds, text);
        }
        if let Some(current) = &current {
            std::fs::write(current, &input).ok();
        }
        match run_case(target, &input) {
            Ok(ok) => accepted += u64::from(ok),
            Err(why) => {
                std::panic::set_hook(hook);
                fail(&input, format!("case {done} (seed {seed}): {why}"));
            }
        }
        done += 1;
    }
    std::panic::set_hook(hook);
    if let Some(current) = &current {
        std::fs::remove_file(current).ok();
    }
    eprintln!(
        "fuzz {name}: {} regression inputs, {} seeds, {done} cases ({accepted} accepted) in \
         {:.1} s",
        regressions.len(),
        seeds.len(),
        start.elapsed().as_secs_f64()
    );
}

/// A scratch file for loaders that take a path (one per target; cases run one at a time), in
/// memory (`/dev/shm`) where there is one: a disk write per case would dominate the run.
fn scratch(name: &str, ext: &str) -> PathBuf {
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!("rockpool-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{name}.{ext}"))
}

fn npy_bytes<T>(shape: &[usize], values: Vec<T>) -> Vec<u8>
where
    NpyArray: From<ArrayD<T>>,
{
    rockpool_io::npy_to_bytes(&NpyArray::from(
        ArrayD::from_shape_vec(IxDyn(shape), values).unwrap(),
    ))
}

fn text(input: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(input)
}

fn device() -> rockpool::device::Device {
    rockpool::device::device_from_name("flex").expect("the flex backend is compiled in")
}

// ---------------------------------------------------------------------------------------------
// targets
// ---------------------------------------------------------------------------------------------

/// The harness itself: a panic and a heap peak over the limit both fail a case.
#[test]
fn harness_catches_panics_and_memory_bombs() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let panicked = run_case(&|b| panic!("boom {}", b.len()), b"xy");
    std::panic::set_hook(hook);
    assert_eq!(panicked, Err("panicked: boom 2".to_string()));
    // Zeroed pages are not touched, so this costs no real memory; the count sees it anyway.
    let bomb = run_case(
        &|_| !std::hint::black_box(vec![0u8; MEMORY_LIMIT + (1 << 20)]).is_empty(),
        b"",
    );
    assert!(bomb.unwrap_err().contains("peak heap"));
    assert_eq!(run_case(&|b| b.is_empty(), b""), Ok(true));
}

#[test]
fn fuzz_npy() {
    let mut seeds = files("crates/rockpool-io/tests/fixtures", &[".npy"]);
    seeds.extend(files("tests/fixtures/torch", &[".npy"]));
    fuzz("npy", 20_000, false, seeds, &|b| {
        let Ok(a) = rockpool_io::npy_from_bytes(b) else {
            return false;
        };
        let _ = a.to_f64();
        let _ = a.to_i64();
        true
    });
}

#[test]
fn fuzz_npz() {
    let mut seeds = files("crates/rockpool-io/tests/fixtures", &[".npz"]);
    seeds.extend(files("tests/fixtures/torch", &["_params.npz"]));
    fuzz("npz", 20_000, false, seeds, &|b| {
        let Ok(entries) = rockpool_io::npz_from_bytes(b) else {
            return false;
        };
        for (_, a) in &entries {
            let _ = a.to_f32();
        }
        true
    });
}

#[test]
fn fuzz_timeseries_npz() {
    let seeds = files("crates/rockpool-timeseries/tests/fixtures", &[".npz"]);
    fuzz("timeseries_npz", 20_000, false, seeds, &|b| {
        rockpool_io::npz_from_bytes(b).is_ok_and(|arrays| {
            rockpool_timeseries::TimeSeries::from_npz_arrays(&arrays, Path::new("f.npz")).is_ok()
        })
    });
}

fn network_seeds() -> Vec<Vec<u8>> {
    let mut seeds = files("tests/fixtures/torch", &[".toml"]);
    seeds.extend(files("configs", &[".toml"]));
    seeds.push(
        b"[[layers]]\ntype = \"linear\"\nsize_in = 2\nsize_out = 4\n\n[[layers]]\n\
          type = \"residual\"\n\n[[layers.layers]]\ntype = \"rate\"\nname = \"inner\"\nn = 4\n\
          tau = [0.01, 0.02, 0.03, 0.04]\nact_fn = \"tanh\"\n\n[[layers]]\ntype = \"instant\"\n\
          n = 4\nfunction = \"relu\"\n"
            .to_vec(),
    );
    seeds
}

#[test]
fn fuzz_network_toml() {
    fuzz("network_toml", 20_000, true, network_seeds(), &|b| {
        rockpool::network::NetworkConfig::from_toml_str(&text(b), "fuzz.toml").is_ok()
    });
}

/// Parses and builds networks: building allocates the parameters, so sizes from the file
/// must be checked before.
#[test]
fn fuzz_network_build() {
    let dev = device();
    fuzz("network_build", 3000, true, network_seeds(), &|b| {
        rockpool::network::NetworkConfig::from_toml_str(&text(b), "fuzz.toml")
            .is_ok_and(|cfg| cfg.build(&dev).is_ok())
    });
}

#[test]
fn fuzz_job_toml() {
    let seeds = files("configs", &[".toml"]);
    fuzz("job_toml", 20_000, true, seeds, &|b| {
        let Ok(cfg) = rockpool::job::JobConfig::from_toml_str(&text(b), "fuzz.toml") else {
            return false;
        };
        let _ = cfg.training.lr_at(3);
        cfg.training_network().is_ok()
    });
}

#[test]
fn fuzz_task_dataset_npz() {
    use rockpool_tasks::{DelayConfig, FrozenNoiseConfig};
    let path = scratch("task_dataset", "npz");
    let mut seeds = Vec::new();
    let small = FrozenNoiseConfig {
        num_steps: 6,
        num_channels: 3,
        ..FrozenNoiseConfig::default()
    };
    for ds in [
        small.generate(4, 0).unwrap(),
        DelayConfig {
            num_steps: 5,
            num_channels: 2,
            delay: 1,
            ..DelayConfig::default()
        }
        .generate(3, 0)
        .unwrap(),
    ] {
        rockpool_tasks::save_npz_dataset(&ds, &path).unwrap();
        seeds.push(std::fs::read(&path).unwrap());
        // Uncompressed too: mutations then reach the array headers and values.
        let arrays = rockpool_io::read_npz(&path).unwrap();
        seeds.push(rockpool_io::npz_to_bytes(&arrays).unwrap());
    }
    fuzz("task_dataset_npz", 20_000, false, seeds, &|b| {
        let Ok(arrays) = rockpool_io::npz_from_bytes(b) else {
            return false;
        };
        let Ok(ds) = rockpool_tasks::npz::dataset_from_npz_arrays(&arrays, &path, 1e-3) else {
            return false;
        };
        let _ = ds.split(0.5, 0);
        if let Ok(batches) = ds.batches(2, true, 0) {
            for batch in batches {
                let _ = batch.len();
            }
        }
        true
    });
}

/// Task tables (`[task]`): parsed, validated and, where the data are small, generated (the
/// keyword task's filter bank and encoder run on whatever the table sets).
#[test]
fn fuzz_task_toml() {
    use rockpool_tasks::{
        DelayConfig, FrozenNoiseConfig, KeywordConfig, KeywordOutput, TaskConfig,
    };
    let tasks: Vec<TaskConfig> = vec![
        FrozenNoiseConfig {
            num_steps: 20,
            num_channels: 4,
            ..FrozenNoiseConfig::default()
        }
        .into(),
        KeywordConfig {
            sample_rate: 8000.0,
            duration: 0.3,
            num_channels: 4,
            f_high: 2000.0,
            base_frequency: 300.0,
            ..KeywordConfig::default()
        }
        .into(),
        KeywordConfig {
            output: KeywordOutput::Envelope,
            ..KeywordConfig::default()
        }
        .into(),
        DelayConfig::default().into(),
    ];
    let seeds = tasks
        .iter()
        .map(|t| toml::to_string(t).unwrap().into_bytes())
        .collect();
    fuzz("task_toml", 10_000, true, seeds, &|b| {
        let Ok(task) = toml::from_str::<TaskConfig>(&text(b)) else {
            return false;
        };
        if task.validate().is_err() {
            return false;
        }
        // Generate only what is cheap: the fuzzer looks for panics, not for big data.
        let work = match &task {
            TaskConfig::FrozenNoise(c) => c
                .num_classes
                .saturating_mul(c.num_steps)
                .saturating_mul(c.num_channels),
            TaskConfig::Keyword(c) => c
                .num_steps()
                .saturating_mul((c.sample_rate * c.dt).round() as usize)
                .saturating_mul(c.num_channels),
            TaskConfig::Delay(c) => c.num_steps.saturating_mul(c.num_channels),
        };
        if work <= 50_000 {
            let _ = task.generate(2, 0);
        }
        true
    });
}

/// A small configuration of each Xylo family, as JSON, and the example from samna.
fn xylo_json_seeds() -> Vec<Vec<u8>> {
    use rockpool_xylo::{XyloFamily, XyloSpec, config_from_spec};
    let mut seeds = files(
        "crates/rockpool-xylo/tests/fixtures",
        &["config_syns61201.json"],
    );
    for family in XyloFamily::ALL {
        let mut spec = XyloSpec::<i32>::zeros(2, 3, 2, 1);
        spec.weights_in[[0, 0, 0]] = 40;
        spec.weights_in[[1, 2, 0]] = -7;
        spec.weights_rec[[0, 1, 0]] = 12;
        spec.weights_out[[1, 0]] = 30;
        spec.threshold.fill(20);
        spec.threshold_out.fill(10);
        spec.dash_mem.fill(2);
        spec.dash_syn.fill(3);
        if let Ok(cfg) = config_from_spec(&spec, family) {
            seeds.push(cfg.to_json().into_bytes());
        }
    }
    seeds
}

fn small_raster(n_in: usize) -> Array2<u32> {
    Array2::from_shape_fn((12, n_in), |(t, c)| ((t * 7 + c * 3) % 5) as u32)
}

#[test]
fn fuzz_xylo_json() {
    use rockpool_xylo::{OutputMode, XyloConfig, XyloFamily, XyloSim};
    fuzz("xylo_json", 20_000, true, xylo_json_seeds(), &|b| {
        let text = text(b);
        let mut simulated = false;
        for family in XyloFamily::ALL {
            let Ok(cfg) = XyloConfig::from_json(&text, family) else {
                continue;
            };
            let _ = rockpool_xylo::validate_config(&cfg);
            let _ = rockpool_xylo::spec_from_config(&cfg);
            if let Ok(mut sim) = XyloSim::from_config(&cfg, OutputMode::Spike) {
                let raster = small_raster(sim.dims().n_in);
                simulated |= sim.evolve(raster.view(), true).is_ok();
            }
        }
        simulated
    });
}

#[test]
fn fuzz_xylo_raster() {
    use rockpool_xylo::{OutputMode, XyloConfig, XyloFamily, XyloSim};
    let seeds_json = xylo_json_seeds();
    let cfg = XyloConfig::from_json(std::str::from_utf8(seeds_json.last().unwrap()).unwrap(), {
        *XyloFamily::ALL.last().unwrap()
    })
    .unwrap();
    let sim = XyloSim::from_config(&cfg, OutputMode::Spike).unwrap();
    let n_in = sim.dims().n_in;
    let seeds = vec![
        npy_bytes(&[4, n_in], (0..4 * n_in as i64).collect()),
        npy_bytes(&[3, n_in], vec![1u8; 3 * n_in]),
        npy_bytes(&[2, n_in], vec![2.0f32; 2 * n_in]),
        npy_bytes(&[0, n_in], Vec::<i32>::new()),
    ];
    fuzz("xylo_raster", 20_000, false, seeds, &|b| {
        let Ok(a) = rockpool_io::npy_from_bytes(b) else {
            return false;
        };
        let Ok(raster) = rockpool_xylo::raster_from_npy(&a, "raster.npy") else {
            return false;
        };
        let mut sim = sim.clone();
        sim.evolve(raster.view(), true).is_ok()
    });
}

fn small_network() -> rockpool::nn::Sequential<rockpool::nn::Layer> {
    let text = "[[layers]]\ntype = \"linear\"\nsize_in = 2\nsize_out = 3\n\
                [[layers]]\ntype = \"lif\"\nn = 3\n";
    rockpool::network::NetworkConfig::from_toml_str(text, "net.toml")
        .unwrap()
        .build(&device())
        .unwrap()
}

#[test]
fn fuzz_parameters_npz() {
    let path = scratch("parameters", "npz");
    let net = small_network();
    rockpool::persist::save_parameters(&net, &path).unwrap();
    let seeds = vec![
        std::fs::read(&path).unwrap(),
        rockpool_io::npz_to_bytes(&rockpool_io::read_npz(&path).unwrap()).unwrap(),
    ];
    fuzz("parameters_npz", 20_000, false, seeds, &|b| {
        std::fs::write(&path, b).unwrap();
        let mut net = net.clone();
        rockpool::persist::load_parameters(&mut net, &path).is_ok()
    });
}

#[test]
fn fuzz_checkpoint_bpk() {
    let path = scratch("checkpoint", "bpk");
    let net = small_network();
    rockpool::persist::save_checkpoint(&net, &path).unwrap();
    let seeds = vec![std::fs::read(&path).unwrap()];
    fuzz("checkpoint_bpk", 20_000, false, seeds, &|b| {
        std::fs::write(&path, b).unwrap();
        rockpool::persist::load_checkpoint(net.clone(), &path).is_ok()
    });
}

/// NIR files (HDF5): the NIR paper's files in the repo as seeds; reading, and importing what
/// reads, never panics.
#[test]
fn fuzz_nir_file() {
    let seeds = files("crates/rockpool-nir/tests/fixtures", &[".nir"]);
    let path = scratch("nir_file", "nir");
    let dev = device();
    fuzz("nir_file", 3_000, false, seeds, &|b| {
        std::fs::write(&path, b).unwrap();
        let Ok((graph, _)) = rockpool::nir::read(&path) else {
            return false;
        };
        rockpool::nir::import(&graph, rockpool::nir::Source::Nir, Some(1e-3), &dev).is_ok()
    });
}

/// Event files: N-MNIST records (decoded from bytes) and SHD-layout HDF5 files (the synthetic
/// fixtures as seeds, every sample read and binned); damaged files give errors, never panics.
#[test]
fn fuzz_event_files() {
    use rockpool_events::{EventDataset, Location, SensorSize, ShdDataset, ToFrame};
    let mut seeds = files("tests/fixtures/events", &[".h5"]);
    // N-MNIST: a few records, one of them an overflow marker.
    seeds.push(vec![
        1, 2, 0x80, 0, 10, 3, 240, 0, 0, 0, 33, 33, 0x7f, 255, 255,
    ]);
    let path = scratch("event_files", "h5");
    let frame = ToFrame::new(1e-2).unwrap();
    fuzz("event_files", 10_000, false, seeds, &|b| {
        let loc = Location::new("fuzz.bin", "records");
        let decoded = rockpool_events::nmnist::decode_nmnist(b, &loc)
            .is_ok_and(|ev| frame.apply(&ev, SensorSize::NMNIST).is_ok());
        std::fs::write(&path, b).unwrap();
        let read = ShdDataset::open_shd(&path).is_ok_and(|d| {
            (0..d.len().min(4)).all(|i| {
                d.get(i)
                    .is_ok_and(|(ev, _)| frame.apply(&ev, SensorSize::SHD).is_ok())
            })
        });
        decoded || read
    });
}

/// WAV recordings through XyloAudio 3's front end (`AFESimExternal` at the file's sample rate):
/// damaged headers (sample rate, channel count, data size), truncated data and hostile sample
/// values give errors, never panics or memory bombs (a claimed rate of 1 Hz is refused before
/// resampling asks for gigabytes).
#[test]
fn fuzz_front_end_wav() {
    use rockpool_frontend::{Family, Params, Signal};
    let mut seeds = Vec::new();
    for (channels, rate, bits, float) in [
        (1u16, 16_000u32, 16u16, false),
        (1, 48_828, 8, false),
        (2, 44_100, 32, true),
    ] {
        let spec = hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: bits,
            sample_format: if float {
                hound::SampleFormat::Float
            } else {
                hound::SampleFormat::Int
            },
        };
        let mut buf = std::io::Cursor::new(Vec::new());
        let mut w = hound::WavWriter::new(&mut buf, spec).unwrap();
        for i in 0..200 * u32::from(channels) {
            let v = (f64::from(i) * 0.3).sin() * 0.5;
            match (float, bits) {
                (true, _) => w.write_sample(v as f32).unwrap(),
                (false, 8) => w.write_sample((v * 127.0) as i8).unwrap(),
                _ => w.write_sample((v * 32767.0) as i16).unwrap(),
            }
        }
        w.finalize().unwrap();
        seeds.push(buf.into_inner());
    }
    let path = scratch("front_end_wav", "wav");
    fuzz("front_end_wav", 2_000, false, seeds, &|b| {
        std::fs::write(&path, b).unwrap();
        let Ok(rec) = rockpool_frontend::wav::read_wav(&path) else {
            return false;
        };
        let mut afe = rockpool_frontend::build(Family::Audio3, None, &Params::new()).unwrap();
        afe.run(&rec.signal, rec.sample_rate)
            .is_ok_and(|y| matches!(y, Signal::Int(_)))
    });
}
