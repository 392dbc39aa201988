//! The staff directory file `complaints staff import` reads: CSV with the header
//! `staff_id,team,roles,grade,active`, roles separated by `;` (e.g. `team_leader;caseworker`),
//! a grade of [`Grade`], `active` true or false. The whole file is checked before anything is
//! stored: one malformed row refuses the file, naming its line.

use crate::vocabulary::{Grade, StaffRole};

/// One member of staff, as read from the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    /// The opaque staff id decisions carry in `by`.
    pub staff_id: String,
    /// The team the member of staff works in.
    pub team: String,
    /// What they may decide.
    pub roles: Vec<StaffRole>,
    /// Their grade, which bounds what they may approve within delegated authority.
    pub grade: Grade,
    /// Whether they may make decisions now.
    pub active: bool,
}

const HEADER: [&str; 5] = ["staff_id", "team", "roles", "grade", "active"];

/// Reads a staff directory file, or says which line is wrong and why.
pub fn parse_csv(text: &str) -> Result<Vec<StaffMember>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| format!("line 1: {e}"))?
        .clone();
    if header.iter().collect::<Vec<_>>() != HEADER {
        return Err(format!("line 1: the header must be {}", HEADER.join(",")));
    }
    let mut members: Vec<StaffMember> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            format!("line {line}: {e}")
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let at = |problem: String| format!("line {line}: {problem}");
        let staff_id = record[0].to_owned();
        if staff_id.is_empty()
            || staff_id.len() > 64
            || !staff_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(at(
                "staff_id must be 1 to 64 letters, digits, `.`, `_` or `-`".into(),
            ));
        }
        if members.iter().any(|m| m.staff_id == staff_id) {
            return Err(at(format!("staff_id {staff_id} appears twice")));
        }
        let team = record[1].to_owned();
        if team.is_empty() || team.len() > 100 {
            return Err(at("team must be 1 to 100 characters".into()));
        }
        let roles = record[2]
            .split(';')
            .map(|r| r.trim().parse::<StaffRole>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| at(format!("roles: {e}")))?;
        let grade = record[3]
            .parse::<Grade>()
            .map_err(|e| at(format!("grade: {e}")))?;
        let active = match &record[4] {
            "true" => true,
            "false" => false,
            _ => return Err(at("active must be true or false".into())),
        };
        members.push(StaffMember {
            staff_id,
            team,
            roles,
            grade,
            active,
        });
    }
    Ok(members)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_file_is_read() {
        let members = parse_csv(
            "staff_id,team,roles,grade,active\n\
             tl1,CRT North,team_leader;caseworker,HEO,true\n\
             old1,CRT North,caseworker,EO,false\n",
        )
        .unwrap();
        assert_eq!(members.len(), 2);
        assert_eq!(
            members[0].roles,
            [StaffRole::TeamLeader, StaffRole::Caseworker]
        );
        assert!(!members[1].active);
    }

    #[test]
    fn a_bad_row_names_its_line() {
        for (file, expected) in [
            ("staff_id,team,roles,grade,active\ntl1,T,wizard,HEO,true\n", "line 2: roles"),
            ("staff_id,team,roles,grade,active\ntl1,T,team_leader,HEO,true\ntl2,T,team_leader,X9,true\n", "line 3: grade"),
            ("staff_id,team,roles,grade,active\ntl1,T,team_leader,HEO,yes\n", "line 2: active"),
            ("staff_id,team,roles,grade,active\ntl1,T,team_leader,HEO,true\ntl1,T,caseworker,EO,true\n", "line 3: staff_id tl1 appears twice"),
            ("staff_id,team,roles,grade,active\ntl1,T,team_leader,HEO\n", "line 2"),
            ("id,team\n", "line 1"),
        ] {
            let error = parse_csv(file).unwrap_err();
            assert!(error.starts_with(expected), "{error} / {expected}");
        }
    }
}
