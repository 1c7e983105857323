//! Import and export that stream: a directory file of any size goes into
//! a tenant without the file (or the directory) held in memory, and comes
//! out the same way.
//!
//! Import reads the file twice: first its `labels` (the users are skipped
//! unread), then its `users`, a chunk at a time, on a blocking thread that
//! hands each chunk of raw user texts to the writer. Each chunk is checked
//! as the library checks a directory (strict JSON, then the directory
//! rules over the labels and the chunk's users, with paths counted in the
//! whole file); what spans chunks is checked against the rows already
//! written (a user id or username used twice, a second owner). All of it
//! is one write transaction: an error anywhere leaves the store as it was.

use super::db::Db;
use super::doc::{LabelDoc, UserDoc};
use super::error::{Result, ServerError};
use super::hub::{self, Change};
use super::keys;
use super::model;
use super::ops::ImportReport;
use super::store::{self, AuditRecord, CatalogRecord};
use crate::native::load::{self, LoadError, LoadErrorKind};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::fmt;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Users checked and written at once.
const CHUNK: usize = 1000;

/// Users a progress line is printed after.
pub const PROGRESS_EVERY: usize = 100_000;

/// Where the users go while the file is read: chunks of raw user texts.
type Chunks = mpsc::Sender<Vec<Box<RawValue>>>;

/// The directory file's top level: `labels` kept raw, `users` streamed to
/// `users` (or skipped when `None`); any other key is refused.
struct TopLevel<'a> {
    users: Option<&'a Chunks>,
}

/// What the top level held.
#[derive(Default)]
struct Read {
    labels: Option<Box<RawValue>>,
    users: usize,
}

impl<'de> DeserializeSeed<'de> for TopLevel<'_> {
    type Value = Read;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Read, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopLevel<'_> {
    type Value = Read;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a directory: {\"labels\": [...], \"users\": [...]}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Read, A::Error> {
        let mut read = Read::default();
        let mut users_seen = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "labels" if read.labels.is_none() => read.labels = Some(map.next_value()?),
                "users" if !users_seen => {
                    users_seen = true;
                    read.users = match self.users {
                        Some(tx) => map.next_value_seed(Users { tx })?,
                        None => map.next_value::<IgnoredAny>().map(|_| 0)?,
                    };
                }
                "labels" | "users" => {
                    return Err(de::Error::custom(format!("duplicate field `{key}`")))
                }
                other => {
                    return Err(de::Error::unknown_field(other, &["labels", "users"]));
                }
            }
        }
        Ok(read)
    }
}

/// The `users` list, sent on in chunks as it is read.
struct Users<'a> {
    tx: &'a Chunks,
}

impl<'de> DeserializeSeed<'de> for Users<'_> {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<usize, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Users<'_> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of users")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<usize, A::Error> {
        let (mut chunk, mut count) = (Vec::with_capacity(CHUNK), 0);
        while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
            chunk.push(raw);
            count += 1;
            if chunk.len() == CHUNK {
                let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                self.tx
                    .blocking_send(full)
                    .map_err(|_| de::Error::custom("the import stopped"))?;
            }
        }
        if !chunk.is_empty() {
            self.tx
                .blocking_send(chunk)
                .map_err(|_| de::Error::custom("the import stopped"))?;
        }
        Ok(count)
    }
}

/// Where a directory is read from.
#[derive(Debug, Clone)]
pub enum Source {
    /// a directory file, read as a stream
    File(PathBuf),
    /// a directory text in memory (tests, embedding), named for errors
    Text(Arc<str>),
}

impl Source {
    /// The name errors give it.
    fn name(&self) -> String {
        match self {
            Source::File(p) => p.display().to_string(),
            Source::Text(_) => "directory".into(),
        }
    }

    fn open(&self) -> std::io::Result<Box<dyn std::io::Read + Send>> {
        Ok(match self {
            Source::File(p) => Box::new(std::fs::File::open(p)?),
            Source::Text(t) => Box::new(std::io::Cursor::new(t.as_bytes().to_vec())),
        })
    }
}

/// Reads the directory's top level once, streaming its users to `users`.
fn read_file(source: &Source, users: Option<&Chunks>) -> std::result::Result<Read, LoadError> {
    let file = source.open().map_err(|e| {
        LoadError::new(
            LoadErrorKind::JsonSyntax,
            "$",
            format!("cannot read the file: {e}"),
        )
    })?;
    let reader = std::io::BufReader::with_capacity(1 << 16, file);
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut track = serde_path_to_error::Track::new();
    let read =
        TopLevel { users }.deserialize(serde_path_to_error::Deserializer::new(&mut de, &mut track));
    let read = match read {
        Ok(r) => r,
        Err(e) => {
            return Err(load::path_error(serde_path_to_error::Error::new(
                track.path(),
                e,
            )))
        }
    };
    let empty = serde_path_to_error::Track::new();
    de.end()
        .map_err(|e| load::path_error(serde_path_to_error::Error::new(empty.path(), e)))?;
    Ok(read)
}

