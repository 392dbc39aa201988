//! ICE (tier 3) and the PHSO (tier 4) are outside the organisation (process.md §2, §4): the
//! system records their contacts and stages on the case they are about, open or closed, and
//! does not run their investigations. ICE takes a case after Review; the PHSO, through an MP,
//! after Resolution or Review. A body's stages only move forward; its finding comes with its
//! final report.

use super::Transition;
use crate::vocabulary::{ExternalBody, ExternalStage, Tier};

/// Whether `body` takes a case of `tier`: ICE after Review, the PHSO after Resolution or Review.
pub fn takes_cases_at(body: ExternalBody, tier: Tier) -> bool {
    match body {
        ExternalBody::Ice => tier == Tier::Review,
        ExternalBody::Phso => tier != Tier::Dissatisfaction,
    }
}

/// The stages each body passes through, in order.
fn stages(body: ExternalBody) -> &'static [ExternalStage] {
    use ExternalStage::*;
    match body {
        ExternalBody::Ice => &[
            Contacted,
            Resolution,
            Settlement,
            InvestigationReport,
            FinalReport,
        ],
        ExternalBody::Phso => &[Contacted, InvestigationReport, FinalReport],
    }
}

/// Records a contact or stage.
pub(super) fn record(
    t: &mut Transition,
    body: ExternalBody,
    stage: ExternalStage,
    upheld: Option<bool>,
) -> Result<(), String> {
    if upheld.is_some() != (stage == ExternalStage::FinalReport) {
        return Err(
            "a finding (upheld or not) comes with the final report, and only with it".into(),
        );
    }
    if !takes_cases_at(body, t.state.tier) {
        return Err(format!(
            "{body} does not take a case at tier {} ({})",
            t.state.tier.number(),
            t.state.tier
        ));
    }
    let order = stages(body);
    let Some(position) = order.iter().position(|s| *s == stage) else {
        return Err(format!("{body} has no stage {stage}"));
    };
    let current = match body {
        ExternalBody::Ice => &mut t.state.ice_stage,
        ExternalBody::Phso => &mut t.state.phso_stage,
    };
    if let Some(before) = *current {
        let was = order.iter().position(|s| *s == before).unwrap_or(0);
        if position < was {
            return Err(format!(
                "{body} is already at {before}; stages only move forward"
            ));
        }
    }
    *current = Some(stage);
    let finding = match body {
        ExternalBody::Ice => &mut t.state.ice_upheld,
        ExternalBody::Phso => &mut t.state.phso_upheld,
    };
    if let Some(upheld) = upheld {
        if finding.is_some_and(|f| f != upheld) {
            return Err(format!("{body}'s final report is already recorded"));
        }
        *finding = Some(upheld);
    }
    let name = body.as_str().to_uppercase();
    t.summary = match upheld {
        Some(true) => format!("{name} final report: upheld"),
        Some(false) => format!("{name} final report: not upheld"),
        None => format!("{name} stage recorded: {stage}"),
    };
    Ok(())
}

/// Records that the redress ICE recommended was paid: only after ICE's final report.
pub(super) fn redress_paid(t: &mut Transition, amount_pence: u64) -> Result<(), String> {
    if t.state.ice_stage != Some(ExternalStage::FinalReport) {
        return Err("ICE's final report is not recorded: there is no redress to pay".into());
    }
    t.summary = format!(
        "ICE redress paid: £{}.{:02}",
        amount_pence / 100,
        amount_pence % 100
    );
    Ok(())
}
