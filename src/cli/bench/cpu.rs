//! Where a benchmark's CPU goes: the processor time the workers, PostgreSQL, RabbitMQ and the
//! benchmark itself used over a stretch of it, read from `/proc` (Linux), so that a figure per
//! complaint says what each part costs and how many complaints a core can carry, which is what
//! sizing another host needs (a throughput alone says nothing of which part was the limit).
//!
//! PostgreSQL is every process named `postgres` (the postmaster's reaped children included),
//! RabbitMQ every `beam.smp`; both are the machine's, so a benchmark should have them to
//! itself. The machine's busy time (`/proc/stat`) is there as well, to show other load.

use std::time::Duration;

/// The parts whose CPU a benchmark reports, in the order it prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The workers' `complaints run` process (or, in process, the benchmark with them).
    Workers,
    /// The benchmark's own process (publishing and counting), when the workers run apart.
    Benchmark,
    /// Every PostgreSQL process.
    PostgreSql,
    /// The RabbitMQ node (`beam.smp`).
    RabbitMq,
}

impl Part {
    const ALL: [Part; 4] = [
        Part::Workers,
        Part::Benchmark,
        Part::PostgreSql,
        Part::RabbitMq,
    ];

    fn name(self) -> &'static str {
        match self {
            Part::Workers => "workers",
            Part::Benchmark => "benchmark",
            Part::PostgreSql => "PostgreSQL",
            Part::RabbitMq => "RabbitMQ",
        }
    }
}

/// Processor time used so far by each part, and by the whole machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuTimes {
    parts: [Duration; 4],
    machine_busy: Duration,
}

impl CpuTimes {
    /// The times now; `workers` is the workers' process id when they run apart (else the
    /// benchmark's own time counts as the workers'). Parts `/proc` does not show count nothing.
    pub fn sample(workers: Option<u32>) -> Self {
        let me = std::process::id();
        let tick = clock_tick();
        let mut times = CpuTimes {
            machine_busy: machine_busy(tick).unwrap_or_default(),
            ..CpuTimes::default()
        };
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return times;
        };
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            let Some((comm, own, children)) = process_times(pid, tick) else {
                continue;
            };
            let part = if Some(pid) == workers || (workers.is_none() && pid == me) {
                Part::Workers
            } else if pid == me {
                Part::Benchmark
            } else if comm == "postgres" {
                // Backends that ended are in the postmaster's reaped children's time.
                times.parts[Part::PostgreSql as usize] += children;
                Part::PostgreSql
            } else if comm == "beam.smp" {
                Part::RabbitMq
            } else {
                continue;
            };
            times.parts[part as usize] += own;
        }
        times
    }

    /// What each part used between `earlier` and this sample.
    pub fn since(&self, earlier: &CpuTimes) -> CpuUse {
        CpuUse {
            parts: std::array::from_fn(|i| self.parts[i].saturating_sub(earlier.parts[i])),
            machine_busy: self.machine_busy.saturating_sub(earlier.machine_busy),
        }
    }
}

/// Processor time used by each part over a stretch of a benchmark.
#[derive(Debug, Clone, Copy)]
pub struct CpuUse {
    parts: [Duration; 4],
    machine_busy: Duration,
}

impl CpuUse {
    /// One line: each part's milliseconds of CPU per unit of work (`units` of it done over
    /// `wall`), their sum, and how many units a second the machine's cores would carry at that
    /// cost, with how busy the machine was.
    pub fn per_unit(&self, units: usize, unit: &str, wall: Duration) -> String {
        let per = |d: Duration| d.as_secs_f64() * 1000.0 / units.max(1) as f64;
        let parts: Vec<String> = Part::ALL
            .iter()
            .filter(|p| !self.parts[**p as usize].is_zero())
            .map(|p| format!("{} {:.3}", p.name(), per(self.parts[*p as usize])))
            .collect();
        let total: Duration = self.parts.iter().sum();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let ceiling = cores as f64 * 1000.0 / per(total).max(f64::EPSILON);
        let busy = self.machine_busy.as_secs_f64() / (wall.as_secs_f64() * cores as f64);
        format!(
            "CPU ms per {unit}: {}; {:.3} in all, so {cores} cores carry at most {ceiling:.0} {unit}s/s (machine {:.0} % busy)",
            parts.join(", "),
            per(total),
            busy * 100.0
        )
    }
}

/// The kernel's clock tick (USER_HZ), the unit of `/proc`'s times: 100 on Linux unless
/// `getconf` says otherwise (asked once).
fn clock_tick() -> Duration {
    static TICK: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();
    *TICK.get_or_init(|| {
        let hz = std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .and_then(|s| s.trim().parse::<u32>().ok())
            .filter(|hz| *hz > 0)
            .unwrap_or(100);
        Duration::from_secs(1) / hz
    })
}

/// A process's name, its own user + system time, and its reaped children's.
fn process_times(pid: u32, tick: Duration) -> Option<(String, Duration, Duration)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid …": the name may hold spaces and parentheses; it ends at the last ')'.
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_string();
    let fields: Vec<&str> = stat.get(close + 2..)?.split(' ').collect();
    // Fields 14–17 of stat(5) (utime, stime, cutime, cstime), counted here from field 3.
    let ticks = |i: usize| fields.get(i - 3)?.parse::<u64>().ok();
    let own = in_ticks(tick, ticks(14)? + ticks(15)?);
    let children = in_ticks(tick, ticks(16)? + ticks(17)?);
    Some((comm, own, children))
}

/// The machine's busy time over all cores since boot (all but idle and iowait).
fn machine_busy(tick: Duration) -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu = stat.lines().next()?.strip_prefix("cpu ")?;
    let counts: Vec<u64> = cpu
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is in user already).
    let busy: u64 = counts
        .iter()
        .take(8)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, n)| n)
        .sum();
    Some(in_ticks(tick, busy))
}

/// `n` clock ticks as a duration.
fn in_ticks(tick: Duration, n: u64) -> Duration {
    Duration::from_nanos(
        u64::try_from(tick.as_nanos())
            .unwrap_or(u64::MAX)
            .saturating_mul(n),
    )
}
