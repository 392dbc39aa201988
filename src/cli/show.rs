//! `complaints show REF`: a case as a caseworker would read it, or as JSON.

use clap::Args;

use crate::app::App;
use crate::db::cases::{self, CaseView};
use crate::process::casework::resolution_plan::pounds;
use crate::vocabulary::ContactRestriction;

/// Arguments of `complaints show`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  complaints show RES-2026-000042\n  complaints show RES-2026-000042 --json | jq .timeline"
)]
pub struct ShowArgs {
    /// The case reference, e.g. DIS-2026-000001.
    pub reference: String,
    /// Print the case as JSON (the same document as GET /v1/cases/{ref}).
    #[arg(long)]
    pub json: bool,
    /// On a complaint about a member of staff, show what staff wrote (withheld by default, as
    /// from API clients without `staff_complaints:read`).
    #[arg(long)]
    pub unmasked: bool,
}

/// Prints the case, or fails when there is none.
pub async fn show(app: App, args: ShowArgs) -> anyhow::Result<()> {
    let Some(reference) = crate::process::case_reference::parse_case_reference(&args.reference)
    else {
        anyhow::bail!(
            "`{}` is not a case reference (they read like RES-2026-000042)",
            args.reference
        );
    };
    let mut conn = app.db().await?;
    let Some(mut case) = cases::find_by_reference(&mut conn, &reference).await? else {
        anyhow::bail!("no case {reference}");
    };
    if case.is_staff_complaint() && !args.unmasked {
        case = case.with_written_withheld();
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&case)?);
    } else {
        print!("{}", render(&case));
    }
    Ok(())
}

/// A resolution plan as text: its approval and each action with its due date and whether done.
fn plan_lines(plan: &serde_json::Value) -> String {
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    let done: Vec<String> = plan["completed"]
        .as_array()
        .map(|a| a.iter().map(text).collect())
        .unwrap_or_default();
    let agreed = if plan["agreed"] == true {
        ", agreed"
    } else {
        ""
    };
    let mut out = format!(
        "  resolution plan: {}{agreed}\n",
        text(&plan["approval"]).replace('_', " ")
    );
    for action in plan["actions"].as_array().into_iter().flatten() {
        let id = text(&action["id"]);
        let payment = action["payment"]["amount_pence"]
            .as_i64()
            .map(|p| format!(" {}", pounds(p)))
            .unwrap_or_default();
        out += &format!(
            "    {id} {}{payment}: {} (due {}){}\n",
            text(&action["kind"]).replace('_', " "),
            text(&action["description"]),
            text(&action["due_on"]),
            if done.contains(&id) { " done" } else { "" }
        );
    }
    out
}

/// The case as text: its summary, its clocks, letters and tasks, then its timeline.
fn render(view: &CaseView) -> String {
    [
        headline(view),
        flags(view),
        route(view),
        history(view),
        decisions(view),
        clocks(view),
        letters(view),
        tasks(view),
        timeline(view),
    ]
    .concat()
}

/// Reference, tier, stage and status; resolution code; team; customer; how it was received.
fn headline(view: &CaseView) -> String {
    let c = &view.case;
    let mut out = format!(
        "{}  tier {}  {} / {}{}\n",
        c.reference,
        c.tier,
        c.stage,
        c.status,
        c.sub_status
            .as_ref()
            .map(|s| format!(" ({s})"))
            .unwrap_or_default()
    );
    if let Some(code) = &c.resolution_code {
        out += &format!("  resolution: {code}\n");
    }
    out += &format!("  team: {}\n", c.handling_team);
    out += &format!(
        "  customer: {} ({}), {} {}\n",
        view.customer.name,
        view.customer.reference,
        view.customer.address_lines.join(", "),
        view.customer.postcode
    );
    out += &format!(
        "  received {} by {} from {}; about {}; categories {}\n",
        c.complaint.received_at.format("%Y-%m-%d %H:%M"),
        c.complaint.channel,
        c.complaint.raised_by,
        c.complaint.about,
        c.complaint.categories.join(", ")
    );
    out
}

/// The line of what needs care on this case (high profile, vulnerable customer, …), if any.
fn flags(view: &CaseView) -> String {
    let c = &view.case;
    let flags: Vec<&str> = [
        (c.high_profile, "high profile"),
        (c.parliamentary_contact, "parliamentary contact"),
        (c.complaint.pos, "POS"),
        (view.customer.vulnerable, "vulnerable customer"),
        (
            view.customer.contact_restriction != ContactRestriction::None,
            "written contact only",
        ),
    ]
    .into_iter()
    .filter_map(|(set, flag)| set.then_some(flag))
    .collect();
    if flags.is_empty() {
        String::new()
    } else {
        format!("  flags: {}\n", flags.join(", "))
    }
}

