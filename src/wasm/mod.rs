//! The JavaScript boundary (feature `wasm`): the only module that touches
//! `wasm_bindgen`. The wasm module holds the decision and nothing else: a
//! catalog manifest and a snapshot claim, rebuilt into the browser core's
//! types and checked by the core ([`Manifest::new`], [`Snapshot::new`]),
//! then checks in the core's check order ([`Snapshot::check_source`], which
//! calls [`decide`](crate::core::rules::decide)), and the byte
//! checks of a strict Ed25519 verification ([`strict_signature_prechecks`],
//! [`is_small_order`]).
//!
//! The package's JS does the rest (`pkg-config/`): WebCrypto, `JSON.parse`,
//! the header, claim and key rules, the manifest hash, the shapes of the
//! manifest and the claim, and every message. What crosses is numbers only:
//!
//! * inputs are written by JS into one buffer of `f64` in the module's
//!   memory (the exchange buffer, [`io`]): a manifest or a claim flattened
//!   as [`flat`] describes, the resource of a scoped check as typed slots
//!   (`[tag, value]` per attribute), the bytes of a key and a signature;
//! * a manifest and a checker are kept here and named by a handle (a
//!   non-negative number) until [`release`]; a refusal is a negative number,
//!   `-1 - i` for [`VerifyError::CODES`]`[i]`, with the detail of a
//!   `malformed` one readable through [`detail`];
//! * a check answers one packed number: the [`Reason`] index, whether a
//!   resource could change it, and the index + 1 of the source `by` names
//!   ([`check`]).
//!
//! No serde, no JSON, no `format!` and no std in the browser build, and no
//! indexing that could panic: its panic handler traps, so nothing of
//! `core::fmt` is linked (`pkg-config/README.md`, "Design notes").

use crate::core::error::VerifyError;
use crate::core::rules::{AttrValue, Reason, ResourceView};
use crate::core::snapshot::keys::{is_small_order, strict_signature_prechecks};
use crate::core::snapshot::{Manifest, Snapshot};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use wasm_bindgen::prelude::*;

pub mod flat;

// A free-list allocator of a few hundred bytes instead of dlmalloc's eight
// kilobytes: the browser build allocates little, in small pieces.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

// The browser build has no std: a panic (none is reachable from this
// module's code; std's own, such as a capacity overflow, are) traps, and
// JS sees a `WebAssembly.RuntimeError`, as it would with std's panic=abort.
// Nothing formats a panic message, so no formatting machinery is linked.
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

/// What a check answers for a handle that names no checker: no reason
/// (JS reads it as a denial).
pub const NO_ANSWER: u32 = 0x7f;

/// Slot tags: what JS wrote for an attribute of a scoped check's resource.
pub mod tag {
    /// absent (or not a string, a finite number or a boolean)
    pub const ABSENT: u32 = 0;
    /// a number
    pub const NUM: u32 = 1;
    /// a boolean: the value is 0 or 1
    pub const BOOL: u32 = 2;
    /// a string of the intern table: the value is its index
    pub const STR: u32 = 3;
    /// any other string
    pub const OTHER_STR: u32 = 4;
}

/// A verified snapshot checked against its manifest, with what its scoped
/// checks need.
struct Checker {
    snapshot: Snapshot,
    /// slot `i` holds the resource's attribute `attrs[i]`
    attrs: Vec<String>,
    /// the strings a string slot can name (the subject and the strings the
    /// conditions compare with)
    strings: Vec<String>,
}

enum Held {
    Free,
    Manifest(Arc<Manifest>),
    Checker(Box<Checker>),
}

/// Everything the module keeps between calls.
struct State {
    io: Vec<f64>,
    held: Vec<Held>,
    detail: String,
}

static STATE: spin::Mutex<State> = spin::Mutex::new(State {
    io: Vec::new(),
    held: Vec::new(),
    detail: String::new(),
});

/// Runs `f` on the state; `fallback` if it is held (a call made while
/// another runs: never, the module is single-threaded and not re-entered).
fn with<R>(fallback: R, f: impl FnOnce(&mut State) -> R) -> R {
    STATE.try_lock().map_or(fallback, |mut s| f(&mut s))
}

