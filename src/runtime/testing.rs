//! A test harness (filled in below).
