//! The learning-rate schedules of `[training]` as a Burn [`LrScheduler`]: Burn's engine steps
//! the scheduler once per optimiser step, and [`EpochSchedule`] holds the rate of
//! [`TrainingOptions::lr_at`] for every step of an epoch. Its record (the steps taken) is saved
//! with each checkpoint, so a resumed run continues at the same rate.

use burn::lr_scheduler::{LrScheduler, LrSchedulerRecord};
use burn::optim::LearningRate;

use super::options::TrainingOptions;

/// [`TrainingOptions::lr_at`] per epoch, for `steps_per_epoch` optimiser steps an epoch.
#[derive(Clone, Debug)]
pub struct EpochSchedule {
    opts: TrainingOptions,
    steps_per_epoch: usize,
    steps: u64,
}

impl EpochSchedule {
    /// The schedule of `opts` for epochs of `steps_per_epoch` optimiser steps.
    pub fn new(opts: &TrainingOptions, steps_per_epoch: usize) -> Self {
        Self {
            opts: opts.clone(),
            steps_per_epoch: steps_per_epoch.max(1),
            steps: 0,
        }
    }
}

impl LrScheduler for EpochSchedule {
    fn step(&mut self) -> LearningRate {
        let epoch = (self.steps / self.steps_per_epoch as u64) as usize;
        self.steps += 1;
        self.opts.lr_at(epoch)
    }

    fn to_record(&self) -> LrSchedulerRecord {
        LrSchedulerRecord::new().with_scalar("steps", self.steps)
    }

    fn load_record(&mut self, record: LrSchedulerRecord) {
        if let Some(steps) = record.scalar::<u64>("steps") {
            self.steps = steps;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::Schedule;

    #[test]
    fn every_step_of_an_epoch_has_that_epochs_rate_and_the_record_resumes_it() {
        let opts = TrainingOptions {
            epochs: 4,
            lr: 1.0,
            schedule: Schedule::Step,
            step_epochs: 1,
            gamma: 0.5,
            ..TrainingOptions::default()
        };
        let mut s = EpochSchedule::new(&opts, 3);
        let rates: Vec<f64> = (0..7).map(|_| s.step()).collect();
        assert_eq!(rates, [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]);
        let mut resumed = EpochSchedule::new(&opts, 3);
        resumed.load_record(s.to_record());
        assert_eq!((resumed.step(), resumed.step()), (0.25, 0.25));
    }
}
