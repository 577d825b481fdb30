//! The HTTP API of API.md (actix-web). Handlers parse, call one service use case off the
//! async workers, and serialise; errors are mapped to responses in one place (`error`).

mod admin;
mod auth;
mod disclose;
mod error;
mod export;
mod health;
mod policies;
mod session;
mod tickets;
mod ui;
mod workers;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::{App, HttpServer, web};
use tokio::sync::Semaphore;
use tracing_actix_web::TracingLogger;

pub use auth::{AuthConfig, Caller};
pub use error::ApiError;

use crate::service::Service;

/// Largest request body accepted; a 12345 ticket is a few kilobytes.
pub const BODY_LIMIT: usize = 64 * 1024;

pub struct AppState {
    pub service: Arc<Service>,
    /// Bounds blocking work (decisions and SQL) in flight to a few per core. Without it each
    /// worker's blocking pool grows a thread per concurrent request, and they spend their
    /// time switching and queueing for SQLite's single writer.
    gate: Semaphore,
    workers: workers::Workers,
    streams: Arc<Semaphore>,
}

impl AppState {
    pub fn new(service: Arc<Service>) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            service,
            gate: Semaphore::new(cores * BLOCKING_PER_CORE),
            workers: workers::Workers::start(cores * BLOCKING_PER_CORE),
            streams: Arc::new(Semaphore::new(STREAMS)),
        }
    }

    /// Streams what `produce` sends. The producer runs on a thread of its own, at most
    /// [`STREAMS`] at a time (`503` beyond), so a client that stops reading holds neither a
    /// worker nor memory: the producer gives up after [`STALLED`] without progress.
    pub fn stream(
        &self,
        produce: impl FnOnce(&Service, &Chunks) + Send + 'static,
    ) -> Result<
        impl futures_util::Stream<Item = Result<web::Bytes, std::convert::Infallible>> + 'static,
        ApiError,
    > {
        let Ok(permit) = Arc::clone(&self.streams).try_acquire_owned() else {
            return Err(ApiError::new(
                actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                "storage_busy",
                format!("{STREAMS} exports are running; try again when one is done"),
            ));
        };
        let (sender, receiver) = tokio::sync::mpsc::channel::<web::Bytes>(STREAM_CHUNKS);
        let service = Arc::clone(&self.service);
        crate::policy::stack::spawn("jiesu-export", move || {
            let _permit = permit;
            produce(&service, &Chunks(sender));
        })
        .map_err(|e| ApiError::internal(format!("cannot start an export: {e}")))?;
        Ok(futures_util::stream::unfold(
            receiver,
            |mut receiver| async move { receiver.recv().await.map(|chunk| (Ok(chunk), receiver)) },
        ))
    }

    /// Runs a use case off the async workers, at most `cores × BLOCKING_PER_CORE` at a time.
    pub async fn run<T, E>(
        &self,
        work: impl FnOnce(&Service) -> Result<T, E> + Send + 'static,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
    {
        let _permit = self
            .gate
            .acquire()
            .await
            .map_err(|_| ApiError::internal("the server is shutting down"))?;
        let service = Arc::clone(&self.service);
        self.workers
            .run(move || work(&service))
            .await?
            .map_err(Into::into)
    }
}

const BLOCKING_PER_CORE: usize = 4;

/// Chunks a streamed response buffers before its producer waits for the client.
const STREAM_CHUNKS: usize = 4;
/// Connections one HTTP worker holds at most.
const MAX_CONNECTIONS_PER_WORKER: usize = 2_048;

/// Streamed responses produced at once.
const STREAMS: usize = 2;
/// How long a producer waits for a client that reads nothing before it gives up.
const STALLED: std::time::Duration = std::time::Duration::from_secs(60);

/// Where a streamed response's producer sends its chunks.
pub struct Chunks(tokio::sync::mpsc::Sender<web::Bytes>);

