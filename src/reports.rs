//! The report of process.md §7: what was received (by tier, category and channel), how much
//! was answered within its response target, the outcomes and resolution codes, the remedies
//! agreed and the special payments in them, the special payments made, the escalation rates
//! between tiers and from Review to ICE, ICE and PHSO
//! involvement, parliamentary contact, issues resolved at the first point of contact, and the
//! Systemic Log.
//!
//! Every figure but the Systemic Log and the special payments made concerns the cases received
//! in the period, as they stand when the report is made; Systemic Log entries and special
//! payments made are those recorded in the period. The same
//! [`Report`] is printed by `complaints report` and served by `GET /v1/reports/complaints`,
//! as JSON, CSV (`section,item,value` rows) or text.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::London;
use serde::Serialize;

/// The period of whole UK days from `from` to `to`, both included, as instants: from midnight
/// UK time starting `from` to midnight UK time ending `to`.
pub fn period(from: NaiveDate, to: NaiveDate) -> Result<(DateTime<Utc>, DateTime<Utc>), String> {
    if to < from {
        return Err(format!("the period ends ({to}) before it starts ({from})"));
    }
    let midnight = |day: NaiveDate| {
        London
            .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| format!("{day} has no midnight in UK time"))
    };
    let end = to
        .checked_add_days(Days::new(1))
        .ok_or_else(|| format!("{to} is too far ahead"))?;
    Ok((midnight(from)?, midnight(end)?))
}

/// The complaints report of process.md §7 for a period.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The start of the period (inclusive).
    pub from: DateTime<Utc>,
    /// Its end (exclusive).
    pub to: DateTime<Utc>,
    /// The cases received in the period, by tier, category and channel.
    pub received: Received,
    /// Tier 1 and 2 cases against their response target.
    pub response_target: ResponseTarget,
    /// Findings, as `tier N outcome`.
    pub outcomes: BTreeMap<String, i64>,
    /// Closed cases, as `tier N resolution code`.
    pub resolution_codes: BTreeMap<String, i64>,
    /// Actions of agreed resolution plans, by kind.
    pub remedies: BTreeMap<String, i64>,
    /// Special payments in agreed plans, by kind, in pence.
    pub special_payments_pence: BTreeMap<String, i64>,
    /// All special payments in agreed plans, in pence.
    pub special_payments_total_pence: i64,
    /// Special payments recorded as made (`special_payment.made`) in the period.
    pub special_payments_made: PaymentsMade,
    /// Closed tier 0 cases that went on to tier 1.
    pub escalation_tier_0_to_1: Escalation,
    /// Closed tier 1 cases that went on to tier 2.
    pub escalation_tier_1_to_2: Escalation,
    /// Closed Reviews (tier 2) the customer took to ICE (an ICE stage is recorded on them).
    pub escalation_tier_2_to_ice: Escalation,
    /// Tier 0 cases closed content or as an enquiry (staff are credited for them).
    pub resolved_at_first_point_of_contact: i64,
    /// Cases with parliamentary contact.
    pub parliamentary_contact: i64,
    /// Cases at each ICE stage.
    pub ice_stages: BTreeMap<String, i64>,
    /// Cases at each PHSO stage.
    pub phso_stages: BTreeMap<String, i64>,
    /// ICE's findings in its final reports.
    pub ice_findings: Findings,
    /// The PHSO's findings in its final reports.
    pub phso_findings: Findings,
    /// Systemic Log entries recorded in the period.
    pub systemic_issues: Vec<SystemicEntry>,
    /// What arrived that is not a complaint, or not one of the department's alone: feedback,
    /// official correspondence, provider complaints; and who else raised or joined complaints.
    pub beyond_complaints: BeyondComplaints,
}

