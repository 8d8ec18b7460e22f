//! Kubernetes resource quantities ("250m", "0.5", "1.5Gi", "100M", "1e3"), parsed as
//! apimachinery's `resource.ParseQuantity` parses them: an optional sign, a decimal number,
//! then one suffix (binary `Ki..Ei`, decimal `n u m k M G T P E`, or an exponent `e3`/`E-2`).
//! The value is kept exact; `value()` and `milli_value()` round up like upstream's
//! `Value()` and `MilliValue()`.

use std::fmt;

/// The regular expression upstream quotes when a quantity does not parse.
pub const QUANTITY_FORMAT: &str = "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/// An exact quantity: `mantissa * 10^exp10 * 2^exp2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quantity {
    mantissa: i128,
    exp10: i32,
    exp2: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error("quantities must match the regular expression {QUANTITY_FORMAT}")]
    Format,
    #[error("unable to parse quantity's suffix")]
    Suffix,
    #[error("quantity is too large or too precise to represent")]
    Range,
}

impl Quantity {
    pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
        let b = s.as_bytes();
        if b.is_empty() {
            return Err(QuantityError::Format);
        }
        let mut pos = 0;
        let mut negative = false;
        if b[0] == b'+' || b[0] == b'-' {
            negative = b[0] == b'-';
            pos = 1;
        }
        // Digits, at most one '.', at least one digit overall.
        let num_start = pos;
        let mut seen_dot = false;
        let mut digits = 0usize;
        while pos < b.len() {
            match b[pos] {
                b'0'..=b'9' => digits += 1,
                b'.' if !seen_dot => seen_dot = true,
                b'.' => return Err(QuantityError::Format),
                _ => break,
            }
            pos += 1;
        }
        if digits == 0 {
            return Err(QuantityError::Format);
        }
        let number = &s[num_start..pos];
        // Suffix: letters from the suffix alphabet, then an optional sign and digits.
        let suffix_start = pos;
        while pos < b.len() && b"eEinumkKMGTP".contains(&b[pos]) {
            pos += 1;
        }
        if pos < b.len() && (b[pos] == b'-' || b[pos] == b'+') {
            pos += 1;
        }
        while pos < b.len() {
            if !b[pos].is_ascii_digit() {
                return Err(QuantityError::Format);
            }
            pos += 1;
        }
        let (exp10_suffix, exp2) = parse_suffix(&s[suffix_start..])?;

        let mut mantissa: i128 = 0;
        let mut exp10: i64 = exp10_suffix as i64;
        let mut after_dot = false;
        let mut significant = 0;
        for c in number.bytes() {
            if c == b'.' {
                after_dot = true;
                continue;
            }
            let d = (c - b'0') as i128;
            if mantissa == 0 && d == 0 {
                if after_dot {
                    exp10 -= 1;
                }
                continue;
            }
            significant += 1;
            if significant > 30 {
                // Extra precision beyond 30 digits: drop zeros, refuse anything else.
                if d != 0 {
                    return Err(QuantityError::Range);
                }
                if !after_dot {
                    exp10 += 1;
                }
                continue;
            }
            mantissa = mantissa * 10 + d;
            if after_dot {
                exp10 -= 1;
            }
        }
        if negative {
            mantissa = -mantissa;
        }
        let exp10 = i32::try_from(exp10).map_err(|_| QuantityError::Range)?;
        if mantissa != 0 && !(-60..=60).contains(&exp10) {
            return Err(QuantityError::Range);
        }
        Ok(Quantity { mantissa, exp10, exp2 })
    }

    pub fn is_negative(&self) -> bool {
        self.mantissa < 0
    }

    pub fn is_zero(&self) -> bool {
        self.mantissa == 0
    }

    /// The value scaled by `10^scale`, rounded up (towards +inf), if it fits an `i64`.
    pub fn scaled_ceil(&self, scale: i32) -> Option<i64> {
        if self.mantissa == 0 {
            return Some(0);
        }
        let mut num: i128 = self.mantissa;
        let mut den: i128 = 1;
        let e = self.exp10 + scale;
        let pow10 = |n: u32| 10i128.checked_pow(n);
        if e >= 0 {
            num = num.checked_mul(pow10(e as u32)?)?;
        } else {
            den = pow10((-e) as u32)?;
        }
        num = num.checked_mul(1i128.checked_shl(self.exp2)?)?;
        let q = num.div_euclid(den);
        let r = num.rem_euclid(den);
        let v = if r != 0 { q + 1 } else { q };
        i64::try_from(v).ok()
    }

    /// `Value()`: whole units, rounded up (bytes for memory, count for pods).
    pub fn value(&self) -> Option<i64> {
        self.scaled_ceil(0)
    }

    /// `MilliValue()`: thousandths, rounded up (millicores for cpu).
    pub fn milli_value(&self) -> Option<i64> {
        self.scaled_ceil(3)
    }
}

fn parse_suffix(s: &str) -> Result<(i32, u32), QuantityError> {
    Ok(match s {
        "" => (0, 0),
        "Ki" => (0, 10),
        "Mi" => (0, 20),
        "Gi" => (0, 30),
        "Ti" => (0, 40),
        "Pi" => (0, 50),
        "Ei" => (0, 60),
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        _ => {
            let b = s.as_bytes();
            if b.len() >= 2 && (b[0] == b'e' || b[0] == b'E') {
                let rest = &s[1..];
                let digits = rest.strip_prefix(['+', '-']).unwrap_or(rest);
                if !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit()) {
                    let e: i32 = rest.parse().map_err(|_| QuantityError::Range)?;
                    return Ok((e, 0));
                }
            }
            return Err(QuantityError::Suffix);
        }
    })
}

