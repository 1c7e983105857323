//! The server's shared state: the database, the key ring, the API-key
//! cache, and two bounded caches that make a request's cost independent of
//! how many tenants and users the store holds: tenant views (catalog,
//! manifest, labels, SSO config) and user views (one user's rows and the
//! library model of that user over their tenant's labels).
//!
//! Freshness: every request sees every write committed before it arrived,
//! on any instance. A request reads the stored versions through a
//! single-flight gate (requests that arrive while a read is in flight wait
//! for the next read, one that started after they arrived), so under load
//! one cheap query serves a batch of requests. The versions include the
//! last change event id; before answering from a cache, the request brings
//! the caches up to that id by reading the change events written since
//! (each names its tenant and user, or a whole tenant) and dropping exactly
//! the views they concern. Nothing is reloaded on the request path but the
//! views a request needs and the cache does not hold.

pub use super::clock::{system_now, Clock};
use super::config::CacheLimits;
use super::db::Db;
#[cfg(doc)]
use super::db::WriteTx;
use super::doc::{DirectoryDoc, LabelDoc, UserDoc};
use super::error::{Result, ServerError};
use super::hub::Hub;
use super::keys::{KeyGrant, KeyRing, Scopes};
use super::model::{self, LoadedCatalog, LoadedModel, LoadedUser, ManifestFile};
use super::store::{self, CatalogRecord, TenantRecord};
use lru::LruCache;
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// The tenant of the unprefixed routes and of commands without `--tenant`.
pub const DEFAULT_TENANT: &str = "default";

/// More change events than this since the last sync: the caches are
/// dropped whole rather than read event by event.
const MAX_SYNC_EVENTS: i64 = 10_000;

/// The stored versions a request reads at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Versions {
    /// directory version (any tenant's change moves it)
    pub version: i64,
    /// keys version
    pub keys_version: i64,
    /// the last change event id
    pub event_id: i64,
}

#[derive(Default)]
struct Seen {
    started: u64,
    versions: Versions,
}

/// A parsed catalog and its manifest, shared by every tenant on it.
pub struct CatalogView {
    /// the parsed catalog
    pub catalog: Arc<LoadedCatalog>,
    /// its manifest
    pub manifest: ManifestFile,
}

/// What one tenant's requests share: its catalog, manifest, labels and
/// default SSO config.
pub struct TenantView {
    /// the tenant's id and catalog record
    pub record: TenantRecord,
    /// its catalog and manifest
    pub catalog: Arc<CatalogView>,
    /// its labels, in stored order
    pub labels: Vec<LabelDoc>,
    empty: std::sync::OnceLock<Arc<LoadedModel>>,
}

impl TenantView {
    /// The tenant's labels and no user: what a check of an unknown user
    /// decides on (`unknown_user`).
    pub fn without_users(&self) -> Result<Arc<LoadedModel>> {
        if let Some(m) = self.empty.get() {
            return Ok(m.clone());
        }
        let doc = DirectoryDoc {
            labels: self.labels.clone(),
            users: Vec::new(),
        };
        let c = &self.catalog;
        let m = model::model_with_manifest(&c.catalog, &c.manifest, &doc.to_value()?)?;
        Ok(self.empty.get_or_init(|| Arc::new(m)).clone())
    }

    /// The tenant's id.
    pub fn id(&self) -> &str {
        &self.record.id
    }

    /// A library model of these users over the tenant's labels (the users
    /// a decision needs: the rules read no one else).
    ///
    /// The labels are loaded once per tenant view and shared; each user is
    /// loaded by the library against the catalog and checked against them.
    pub fn model_of(&self, users: Vec<UserDoc>) -> Result<LoadedModel> {
        let loaded = users
            .iter()
            .enumerate()
            .map(|(i, u)| {
                let v = serde_json::to_value(u).map_err(|e| ServerError::Corrupt(e.to_string()))?;
                model::user_of(&self.catalog.catalog, &v, &format!("users[{i}]"))
            })
            .collect::<Result<Vec<_>>>()?;
        self.model_with(loaded)
    }

    /// A library model of these loaded users over the tenant's labels.
    pub fn model_with(&self, users: Vec<LoadedUser>) -> Result<LoadedModel> {
        model::model_of_users(&*self.without_users()?, users)
    }
}

impl UserView {
    /// The user as the library loaded them (from the view's model).
    pub fn loaded(&self) -> Result<LoadedUser> {
        self.model
            .directory
            .users
            .first()
            .cloned()
            .ok_or_else(|| ServerError::Corrupt(format!("no user in `{}`'s view", self.doc.id)))
    }
}