/// The intake routes beside the complaint tiers (process.md §1 to §3), for the period.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BeyondComplaints {
    /// Compliments, suggestions and enquiries received, by kind.
    pub feedback_by_kind: BTreeMap<String, i64>,
    /// The same by team, as `team: kind` (a compliment credits its team).
    pub feedback_by_team: BTreeMap<String, i64>,
    /// Official correspondence received, by kind (`pos`, `mp_to_dg`, `treat_official`).
    pub correspondence_by_kind: BTreeMap<String, i64>,
    /// Official correspondence answered within its target.
    pub correspondence_answered_in_time: i64,
    /// Official correspondence whose target ran out unanswered.
    pub correspondence_breached: i64,
    /// Complaints about a contracted provider alone, sent to the provider's own process.
    pub provider_complaints_referred: i64,
    /// Mixed complaints (the department's and a provider's), which the department owns.
    pub mixed_complaints: i64,
    /// Complaints a customer (or representative) raised in which an MP became involved.
    pub mp_involvement: i64,
    /// Complaints raised by ICE (a failed gateway check) or the PHSO, by who raised them.
    pub raised_by_ombudsman: BTreeMap<String, i64>,
}

/// The cases received in a period: the total and its breakdowns.
#[derive(Debug, Clone, Serialize)]
pub struct Received {
    /// All of them.
    pub total: i64,
    /// By tier number.
    pub by_tier: BTreeMap<String, i64>,
    /// By category (a case with two categories counts in both).
    pub by_category: BTreeMap<String, i64>,
    /// By the channel the complaint came in by (`phone`, `web_form`, …).
    pub by_channel: BTreeMap<String, i64>,
}

/// Response targets met and breached.
#[derive(Debug, Clone, Serialize)]
pub struct ResponseTarget {
    /// Met (answered, or closed, before the deadline).
    pub met: i64,
    /// Breached (the deadline passed before an answer).
    pub breached: i64,
    /// Still running at the end of the period.
    pub pending: i64,
    /// Met as a percentage of those decided; none when none are.
    pub percent_met: Option<f64>,
}

impl ResponseTarget {
    /// The figures, with the percentage.
    pub fn new(met: i64, breached: i64, pending: i64) -> Self {
        Self {
            met,
            breached,
            pending,
            percent_met: percent(met, met + breached),
        }
    }
}

/// The special payments recorded as made (`special_payment.made`) in a period.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct PaymentsMade {
    /// How many payments were recorded as made.
    pub count: i64,
    /// Their total, in pence.
    pub total_pence: i64,
}

/// How many of the cases closed at a tier went on to the next.
#[derive(Debug, Clone, Serialize)]
pub struct Escalation {
    /// Cases closed at the lower tier.
    pub closed: i64,
    /// Of those, the ones with a linked case at the next tier.
    pub escalated: i64,
    /// The rate, as a percentage; none when nothing closed.
    pub percent: Option<f64>,
}

impl Escalation {
    /// The figures, with the rate.
    pub fn new(closed: i64, escalated: i64) -> Self {
        Self {
            closed,
            escalated,
            percent: percent(escalated, closed),
        }
    }
}

/// The findings of an independent body's final reports.
#[derive(Debug, Clone, Serialize)]
pub struct Findings {
    /// Final reports recorded.
    pub reported: i64,
    /// Of those, the ones that upheld the complaint.
    pub upheld: i64,
    /// The upheld rate, as a percentage; none without reports.
    pub percent_upheld: Option<f64>,
}

impl Findings {
    /// The figures, with the rate.
    pub fn new(upheld: i64, not_upheld: i64) -> Self {
        Self {
            reported: upheld + not_upheld,
            upheld,
            percent_upheld: percent(upheld, upheld + not_upheld),
        }
    }
}

/// A Systemic Log entry.
#[derive(Debug, Clone, Serialize)]
pub struct SystemicEntry {
    /// Its id on the log.
    pub id: i64,
    /// Whose log: the Complaint Resolution Team's (1) or the Review team's (2).
    pub tier: i16,
    /// The category the three cases share.
    pub category: String,
    /// The three cases, oldest first.
    pub cases: Vec<String>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// What was done about it, once the manager records it.
    pub action_taken: Option<String>,
}

