//! Virtual time: integer milliseconds since the start of the run. Never `f64`.

use std::fmt;

/// A point in virtual time, in milliseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);

    pub const fn from_millis(ms: u64) -> SimTime {
        SimTime(ms)
    }
    pub const fn from_secs(s: u64) -> SimTime {
        SimTime(s * 1000)
    }
    pub const fn as_millis(self) -> u64 {
        self.0
    }
    /// Saturating addition of a duration in milliseconds.
    pub const fn plus(self, ms: u64) -> SimTime {
        SimTime(self.0.saturating_add(ms))
    }
    pub const fn since(self, earlier: SimTime) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

/// Seconds with millisecond precision (`345.120`), the format of every time column.
impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}", self.0 / 1000, self.0 % 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_seconds_with_millis() {
        assert_eq!(SimTime(345_120).to_string(), "345.120");
        assert_eq!(SimTime(5).to_string(), "0.005");
        assert_eq!(SimTime::from_secs(2).plus(1).to_string(), "2.001");
    }
}
