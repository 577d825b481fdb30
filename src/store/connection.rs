use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::audit::Signer;

pub(super) const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// How long a writer waits for SQLite's lock before giving up.
const BUSY_TIMEOUT_MS: u32 = 5_000;
const POOL_SIZE: u32 = 8;
const POOL_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database URL `{0}` is not understood: use sqlite://PATH")]
    BadUrl(String),
    #[error(
        "PostgreSQL (`{0}`) is not supported by this build yet; use sqlite://PATH (see README, \"Storage\")"
    )]
    PostgresUnsupported(String),
    #[error("cannot create the database folder `{}`: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database connection: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("database pool: {0}")]
    PoolBuild(String),
    #[error("database migration: {0}")]
    Migration(String),
    #[error("database: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database `{}` does not exist; hint: check --database (or JIESU_DATABASE_URL), or create it with `jiesu migrate`", path.display())]
    Missing { path: PathBuf },
    /// The file this store opened is gone or another file stands at its path: a write now
    /// would go to an unlinked file and vanish at the next restart.
    #[error("the database file `{}` was {what} while the server ran; writes are refused so nothing acknowledged is lost; hint: restore the file, then restart the server", path.display())]
    Detached { path: PathBuf, what: &'static str },
}

/// The device and inode of a file, to notice it being deleted or replaced.
fn file_identity(path: &std::path::Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// A parsed `--database` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(StoreError::BadUrl(url.to_owned()));
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Err(StoreError::PostgresUnsupported(url.to_owned()));
        }
        Err(StoreError::BadUrl(url.to_owned()))
    }
}

/// Per-connection SQLite settings. busy_timeout comes first, so even setting WAL waits for a
/// lock instead of failing with "database is locked" (diesel #2365).
#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(&format!(
            "PRAGMA busy_timeout = {BUSY_TIMEOUT_MS};
             PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA secure_delete = ON;"
        ))
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

pub(super) type Conn = PooledConnection<ConnectionManager<SqliteConnection>>;

/// The database: a connection pool, migrated before first use.
#[derive(Clone)]
pub struct Store {
    pool: Pool<ConnectionManager<SqliteConnection>>,
    /// Signs every ledger entry this store appends (`jiesu keygen`; `--signing-key`).
    signer: Option<Arc<Signer>>,
    /// The database file, and its identity (device, inode) when opened.
    file: Arc<(PathBuf, Option<(u64, u64)>)>,
    /// SQLite has one writer at a time. Writers queue here, in order, instead of in SQLite's
    /// busy handler, which sleeps and retries and so gives a long tail under load.
    writer: Arc<Mutex<()>>,
}

/// The version of the migration after which the ledger records every write
/// (`2026-12-02-000000_trust`).
const TRUST_MIGRATION: &str = "20261202000000";

