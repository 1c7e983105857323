//! Load errors: what was wrong with a catalog, directory, vector file or
//! other input the host writes, with a stable code, the file, the JSON path
//! and the offending value. Token errors live with the token code
//! ([`crate::snapshot::TokenError`]).

macro_rules! codes {
    ($(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $v:ident = $code:literal,)* }) => {
        $(#[$m])*
        pub enum $name { $($(#[$vm])* $v,)* }
        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$v,)*];
            /// The stable code used in Rust, the CLI's JSON, vector files and JavaScript.
            pub const fn code(self) -> &'static str {
                match self { $($name::$v => $code,)* }
            }
            /// The variant whose [`code`](Self::code) is `code`.
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$v),)* _ => None }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}
pub(crate) use codes;

codes! {
    /// What kind of load error; see `docs/rules.md` for when each is raised.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum LoadErrorKind {
        /// the text is not JSON
        JsonSyntax = "json_syntax",
        /// an object has the same key twice
        DuplicateKey = "duplicate_key",
        /// a value has the wrong JSON type
        WrongType = "wrong_type",
        /// a required field is absent
        MissingField = "missing_field",
        /// a field the format does not have
        UnknownField = "unknown_field",
        /// a value outside its set
        BadValue = "bad_value",
        /// an id breaks the id rules
        BadId = "bad_id",
        /// two entities of one kind share an id
        DuplicateId = "duplicate_id",
        /// no such section
        UnknownSection = "unknown_section",
        /// no such permission
        UnknownPermission = "unknown_permission",
        /// no such role
        UnknownRole = "unknown_role",
        /// no such additional role
        UnknownAdditional = "unknown_additional",
        /// no such restriction role
        UnknownRestriction = "unknown_restriction",
        /// a wildcard that matches no permission
        WildcardMatchesNothing = "wildcard_matches_nothing",
        /// roles inherit in a cycle
        InheritanceCycle = "inheritance_cycle",
        /// a malformed condition
        BadCondition = "bad_condition",
        /// more than one owner
        TwoOwners = "two_owners",
        /// more than one role in a `single_role` catalog
        SingleRole = "single_role",
        /// an access entry for a label that does not exist
        UnknownLabel = "unknown_label",
        /// a home label that does not exist
        UnknownHomeLabel = "unknown_home_label",
        /// a time that is not RFC 3339
        BadTimestamp = "bad_timestamp",
        /// a catalog id that is no preset
        UnknownPreset = "unknown_preset",
        /// an input past the documented limits
        TooLarge = "too_large",
        /// a file that cannot be read
        Io = "io",
    }
}

/// A refused input: code, where (file and JSON path) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// the kind, whose [`LoadErrorKind::code`] is stable
    pub kind: LoadErrorKind,
    /// the file (or other source) name, when known
    pub file: Option<String>,
    /// the JSON path inside it, e.g. `roles[2].inherits[0]`
    pub path: String,
    /// what was wrong, naming the offending value in backticks
    pub message: String,
}

impl LoadError {
    /// A new error at `path`.
    pub fn new(kind: LoadErrorKind, path: impl Into<String>, message: impl Into<String>) -> Self {
        LoadError {
            kind,
            file: None,
            path: path.into(),
            message: message.into(),
        }
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// Names the file this error came from (kept if already set).
    pub fn in_file(mut self, file: &str) -> Self {
        if self.file.is_none() {
            self.file = Some(file.to_string());
        }
        self
    }

    /// Prefixes the path (for a document nested in another, e.g. a vector file's `directory`).
    pub fn under(mut self, prefix: &str) -> Self {
        self.path = if self.path == "$" {
            prefix.to_string()
        } else {
            format!("{prefix}.{}", self.path)
        };
        self
    }
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{file}: ")?;
        }
        write!(f, "{}: {} [{}]", self.path, self.message, self.kind.code())
    }
}

impl std::error::Error for LoadError {}

impl From<crate::json::JsonError> for LoadError {
    fn from(e: crate::json::JsonError) -> Self {
        LoadError::new(
            e.kind,
            format!("line {} column {}", e.line, e.column),
            e.message,
        )
    }
}
