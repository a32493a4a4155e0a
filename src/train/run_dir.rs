//! A run's output folder, updated one epoch at a time as a set.
//!
//! ```text
//! out/
//!   checkpoints/LATEST          the committed generation's name, replaced atomically
//!   checkpoints/epoch-000007/   model.bpk optim.bpk scheduler.bpk state.json best.bpk params.npz
//!   checkpoints/.staging-000008/  the next generation while it is written
//!   params.npz best.bpk metrics.csv loss.png accuracy.png   published from the generation
//! ```
//!
//! Burn's engine hands the epoch's records to three checkpointers (one per record: model,
//! optimiser, learning-rate scheduler; see `checkpointer.rs`) after the
//! ledger (through Burn's checkpointing strategy) has read the epoch's metrics from the event store and decided
//! whether the model is the best so far. The generation is written into a staging folder; when
//! its last part is in, the folder is renamed into place and `LATEST` is replaced: that rename
//! is the commit. Only then are the user-facing files published (each atomically) and older
//! generations removed. A process killed at any point leaves either the previous or the new
//! generation committed; the next start removes staging folders, stale generations and
//! temporary files, republishes the files from the committed generation, and resumes from it
//! exactly (the data order, the learning rate, the best model and the patience counter are all
//! part of the generation).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use burn::module::Module;
use burn::store::ModuleRecord;
use burn_train::checkpoint::CheckpointerError;
use burn_train::metric::store::{Aggregate, EventStoreClient, Split};
use serde::{Deserialize, Serialize};

use super::meters::{ACCURACY, FIRING_RATE, LEARNING_RATE, LOSS};
use super::metrics::{EpochMetrics, write_metrics};
use super::step::Trainee;
use crate::error::{Error, Result};
use crate::persist::{save_checkpoint, save_parameters};

/// The state saved with every generation, to resume.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct TrainState {
    /// Epochs finished.
    pub(crate) epochs_done: usize,
    /// Best validation accuracy so far, fraction.
    pub(crate) best_valid_acc: f64,
    /// Epoch (1-based) of the best model; 0 before the first epoch.
    pub(crate) best_epoch: usize,
    /// Every finished epoch's metrics.
    pub(crate) history: Vec<EpochMetrics>,
    /// Epochs since the best one (the early-stopping patience counter).
    #[serde(default)]
    pub(crate) stale_epochs: usize,
}

/// The files a training run writes at the top of its folder, and the checkpoints folder. A
/// folder holding `checkpoints/LATEST` (or the single-file checkpoints of older versions,
/// `train_state.json`, `checkpoint.bpk`) holds a run.
pub const RUN_FILES: [&str; 9] = [
    "checkpoints",
    "best.bpk",
    "params.npz",
    "metrics.csv",
    "loss.png",
    "accuracy.png",
    // written by versions before the generation folders
    "checkpoint.bpk",
    "optimizer.bpk",
    "train_state.json",
];

const CHECKPOINTS: &str = "checkpoints";
const LATEST: &str = "LATEST";
const STAGING: &str = ".staging-";
const GENERATION: &str = "epoch-";

/// Removes the files of a previous run from `out` (those of [`RUN_FILES`] that exist), so that
/// a new run starts afresh there (`rockpool train --overwrite`). Other files are left alone.
pub fn clear_run(out: &Path) -> Result<()> {
    remove_files(out, &RUN_FILES)
}

/// Removes the files (or folders) `names` from folder `out`, those that exist.
pub fn remove_files(out: &Path, names: &[&str]) -> Result<()> {
    for name in names {
        let path = out.join(name);
        let removed = if path.is_dir() && !path.is_symlink() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        match removed {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(Error::File { path, source }),
        }
    }
    Ok(())
}

/// Test hook: with `ROCKPOOL_FAULT_AT=n`, the process exits (code 86, as if killed) at the
/// `n`-th step of writing the run folder; `tests/resume_faults.rs` resumes after each.
fn fault_point() {
    static STEP: AtomicU64 = AtomicU64::new(0);
    static AT: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    let at = AT.get_or_init(|| {
        std::env::var("ROCKPOOL_FAULT_AT")
            .ok()
            .and_then(|v| v.parse().ok())
    });
    if let Some(at) = at
        && STEP.fetch_add(1, Ordering::SeqCst) + 1 == *at
    {
        std::process::exit(86);
    }
}