fn percent(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

impl Report {
    /// The report as `section,item,value` rows.
    pub fn rows(&self) -> Vec<(String, String, String)> {
        let mut rows = Vec::new();
        let mut push = |section: &str, item: &str, value: String| {
            rows.push((section.to_owned(), item.to_owned(), value))
        };
        let pct = |p: Option<f64>| p.map_or_else(String::new, |p| format!("{p:.1}"));
        push("period", "from", self.from.to_rfc3339());
        push("period", "to", self.to.to_rfc3339());
        push("received", "total", self.received.total.to_string());
        for (section, map) in [
            ("received by tier", &self.received.by_tier),
            ("received by category", &self.received.by_category),
            ("received by channel", &self.received.by_channel),
        ] {
            for (k, n) in map {
                push(section, k, n.to_string());
            }
        }
        let target = &self.response_target;
        push("response target", "met", target.met.to_string());
        push("response target", "breached", target.breached.to_string());
        push("response target", "pending", target.pending.to_string());
        push("response target", "percent met", pct(target.percent_met));
        for (section, map) in [
            ("outcomes", &self.outcomes),
            ("resolution codes", &self.resolution_codes),
            ("remedies", &self.remedies),
            ("special payments (pence)", &self.special_payments_pence),
        ] {
            for (k, n) in map {
                push(section, k, n.to_string());
            }
        }
        push(
            "special payments (pence)",
            "total",
            self.special_payments_total_pence.to_string(),
        );
        let made = &self.special_payments_made;
        push("special payments made", "count", made.count.to_string());
        push(
            "special payments made (pence)",
            "total",
            made.total_pence.to_string(),
        );
        for (item, rate) in [
            ("tier 0 to 1", &self.escalation_tier_0_to_1),
            ("tier 1 to 2", &self.escalation_tier_1_to_2),
            ("tier 2 to ice", &self.escalation_tier_2_to_ice),
        ] {
            push(
                "escalation",
                &format!("{item} closed"),
                rate.closed.to_string(),
            );
            push(
                "escalation",
                &format!("{item} escalated"),
                rate.escalated.to_string(),
            );
            push("escalation", &format!("{item} percent"), pct(rate.percent));
        }
        push(
            "first point of contact",
            "resolved",
            self.resolved_at_first_point_of_contact.to_string(),
        );
        push(
            "parliamentary contact",
            "cases",
            self.parliamentary_contact.to_string(),
        );
        for (k, n) in &self.ice_stages {
            push("ice stages", k, n.to_string());
        }
        for (k, n) in &self.phso_stages {
            push("phso stages", k, n.to_string());
        }
        for (body, findings) in [("ice", &self.ice_findings), ("phso", &self.phso_findings)] {
            let section = format!("{body} findings");
            push(&section, "final reports", findings.reported.to_string());
            push(&section, "upheld", findings.upheld.to_string());
            push(&section, "percent upheld", pct(findings.percent_upheld));
        }
        let beyond = &self.beyond_complaints;
        for (section, map) in [
            ("feedback", &beyond.feedback_by_kind),
            ("feedback by team", &beyond.feedback_by_team),
            ("official correspondence", &beyond.correspondence_by_kind),
            ("raised by ice or phso", &beyond.raised_by_ombudsman),
        ] {
            for (k, n) in map {
                push(section, k, n.to_string());
            }
        }
        for (section, item, n) in [
            (
                "official correspondence",
                "answered in time",
                beyond.correspondence_answered_in_time,
            ),
            (
                "official correspondence",
                "target breached",
                beyond.correspondence_breached,
            ),
            (
                "provider complaints",
                "referred to the provider",
                beyond.provider_complaints_referred,
            ),
            ("provider complaints", "mixed", beyond.mixed_complaints),
            (
                "parliamentary contact",
                "mp involved in a customer's complaint",
                beyond.mp_involvement,
            ),
        ] {
            push(section, item, n.to_string());
        }
        for entry in &self.systemic_issues {
            push(
                "systemic issues",
                &entry.category,
                format!(
                    "#{} tier {}: {} recorded {}{}",
                    entry.id,
                    entry.tier,
                    entry.cases.join(" "),
                    entry.recorded_at.format("%Y-%m-%d"),
                    entry
                        .action_taken
                        .as_deref()
                        .map_or_else(String::new, |a| format!("; action: {a}"))
                ),
            );
        }
        rows
    }

    /// CSV with a header, fields quoted where they need it (RFC 4180).
    pub fn to_csv(&self) -> String {
        let mut out = String::from("section,item,value\r\n");
        for (section, item, value) in self.rows() {
            let _ = write!(out, "{},{},{}\r\n", csv(&section), csv(&item), csv(&value));
        }
        out
    }

    /// Plain text for a terminal: one block per section, for people: the period as the UK
    /// days asked for, money in pounds, tiers named (CSV and JSON keep the machine forms).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let mut last = String::new();
        for (section, item, value) in self.rows().into_iter().map(|row| self.for_people(row)) {
            if section != last {
                let _ = writeln!(out, "{}{section}", if last.is_empty() { "" } else { "\n" });
                last = section;
            }
            let value = if value.is_empty() { "–" } else { &value };
            let _ = writeln!(out, "  {item:<48} {value}");
        }
        out
    }
}