/// What the case is beside a tier's complaint: a mixed complaint's provider and how its part is
/// handled; official correspondence's kind and what its reply must be.
fn route(view: &CaseView) -> String {
    let mut out = String::new();
    if let Some(part) = &view.provider_part {
        out += &format!(
            "  provider: {} (mixed complaint: {})\n",
            part.provider.as_deref().unwrap_or("not named"),
            part.handling
        );
    }
    if let Some(rules) = &view.correspondence_rules {
        out += &format!(
            "  official correspondence: {}; reply {}; target {} working days; {}\n",
            rules.kind, rules.reply, rules.target_working_days, rules.not_a_complaint
        );
    }
    out
}

/// Where the case came from, and the journey through the tiers when it has had more than one.
fn history(view: &CaseView) -> String {
    let mut out = String::new();
    if let Some(linked) = &view.linked_case {
        out += &format!("  came from: {linked}\n");
    }
    if view.journey.len() > 1 {
        let steps: Vec<String> = view
            .journey
            .iter()
            .map(|s| {
                let end = s.resolution_code.map_or(s.status.as_str(), |c| c.as_str());
                format!("{} ({end})", s.reference)
            })
            .collect();
        out += &format!("  journey: {}\n", steps.join(" → "));
    }
    out
}

/// Who has the case and what was decided: allocation, outcome, resolution plan, the external
/// bodies' findings, a breached response target, and the complaint's summary.
fn decisions(view: &CaseView) -> String {
    let c = &view.case;
    let mut out = String::new();
    if let Some(who) = &c.allocated_to {
        out += &format!("  allocated to: {who}\n");
    }
    if let Some(outcome) = &c.outcome {
        let onward = c
            .signposted_to
            .map(|s| format!(", signposted to {s}"))
            .unwrap_or_default();
        out += &format!("  outcome: {outcome}{onward}\n");
    }
    if let Some(plan) = &c.resolution_plan {
        out += &plan_lines(plan);
    }
    for (body, stage, upheld) in [
        ("ICE", &c.ice_stage, c.ice_upheld),
        ("PHSO", &c.phso_stage, c.phso_upheld),
    ] {
        if let Some(stage) = stage {
            let finding = match upheld {
                Some(true) => ", upheld",
                Some(false) => ", not upheld",
                None => "",
            };
            out += &format!("  {body}: {stage}{finding}\n");
        }
    }
    if let Some(breached) = c.target_breached_at {
        out += &format!(
            "  response target breached at {}\n",
            breached.format("%Y-%m-%d %H:%M UTC")
        );
    }
    out += &format!("  summary: {}\n", c.complaint.summary);
    out
}

/// The clocks section: each clock with its deadline and whether it fired, was met or is due.
fn clocks(view: &CaseView) -> String {
    if view.clocks.is_empty() {
        return String::new();
    }
    let mut out = "\nclocks:\n".to_owned();
    for clock in &view.clocks {
        let key = if clock.key.is_empty() {
            String::new()
        } else {
            format!(" [{}]", clock.key)
        };
        let state = match (&clock.fired_at, &clock.cancelled_because) {
            (Some(at), _) => format!("fired {}", at.format("%Y-%m-%d %H:%M")),
            (None, Some(why)) => format!("met: {why}"),
            (None, None) => format!("due {}", clock.due_at.format("%Y-%m-%d %H:%M")),
        };
        out += &format!(
            "  {:<30} deadline {}  {state}\n",
            format!("{}{key}", clock.clock),
            clock.deadline.format("%Y-%m-%d %H:%M UTC")
        );
    }
    out
}

/// The letters section: code, channel, status and subject of each letter.
fn letters(view: &CaseView) -> String {
    if view.letters.is_empty() {
        return String::new();
    }
    let mut out = "\nletters:\n".to_owned();
    for letter in &view.letters {
        out += &format!(
            "  {}  {:<5} {:<15} {}  ({})\n",
            letter.code, letter.channel, letter.status, letter.subject, letter.id
        );
    }
    out
}

/// The tasks section: state, team, assignee and due time of each task.
fn tasks(view: &CaseView) -> String {
    if view.tasks.is_empty() {
        return String::new();
    }
    let mut out = "\ntasks:\n".to_owned();
    for task in &view.tasks {
        out += &format!(
            "  {:<9} {:<27} {:<20} due {}  {}\n",
            task.state,
            task.team,
            task.assignee,
            task.due_at.format("%Y-%m-%d %H:%M"),
            task.task
        );
    }
    out
}

/// The timeline section: every entry with when, who, and the API client it came through.
fn timeline(view: &CaseView) -> String {
    let mut out = "\ntimeline:\n".to_owned();
    for entry in &view.timeline {
        // The API client that posted the event, when it came over HTTP.
        let via = entry.detail["authclient"]
            .as_str()
            .map_or(String::new(), |client| format!(" (via {client})"));
        out += &format!(
            "  {}  {:<15} {}{via}\n",
            entry.at.format("%Y-%m-%d %H:%M:%S"),
            entry.actor,
            entry.entry
        );
    }
    out
}
