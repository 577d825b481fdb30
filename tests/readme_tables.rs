//! The README prints the parts table for people; this test holds it to the code's, cell by
//! cell, so the two cannot drift apart.
#![allow(clippy::unwrap_used)]

use jiesu::domain::{Action, Part, Status, part_actions};

fn cell(text: &str) -> Vec<String> {
    if text.trim() == "—" {
        return vec![];
    }
    text.split(',').map(|a| a.trim().to_owned()).collect()
}

#[test]
fn the_readme_parts_table_is_the_codes() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let header = "| status | lead | co-unit | clock owner | centre |";
    let start = readme.find(header).expect("README prints the parts table");
    let parts = [Part::Lead, Part::CoUnit, Part::ClockOwner, Part::Centre];
    let mut previous: Vec<Vec<String>> = vec![vec![]; 4];
    let mut seen = 0;
    for line in readme[start..].lines().skip(2) {
        if !line.starts_with('|') {
            break;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').collect();
        let statuses: Vec<Status> = cells[0]
            .split(',')
            .map(|s| Status::parse(s.trim().trim_matches('`')).unwrap())
            .collect();
        for (i, part) in parts.iter().enumerate() {
            let listed = if cells[i + 1].trim() == "as above" {
                previous[i].clone()
            } else {
                cell(cells[i + 1])
            };
            previous[i] = listed.clone();
            for status in &statuses {
                let code: Vec<String> = part_actions(*status, *part)
                    .iter()
                    .map(|a| a.as_str().to_owned())
                    .collect();
                let mut sorted_listed = listed.clone();
                sorted_listed.sort();
                let mut sorted_code = code.clone();
                sorted_code.sort();
                assert_eq!(
                    sorted_listed,
                    sorted_code,
                    "{} / {}",
                    status.as_str(),
                    part.as_str()
                );
                seen += 1;
            }
        }
    }
    assert_eq!(
        seen,
        Status::ALL.len() * parts.len(),
        "every status is in the table"
    );
    assert!(
        Action::ALL
            .iter()
            .all(|a| readme.contains(&format!("`{}`", a.as_str())) || readme.contains(a.as_str()))
    );
}
