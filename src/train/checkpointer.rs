//! The run folder ([`run_dir`](super::run_dir)) as Burn's training engine sees it: the
//! checkpointing strategy (every epoch becomes the next generation, after the ledger has taken
//! its metrics), the three checkpointers (model, optimiser, scheduler) that write into the
//! generation, and the early-stopping strategy that reads the saved patience counter.

use std::sync::Arc;

use burn::lr_scheduler::LrSchedulerRecord;
use burn::optim::OptimizerRecord;
use burn::store::ModuleRecord;
use burn_train::EarlyStoppingStrategy;
use burn_train::checkpoint::{
    Checkpoint, Checkpointer, CheckpointerError, CheckpointingAction, CheckpointingStrategy,
};
use burn_train::metric::store::EventStoreClient;

use super::run_dir::{Ledger, Part, note};

/// Burn's checkpointing strategy for a run: every epoch is saved (as the next generation of
/// the run folder), after the [`Ledger`] has taken the epoch's metrics.
#[derive(Clone)]
pub(crate) struct LedgerStrategy(pub(crate) Arc<Ledger>);

impl CheckpointingStrategy for LedgerStrategy {
    fn checkpointing(
        &mut self,
        epoch: usize,
        store: &EventStoreClient,
    ) -> Vec<CheckpointingAction> {
        match self.0.begin(epoch, store) {
            Ok(()) => vec![CheckpointingAction::Save],
            Err(e) => {
                let _ = self.0.fail(e);
                Vec::new()
            }
        }
    }
}

/// One of the three checkpointers of a run (model, optimiser, scheduler), writing its record
/// into the run folder's next generation.
pub(crate) struct RunCheckpointer {
    pub(crate) ledger: Arc<Ledger>,
    pub(crate) part: Part,
}

/// A record as bytes, with the context of a failure.
fn bytes_of<R: Checkpoint>(record: R) -> std::result::Result<Vec<u8>, CheckpointerError> {
    record
        .checkpoint_into_bytes()
        .map(|b| b.to_vec())
        .map_err(CheckpointerError::Record)
}

impl RunCheckpointer {
    fn save_bytes(
        &self,
        epoch: usize,
        bytes: Vec<u8>,
        model: Option<ModuleRecord>,
    ) -> std::result::Result<(), CheckpointerError> {
        self.ledger
            .save_part(epoch, self.part, &bytes, model)
            .map_err(|e| self.ledger.fail(e))
    }

    fn restore_record<R: Checkpoint>(
        &self,
        epoch: usize,
    ) -> std::result::Result<R, CheckpointerError> {
        let bytes = self
            .ledger
            .restore_part(epoch, self.part)
            .map_err(|e| CheckpointerError::Unknown(e.to_string()))?;
        R::checkpoint_from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes))
            .map_err(CheckpointerError::Record)
    }
}

impl Checkpointer<ModuleRecord> for RunCheckpointer {
    fn save(
        &self,
        epoch: usize,
        record: ModuleRecord,
    ) -> std::result::Result<(), CheckpointerError> {
        let bytes = bytes_of(record.clone())?;
        self.save_bytes(epoch, bytes, Some(record))
    }

    fn delete(&self, _epoch: usize) -> std::result::Result<(), CheckpointerError> {
        Ok(())
    }

    fn restore(&self, epoch: usize) -> std::result::Result<ModuleRecord, CheckpointerError> {
        self.restore_record(epoch)
    }
}

impl Checkpointer<OptimizerRecord> for RunCheckpointer {
    fn save(
        &self,
        epoch: usize,
        record: OptimizerRecord,
    ) -> std::result::Result<(), CheckpointerError> {
        let bytes = bytes_of(record)?;
        self.save_bytes(epoch, bytes, None)
    }

    fn delete(&self, _epoch: usize) -> std::result::Result<(), CheckpointerError> {
        Ok(())
    }

    fn restore(&self, epoch: usize) -> std::result::Result<OptimizerRecord, CheckpointerError> {
        self.restore_record(epoch)
    }
}

impl Checkpointer<LrSchedulerRecord> for RunCheckpointer {
    fn save(
        &self,
        epoch: usize,
        record: LrSchedulerRecord,
    ) -> std::result::Result<(), CheckpointerError> {
        let bytes = bytes_of(record)?;
        self.save_bytes(epoch, bytes, None)
    }

    fn delete(&self, _epoch: usize) -> std::result::Result<(), CheckpointerError> {
        Ok(())
    }

    fn restore(&self, epoch: usize) -> std::result::Result<LrSchedulerRecord, CheckpointerError> {
        self.restore_record(epoch)
    }
}

/// Burn's early-stopping strategy for a run: stop after `early_stopping_patience` epochs
/// without a better validation accuracy (the counter is part of every generation, so a resumed
/// run stops where an uninterrupted one does).
#[derive(Clone)]
pub(crate) struct Patience(pub(crate) Arc<Ledger>);

impl EarlyStoppingStrategy for Patience {
    fn should_stop(&mut self, epoch: usize, _store: &EventStoreClient) -> bool {
        let stop = self.0.exhausted();
        if stop && !self.0.quiet {
            note(&format!(
                "early stop after epoch {epoch}: no better validation accuracy for {} epochs",
                self.0.patience
            ));
        }
        stop
    }
}
