//! Instants: RFC 3339 text to milliseconds since the Unix epoch and back,
//! through the `time` crate. No clock is read here but in [`now`]; the rules
//! take `now` as an argument, so every decision is reproducible.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Milliseconds since 1970-01-01T00:00:00Z.
pub type Millis = i64;

/// Parses an RFC 3339 date-time such as `2026-11-23T12:00:00Z` or
/// `2026-11-23T14:00:00.5+02:00`. Fractions beyond milliseconds are cut.
pub fn parse_rfc3339(s: &str) -> Option<Millis> {
    let t = OffsetDateTime::parse(s, &Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos().div_euclid(1_000_000)).ok()
}

/// Formats an instant as `2026-11-23T12:00:00Z` (with `.250` when it has
/// milliseconds).
pub fn format_rfc3339(millis: Millis) -> String {
    let nanos = i128::from(millis) * 1_000_000;
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("@{millis}ms"))
}

/// The system clock, in milliseconds since the epoch.
pub fn now() -> Millis {
    let t = OffsetDateTime::now_utc();
    i64::try_from(t.unix_timestamp_nanos().div_euclid(1_000_000)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_known_instants() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2026-11-23T12:00:00Z"),
            Some(1_795_435_200_000)
        );
        assert_eq!(
            parse_rfc3339("2026-11-23T14:00:00+02:00"),
            Some(1_795_435_200_000)
        );
        assert_eq!(
            parse_rfc3339("2026-11-23T12:00:00.25Z"),
            Some(1_795_435_200_250)
        );
        assert_eq!(
            parse_rfc3339("2024-02-29T00:00:00Z"),
            Some(1_709_164_800_000)
        );
    }

    #[test]
    fn refuses_what_is_not_rfc_3339() {
        for bad in [
            "2026-11-23",
            "2026-11-23T12:00:00",
            "2026-13-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-11-23T24:00:00Z",
            "2026-11-23T12:00:00+0200",
            "yesterday",
            "2026-11-23T12:00:00.Z",
            "2026-11-23T12:00:00Zjunk",
            "+026-11-23T12:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_and_parses_back() {
        for ms in [
            0,
            1_795_435_200_000,
            1_709_164_800_000,
            253_402_300_799_000,
            1_795_435_200_250,
        ] {
            assert_eq!(parse_rfc3339(&format_rfc3339(ms)), Some(ms));
        }
        assert_eq!(format_rfc3339(1_795_435_200_000), "2026-11-23T12:00:00Z");
    }
}
