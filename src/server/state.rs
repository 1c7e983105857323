//! The server's shared state: the database, the loaded model with the
//! version it was built from, the key ring, the API-key cache, and the
//! freshness rule that ties them together.
//!
//! Freshness: every request sees every write committed before it arrived,
//! on any instance. A request reads the stored versions through a
//! single-flight gate: requests that arrive while a read is in flight wait
//! for the next read (one that started after they arrived), so under load
//! one cheap query serves a whole batch of requests. When the stored
//! version moved, the model is rebuilt once from the store.

pub use super::clock::{system_now, Clock};
use super::db::Db;
use super::doc::DirectoryDoc;
use super::error::{Result, ServerError};
use super::hub::Hub;
use super::keys::{KeyGrant, KeyRing, Scopes};
use super::model::{self, LoadedCatalog, LoadedModel};
use super::store::{self, CatalogRecord};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// The directory as loaded at one version.
pub struct Loaded {
    /// the directory version
    pub version: i64,
    /// the catalog record it was loaded with
    pub catalog_record: CatalogRecord,
    /// the parsed catalog
    pub catalog: Arc<LoadedCatalog>,
    /// the stored documents
    pub doc: Arc<DirectoryDoc>,
    /// the library's model of them
    pub model: Arc<LoadedModel>,
    /// the default SSO config text
    pub sso_config: Option<String>,
}

#[derive(Default)]
struct Seen {
    started: u64,
    versions: (i64, i64),
}

/// Shared state of one server instance.
pub struct App {
    /// the database
    pub db: Db,
    /// the clock
    pub clock: Clock,
    /// live change events: the broadcast, the pump's wake-up, the stream limit
    pub events: Hub,
    seq: AtomicU64,
    gate: tokio::sync::Mutex<Seen>,
    loaded: RwLock<Option<Arc<Loaded>>>,
    reload: tokio::sync::Mutex<()>,
    keys: RwLock<Option<Arc<KeyRing>>>,
    api_keys: RwLock<(i64, HashMap<String, KeyGrant>)>,
}

fn read<T: Clone>(lock: &RwLock<T>) -> T {
    match lock.read() {
        Ok(g) => g.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    }
}

fn peek<T, R>(lock: &RwLock<T>, f: impl FnOnce(&T) -> R) -> R {
    match lock.read() {
        Ok(g) => f(&g),
        Err(poisoned) => f(&poisoned.into_inner()),
    }
}

fn write<T>(lock: &RwLock<T>, f: impl FnOnce(&mut T)) {
    match lock.write() {
        Ok(mut g) => f(&mut g),
        Err(poisoned) => f(&mut poisoned.into_inner()),
    }
}

impl App {
    /// A new state over a connected database.
    pub fn new(db: Db, clock: Clock, events: Hub) -> App {
        App {
            db,
            clock,
            events,
            seq: AtomicU64::new(1),
            gate: tokio::sync::Mutex::new(Seen::default()),
            loaded: RwLock::new(None),
            reload: tokio::sync::Mutex::new(()),
            keys: RwLock::new(None),
            api_keys: RwLock::new((-1, HashMap::new())),
        }
    }

    /// Now, in milliseconds.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The stored (directory, keys) versions, as of a read that started
    /// after this call did.
    pub async fn versions(&self) -> Result<(i64, i64)> {
        let arrival = self.seq.fetch_add(1, Ordering::SeqCst);
        let mut seen = self.gate.lock().await;
        if seen.started > arrival {
            return Ok(seen.versions);
        }
        let started = self.seq.fetch_add(1, Ordering::SeqCst);
        let versions = self.db.versions().await?;
        *seen = Seen { started, versions };
        Ok(versions)
    }

    /// The directory as of now (rebuilt when the store moved).
    pub async fn loaded(&self) -> Result<Arc<Loaded>> {
        let (version, _) = self.versions().await?;
        self.loaded_at(version).await
    }