/// Writes `bytes` to `path` and flushes them to disk (inside a staging folder, where nobody
/// reads a half-written file).
fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let file_error = |source| Error::File {
        path: path.to_path_buf(),
        source,
    };
    let mut f = std::fs::File::create(path).map_err(file_error)?;
    f.write_all(bytes).map_err(file_error)?;
    f.sync_all().map_err(file_error)?;
    fault_point();
    Ok(())
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Removes temporary files that an interrupted atomic write left behind
/// (`.<name>.<pid>.<n>.tmp`, see [`rockpool_io::write_atomic`]) when their writer is gone.
fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(inner) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else {
            continue;
        };
        let pid = inner.rsplit('.').nth(1).unwrap_or("");
        let alive = pid
            .parse::<u32>()
            .is_ok_and(|p| p == std::process::id() || Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn generation_name(epoch: usize) -> String {
    format!("{GENERATION}{epoch:06}")
}

/// Which record a [`RunCheckpointer`] keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    Model,
    Optimizer,
    Scheduler,
}

impl Part {
    fn file(self) -> &'static str {
        match self {
            Part::Model => "model.bpk",
            Part::Optimizer => "optim.bpk",
            Part::Scheduler => "scheduler.bpk",
        }
    }
}

/// The generation being written.
struct Pending {
    epoch: usize,
    staging: PathBuf,
    state: TrainState,
    best: bool,
    parts: usize,
}

struct Inner {
    state: TrainState,
    pending: Option<Pending>,
    /// A generation's commit is under way (outside the lock).
    committing: bool,
    failure: Option<Error>,
    epoch_started: Instant,
}

/// The run folder's bookkeeping, shared by Burn's checkpointing strategy, the three
/// checkpointers and the early-stopping strategy ([`checkpointer`](super::checkpointer)).
pub(crate) struct Ledger {
    out: PathBuf,
    checkpoints: PathBuf,
    /// The network as built (its structure), to export the best model's parameters.
    template: Mutex<Trainee>,
    epochs: usize,
    train_samples: usize,
    pub(crate) patience: usize,
    pub(crate) quiet: bool,
    inner: Mutex<Inner>,
    idle: Condvar,
}