impl Report {
    /// One row of [`rows`](Self::rows) as [`to_text`](Self::to_text) shows it.
    fn for_people(
        &self,
        (section, item, value): (String, String, String),
    ) -> (String, String, String) {
        let uk_day = |t: DateTime<Utc>| t.with_timezone(&London).date_naive().to_string();
        match (section.as_str(), item.as_str()) {
            ("period", "from") => (section, item, uk_day(self.from)),
            ("period", "to") => (
                section,
                item,
                uk_day(self.to - chrono::Duration::nanoseconds(1)),
            ),
            ("special payments (pence)" | "special payments made (pence)", _) => (
                section.trim_end_matches(" (pence)").into(),
                item,
                value
                    .parse::<i64>()
                    .map_or(value, crate::process::casework::resolution_plan::pounds),
            ),
            ("received by tier", _) => (section, tier_named(&format!("tier {item}")), value),
            _ => (section, tier_named(&item), value),
        }
    }
}

/// `tier 1 upheld` as `tier 1 (resolution) upheld`; anything else unchanged.
fn tier_named(item: &str) -> String {
    let Some(rest) = item.strip_prefix("tier ") else {
        return item.to_owned();
    };
    let (number, tail) = rest.split_once(' ').unwrap_or((rest, ""));
    match number
        .parse::<i16>()
        .ok()
        .and_then(crate::vocabulary::Tier::from_number)
    {
        Some(tier) if tail.is_empty() => format!("tier {number} ({})", tier.as_str()),
        Some(tier) if !tail.starts_with("to ") => {
            format!("tier {number} ({}) {tail}", tier.as_str())
        }
        _ => item.to_owned(),
    }
}

fn csv(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_is_whole_uk_days() {
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        let (from, to) = period(day("2026-07-01"), day("2026-07-31")).unwrap();
        assert_eq!(from.to_rfc3339(), "2026-06-30T23:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2026-07-31T23:00:00+00:00");
        assert!(period(day("2026-07-02"), day("2026-07-01")).is_err());
    }

    #[test]
    fn tiers_are_named_for_people() {
        assert_eq!(tier_named("tier 1 upheld"), "tier 1 (resolution) upheld");
        assert_eq!(tier_named("tier 0"), "tier 0 (dissatisfaction)");
        assert_eq!(tier_named("tier 0 to 1 closed"), "tier 0 to 1 closed");
        assert_eq!(tier_named("web"), "web");
    }

    #[test]
    fn rates_are_percentages_of_what_was_decided() {
        assert_eq!(ResponseTarget::new(2, 1, 5).percent_met, Some(66.7));
        assert_eq!(Escalation::new(0, 0).percent, None);
        assert_eq!(Escalation::new(4, 1).percent, Some(25.0));
    }

    #[test]
    fn csv_fields_are_quoted_when_they_must_be() {
        assert_eq!(csv("plain"), "plain");
        assert_eq!(csv("a, b"), "\"a, b\"");
        assert_eq!(csv("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
