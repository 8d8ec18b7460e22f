//! Cron schedules as the CronJob controller reads them: robfig/cron v3's `ParseStandard` (five
//! fields, names, `*`/`?`, ranges, steps, the `@yearly`... descriptors and `@every`), and its
//! `Next`, on kubesim's virtual calendar (UTC). Written here rather than with a cron crate:
//! which schedules are refused and how day-of-month and day-of-week combine are part of what is
//! simulated, and the crates implement other dialects (Vixie's `7`, Quartz's `L`/`W`/`#`).

/// Virtual time 0 on the calendar: Thursday 1 January 2026, 00:00:00 UTC (unix seconds).
pub const VIRTUAL_EPOCH_UNIX_SECONDS: i64 = 1_767_225_600;

/// robfig's marker for a field written as `*` or `?` (it decides how dom and dow combine).
const STAR: u64 = 1 << 63;

/// A parsed schedule, evaluated in a time zone (UTC when none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    spec: Spec,
    tz: Option<chrono_tz::Tz>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Spec {
    Fields {
        minute: u64,
        hour: u64,
        dom: u64,
        month: u64,
        dow: u64,
    },
    /// `@every D`: D in whole seconds, at least 1.
    Every(i64),
}

/// (year, month, day) of a day count since 1970-01-01 (proleptic Gregorian).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Days since 1970-01-01 of a civil date (month and day may overflow: normalised).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let (y, m) = (y + (i64::from(m) - 1).div_euclid(12), (i64::from(m) - 1).rem_euclid(12) + 1);
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn bounds(field: usize) -> (u32, u32, &'static [&'static str]) {
    const MONTHS: &[&str] = &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    const DAYS: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    match field {
        0 => (0, 59, &[]),
        1 => (0, 23, &[]),
        2 => (1, 31, &[]),
        3 => (1, 12, MONTHS),
        _ => (0, 6, DAYS),
    }
}

fn number(s: &str, names: &[&str], first: u32) -> Result<u32, String> {
    if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
        return Ok(i as u32 + first);
    }
    let v: i64 = s.parse().map_err(|e| format!("failed to parse int from {s}: {e}"))?;
    if v < 0 {
        return Err(format!("negative number ({v}) not allowed: {s}"));
    }
    Ok(v as u32)
}

/// One comma-separated part of a field (`getRange`).
fn range(expr: &str, field: usize) -> Result<u64, String> {
    let (min, max, names) = bounds(field);
    let (range_part, step) = match expr.split('/').collect::<Vec<_>>()[..] {
        [r] => (r, None),
        [r, s] => (r, Some(s)),
        _ => return Err(format!("too many slashes: {expr}")),
    };
    let hyphens: Vec<&str> = range_part.split('-').collect();
    let (start, mut end, mut extra) = if range_part == "*" || range_part == "?" {
        (min, max, STAR)
    } else {
        match hyphens[..] {
            [a] => {
                let v = number(a, names, min)?;
                (v, v, 0u64)
            }
            [a, b] => (number(a, names, min)?, number(b, names, min)?, 0u64),
            _ => return Err(format!("too many hyphens: {expr}")),
        }
    };
    let step = match step {
        None => 1,
        Some(s) => {
            let n = number(s, &[], 0)?;
            // `N/step` means N to the end of the field.
            if hyphens.len() == 1 && extra == 0 {
                end = max;
            }
            if n > 1 {
                extra = 0;
            }
            n
        }
    };
    if start < min {
        return Err(format!("beginning of range ({start}) below minimum ({min}): {expr}"));
    }
    if end > max {
        return Err(format!("end of range ({end}) above maximum ({max}): {expr}"));
    }
    if start > end {
        return Err(format!("beginning of range ({start}) beyond end of range ({end}): {expr}"));
    }
    if step == 0 {
        return Err(format!("step of range should be a positive number: {expr}"));
    }
    let mut bits = 0u64;
    let mut i = start;
    while i <= end {
        bits |= 1 << i;
        i += step;
    }
    Ok(bits | extra)
}