    /// The directory at `version` or later.
    pub async fn loaded_at(&self, version: i64) -> Result<Arc<Loaded>> {
        if let Some(l) = read(&self.loaded).filter(|l| l.version >= version) {
            return Ok(l);
        }
        let _one = self.reload.lock().await;
        if let Some(l) = read(&self.loaded).filter(|l| l.version >= version) {
            return Ok(l);
        }
        let mut conn = self.db.pool.acquire().await?;
        let l = Arc::new(self.load(&mut conn).await?);
        self.install(l.clone());
        Ok(l)
    }

    /// Loads the directory from `conn` (a pool connection or a write
    /// transaction), reusing the parsed catalog when it did not change.
    pub async fn load(&self, conn: &mut sqlx::AnyConnection) -> Result<Loaded> {
        let meta = store::meta(conn).await?;
        let record = meta.catalog.ok_or(ServerError::NotImported)?;
        let doc = store::load_directory(conn).await?;
        let cached = read(&self.loaded).filter(|l| l.catalog_record == record);
        let catalog = match cached {
            Some(l) => l.catalog.clone(),
            None => Arc::new(catalog_of(&record).map_err(corrupt)?),
        };
        let model = model::model_of_value(&catalog, &doc.to_value()?).map_err(corrupt)?;
        Ok(Loaded {
            version: meta.version,
            catalog_record: record,
            catalog,
            doc: Arc::new(doc),
            model: Arc::new(model),
            sso_config: meta.sso_config,
        })
    }

    /// Makes `l` the cached directory unless a newer one is cached.
    pub fn install(&self, l: Arc<Loaded>) {
        write(&self.loaded, |slot| {
            if slot.as_ref().is_none_or(|old| old.version <= l.version) {
                *slot = Some(l);
            }
        });
    }

    /// The cached directory, if its version is `version`.
    pub fn cached_at(&self, version: i64) -> Option<Arc<Loaded>> {
        read(&self.loaded).filter(|l| l.version == version)
    }

    /// The key ring as of now.
    pub async fn keys(&self) -> Result<Arc<KeyRing>> {
        let (_, keys_version) = self.versions().await?;
        self.keys_at(keys_version).await
    }

    /// The key ring at `keys_version` or later.
    pub async fn keys_at(&self, keys_version: i64) -> Result<Arc<KeyRing>> {
        if let Some(k) = read(&self.keys).filter(|k| k.version >= keys_version) {
            return Ok(k);
        }
        let mut conn = self.db.pool.acquire().await?;
        let meta = store::meta(&mut conn).await?;
        let rows = store::signing_keys(&mut conn).await?;
        let ring = Arc::new(KeyRing::from_rows(meta.keys_version, &rows)?);
        write(&self.keys, |slot| *slot = Some(ring.clone()));
        Ok(ring)
    }

    /// What an API key grants, or `None` when the store does not know it.
    /// `keys_version` is the stored keys version this request reads at.
    pub async fn api_key(&self, key: &str, keys_version: i64) -> Result<Option<KeyGrant>> {
        let hash = super::keys::api_key_hash(key);
        let hit = peek(&self.api_keys, |(v, m)| {
            (*v == keys_version)
                .then(|| m.get(&hash).copied())
                .flatten()
        });
        if hit.is_some() {
            return Ok(hit);
        }
        let mut conn = self.db.pool.acquire().await?;
        let scopes =
            store::api_key_scopes(&mut conn, &hash)
                .await?
                .map(|(t, require_actor_token)| KeyGrant {
                    scopes: Scopes::from_text(&t),
                    require_actor_token,
                });
        write(&self.api_keys, |(v, m)| {
            if *v != keys_version {
                *v = keys_version;
                m.clear();
            }
            if let Some(s) = scopes {
                m.insert(hash, s);
            }
        });
        Ok(scopes)
    }
}

fn corrupt(e: ServerError) -> ServerError {
    match e {
        ServerError::BadRequest {
            code,
            message,
            path,
        } => ServerError::Corrupt(format!("{code} at {}: {message}", path.unwrap_or_default())),
        other => other,
    }
}

/// The parsed catalog of a record.
pub fn catalog_of(record: &CatalogRecord) -> Result<LoadedCatalog> {
    match record {
        CatalogRecord::Preset(id) => model::preset_catalog(id),
        CatalogRecord::Text { file, text } => model::catalog_from_text(text, file),
    }
}