/// A load error as the answer, naming the file.
fn in_file(e: LoadError, file: &str) -> ServerError {
    model::bad_input(e.in_file(file), None)
}

/// `users[k]...` of a chunk as `users[offset + k]...` of the file.
fn shift(mut e: LoadError, offset: usize) -> LoadError {
    if let Some(rest) = e.path.strip_prefix("users[") {
        if let Some((k, tail)) = rest.split_once(']') {
            if let Ok(k) = k.parse::<usize>() {
                e.path = format!("users[{}]{tail}", k + offset);
            }
        }
    }
    e
}

/// The file's labels, checked as the library checks a directory's.
async fn labels_of(
    source: &Source,
    file: &str,
    catalog: &crate::Catalog,
) -> Result<(Vec<LabelDoc>, Value)> {
    let owned = source.clone();
    let read = tokio::task::spawn_blocking(move || read_file(&owned, None))
        .await
        .map_err(|e| ServerError::Io(format!("import: {e}")))?
        .map_err(|e| in_file(e, file))?;
    let text = read.labels.as_ref().map_or("[]", |r| r.get());
    load::check_json(text).map_err(|e| in_file(e.under("labels"), file))?;
    let value: Value = serde_json::from_str(text).map_err(|e| ServerError::Io(e.to_string()))?;
    let doc = json!({"labels": value, "users": []});
    crate::Directory::from_value(&doc, catalog).map_err(|e| in_file(e, file))?;
    let labels: Vec<LabelDoc> =
        serde_json::from_value(value.clone()).map_err(|e| ServerError::Io(e.to_string()))?;
    Ok((labels, value))
}

/// One chunk of raw users, checked with the library over the labels.
fn check_chunk(
    raw: &[Box<RawValue>],
    labels: &Value,
    catalog: &crate::Catalog,
    offset: usize,
    file: &str,
) -> Result<Vec<UserDoc>> {
    let mut values = Vec::with_capacity(raw.len());
    for (k, r) in raw.iter().enumerate() {
        let at = format!("users[{}]", offset + k);
        load::check_json(r.get()).map_err(|e| in_file(e.under(&at), file))?;
        values.push(
            serde_json::from_str::<Value>(r.get()).map_err(|e| ServerError::Io(e.to_string()))?,
        );
    }
    let mut doc = json!({"labels": labels, "users": values});
    crate::Directory::from_value(&doc, catalog).map_err(|e| in_file(shift(e, offset), file))?;
    let Value::Array(values) = doc["users"].take() else {
        return Err(ServerError::Io("import: users are not a list".into()));
    };
    values
        .into_iter()
        .map(|v| serde_json::from_value(v).map_err(|e| ServerError::Io(e.to_string())))
        .collect()
}

/// Refuses a chunk whose user ids or usernames an earlier chunk used, or
/// a second owner; `owner` is the owner seen so far.
async fn check_across(
    c: &mut sqlx::AnyConnection,
    tenant: &str,
    users: &[UserDoc],
    offset: usize,
    owner: &mut Option<String>,
    file: &str,
) -> Result<()> {
    let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
    let names: Vec<String> = users
        .iter()
        .map(|u| u.username.to_ascii_lowercase())
        .collect();
    let taken = store::taken(c, tenant, &ids, &names).await?;
    let dup = users.iter().enumerate().find_map(|(k, u)| {
        if taken.0.contains(&u.id) {
            Some((k, "id", format!("user id `{}` is used twice", u.id)))
        } else if taken.1.contains(&u.username.to_ascii_lowercase()) {
            Some((
                k,
                "username",
                format!("username `{}` is used twice", u.username),
            ))
        } else {
            None
        }
    });
    if let Some((k, field, message)) = dup {
        let path = format!("users[{}].{field}", offset + k);
        return Err(in_file(
            LoadError::new(LoadErrorKind::DuplicateId, path, message),
            file,
        ));
    }
    for (k, u) in users.iter().enumerate().filter(|(_, u)| u.owner) {
        if let Some(first) = owner.replace(u.id.clone()) {
            let path = format!("users[{}].owner", offset + k);
            let message = format!(
                "`{first}` and `{}` both say they are the owner; there is at most one",
                u.id
            );
            return Err(in_file(
                LoadError::new(LoadErrorKind::TwoOwners, path, message),
                file,
            ));
        }
    }
    Ok(())
}