impl State {
    /// Keeps `item` and names it.
    fn hold(&mut self, item: Held) -> i32 {
        let at = match self.held.iter().position(|h| matches!(h, Held::Free)) {
            Some(i) => i,
            None => {
                self.held.push(Held::Free);
                self.held.len() - 1
            }
        };
        if let Some(slot) = self.held.get_mut(at) {
            *slot = item;
        }
        at as i32
    }

    /// A refusal: its negative code, and its detail kept for [`detail`].
    fn refuse(&mut self, e: VerifyError) -> i32 {
        let code = e.index();
        self.detail = match e {
            VerifyError::Malformed { detail } => detail,
            _ => String::new(),
        };
        -1 - code as i32
    }
}

/// The checker `h` names, if it names one.
fn checker_of(held: &[Held], h: u32) -> Option<&Checker> {
    match held.get(h as usize)? {
        Held::Checker(c) => Some(c),
        _ => None,
    }
}

fn garbled() -> VerifyError {
    VerifyError::malformed("the package passed a flattened value the module does not read")
}

/// Makes the exchange buffer hold at least `len` numbers; returns its byte
/// offset in the module's memory. Only this call moves the buffer (and any
/// call may grow the memory, which detaches JS's views of it).
#[wasm_bindgen]
pub fn io(len: u32) -> u32 {
    with(0, |s| {
        if s.io.len() < len as usize {
            s.io.resize(len as usize, 0.0);
        }
        s.io.as_ptr() as usize as u32
    })
}

/// Reads the manifest flattened in the first `len` numbers of the buffer
/// and checks it ([`Manifest::new`]: version, indices in range, sources in
/// order); a handle, or a refusal.
#[wasm_bindgen]
pub fn manifest(len: u32) -> i32 {
    with(-1, |s| {
        let mut f = flat::Flat::new(s.io.get(..len as usize).unwrap_or_default());
        let (hash, data) = f.manifest();
        if !f.ok() {
            return s.refuse(garbled());
        }
        match Manifest::new(data, hash) {
            Ok(m) => s.hold(Held::Manifest(Arc::new(m))),
            Err(e) => s.refuse(e),
        }
    })
}

/// Reads the claim flattened in the first `len` numbers of the buffer and
/// checks it against manifest `manifest` ([`Snapshot::new`]:
/// `manifest_mismatch`, `unsupported_version`, `malformed`); a handle, or
/// a refusal. The buffer must hold the slots before a scoped [`check`] is
/// asked (JS sizes it).
#[wasm_bindgen]
pub fn checker(manifest: u32, len: u32) -> i32 {
    with(-1, |s| {
        let Some(Held::Manifest(m)) = s.held.get(manifest as usize) else {
            return s.refuse(garbled());
        };
        let m = Arc::clone(m);
        let mut f = flat::Flat::new(s.io.get(..len as usize).unwrap_or_default());
        let c = f.claim();
        if !f.ok() {
            return s.refuse(garbled());
        }
        match Snapshot::new(m, c.claim, c.subject, c.expires_at) {
            Ok(snapshot) => s.hold(Held::Checker(Box::new(Checker {
                snapshot,
                attrs: c.attrs,
                strings: c.strings,
            }))),
            Err(e) => s.refuse(e),
        }
    })
}

/// Forgets a manifest or a checker (a checker keeps its manifest alive).
#[wasm_bindgen]
pub fn release(handle: u32) {
    with((), |s| {
        if let Some(h) = s.held.get_mut(handle as usize) {
            *h = Held::Free;
        }
    });
}

/// Writes the detail of the last `malformed` refusal into the buffer, one
/// UTF-8 byte per number (as much as the buffer holds; JS sizes it), and
/// returns how many it wrote.
#[wasm_bindgen]
pub fn detail() -> u32 {
    with(0, |s| {
        let State { io, detail, .. } = s;
        io.iter_mut()
            .zip(detail.bytes())
            .map(|(o, b)| *o = f64::from(b))
            .count() as u32
    })
}