impl Store {
    /// Opens (creating if needed) and migrates the database: what `serve` does at start.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let store = Self::connect(url)?;
        store.migrate()?;
        Ok(store)
    }

    /// Opens and migrates a database that must already exist (a simulation or a sweep of a
    /// file that is not there would work on an empty one it just created).
    pub fn open_existing(url: &str) -> Result<Self, StoreError> {
        let store = Self::connect_existing(url)?;
        store.migrate()?;
        Ok(store)
    }

    /// Opens a database that must already exist, as it is: what an audit reads.
    pub fn connect_existing(url: &str) -> Result<Self, StoreError> {
        let DatabaseUrl::Sqlite(path) = DatabaseUrl::parse(url)?;
        if !path.is_file() {
            return Err(StoreError::Missing { path });
        }
        Self::connect(url)
    }

    /// Signs the ledger entries this store appends from now on.
    pub fn signed_by(mut self, signer: Signer) -> Self {
        self.signer = Some(Arc::new(signer));
        self
    }

    pub(super) fn signer(&self) -> Option<Arc<Signer>> {
        self.signer.clone()
    }

    /// Checks signatures of the key this store signs with, if it has one.
    pub fn verifier(&self) -> Option<crate::audit::Verifier> {
        self.signer.as_ref().map(|s| s.verifier())
    }

    /// Opens (creating if needed) the database without migrating it.
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        let DatabaseUrl::Sqlite(path) = DatabaseUrl::parse(url)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_owned(),
                source,
            })?;
        }
        // WAL is a property of the file: switch it once, alone, before the pool opens its
        // connections together. Switching it from several fresh connections at once could
        // fail one of them with "database is locked" despite the busy timeout.
        let url = path.to_string_lossy().into_owned();
        SqliteConnection::establish(&url)
            .map_err(|e| StoreError::PoolBuild(e.to_string()))?
            .batch_execute(&format!(
                "PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}; PRAGMA journal_mode = WAL;"
            ))?;
        let manager = ConnectionManager::<SqliteConnection>::new(url);
        let pool = Pool::builder()
            .max_size(POOL_SIZE)
            .connection_timeout(POOL_TIMEOUT)
            .connection_customizer(Box::new(SqlitePragmas))
            .build(manager)
            .map_err(|e| StoreError::PoolBuild(e.to_string()))?;
        let identity = file_identity(&path);
        Ok(Self {
            pool,
            signer: None,
            file: Arc::new((path, identity)),
            writer: Arc::default(),
        })
    }

    /// Applies pending migrations; returns how many ran.
    pub fn migrate(&self) -> Result<usize, StoreError> {
        let mut conn = self.conn()?;
        let applied: Vec<String> = conn
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map_err(|e| StoreError::Migration(e.to_string()))?
            .iter()
            .map(ToString::to_string)
            .collect();
        drop(conn);
        // Only when the migration runs: a ledger emptied later must show as tampering, not
        // be rebuilt around whatever is left.
        if applied.iter().any(|v| v.starts_with(TRUST_MIGRATION)) {
            self.seal_existing()?;
        }
        Ok(applied.len())
    }

    pub(super) fn conn(&self) -> Result<Conn, StoreError> {
        Ok(self.pool.get()?)
    }

    /// Whether the file at the database's path is still the one opened.
    pub fn check_file(&self) -> Result<(), StoreError> {
        let (path, opened) = self.file.as_ref();
        let what = match (file_identity(path), opened) {
            (None, _) => "deleted",
            (Some(now), Some(then)) if now != *then => "replaced by another file",
            _ => return Ok(()),
        };
        Err(StoreError::Detached {
            path: path.clone(),
            what,
        })
    }

    /// Runs `write` as an immediate transaction, one writer at a time.
    pub(super) fn write<T>(
        &self,
        write: impl FnOnce(&mut SqliteConnection) -> Result<T, diesel::result::Error>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn()?;
        let _turn: MutexGuard<'_, ()> = self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Checked in turn, not before queueing: the file may go while a write waits.
        self.check_file()?;
        Ok(conn.immediate_transaction(write)?)
    }

    /// Folds the write-ahead log into the file and empties it: after an erasure, the
    /// log's old pages still hold the erased data and the ticket's secret.
    pub(super) fn checkpoint(&self) {
        let result = self.conn().map_err(|e| e.to_string()).and_then(|mut c| {
            c.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")
                .map_err(|e| e.to_string())
        });
        if let Err(e) = result {
            tracing::warn!(error = %e, "the write-ahead log could not be emptied; it still holds the erased pages until the next checkpoint");
        }
    }

    /// A trivial query: is the database answering?
    pub fn ping(&self) -> Result<(), StoreError> {
        self.check_file()?;
        self.conn()?.batch_execute("SELECT 1")?;
        Ok(())
    }

    /// Whether a write could commit now: the file is the one opened and the write lock can
    /// be taken (a read-only or full disk, a lock held elsewhere, show here).
    pub fn writable(&self) -> Result<(), StoreError> {
        self.write(|_| Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/jiesu.db").unwrap(),
            DatabaseUrl::Sqlite("data/jiesu.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/jiesu.db").unwrap(),
            DatabaseUrl::Sqlite("/var/lib/jiesu.db".into())
        );
        assert!(DatabaseUrl::parse("sqlite://").is_err());
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        assert!(matches!(
            DatabaseUrl::parse("postgres://localhost/jiesu"),
            Err(StoreError::PostgresUnsupported(_))
        ));
    }
}