impl Schedule {
    /// `cron.ParseStandard`: Err with robfig's message.
    pub fn parse(spec: &str) -> Result<Schedule, String> {
        let spec = spec.trim();
        if spec.is_empty() {
            return Err("empty spec string".into());
        }
        let expanded = match spec {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            s if s.starts_with("@every ") => {
                let d = s.trim_start_matches("@every ").trim();
                let ns = crate::api::duration::parse_go_duration(d)
                    .map_err(|e| format!("failed to parse duration {s}: {e}"))?;
                return Ok(Schedule { spec: Spec::Every((ns / 1_000_000_000).max(1)), tz: None });
            }
            s if s.starts_with('@') => return Err(format!("unrecognized descriptor: {s}")),
            s => s,
        };
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(format!("expected exactly 5 fields, found {}: [{}]", fields.len(), fields.join(" ")));
        }
        let mut masks = [0u64; 5];
        for (i, f) in fields.iter().enumerate() {
            for part in f.split(',') {
                masks[i] |= range(part, i)?;
            }
        }
        let spec = Spec::Fields { minute: masks[0], hour: masks[1], dom: masks[2], month: masks[3], dow: masks[4] };
        Ok(Schedule { spec, tz: None })
    }

    /// The same schedule read in an IANA time zone (`spec.timeZone`).
    pub fn in_zone(self, tz: chrono_tz::Tz) -> Schedule {
        Schedule { tz: Some(tz), ..self }
    }

    /// The first activation strictly after `t` (unix seconds); `None` when nothing matches
    /// within five years (robfig returns the zero time). In a zone, the fields match the local
    /// wall clock: a local time skipped by a daylight-saving jump does not fire, a repeated one
    /// fires at its first occurrence.
    pub fn next(&self, t: i64) -> Option<i64> {
        use chrono::{Offset, TimeZone};
        let Some(tz) = self.tz.filter(|_| matches!(self.spec, Spec::Fields { .. })) else {
            return self.next_utc(t);
        };
        let utc = chrono::DateTime::from_timestamp(t, 0)?.naive_utc();
        let mut local = t + i64::from(tz.offset_from_utc_datetime(&utc).fix().local_minus_utc());
        for _ in 0..10_000 {
            local = self.next_utc(local)?;
            let naive = chrono::DateTime::from_timestamp(local, 0)?.naive_utc();
            if let Some(dt) = tz.from_local_datetime(&naive).earliest()
                && dt.timestamp() > t
            {
                return Some(dt.timestamp());
            }
        }
        None
    }

    /// `next` on the UTC calendar (or on a zone's wall clock read as if it were UTC).
    fn next_utc(&self, t: i64) -> Option<i64> {
        let Spec::Fields { minute, hour, dom, month, dow } = self.spec else {
            let Spec::Every(d) = self.spec else { unreachable!() };
            return Some(t + d);
        };
        let has = |mask: u64, v: u32| mask & (1 << v) != 0;
        let day_matches = |days: i64, d: u32| {
            let wd = (days + 4).rem_euclid(7) as u32; // 1970-01-01 was a Thursday
            let (dm, wm) = (has(dom, d), has(dow, wd));
            if dom & STAR != 0 || dow & STAR != 0 { dm && wm } else { dm || wm }
        };
        let mut t = t + 1;
        let (start_year, ..) = civil_from_days(t.div_euclid(86_400));
        loop {
            let days = t.div_euclid(86_400);
            let (y, m, d) = civil_from_days(days);
            let secs = t.rem_euclid(86_400);
            let (h, mi, s) = ((secs / 3600) as u32, ((secs % 3600) / 60) as u32, (secs % 60) as u32);
            if y > start_year + 5 {
                return None;
            }
            if !has(month, m) {
                t = days_from_civil(y, m + 1, 1) * 86_400;
                continue;
            }
            if !day_matches(days, d) {
                t = (days + 1) * 86_400;
                continue;
            }
            if !has(hour, h) {
                t = days * 86_400 + (i64::from(h) + 1) * 3600;
                continue;
            }
            if !has(minute, mi) {
                t = days * 86_400 + i64::from(h) * 3600 + (i64::from(mi) + 1) * 60;
                continue;
            }
            if s != 0 {
                t += 60 - i64::from(s);
                continue;
            }
            return Some(t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2016-05-19T10:00:00Z, upstream's `topOfTheHour()` (a Thursday).
    const T0: i64 = 1_463_652_000;

    #[test]
    fn the_calendar_functions_agree() {
        assert_eq!(civil_from_days(VIRTUAL_EPOCH_UNIX_SECONDS / 86_400), (2026, 1, 1));
        for days in [-1000i64, 0, 59, 60, 10_957, 20_454, 30_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(2026, 13, 1), days_from_civil(2027, 1, 1));
    }

    #[test]
    fn next_follows_robfigs_rules() {
        let n = |s: &str, t: i64| Schedule::parse(s).unwrap().next(t).map(|x| x - T0);
        assert_eq!(n("0 * * * *", T0), Some(3600));
        assert_eq!(n("*/5 * * * *", T0 + 30), Some(300));
        // Weekdays only: Thursday 10:00 -> the next 30 6-16/4 slot is 10:30 the same day.
        assert_eq!(n("30 6-16/4 * * 1-5", T0), Some(30 * 60));
        // Friday 16:30 -> Monday 06:30 (the weekend skipped).
        assert_eq!(n("30 6-16/4 * * 1-5", T0 + 30 * 3600 + 30 * 60), Some((3 * 24 + 20) * 3600 + 30 * 60));
        // dom and dow both restricted: either matches (the 1st, or a Sunday).
        assert_eq!(n("0 0 1 * sun", T0), Some((2 * 24 + 14) * 3600));
        assert_eq!(n("59 23 31 2 *", T0), None);
        assert_eq!(n("@every 1h", T0), Some(3600));
        assert_eq!(n("@hourly", T0 + 1), Some(3600));
    }

    #[test]
    fn a_zone_reads_the_fields_on_its_wall_clock() {
        let tz: chrono_tz::Tz = "Europe/Rome".parse().unwrap();
        let s = Schedule::parse("0 12 * * *").unwrap().in_zone(tz);
        // Noon in Rome on 19 May 2016 (summer time, +2) is 10:00 UTC.
        assert_eq!(s.next(T0 - 3600), Some(T0));
        // 27 March 2016 skipped 02:00-03:00 in Rome: a 02:30 schedule does not fire that day.
        let s = Schedule::parse("30 2 * * *").unwrap().in_zone(tz);
        let mar26 = 1_458_950_400; // 2016-03-26T00:00:00Z
        let first = s.next(mar26).unwrap();
        assert_eq!(first, mar26 + 3600 + 30 * 60); // 02:30 CET = 01:30 UTC on the 26th
        assert_eq!(s.next(first).unwrap(), first + 2 * 86_400 - 3600); // the 28th, 02:30 CEST
    }

    #[test]
    fn bad_schedules_get_robfigs_messages() {
        let e = |s: &str| Schedule::parse(s).unwrap_err();
        assert_eq!(e(""), "empty spec string");
        assert_eq!(e("* * * *"), "expected exactly 5 fields, found 4: [* * * *]");
        assert_eq!(e("* * * * 7"), "end of range (7) above maximum (6): 7");
        assert_eq!(e("60 * * * *"), "end of range (60) above maximum (59): 60");
        assert_eq!(e("5-1 * * * *"), "beginning of range (5) beyond end of range (1): 5-1");
        assert_eq!(e("@fortnightly"), "unrecognized descriptor: @fortnightly");
        assert!(e("x * * * *").starts_with("failed to parse int from x"));
        assert!(Schedule::parse("0 12 * JAN-MAR mon-fri").is_ok());
    }
}