/// One user's rows and the model of that user over their tenant's labels.
pub struct UserView {
    /// the user's rows (with their version)
    pub doc: UserDoc,
    /// the model: the tenant's labels and this user
    pub model: Arc<LoadedModel>,
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
    /// change events up to this id are reflected in the caches
    applied: AtomicI64,
    sync: tokio::sync::Mutex<()>,
    catalogs: Mutex<LruCache<CatalogRecord, Arc<CatalogView>>>,
    tenants: Mutex<LruCache<String, Arc<TenantView>>>,
    users: Mutex<LruCache<(String, String), Arc<UserView>>>,
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

fn with<T, R>(m: &Mutex<T>, f: impl FnOnce(&mut T) -> R) -> R {
    match m.lock() {
        Ok(mut g) => f(&mut g),
        Err(poisoned) => f(&mut poisoned.into_inner()),
    }
}

fn lru<K: std::hash::Hash + Eq, V>(n: usize) -> Mutex<LruCache<K, V>> {
    Mutex::new(LruCache::new(
        NonZeroUsize::new(n.max(1)).unwrap_or(NonZeroUsize::MIN),
    ))
}

impl App {
    /// A new state over a connected database.
    pub fn new(db: Db, clock: Clock, events: Hub, limits: CacheLimits) -> App {
        App {
            db,
            clock,
            events,
            seq: AtomicU64::new(1),
            gate: tokio::sync::Mutex::new(Seen::default()),
            applied: AtomicI64::new(-1),
            sync: tokio::sync::Mutex::new(()),
            catalogs: lru(limits.catalogs),
            tenants: lru(limits.tenants),
            users: lru(limits.users),
            keys: RwLock::new(None),
            api_keys: RwLock::new((-1, HashMap::new())),
        }
    }

    /// Now, in milliseconds.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The stored versions, as of a read that started after this call did;
    /// the caches reflect every change up to them.
    pub async fn versions(&self) -> Result<Versions> {
        let arrival = self.seq.fetch_add(1, Ordering::SeqCst);
        let mut seen = self.gate.lock().await;
        if seen.started <= arrival {
            let started = self.seq.fetch_add(1, Ordering::SeqCst);
            let mut conn = self.db.pool.acquire().await?;
            let m = store::meta(&mut conn).await?;
            *seen = Seen {
                started,
                versions: Versions {
                    version: m.version,
                    keys_version: m.keys_version,
                    event_id: m.event_id,
                },
            };
        }
        let v = seen.versions;
        drop(seen);
        self.sync_to(v.event_id).await?;
        Ok(v)
    }

    /// Brings the caches up to change event `last`: drops the views the
    /// events since the last sync concern (all of them when the log no
    /// longer holds those events).
    pub async fn sync_to(&self, last: i64) -> Result<()> {
        if self.applied.load(Ordering::SeqCst) >= last {
            return Ok(());
        }
        let _one = self.sync.lock().await;
        let from = self.applied.load(Ordering::SeqCst);
        if from >= last {
            return Ok(());
        }
        if from < 0 || last - from > MAX_SYNC_EVENTS {
            self.forget_all();
        } else {
            let mut conn = self.db.pool.acquire().await?;
            let rows = store::events_after(&mut conn, from, None, last - from).await?;
            let complete = rows.first().is_some_and(|r| r.id == from + 1)
                && rows.last().is_some_and(|r| r.id == last);
            if !complete {
                self.forget_all();
            }
            for r in &rows {
                self.forget(r.tenant.as_deref(), r.user.as_deref());
            }
        }
        self.applied.store(last, Ordering::SeqCst);
        Ok(())
    }

    /// A write of this instance committed the change events `(from, to]`
    /// and drops the views they concern itself, right after this: when the
    /// caches were up to `from`, they are up to `to` then, with no event to
    /// read (a view read meanwhile is not kept: [`App::user`] sees `applied`
    /// move).
    pub fn applied_own(&self, (from, to): (i64, i64)) {
        let _ = self
            .applied
            .compare_exchange(from, to, Ordering::SeqCst, Ordering::SeqCst);
    }

    /// Drops the cached views a change concerns.
    pub fn forget(&self, tenant: Option<&str>, user: Option<&str>) {
        match (tenant, user) {
            (Some(t), Some(u)) => {
                with(&self.users, |c| c.pop(&(t.to_string(), u.to_string())));
            }
            (Some(t), None) => {
                with(&self.tenants, |c| c.pop(t));
                with(&self.users, |c| {
                    let gone: Vec<_> = c
                        .iter()
                        .filter(|(k, _)| k.0 == t)
                        .map(|(k, _)| k.clone())
                        .collect();
                    for k in gone {
                        c.pop(&k);
                    }
                });
            }
            (None, _) => self.forget_all(),
        }
    }

