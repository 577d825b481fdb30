//! The threads use cases run on: a fixed set, each with a stack that a hostile policy's
//! deepest value fits (`policy::stack`), instead of the runtime's blocking pool, whose
//! threads have the default 2 MiB and grow without bound.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};

use super::ApiError;
use crate::policy::stack;

type Job = Box<dyn FnOnce() + Send>;

pub struct Workers {
    queue: Sender<Job>,
}

fn work(jobs: &Mutex<Receiver<Job>>) {
    loop {
        let job = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

impl Workers {
    pub fn start(count: usize) -> Self {
        let (queue, jobs) = channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        for i in 0..count.max(1) {
            let jobs = Arc::clone(&jobs);
            if let Err(e) = stack::spawn(format!("jiesu-worker-{i}"), move || work(&jobs)) {
                tracing::error!(error = %e, "cannot start a worker thread");
            }
        }
        Self { queue }
    }

    /// Runs `f` on a worker. A panic fails this request alone: the worker lives on.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            if let Ok(value) = std::panic::catch_unwind(AssertUnwindSafe(f)) {
                let _ = reply.send(value);
            }
        });
        self.queue
            .send(job)
            .map_err(|_| ApiError::internal("the server is shutting down"))?;
        answer
            .await
            .map_err(|_| ApiError::internal("the request failed inside the server; see its log"))
    }
}
