//! Go durations ("1h30m", "250ms", "1.5s"), parsed exactly as Go's `time.ParseDuration`
//! parses them (to integer nanoseconds, with its overflow rules), and formatted as
//! `time.Duration.String()` formats them, for messages such as "Successfully pulled image
//! ... in 1.4s".

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("time: invalid duration {0:?}")]
    Invalid(String),
    #[error("time: missing unit in duration {0:?}")]
    MissingUnit(String),
    #[error("time: unknown unit {unit:?} in duration {orig:?}")]
    UnknownUnit { unit: String, orig: String },
}

const OVERFLOW: u64 = 1 << 63;

fn unit_nanos(u: &str) -> Option<u64> {
    Some(match u {
        "ns" => 1,
        "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return None,
    })
}

/// Parse a Go duration to nanoseconds.
pub fn parse_go_duration(orig: &str) -> Result<i64, DurationError> {
    let invalid = || DurationError::Invalid(orig.to_string());
    let mut s = orig;
    let mut neg = false;
    if let Some(c) = s.chars().next()
        && (c == '-' || c == '+')
    {
        neg = c == '-';
        s = &s[1..];
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut d: u64 = 0;
    while !s.is_empty() {
        let b = s.as_bytes();
        if !(b[0] == b'.' || b[0].is_ascii_digit()) {
            return Err(invalid());
        }
        // Leading integer.
        let mut v: u64 = 0;
        let mut i = 0;
        while i < b.len() && b[i].is_ascii_digit() {
            if v > OVERFLOW / 10 {
                return Err(invalid());
            }
            v = v * 10 + (b[i] - b'0') as u64;
            if v > OVERFLOW {
                return Err(invalid());
            }
            i += 1;
        }
        let pre = i > 0;
        s = &s[i..];
        // Fraction.
        let mut f: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut post = false;
        if s.as_bytes().first() == Some(&b'.') {
            s = &s[1..];
            let b = s.as_bytes();
            let mut i = 0;
            let mut overflow = false;
            while i < b.len() && b[i].is_ascii_digit() {
                if !overflow {
                    if f > (OVERFLOW - 1) / 10 {
                        overflow = true;
                    } else {
                        let y = f * 10 + (b[i] - b'0') as u64;
                        if y > OVERFLOW {
                            overflow = true;
                        } else {
                            f = y;
                            scale *= 10.0;
                        }
                    }
                }
                i += 1;
            }
            post = i > 0;
            s = &s[i..];
        }
        if !pre && !post {
            return Err(invalid());
        }
        // Unit.
        let unit_end = s.find(|c: char| c == '.' || c.is_ascii_digit()).unwrap_or(s.len());
        if unit_end == 0 {
            return Err(DurationError::MissingUnit(orig.to_string()));
        }
        let u = &s[..unit_end];
        s = &s[unit_end..];
        let unit =
            unit_nanos(u).ok_or_else(|| DurationError::UnknownUnit { unit: u.to_string(), orig: orig.to_string() })?;
        if v > OVERFLOW / unit {
            return Err(invalid());
        }
        v *= unit;
        if f > 0 {
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > OVERFLOW {
                return Err(invalid());
            }
        }
        d += v;
        if d > OVERFLOW {
            return Err(invalid());
        }
    }
    if neg {
        return Ok((d as i64).wrapping_neg());
    }
    if d > OVERFLOW - 1 {
        return Err(invalid());
    }
    Ok(d as i64)
}

/// Format milliseconds as Go's `Duration.String()` would ("1.4s", "700ms", "2m0s", "1h0m0s").
pub fn format_go_duration_ms(ms: u64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let total_s = ms / 1000;
    let frac = ms % 1000;
    let (h, m, s) = (total_s / 3600, (total_s / 60) % 60, total_s % 60);
    let mut secs = s.to_string();
    if frac != 0 {
        let f = format!("{frac:03}");
        secs.push('.');
        secs.push_str(f.trim_end_matches('0'));
    }
    if h > 0 {
        format!("{h}h{m}m{secs}s")
    } else if m > 0 {
        format!("{m}m{secs}s")
    } else {
        format!("{secs}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const S: i64 = 1_000_000_000;

    #[test]
    fn go_examples() {
        // Cases from Go's time package tests.
        let ok = [
            ("0", 0),
            ("5s", 5 * S),
            ("30s", 30 * S),
            ("1478s", 1478 * S),
            ("-5s", -5 * S),
            ("+5s", 5 * S),
            ("-0", 0),
            ("5.0s", 5 * S),
            ("5.6s", 5 * S + 600_000_000),
            ("5.s", 5 * S),
            (".5s", S / 2),
            ("1.004s", S + 4_000_000),
            ("1.0040s", S + 4_000_000),
            ("100.00100s", 100 * S + 1_000_000),
            ("10ns", 10),
            ("11us", 11_000),
            ("12\u{b5}s", 12_000),
            ("12\u{3bc}s", 12_000),
            ("13ms", 13_000_000),
            ("14s", 14 * S),
            ("15m", 15 * 60 * S),
            ("16h", 16 * 3600 * S),
            ("3h30m", (3 * 3600 + 30 * 60) * S),
            ("10.5s4m", 4 * 60 * S + 10 * S + S / 2),
            ("-2m3.4s", -(2 * 60 * S + 3 * S + 400_000_000)),
            ("1h2m3s4ms5us6ns", 3600 * S + 2 * 60 * S + 3 * S + 4_000_000 + 5_000 + 6),
            ("39h9m14.425s", 39 * 3600 * S + 9 * 60 * S + 14 * S + 425_000_000),
            ("52763797000ns", 52_763_797_000),
            ("0.3333333333333333333h", 20 * 60 * S),
            ("9007199254740993ns", (1i64 << 53) + 1),
            ("9223372036854775807ns", i64::MAX),
            ("9223372036854775.807us", i64::MAX),
            ("9223372036s854ms775us807ns", i64::MAX),
            ("-9223372036854775808ns", i64::MIN),
            ("0.100000000000000000000h", 6 * 60 * S),
            ("0.830103483285477580700h", 49 * 60 * S + 48 * S + 372_539_827),
        ];
        for (s, want) in ok {
            assert_eq!(parse_go_duration(s), Ok(want), "{s}");
        }
        for s in [
            "",
            "3",
            "-",
            "s",
            ".",
            "-.",
            ".s",
            "+.s",
            "1d",
            "\u{0}",
            "9223372036854775808ns",
            "9223372036854775.808us",
            "-9223372036854775809ns",
            "3000000h",
        ] {
            assert!(parse_go_duration(s).is_err(), "{s:?} should fail");
        }
        assert_eq!(parse_go_duration("1d"), Err(DurationError::UnknownUnit { unit: "d".into(), orig: "1d".into() }));
        assert_eq!(parse_go_duration("3"), Err(DurationError::MissingUnit("3".into())));
    }

    #[test]
    fn formats_like_go() {
        assert_eq!(format_go_duration_ms(0), "0s");
        assert_eq!(format_go_duration_ms(700), "700ms");
        assert_eq!(format_go_duration_ms(1400), "1.4s");
        assert_eq!(format_go_duration_ms(1000), "1s");
        assert_eq!(format_go_duration_ms(120_000), "2m0s");
        assert_eq!(format_go_duration_ms(3_600_000), "1h0m0s");
        assert_eq!(format_go_duration_ms(3_723_050), "1h2m3.05s");
    }

    proptest! {
        #[test]
        fn formatted_parses_back(ms in 0u64..10_000_000_000) {
            let s = format_go_duration_ms(ms);
            prop_assert_eq!(parse_go_duration(&s).unwrap(), ms as i64 * 1_000_000);
        }

        #[test]
        fn never_panics(s in "\\PC{0,16}") {
            let _ = parse_go_duration(&s);
        }
    }
}