    fn forget_all(&self) {
        with(&self.tenants, |c| c.clear());
        with(&self.users, |c| c.clear());
    }

    /// The tenant `id` (its view from the cache, else read).
    pub async fn tenant(&self, id: &str) -> Result<Arc<TenantView>> {
        if let Some(t) = with(&self.tenants, |c| c.get(id).cloned()) {
            return Ok(t);
        }
        let applied = self.applied.load(Ordering::SeqCst);
        let mut conn = self.db.pool.acquire().await?;
        let t = Arc::new(self.read_tenant(&mut conn, id).await?);
        self.keep(applied, || {
            with(&self.tenants, |c| c.put(id.to_string(), t.clone()))
        });
        Ok(t)
    }

    /// Tenant `id` for a writer holding the write lock: the caches brought
    /// up to the last committed change (no other can commit meanwhile), so
    /// what they hold is current.
    /// `last_event` is the writer's [`WriteTx::event_id`].
    pub async fn locked_tenant(&self, last_event: i64, id: &str) -> Result<Arc<TenantView>> {
        self.sync_to(last_event).await?;
        self.tenant(id).await
    }

    /// Reads tenant `id` from `conn` (a pool connection or a write
    /// transaction), reusing a parsed catalog.
    pub async fn read_tenant(
        &self,
        conn: &mut sqlx::AnyConnection,
        id: &str,
    ) -> Result<TenantView> {
        let record = store::tenant(conn, id).await?.ok_or_else(|| match id {
            // A store nothing was imported into yet says so.
            DEFAULT_TENANT => ServerError::NotImported,
            _ => ServerError::UnknownTenant(id.to_string()),
        })?;
        let labels = store::labels(conn, id).await?;
        let catalog = self.catalog(&record.catalog)?;
        Ok(TenantView {
            record,
            catalog,
            labels,
            empty: std::sync::OnceLock::new(),
        })
    }

    /// The parsed catalog of a record (shared by the tenants on it).
    pub fn catalog(&self, record: &CatalogRecord) -> Result<Arc<CatalogView>> {
        if let Some(c) = with(&self.catalogs, |c| c.get(record).cloned()) {
            return Ok(c);
        }
        let catalog = Arc::new(catalog_of(record).map_err(corrupt)?);
        let manifest = model::manifest_of(&catalog);
        let view = Arc::new(CatalogView { catalog, manifest });
        with(&self.catalogs, |c| c.put(record.clone(), view.clone()));
        Ok(view)
    }

    /// One user of a tenant (the view from the cache, else read); `None`
    /// when the tenant has no such user.
    pub async fn user(&self, tenant: &TenantView, id: &str) -> Result<Option<Arc<UserView>>> {
        let key = (tenant.id().to_string(), id.to_string());
        if let Some(u) = with(&self.users, |c| c.get(&key).cloned()) {
            return Ok(Some(u));
        }
        let applied = self.applied.load(Ordering::SeqCst);
        let mut conn = self.db.pool.acquire().await?;
        let Some(doc) = store::user(&mut conn, tenant.id(), id).await? else {
            return Ok(None);
        };
        drop(conn);
        let model = Arc::new(tenant.model_of(vec![doc.clone()]).map_err(corrupt)?);
        let view = Arc::new(UserView { doc, model });
        self.keep(applied, || with(&self.users, |c| c.put(key, view.clone())));
        Ok(Some(view))
    }

    /// Caches what was read when no change event arrived since `applied`
    /// (the read may predate a change whose event was already applied).
    fn keep<R>(&self, applied: i64, put: impl FnOnce() -> R) {
        if applied >= 0 && self.applied.load(Ordering::SeqCst) == applied {
            put();
        }
    }

    /// The key ring as of now.
    pub async fn keys(&self) -> Result<Arc<KeyRing>> {
        let v = self.versions().await?;
        self.keys_at(v.keys_version).await
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
                .then(|| m.get(&hash).cloned())
                .flatten()
        });
        if hit.is_some() {
            return Ok(hit);
        }
        let mut conn = self.db.pool.acquire().await?;
        let grant = store::api_key_grant(&mut conn, &hash)
            .await?
            .map(|g| KeyGrant {
                scopes: Scopes::from_text(&g.scopes),
                tenant: g.tenant,
                require_actor_token: g.require_actor_token,
            });
        write(&self.api_keys, |(v, m)| {
            if *v != keys_version {
                *v = keys_version;
                m.clear();
            }
            if let Some(g) = &grant {
                m.insert(hash, g.clone());
            }
        });
        Ok(grant)
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