/// One answer of checker `checker` at `now` (milliseconds), packed: the
/// reason index in bits 0 to 6; bit 7, for a check without a resource, set
/// when a resource could change the answer (the label's sources decided it,
/// and one of them has a conditional rule for the permission: JS keeps the
/// answers without a resource, and asks again only for those); above, the
/// index + 1 of the source that decided (0 for none). `scoped`: the resource is in the slots
/// at the start of the buffer; otherwise there is none. JS passes only a
/// safe non-negative integer `label` and a permission of the manifest.
#[wasm_bindgen]
pub fn check(checker: u32, permission: u32, label: f64, now: f64, scoped: bool) -> u32 {
    with(NO_ANSWER, |s| {
        let Some(c) = checker_of(&s.held, checker) else {
            return NO_ANSWER;
        };
        let slots = Slots {
            checker: c,
            io: &s.io,
        };
        let (p, label) = (permission as usize, label as u64);
        let snapshot = &c.snapshot;
        let (v, by) = snapshot.check_source(p, label, scoped.then_some(&slots), now as i64);
        let by = by.map_or(0, |i| i as u32 + 1);
        let by_sources = matches!(
            v.reason,
            Reason::Restricted | Reason::Granted | Reason::ConditionFailed | Reason::NotGranted
        );
        let depends = !scoped && by_sources && conditional(snapshot, label, p);
        v.reason as u32 | u32::from(depends) << 7 | by << 8
    })
}

/// Whether a conditional rule of `label`'s sources names permission `p`.
fn conditional(snapshot: &Snapshot, label: u64, p: usize) -> bool {
    let Some((grants, denies)) = snapshot.label(label).and_then(|l| l.access.as_ref()) else {
        return false;
    };
    grants.iter().chain(denies).any(|&i| {
        snapshot
            .source(i as usize)
            .is_some_and(|(_, _, rules)| rules.when.iter().any(|r| r.perm == p))
    })
}

/// The byte checks a strict Ed25519 verification adds to RFC 8032's
/// ([`strict_signature_prechecks`]: canonical `S`, neither `R` nor the key
/// of small order) on the key in the buffer's numbers 0 to 31 and the
/// signature in 32 to 95, one byte each; JS asks WebCrypto only when they
/// pass.
#[wasm_bindgen(js_name = strictPrechecks)]
pub fn strict_prechecks() -> bool {
    with(false, |s| {
        let (mut key, mut sig) = ([0u8; 32], [0u8; 64]);
        match s.io.get(..96) {
            Some(io) => {
                key.iter_mut()
                    .chain(sig.iter_mut())
                    .zip(io)
                    .for_each(|(b, v)| *b = *v as u8);
                strict_signature_prechecks(&key, &sig)
            }
            None => false,
        }
    })
}

/// Whether the key in the buffer's numbers 0 to 31 (one byte each) is a
/// point of small order ([`is_small_order`]: a JWKS with such a key is
/// refused).
#[wasm_bindgen(js_name = smallOrder)]
pub fn small_order() -> bool {
    with(true, |s| {
        let mut key = [0u8; 32];
        match s.io.get(..32) {
            Some(io) => {
                key.iter_mut().zip(io).for_each(|(b, v)| *b = *v as u8);
                is_small_order(&key)
            }
            None => true,
        }
    })
}

/// The resource of a scoped check, as JS wrote it into the slots.
struct Slots<'a> {
    checker: &'a Checker,
    io: &'a [f64],
}

impl ResourceView for Slots<'_> {
    fn attr(&self, name: &str) -> Option<AttrValue<'_>> {
        let c = self.checker;
        let i = c.attrs.iter().position(|a| a == name)?;
        let tag = *self.io.get(2 * i)?;
        let value = *self.io.get(2 * i + 1)?;
        match tag as u32 {
            tag::NUM => Some(AttrValue::Num(value)),
            tag::BOOL => Some(AttrValue::Bool(value != 0.0)),
            tag::STR => Some(
                c.strings
                    .get(value as usize)
                    .map_or(AttrValue::OtherStr, |s| AttrValue::Str(s)),
            ),
            tag::OTHER_STR => Some(AttrValue::OtherStr),
            _ => None,
        }
    }
}