impl Ledger {
    /// The ledger of run folder `out` (created if missing). Unless `resume`, a folder that
    /// already holds a run is refused; with `resume`, the committed generation's state is
    /// loaded and the folder tidied (see the [module docs](self)).
    pub(crate) fn open(
        out: &Path,
        resume: bool,
        template: Trainee,
        (epochs, train_samples, patience): (usize, usize, usize),
        quiet: bool,
    ) -> Result<Arc<Self>> {
        std::fs::create_dir_all(out).map_err(|source| Error::File {
            path: out.to_path_buf(),
            source,
        })?;
        let checkpoints = out.join(CHECKPOINTS);
        remove_stale_temporaries(out);
        remove_stale_temporaries(&checkpoints);
        let holds_run = [
            format!("{CHECKPOINTS}/{LATEST}"),
            "train_state.json".into(),
            "checkpoint.bpk".into(),
        ]
        .into_iter()
        .find(|f| out.join(f).exists());
        if !resume && let Some(found) = holds_run {
            return Err(Error::value(
                "--out",
                format!(
                    "{} already holds a training run ({found}); pass --resume to continue it, \
                     --overwrite to replace it, or choose another folder (nothing was changed)",
                    out.display()
                ),
            ));
        }
        std::fs::create_dir_all(&checkpoints).map_err(|source| Error::File {
            path: checkpoints.clone(),
            source,
        })?;
        let ledger = Self {
            out: out.to_path_buf(),
            checkpoints,
            template: Mutex::new(template),
            epochs,
            train_samples,
            patience,
            quiet,
            inner: Mutex::new(Inner {
                state: TrainState::default(),
                pending: None,
                committing: false,
                failure: None,
                epoch_started: Instant::now(),
            }),
            idle: Condvar::new(),
        };
        if resume {
            let state = ledger.recover()?;
            ledger.lock().state = state;
        }
        Ok(Arc::new(ledger))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The committed generation's folder name, if any.
    fn latest(&self) -> Result<Option<String>> {
        let path = self.checkpoints.join(LATEST);
        if !path.exists() {
            return Ok(None);
        }
        let name = crate::error::read_text(&path)?.trim().to_string();
        if !name.starts_with(GENERATION) || name.contains(['/', '\\']) {
            return Err(Error::value(
                path.display().to_string(),
                format!("names '{name}', not a checkpoint generation"),
            ));
        }
        Ok(Some(name))
    }

    /// Loads the committed generation's state, removes what an interrupted run left behind,
    /// and republishes the run's files from the generation.
    fn recover(&self) -> Result<TrainState> {
        let Some(name) = self.latest()? else {
            let old = ["checkpoint.bpk", "train_state.json"]
                .into_iter()
                .find(|f| self.out.join(f).exists());
            return Err(Error::value(
                "--resume",
                match old {
                    Some(f) => format!(
                        "{} holds a run of an older version ({f}), which cannot be resumed; \
                         pass --overwrite to start afresh",
                        self.out.display()
                    ),
                    None => format!("no checkpoint in {}", self.checkpoints.display()),
                },
            ));
        };
        let generation = self.checkpoints.join(&name);
        let path = generation.join("state.json");
        let text = crate::error::read_text(&path)?;
        let state: TrainState = serde_json::from_str(&text)
            .map_err(|e| Error::value(path.display().to_string(), e.to_string()))?;
        self.remove_other_generations(&name);
        self.publish(&generation, &state)?;
        Ok(state)
    }

    fn remove_other_generations(&self, keep: &str) {
        let Ok(entries) = std::fs::read_dir(&self.checkpoints) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if (name.starts_with(GENERATION) && name != keep) || name.starts_with(STAGING) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }

    /// Epochs finished according to the committed generation (0 for a new run).
    pub(crate) fn epochs_done(&self) -> usize {
        self.lock().state.epochs_done
    }

    /// The run's state after the last committed epoch.
    pub(crate) fn state(&self) -> TrainState {
        self.lock().state.clone()
    }

    /// The first error of a checkpointer, if any.
    pub(crate) fn take_failure(&self) -> Option<Error> {
        self.lock().failure.take()
    }

    pub(crate) fn fail(&self, e: Error) -> CheckpointerError {
        let message = e.to_string();
        let mut inner = self.lock();
        if inner.failure.is_none() {
            inner.failure = Some(e);
        }
        inner.pending = None;
        self.idle.notify_all();
        CheckpointerError::Unknown(message)
    }

    /// Epoch `epoch`'s metrics from Burn's event store.
    fn metrics(&self, epoch: usize, store: &EventStoreClient, seconds: f64) -> EpochMetrics {
        let get = |name: &str, split: Split| {
            store
                .find_metric(name, epoch, Aggregate::Mean, &split)
                .unwrap_or(f64::NAN)
        };
        let rate = get(FIRING_RATE, Split::Valid);
        EpochMetrics {
            epoch,
            train_loss: get(LOSS, Split::Train),
            // An empty split (a validation set of no sample) scores 0.
            train_acc: get(ACCURACY, Split::Train).max(0.0) / 100.0,
            valid_loss: get(LOSS, Split::Valid),
            valid_acc: get(ACCURACY, Split::Valid).max(0.0) / 100.0,
            lr: get(LEARNING_RATE, Split::Train),
            seconds,
            samples_per_s: self.train_samples as f64 / seconds.max(1e-9),
            valid_rate_hz: rate.is_finite().then_some(rate),
        }
    }

    /// Starts generation `epoch`: its metrics, the best-model decision, the patience counter,
    /// a fresh staging folder. Waits for the previous generation's commit first.
    pub(crate) fn begin(&self, epoch: usize, store: &EventStoreClient) -> Result<()> {
        let mut inner = self.lock();
        while inner.pending.is_some() || inner.committing {
            inner = self.idle.wait(inner).unwrap_or_else(|p| p.into_inner());
        }
        let seconds = inner.epoch_started.elapsed().as_secs_f64();
        let m = self.metrics(epoch, store, seconds);
        if !self.quiet {
            let rate = m
                .valid_rate_hz
                .map(|r| format!(" | {r:.1} Hz"))
                .unwrap_or_default();
            note(&format!(
                "epoch {:>3}/{}: train loss {:.4} acc {:.3} | valid loss {:.4} acc {:.3}{rate} | lr {:.2e} | {:.1} s, {:.0} samples/s",
                m.epoch,
                self.epochs,
                m.train_loss,
                m.train_acc,
                m.valid_loss,
                m.valid_acc,
                m.lr,
                m.seconds,
                m.samples_per_s
            ));
        }
        let mut state = inner.state.clone();
        let best = m.valid_acc > state.best_valid_acc || state.best_epoch == 0;
        if best {
            state.best_valid_acc = m.valid_acc;
            state.best_epoch = m.epoch;
            state.stale_epochs = 0;
        } else {
            state.stale_epochs += 1;
        }
        state.history.push(m);
        state.epochs_done = epoch;
        let staging = self.checkpoints.join(format!("{STAGING}{epoch:06}"));
        if staging.exists() {
            let _ = std::fs::remove_dir_all(&staging);
        }
        std::fs::create_dir_all(&staging).map_err(|source| Error::File {
            path: staging.clone(),
            source,
        })?;
        inner.pending = Some(Pending {
            epoch,
            staging,
            state,
            best,
            parts: 0,
        });
        inner.epoch_started = Instant::now();
        Ok(())
    }

    /// Writes `bytes` as `part` of generation `epoch`, and commits the generation when it is
    /// the last part in.
    pub(crate) fn save_part(
        &self,
        epoch: usize,
        part: Part,
        bytes: &[u8],
        model: Option<ModuleRecord>,
    ) -> Result<()> {
        let (staging, best, previous) = {
            let inner = self.lock();
            let Some(p) = inner.pending.as_ref().filter(|p| p.epoch == epoch) else {
                return Err(Error::value(
                    "checkpoint",
                    format!(
                        "epoch {epoch}'s {} arrived outside its generation",
                        part.file()
                    ),
                ));
            };
            // The committed generation, which holds the best model so far.
            let previous = inner.state.epochs_done;
            (p.staging.clone(), p.best, previous)
        };
        write_synced(&staging.join(part.file()), bytes)?;
        if let Some(record) = model {
            self.best_files(&staging, best, previous, record)?;
        }
        let mut inner = self.lock();
        let done = match inner.pending.as_mut() {
            Some(p) if p.epoch == epoch => {
                p.parts += 1;
                p.parts == 3
            }
            _ => false,
        };
        if done {
            let pending = inner.pending.take().expect("pending generation");
            inner.committing = true;
            drop(inner);
            let result = self.commit(pending);
            let mut inner = self.lock();
            inner.committing = false;
            if let Ok(state) = &result {
                inner.state = state.clone();
            }
            self.idle.notify_all();
            result.map(|_| ())
        } else {
            Ok(())
        }
    }

    /// The best model's files in the staging folder: this epoch's model when it is the best,
    /// otherwise links to the previous generation's.
    fn best_files(
        &self,
        staging: &Path,
        best: bool,
        previous: usize,
        record: ModuleRecord,
    ) -> Result<()> {
        if best {
            let template = self
                .template
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            let trainee = template.load_record(record);
            save_checkpoint(&trainee.net, staging.join("best.bpk"))?;
            fault_point();
            save_parameters(&trainee.net.valid(), staging.join("params.npz"))?;
            fault_point();
            return Ok(());
        }
        let from = self.checkpoints.join(generation_name(previous));
        for f in ["best.bpk", "params.npz"] {
            let (src, dst) = (from.join(f), staging.join(f));
            if std::fs::hard_link(&src, &dst).is_err() {
                std::fs::copy(&src, &dst).map_err(|source| Error::File { path: src, source })?;
            }
        }
        fault_point();
        Ok(())
    }

    /// Makes the staged generation the committed one, then publishes its files and removes
    /// older generations.
    fn commit(&self, p: Pending) -> Result<TrainState> {
        let json = serde_json::to_string_pretty(&p.state).expect("serialisable");
        write_synced(&p.staging.join("state.json"), json.as_bytes())?;
        sync_dir(&p.staging);
        let name = generation_name(p.epoch);
        let generation = self.checkpoints.join(&name);
        if generation.exists() {
            let _ = std::fs::remove_dir_all(&generation);
        }
        std::fs::rename(&p.staging, &generation).map_err(|source| Error::File {
            path: p.staging.clone(),
            source,
        })?;
        sync_dir(&self.checkpoints);
        fault_point();
        rockpool_io::write_atomic(
            self.checkpoints.join(LATEST),
            format!("{name}\n").as_bytes(),
        )?;
        sync_dir(&self.checkpoints);
        fault_point();
        self.publish(&generation, &p.state)?;
        self.remove_other_generations(&name);
        fault_point();
        Ok(p.state)
    }

    /// The user-facing files of generation folder `generation`, each replaced atomically.
    fn publish(&self, generation: &Path, state: &TrainState) -> Result<()> {
        for f in ["best.bpk", "params.npz"] {
            let bytes = crate::error::read_bytes(generation.join(f))?;
            rockpool_io::write_atomic(self.out.join(f), &bytes)?;
            fault_point();
        }
        write_metrics(&self.out, &state.history)?;
        fault_point();
        Ok(())
    }

    /// The saved record of `part` in generation `epoch`.
    pub(crate) fn restore_part(&self, epoch: usize, part: Part) -> Result<Vec<u8>> {
        let path = self
            .checkpoints
            .join(generation_name(epoch))
            .join(part.file());
        crate::error::read_bytes(&path)
    }

    /// Whether training should stop: `patience` epochs without a better validation accuracy.
    pub(crate) fn exhausted(&self) -> bool {
        let inner = self.lock();
        let stale = inner
            .pending
            .as_ref()
            .map_or(inner.state.stale_epochs, |p| p.state.stale_epochs);
        self.patience > 0 && stale >= self.patience
    }
}

/// Progress lines on stderr; a closed or full stderr does not stop training.
pub(crate) fn note(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}
