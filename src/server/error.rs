//! The server's one error type: every failure a request, a store call or a
//! command can come to, each with a stable `code()` (the `error.code` of the
//! JSON answer) and an HTTP status. Messages never carry a key, a token or a
//! private JWK.

use axum::http::StatusCode;

/// A server failure with a stable code.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The request is malformed: bad JSON, an unknown field, a wrong type,
    /// a value the model refuses. `path` is the JSON path when known.
    #[error("{message}")]
    BadRequest {
        /// stable code (`json_syntax`, `unknown_field`, `wrong_type`, a load error code ...)
        code: &'static str,
        /// what was wrong
        message: String,
        /// the JSON path inside the body, e.g. `user.access.4444.roles[0]`
        path: Option<String>,
    },
    /// The body is larger than the limit.
    #[error("the request body is larger than {limit} bytes")]
    BodyTooLarge {
        /// the limit in bytes
        limit: usize,
    },
    /// The body did not arrive in time.
    #[error("the request body did not arrive in time")]
    BodyTimeout,
    /// No API key, or one the store does not know.
    #[error("an API key is required: `Authorization: Bearer KEY`")]
    Unauthorized,
    /// The snapshot token that opens an event stream is missing or refused:
    /// the library's verification code (`expired`, `bad_signature`,
    /// `unknown_key`, `malformed`, `wrong_audience` ...) or `missing_token`.
    #[error("{message}")]
    TokenRefused {
        /// the code
        code: &'static str,
        /// what was wrong (never the token)
        message: String,
    },
    /// This instance has as many event streams open as it allows.
    #[error("too many event streams are open; retry later")]
    TooManyStreams,
    /// The API key lacks the route's scope.
    #[error("this API key does not have the `{0}` scope")]
    ForbiddenScope(&'static str),
    /// The admin rules (or the store's profile rules) deny the op; nothing changed.
    #[error("{message}")]
    Denied {
        /// the admin reason code
        code: &'static str,
        /// a sentence a person reads
        message: String,
    },
    /// No such user.
    #[error("user `{0}` is not in the directory")]
    UnknownUser(String),
    /// No such tenant.
    #[error("tenant `{0}` does not exist (`GET /v1/tenants` lists them)")]
    UnknownTenant(String),
    /// The API key is bound to another tenant.
    #[error("this API key is good for tenant `{key}` only, not `{route}`")]
    ForbiddenTenant {
        /// the tenant the key is bound to
        key: String,
        /// the tenant the route names
        route: String,
    },
    /// A tenant with this id exists already.
    #[error("tenant `{0}` exists already")]
    TenantExists(String),
    /// The user changed since the version the op expected; nothing changed.
    #[error("user `{user}` is at version {actual}, not the expected {expected}: read it again and retry")]
    VersionConflict {
        /// the target
        user: String,
        /// the version the op carried
        expected: i64,
        /// the stored version (0: the user no longer exists)
        actual: i64,
    },
    /// No manifest with this hash (the store's catalog has another).
    #[error("no manifest `{0}`: the current one is at /v1/manifest")]
    UnknownManifest(String),
    /// No API key with this prefix (or this key) is stored.
    #[error("no API key `{0}` is stored (`permsnap apikey list` shows them)")]
    UnknownApiKey(String),
    /// More than one stored API key starts with this prefix.
    #[error("{count} API keys start with `{prefix}`: revoke with the whole key")]
    AmbiguousApiKey {
        /// the prefix given
        prefix: String,
        /// how many keys have it
        count: usize,
    },
    /// Demo mode: a request for another host than the demo's address (DNS
    /// rebinding), or a state-changing request another site could have sent.
    #[error("{0}")]
    CrossSite(String),
    /// No such route.
    #[error("no such route")]
    NotFound,
    /// The route exists with another method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The store holds no catalog and directory yet.
    #[error("the store holds no directory yet: run `permsnap import --db URL --catalog C --directory FILE`")]
    NotImported,
    /// The store is locked by another process for longer than the busy timeout.
    #[error("the store is busy; retry")]
    Busy,
    /// A database failure (the detail is logged, not answered).
    #[error("store error: {0}")]
    Store(#[source] sqlx::Error),
    /// Bad configuration or arguments of a command.
    #[error("{0}")]
    Config(String),
    /// A file could not be read.
    #[error("{0}")]
    Io(String),
    /// Stored data the model no longer loads (should not happen).
    #[error("stored data does not load: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for ServerError {
    fn from(e: sqlx::Error) -> Self {
        ServerError::from_db(e)
    }
}

/// A shorter name for results of this module.
pub type Result<T, E = ServerError> = std::result::Result<T, E>;

impl ServerError {
    /// A 400 with a code, message and optional JSON path.
    pub fn bad(code: &'static str, message: impl Into<String>, path: Option<String>) -> Self {
        ServerError::BadRequest {
            code,
            message: message.into(),
            path,
        }
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ServerError::BadRequest { code, .. }
            | ServerError::Denied { code, .. }
            | ServerError::TokenRefused { code, .. } => code,
            ServerError::TooManyStreams => "too_many_streams",
            ServerError::BodyTooLarge { .. } => "body_too_large",
            ServerError::BodyTimeout => "body_timeout",
            ServerError::Unauthorized => "unauthorized",
            ServerError::ForbiddenScope(_) => "forbidden_scope",
            ServerError::UnknownUser(_) => "unknown_user",
            ServerError::UnknownTenant(_) => "unknown_tenant",
            ServerError::ForbiddenTenant { .. } => "forbidden_tenant",
            ServerError::TenantExists(_) => "tenant_exists",
            ServerError::VersionConflict { .. } => "version_conflict",
            ServerError::UnknownManifest(_) => "unknown_manifest",
            ServerError::UnknownApiKey(_) => "unknown_api_key",
            ServerError::AmbiguousApiKey { .. } => "ambiguous_api_key",
            ServerError::CrossSite(_) => "cross_site",
            ServerError::NotFound => "not_found",
            ServerError::MethodNotAllowed => "method_not_allowed",
            ServerError::NotImported => "not_imported",
            ServerError::Busy => "busy",
            ServerError::Store(_) => "store",
            ServerError::Config(_) => "bad_config",
            ServerError::Io(_) => "io",
            ServerError::Corrupt(_) => "corrupt_store",
        }
    }

    /// The HTTP status of the answer.
    pub fn status(&self) -> StatusCode {
        match self {
            ServerError::BadRequest { .. } | ServerError::Config(_) => StatusCode::BAD_REQUEST,
            ServerError::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ServerError::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            ServerError::Unauthorized | ServerError::TokenRefused { .. } => {
                StatusCode::UNAUTHORIZED
            }
            ServerError::ForbiddenScope(_)
            | ServerError::ForbiddenTenant { .. }
            | ServerError::Denied { .. }
            | ServerError::CrossSite(_) => StatusCode::FORBIDDEN,
            ServerError::TenantExists(_) | ServerError::VersionConflict { .. } => {
                StatusCode::CONFLICT
            }
            ServerError::UnknownTenant(_)
            | ServerError::UnknownUser(_)
            | ServerError::UnknownManifest(_)
            | ServerError::UnknownApiKey(_)
            | ServerError::NotFound => StatusCode::NOT_FOUND,
            ServerError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ServerError::NotImported | ServerError::AmbiguousApiKey { .. } => StatusCode::CONFLICT,
            ServerError::Busy | ServerError::TooManyStreams => StatusCode::SERVICE_UNAVAILABLE,
            ServerError::Store(_) | ServerError::Io(_) | ServerError::Corrupt(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// The message answered to the client: internal details stay in the log.
    pub fn public_message(&self) -> String {
        match self {
            ServerError::Store(_) => "internal store error".into(),
            ServerError::Corrupt(_) => "stored data does not load".into(),
            other => other.to_string(),
        }
    }

    /// The JSON path, for a malformed request.
    pub fn path(&self) -> Option<&str> {
        match self {
            ServerError::BadRequest { path, .. } => path.as_deref(),
            _ => None,
        }
    }

    /// Maps a database error: a lock wait that ran out becomes [`ServerError::Busy`].
    pub fn from_db(e: sqlx::Error) -> Self {
        let busy = match &e {
            sqlx::Error::Database(d) => {
                let code = d.code().unwrap_or_default();
                // SQLite SQLITE_BUSY (5) / SQLITE_LOCKED (6); PostgreSQL lock_not_available.
                matches!(code.as_ref(), "5" | "6" | "517" | "55P03")
            }
            sqlx::Error::PoolTimedOut => true,
            _ => false,
        };
        if busy {
            ServerError::Busy
        } else {
            ServerError::Store(e)
        }
    }
}