/// What an import writes besides the users.
pub struct ImportPlan<'a> {
    /// the tenant (made when new)
    pub tenant: &'a str,
    /// its catalog
    pub catalog: CatalogRecord,
    /// the directory
    pub source: Source,
    /// the default SSO config text
    pub sso_config: Option<&'a str>,
    /// now (ms)
    pub now: i64,
}

/// Replaces a tenant's catalog and directory with a directory file read as
/// a stream (and the default SSO config), in one transaction, audited;
/// `progress` is told the users written so far every [`PROGRESS_EVERY`].
pub async fn import_file(
    db: &Db,
    plan: ImportPlan<'_>,
    progress: impl Fn(usize),
) -> Result<ImportReport> {
    keys::check_tenant_id(plan.tenant)?;
    let file = plan.source.name();
    let catalog = super::state::catalog_of(&plan.catalog)?;
    let (labels, labels_value) = labels_of(&plan.source, &file, &catalog).await?;
    if let Some(text) = plan.sso_config {
        let m = model::model(
            &catalog,
            &json!({"labels": labels_value, "users": []}).to_string(),
        )?;
        if let Some(code) = model::sso_config_problem(&m, &model::sso_config(text)?) {
            let msg = "the SSO config does not fit the directory";
            return Err(ServerError::bad(code, msg, Some("config".into())));
        }
    }
    let tenant = plan.tenant;
    let mut w = db.begin_write().await?;
    let version = w.version + 1;
    store::put_tenant(&mut w.tx, tenant, &plan.catalog, plan.sso_config, plan.now).await?;
    store::clear_directory(&mut w.tx, tenant).await?;
    for (i, l) in labels.iter().enumerate() {
        store::insert_label(&mut w.tx, tenant, i as i64, l).await?;
    }
    let (tx, mut rx) = mpsc::channel(4);
    let source = plan.source.clone();
    let reader = tokio::task::spawn_blocking(move || read_file(&source, Some(&tx)));
    let (mut count, mut owner) = (0usize, None);
    while let Some(raw) = rx.recv().await {
        let users = check_chunk(&raw, &labels_value, &catalog, count, &file)?;
        drop(raw);
        check_across(&mut w.tx, tenant, &users, count, &mut owner, &file).await?;
        store::insert_users(&mut w.tx, tenant, &users, count as i64 + 1, version).await?;
        let before = count;
        count += users.len();
        if count / PROGRESS_EVERY > before / PROGRESS_EVERY {
            progress(count);
        }
    }
    reader
        .await
        .map_err(|e| ServerError::Io(format!("import: {e}")))?
        .map_err(|e| in_file(e, &file))?;
    w.set_version(version).await?;
    hub::record(
        &mut w,
        version,
        &[Change::tenant(tenant, "import")],
        plan.now,
    )
    .await?;
    let catalog_id = model::catalog_id(&catalog).to_string();
    let detail = json!({"catalog": catalog_id, "labels": labels.len(), "users": count});
    let audit = AuditRecord {
        id: 0,
        tenant: tenant.to_string(),
        at: String::new(),
        actor: "cli".into(),
        action: "import".into(),
        target: None,
        allowed: true,
        reason: "allowed".into(),
        version,
        detail,
    };
    store::insert_audit(&mut w.tx, &audit, plan.now).await?;
    w.commit().await?;
    Ok(ImportReport {
        catalog: catalog_id,
        labels: labels.len(),
        users: count,
        version,
    })
}

/// Writes a tenant's directory to `out` in the directory file format, a
/// page of users at a time: `{"labels": [...], "users": [` one user a line `]}`.
pub async fn export_to(db: &Db, tenant: &str, out: &mut impl Write) -> Result<usize> {
    let mut conn = db.pool.acquire().await?;
    if store::tenant(&mut conn, tenant).await?.is_none() {
        return Err(match tenant {
            super::state::DEFAULT_TENANT => ServerError::NotImported,
            _ => ServerError::UnknownTenant(tenant.to_string()),
        });
    }
    let io = |e: std::io::Error| ServerError::Io(format!("export: {e}"));
    let json = |e: serde_json::Error| ServerError::Corrupt(e.to_string());
    let labels = store::labels(&mut conn, tenant).await?;
    write!(
        out,
        "{{\"labels\": {},\n\"users\": [",
        serde_json::to_string(&labels).map_err(json)?
    )
    .map_err(io)?;
    let (mut after, mut count) = (i64::MIN, 0usize);
    loop {
        let page = store::users_page(&mut conn, tenant, after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for u in &page {
            let sep = if count == 0 { "\n" } else { ",\n" };
            write!(out, "{sep}{}", serde_json::to_string(u).map_err(json)?).map_err(io)?;
            count += 1;
        }
    }
    writeln!(out, "\n]}}").map_err(io)?;
    Ok(count)
}