/// Memory-style rendering for messages: bytes in the largest exact binary unit.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["Ei", "Pi", "Ti", "Gi", "Mi", "Ki"];
    for (i, u) in UNITS.iter().enumerate() {
        let shift = 60 - 10 * i as u32;
        if bytes != 0 && bytes.is_multiple_of(1u64 << shift) {
            return format!("{}{}", bytes >> shift, u);
        }
    }
    bytes.to_string()
}

/// A plain count as a DecimalSI quantity prints it: in the largest exact power-of-1000 unit
/// ("419430", "4k", "2M").
pub fn format_decimal(n: u64) -> String {
    const UNITS: [(&str, u64); 6] = [
        ("E", 1_000_000_000_000_000_000),
        ("P", 1_000_000_000_000_000),
        ("T", 1_000_000_000_000),
        ("G", 1_000_000_000),
        ("M", 1_000_000),
        ("k", 1_000),
    ];
    for (u, f) in UNITS {
        if n != 0 && n.is_multiple_of(f) {
            return format!("{}{u}", n / f);
        }
    }
    n.to_string()
}

/// Cpu rendering for messages: whole cores or millicores ("2", "250m").
pub fn format_millicores(m: u64) -> String {
    if m.is_multiple_of(1000) { (m / 1000).to_string() } else { format!("{m}m") }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}e{}*2^{}", self.mantissa, self.exp10, self.exp2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// resource.Quantity's canonical DecimalSI form of a count (as a pid threshold prints).
    #[test]
    fn counts_print_in_the_largest_exact_decimal_unit() {
        assert_eq!(format_decimal(209_715), "209715");
        assert_eq!(format_decimal(4_000), "4k");
        assert_eq!(format_decimal(2_000_000), "2M");
        assert_eq!(format_decimal(0), "0");
    }
    use proptest::prelude::*;

    fn v(s: &str) -> i64 {
        Quantity::parse(s).unwrap().value().unwrap()
    }
    fn m(s: &str) -> i64 {
        Quantity::parse(s).unwrap().milli_value().unwrap()
    }

    #[test]
    fn upstream_examples() {
        assert_eq!(m("250m"), 250);
        assert_eq!(m("0.5"), 500);
        assert_eq!(m("1"), 1000);
        assert_eq!(m(".5"), 500);
        assert_eq!(m("5."), 5000);
        assert_eq!(v("1.5Gi"), 1_610_612_736);
        assert_eq!(v("100M"), 100_000_000);
        assert_eq!(v("1e3"), 1000);
        assert_eq!(v("1E3"), 1000);
        assert_eq!(v("1e-3"), 1); // rounds up
        assert_eq!(m("1e-3"), 1);
        assert_eq!(v("128974848"), 128_974_848);
        assert_eq!(v("129e6"), 129_000_000);
        assert_eq!(v("123Mi"), 128_974_848);
        assert_eq!(v("1k"), 1000);
        assert_eq!(v("1Ki"), 1024);
        assert_eq!(v("0.1Gi"), 107_374_183); // 107374182.4 rounded up
        assert_eq!(m("100u"), 1); // 0.0001 cores -> 1m, rounded up
        assert_eq!(m("1n"), 1);
        assert_eq!(v("+5"), 5);
        assert_eq!(v("-5"), -5);
        assert_eq!(v("0"), 0);
        assert_eq!(v("00012.500"), 13);
        assert_eq!(Quantity::parse("8Ei").unwrap().value(), None); // 2^63 overflows int64
    }

    #[test]
    fn rejects_bad_input() {
        for s in ["", "Gi", "1Qi", "1.2.3", "abc", "1 Gi", "--1", "1e", "1Gi3", "1i", ".", "1e3.5", "1E+"] {
            assert!(Quantity::parse(s).is_err(), "{s} should not parse");
        }
        assert_eq!(Quantity::parse("1Qi"), Err(QuantityError::Format));
        assert_eq!(Quantity::parse("1KiB"), Err(QuantityError::Format));
        assert_eq!(Quantity::parse("1Z"), Err(QuantityError::Format));
        assert_eq!(Quantity::parse("1mm"), Err(QuantityError::Suffix));
        assert_eq!(Quantity::parse("16Ei").unwrap().value(), None);
        assert_eq!(Quantity::parse("1e300"), Err(QuantityError::Range));
    }

    proptest! {
        #[test]
        fn integers_round_trip(n in 0i64..1_000_000_000_000) {
            prop_assert_eq!(v(&n.to_string()), n);
            prop_assert_eq!(m(&format!("{n}m")), n);
            prop_assert_eq!(v(&format!("{n}k")), n * 1000);
        }

        #[test]
        fn binary_suffixes_multiply(n in 0i64..1_000_000) {
            prop_assert_eq!(v(&format!("{n}Ki")), n << 10);
            prop_assert_eq!(v(&format!("{n}Mi")), n << 20);
            prop_assert_eq!(v(&format!("{n}Gi")), n << 30);
        }

        #[test]
        fn decimals_round_up(whole in 0i64..100_000, frac in 0u32..1000) {
            // "W.FFF" cores -> exact millicores; "W.FFF" bytes -> rounded up.
            let s = format!("{whole}.{frac:03}");
            prop_assert_eq!(m(&s), whole * 1000 + frac as i64);
            prop_assert_eq!(v(&s), whole + i64::from(frac > 0));
        }

        #[test]
        fn exponent_equals_suffix(n in 0i64..1_000_000, e in 0i32..9) {
            prop_assert_eq!(v(&format!("{n}e{e}")), n * 10i64.pow(e as u32));
        }

        #[test]
        fn never_panics(s in "\\PC{0,12}") {
            let _ = Quantity::parse(&s).map(|q| (q.value(), q.milli_value()));
        }
    }
}