impl Chunks {
    /// Sends a chunk; `false` when the client went away or read nothing for [`STALLED`].
    pub fn send(&self, chunk: web::Bytes) -> bool {
        use tokio::sync::mpsc::error::TrySendError;
        let deadline = std::time::Instant::now() + STALLED;
        let mut chunk = chunk;
        loop {
            match self.0.try_send(chunk) {
                Ok(()) => return true,
                Err(TrySendError::Closed(_)) => return false,
                Err(TrySendError::Full(back)) => {
                    if std::time::Instant::now() >= deadline {
                        tracing::warn!(
                            "a streamed response's client read nothing for 60 s; giving up"
                        );
                        return false;
                    }
                    chunk = back;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
            }
        }
    }
}

/// Routes and extractor settings, shared by the server and the in-process tests.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(BODY_LIMIT)
            .content_type_required(false)
            .error_handler(|err, _req| ApiError::from_json_error(err).into()),
    )
    .app_data(
        web::QueryConfig::default()
            .error_handler(|err, _req| ApiError::from_query_error(err).into()),
    )
    .app_data(
        web::PathConfig::default().error_handler(|err, _req| {
            ApiError::bad_request("invalid_path", err.to_string()).into()
        }),
    )
    .route("/healthz", web::get().to(health::healthz))
    .route("/readyz", web::get().to(health::readyz))
    .route("/metrics", web::get().to(health::metrics))
    .service(
        web::scope("/ui")
            .app_data(web::FormConfig::default().limit(4096))
            .route("/", web::get().to(ui::tickets))
            .route("", web::get().to(ui::tickets))
            .route("/login", web::get().to(ui::login_form))
            .route("/login", web::post().to(ui::login))
            .route("/logout", web::post().to(ui::logout))
            .route("/tickets/{id}", web::get().to(ui::ticket)),
    )
    .service(
        web::scope("/api/v1")
            .route("/tickets", web::post().to(tickets::file))
            .route("/tickets", web::get().to(tickets::list))
            .route("/tickets/{id}", web::get().to(tickets::get))
            .route("/tickets/{id}/trail", web::get().to(tickets::trail))
            .route(
                "/tickets/{id}/trail.csv",
                web::get().to(export::trail_csv_export),
            )
            .route("/exports/trails", web::get().to(export::trails_jsonl))
            .route(
                "/tickets/{id}/trail/{seq}/replay",
                web::post().to(tickets::replay),
            )
            .route("/tickets/{id}/actions", web::post().to(tickets::act))
            .route("/tickets/{id}/erasure", web::post().to(tickets::erase))
            .route("/admin/sweep", web::post().to(admin::sweep))
            .route("/notifications", web::get().to(admin::notifications))
            .route("/assessments", web::get().to(admin::assessments))
            .route("/policies", web::get().to(policies::list))
            .route("/policies/{id}/versions", web::get().to(policies::versions))
            .route(
                "/policies/{id}/evaluate",
                web::post().to(policies::evaluate),
            ),
    )
    .default_service(web::to(error::not_found));
}

/// Serves until SIGINT or SIGTERM. Prints the bound address, so port 0 can be used.
pub async fn serve(
    listener: TcpListener,
    service: Arc<Service>,
    auth: AuthConfig,
    secure_cookies: bool,
) -> std::io::Result<()> {
    let state = web::Data::new(AppState::new(service));
    let auth = web::Data::new(auth);
    let sessions = web::Data::new(session::Sessions::new(secure_cookies));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(auth.clone())
            .app_data(sessions.clone())
            .wrap(TracingLogger::default())
            .configure(configure)
    })
    // A client has this long to send its request head, and a slow body is cut off too: a
    // trickling caller cannot hold a worker.
    .client_request_timeout(std::time::Duration::from_secs(5))
    .client_disconnect_timeout(std::time::Duration::from_secs(2))
    .keep_alive(std::time::Duration::from_secs(30))
    // A body may trickle (only the head has a deadline): bound how many connections each
    // worker holds, far below the process's file limit.
    .max_connections(MAX_CONNECTIONS_PER_WORKER)
    .listen(listener)?;
    for addr in server.addrs() {
        println!("jiesu listening on http://{addr}");
        tracing::info!(%addr, "listening");
    }
    server.run().await
}
