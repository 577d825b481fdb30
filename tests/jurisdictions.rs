//! The five jurisdictions against the running server (issue 5's acceptance): scenarios
//! written from the seed texts — deadlines, lead and co-units, rejections and redirects,
//! return/extension/termination reviews, revisits, overdue escalations and assessments.
//! Every decision of every trail written here must carry a non-empty `cite`.
#![allow(clippy::unwrap_used)]

mod common;

use common::Server;
use common::desks::{ADMIN, act_as, clock, file_as, in_days, secret, start, sweep_as_admin, trail};
use serde_json::{Value, json};

fn ticket(jurisdiction: &str, category: &str, topic: &str, received_at: &str) -> Value {
    json!({"jurisdiction": jurisdiction, "channel": "phone", "category": category,
           "topic": topic, "content": "来电反映", "received_at": received_at,
           "requester": {"name": "张三", "phone": "13800000000"}})
}

fn with(mut body: Value, key: &str, value: Value) -> Value {
    body[key] = value;
    body
}

fn file(server: &Server, body: &Value) -> Value {
    let (status, ticket) = server.post("/api/v1/tickets", body);
    assert_eq!(status, 201, "{ticket}");
    assert_cited(server, ticket["id"].as_str().unwrap());
    ticket
}

fn act(server: &Server, id: &str, body: Value) -> Value {
    let (status, outcome) = server.post(&format!("/api/v1/tickets/{id}/actions"), &body);
    assert_eq!(status, 200, "{outcome}");
    assert_cited(server, id);
    outcome
}

fn sweep(server: &Server, now: &str) -> Vec<Value> {
    let (status, body) = server.post("/api/v1/admin/sweep", &json!({"now": now}));
    assert_eq!(status, 200, "{body}");
    body["fired"].as_array().unwrap().clone()
}

/// The actions fired for one ticket, as `kind → unit id`.
fn fired_for(fired: &[Value], id: &str) -> Vec<(String, String)> {
    fired
        .iter()
        .filter(|f| f["ticket"] == id)
        .flat_map(|f| f["actions"].as_array().unwrap().clone())
        .map(|a| {
            (
                a["kind"].as_str().unwrap().to_owned(),
                a["to"]["id"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect()
}

fn unit_ids(units: &Value) -> Vec<&str> {
    units
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect()
}

/// March 2026's assessment of `jurisdiction`, and the counts it was computed from for `unit`.
fn march_counts(server: &Server, jurisdiction: &str, unit: &str) -> (Value, Value) {
    let (status, month) = server.get(&format!(
        "/api/v1/assessments?jurisdiction={jurisdiction}&from=2026-03-01&to=2026-04-01"
    ));
    assert_eq!(status, 200, "{month}");
    let counts = month["input"]["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit"] == unit)
        .unwrap_or_else(|| panic!("{unit} not assessed: {month}"))
        .clone();
    (month, counts)
}

/// Every decision in the ticket's trail names the rules that made it, and the chain holds.
fn assert_cited(server: &Server, id: &str) {
    let (status, trail) = server.get(&format!("/api/v1/tickets/{id}/trail"));
    assert_eq!(status, 200, "{trail}");
    assert_eq!(trail["chain"]["valid"], true, "{trail}");
    for entry in trail["entries"].as_array().unwrap() {
        if entry["kind"] == "decision" {
            let cite = entry["cite"].as_array().unwrap();
            assert!(
                !cite.is_empty() && cite.iter().all(|c| !c.as_str().unwrap().is_empty()),
                "decision without cite: {entry}"
            );
        }
    }
}

#[test]
fn hohhot_dispatch_redirects_extension_revisit_and_escalation() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    let friday = "2026-03-06T10:00:00+08:00";

    // HH-16(2), HH-15(2), HH-17, HH-20/21: no heating in 赛罕区 involving two departments.
    let heating = file(
        &server,
        &with(
            with(
                ticket("hohhot", "help", "heating", friday),
                "area",
                json!("saihan"),
            ),
            "flags",
            json!(["multi_department"]),
        ),
    );
    assert_eq!(heating["status"], "dispatched");
    assert_eq!(heating["lead_unit"]["id"], "hh-housing");
    assert_eq!(heating["lead_unit"]["name"], "市住房和城乡建设局");
    assert_eq!(
        unit_ids(&heating["assist_units"]),
        ["hh-energy", "hh-saihan"]
    );
    assert_eq!(heating["deadlines"]["resolve"], "2026-03-07T10:00:00+08:00");

    // HH-12: a police matter is transferred to 110; HH-13: petitions; HH-14: answered.
    let police = file(
        &server,
        &with(
            ticket("hohhot", "report", "public_security", friday),
            "flags",
            json!(["police"]),
        ),
    );
    assert_eq!(police["status"], "rejected");
    assert_eq!(police["rejection"]["redirect"], "110");
    assert_eq!(police["rejection"]["cite"], json!(["HH-11", "HH-12"]));
    let petition = file(
        &server,
        &with(
            ticket("hohhot", "complaint", "housing", friday),
            "flags",
            json!(["in_petition"]),
        ),
    );
    assert_eq!(petition["rejection"]["redirect"], "petition");
    let answered = file(
        &server,
        &with(
            ticket("hohhot", "consultation", "social_insurance", friday),
            "flags",
            json!(["knowledge_base_answerable"]),
        ),
    );
    assert_eq!(answered["status"], "answered");
    assert!(answered["lead_unit"].is_null(), "{answered}");

    // HH-21: a dispute between a city department and a district — the department leads;
    // a township never leads a department-duty matter.
    let dispute = file(
        &server,
        &with(
            with(
                ticket("hohhot", "complaint", "urban_management", friday),
                "area",
                json!("yuquan"),
            ),
            "flags",
            json!(["dispute_city_district"]),
        ),
    );
    assert_eq!(dispute["lead_unit"]["id"], "hh-urban");
    assert_eq!(unit_ids(&dispute["assist_units"]), ["hh-yuquan"]);
    let township = file(
        &server,
        &with(
            ticket("hohhot", "complaint", "waste", friday),
            "area",
            json!("hailar-road-east"),
        ),
    );
    assert_eq!(township["lead_unit"]["id"], "hh-urban");
    assert_eq!(
        unit_ids(&township["assist_units"]),
        ["hh-xincheng-hailar-road-east"]
    );

    // HH-23: volunteers only with consent.
    let volunteer_flags = json!(["beyond_duty", "volunteer_consent"]);
    let volunteers = file(
        &server,
        &with(
            ticket("hohhot", "help", "other", friday),
            "flags",
            volunteer_flags,
        ),
    );
    assert_eq!(volunteers["lead_unit"]["id"], "hh-volunteers");
    let no_consent = file(
        &server,
        &with(
            ticket("hohhot", "help", "other", friday),
            "flags",
            json!(["beyond_duty"]),
        ),
    );
    assert_eq!(no_consent["status"], "rejected");

    // HH-16(3): an ordinary wage complaint, 7 working days; HH-19 extension.
    let wages = file(&server, &ticket("hohhot", "complaint", "wages", friday));
    let id = wages["id"].as_str().unwrap();
    assert_eq!(wages["deadlines"]["resolve"], "2026-03-17T10:00:00+08:00");
    act(
        &server,
        id,
        json!({"action": "sign", "at": "2026-03-06T11:00:00+08:00"}),
    );
    // HH-19.1 及时联系诉求人: the contact clock is met, so only the resolve clock is chased.
    act(
        &server,
        id,
        json!({"action": "contact", "at": "2026-03-06T14:00:00+08:00"}),
    );
    let denied = act(
        &server,
        id,
        json!({"action": "request_extension", "at": "2026-03-16T10:00:00+08:00",
               "reason": "需劳动仲裁结果", "working_days": 3}),
    );
    assert_eq!(denied["outcome"], "denied");
    assert_eq!(denied["cite"], json!(["HH-19", "IM-11.4"]));
    assert_eq!(
        denied["reasons"],
        json!([
            "the requester was told why (requester_informed)",
            "the application to the management department (evidence: application_form)"
        ])
    );
    let allowed = act(
        &server,
        id,
        json!({"action": "request_extension", "at": "2026-03-16T10:00:00+08:00",
               "reason": "需劳动仲裁结果", "working_days": 3, "requester_informed": true,
               "evidence": ["application_form"]}),
    );
    assert_eq!(allowed["outcome"], "allowed", "{allowed}");
    assert_eq!(
        allowed["ticket"]["deadlines"]["resolve"],
        "2026-03-20T10:00:00+08:00"
    );

    // HH-36: past the extended limit, a reminder, then (no reason given) its 主管部门.
    let first = sweep(&server, "2026-03-20T11:00:00+08:00");
    assert_eq!(
        fired_for(&first, id),
        [("remind".to_owned(), "hh-hrss".to_owned())]
    );
    let second = sweep(&server, "2026-03-21T12:00:00+08:00");
    assert_eq!(
        fired_for(&second, id),
        [
            ("escalate".to_owned(), "hh-government".to_owned()),
            ("notify".to_owned(), "hh-hrss".to_owned())
        ]
    );

    // review_closure falls back to the region (IM-11.4); HH-24/IM-11.5 revisit reopens.
    let incomplete = act(
        &server,
        id,
        json!({"action": "resolve", "at": "2026-03-22T10:00:00+08:00",
               "reply": {"result": "已补发"}}),
    );
    assert_eq!(incomplete["outcome"], "denied");
    assert_eq!(incomplete["cite"], json!(["IM-11.4"]));
    let resolved = act(
        &server,
        id,
        json!({"action": "resolve", "at": "2026-03-22T10:00:00+08:00",
               "reply": {"investigation": "核查工资台账", "result": "已补发",
                         "requester_opinion": "认可"}}),
    );
    assert_eq!(resolved["ticket"]["status"], "resolved");
    let revisit = act(
        &server,
        id,
        json!({"action": "revisit", "at": "2026-03-23T10:00:00+08:00",
               "satisfaction": "unsatisfied"}),
    );
    assert_eq!(revisit["cite"], json!(["HH-24", "IM-11.5"]));
    assert_eq!(revisit["ticket"]["status"], "reopened");
    assert_eq!(revisit["ticket"]["lead_unit"]["id"], "hh-hrss");

    // The month's assessment reads that history: the extended limit was missed and the
    // answer came late (a miss, not an on-time resolve); the reopened round runs on; the
    // requester's first rating is the one 满意率 counts.
    let (month, hrss) = march_counts(&server, "hohhot", "hh-hrss");
    assert_eq!(hrss["clocks"]["resolve"]["late"], 1, "{hrss}");
    assert_eq!(hrss["extended"], 1, "{hrss}");
    assert_eq!(hrss["reopened"], 1, "{hrss}");
    assert_eq!(hrss["first_satisfaction"], json!({"unsatisfied": 1}));
    let rated = month["assessment"]["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit"] == "hh-hrss")
        .unwrap()
        .clone();
    assert_eq!(rated["satisfaction_rate"], 0.0, "{rated}");
}

#[test]
fn wushen_police_signing_termination_hang_and_the_escalation_ladder() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    let monday = "2026-03-02T09:00:00+08:00";

    // WS-3.1 → the area's station; WS-4.1: at first only the office owes a clock, signing
    // within 24 hours; the station's clocks start when the office dispatches (WS-4.2).
    let report = file(
        &server,
        &with(
            ticket("wushen-police", "report", "public_security", monday),
            "area",
            json!("tuke"),
        ),
    );
    assert_eq!(report["lead_unit"]["id"], "ws-station-tuke");
    assert_eq!(report["lead_unit"]["name"], "图克派出所");
    assert_eq!(report["deadlines"], json!({}), "{report}");
    // WS-137 counts the platform's 1 working day from the bureau's receipt: the office owes
    // the dispatch within it, besides signing within 24 hours.
    assert_eq!(
        report["clocks"],
        json!([{"name": "first_feedback", "unit": {"id": "ws-office", "name": "旗公安局接诉即办领导小组办公室"},
                "due": "2026-03-03T09:00:00+08:00", "state": "open", "met_at": null, "rounds": 0,
                "met_by": ["dispatch"], "cite": ["WS-137"]},
               {"name": "sign", "unit": {"id": "ws-office", "name": "旗公安局接诉即办领导小组办公室"},
                "due": "2026-03-03T09:00:00+08:00", "state": "open", "met_at": null, "rounds": 0,
                "met_by": ["sign", "dispatch"], "cite": ["WS-4.1"]}])
    );
    let id = report["id"].as_str().unwrap();
    let dispatched = act(
        &server,
        id,
        json!({"action": "dispatch", "unit": "ws-office", "lead": "ws-station-tuke",
               "at": "2026-03-02T10:00:00+08:00"}),
    );
    assert_eq!(dispatched["outcome"], "allowed", "{dispatched}");
    assert_eq!(dispatched["cite"], json!(["WS-3.1", "WS-4.1"]));
    assert_eq!(
        dispatched["ticket"]["deadlines"],
        json!({"intervene": "2026-03-02T12:00:00+08:00",
               "first_feedback": "2026-03-03T09:00:00+08:00",
               "resolve": "2026-03-05T09:00:00+08:00"}),
        "WS-137 counts from the bureau's receipt, not from the office's dispatch"
    );
    let office = dispatched["ticket"]["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["unit"]["id"] == "ws-office")
        .unwrap()
        .clone();
    assert_eq!(
        office["state"], "met",
        "the dispatch is the office's signing: {office}"
    );

    // WS-3.1: a wage dispute is not the bureau's — answered, not dispatched.
    let wages = file(
        &server,
        &ticket("wushen-police", "complaint", "wages", monday),
    );
    assert_eq!(wages["status"], "answered");

    // WS-1 daily reminder, then WS-2.3: urge → 督察法制大队 → 分管局领导.
    act(
        &server,
        id,
        json!({"action": "sign", "at": "2026-03-02T10:10:00+08:00"}),
    );
    act(
        &server,
        id,
        json!({"action": "intervene", "at": "2026-03-02T10:30:00+08:00"}),
    );
    act(
        &server,
        id,
        json!({"action": "feedback", "at": "2026-03-02T16:00:00+08:00"}),
    );
    let warn = sweep(&server, "2026-03-04T10:30:00+08:00");
    assert_eq!(
        fired_for(&warn, id),
        [("remind".to_owned(), "ws-station-tuke".to_owned())]
    );
    let urged = sweep(&server, "2026-03-05T11:00:00+08:00");
    assert_eq!(
        fired_for(&urged, id),
        [("remind".to_owned(), "ws-station-tuke".to_owned())]
    );
    let referred = sweep(&server, "2026-03-06T11:30:00+08:00");
    assert_eq!(
        fired_for(&referred, id),
        [("refer".to_owned(), "ws-inspection".to_owned())]
    );
    let escalated = sweep(&server, "2026-03-07T12:00:00+08:00");
    assert_eq!(
        fired_for(&escalated, id),
        [("escalate".to_owned(), "ws-deputy".to_owned())]
    );

    // WS-4.7 termination presupposes a clear answer the requester keeps disputing: before any
    // answer it is denied, whatever the paperwork.
    let full_paperwork = json!({"action": "request_termination", "at": "2026-03-08T10:00:00+08:00",
               "criteria": ["repeat_no_new_facts"], "reason": "已依法答复，无新情况反复反映",
               "evidence": ["photo_before", "photo_after", "application_form", "visit_record"],
               "signatures": ["main_leader"], "stamp": true});
    let unanswered = act(&server, id, full_paperwork.clone());
    assert_eq!(unanswered["outcome"], "denied", "{unanswered}");
    assert!(
        unanswered["reasons"][0]
            .as_str()
            .unwrap()
            .contains("a clear answer already given"),
        "{unanswered}"
    );
    let answered = act(
        &server,
        id,
        json!({"action": "resolve", "at": "2026-03-07T15:00:00+08:00",
               "evidence": ["visit_record", "photo_before", "photo_after"],
               "signatures": ["department_head", "deputy_leader"],
               "satisfaction": "unsatisfied", "request_reasonable": true,
               "reply": {"verified": true, "investigation": "民警现场调查", "result": "已依法书面答复",
                         "requester_opinion": "不认可", "resolution": "explained"}}),
    );
    assert_eq!(answered["outcome"], "allowed", "{answered}");
    let revisited = act(
        &server,
        id,
        json!({"action": "revisit", "at": "2026-03-07T17:00:00+08:00", "satisfaction": "unsatisfied"}),
    );
    assert_eq!(revisited["ticket"]["status"], "reopened", "{revisited}");
    // Then denied until photos, visit, the main leader's signature and the stamp.
    let denied = act(
        &server,
        id,
        json!({"action": "request_termination", "at": "2026-03-08T10:00:00+08:00",
               "criteria": ["repeat_no_new_facts"], "reason": "已依法答复，无新情况反复反映",
               "evidence": ["application_form"]}),
    );
    assert_eq!(denied["outcome"], "denied");
    assert!(denied["reasons"].as_array().unwrap().len() >= 4, "{denied}");
    let terminated = act(&server, id, full_paperwork);
    assert_eq!(terminated["outcome"], "allowed");
    assert_eq!(terminated["cite"], json!(["WS-4.7"]));
    assert_eq!(terminated["ticket"]["status"], "terminated");

    // WS-1 monthly report: the station's missed resolve counts as overdue (it answered after
    // the limit), and its termination is charged to it.
    let (month, station) = march_counts(&server, "wushen-police", "ws-station-tuke");
    assert_eq!(station["clocks"]["resolve"]["late"], 1, "{station}");
    assert_eq!(station["terminated"], 1, "{station}");
    assert!(
        month["input"]["units"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["unit"] != "ws-office"),
        "the office that dispatches is not ranked among the stations: {month}"
    );

    // WS-4.6: a complex matter needing more than three months hangs with a criterion.
    let complex = file(
        &server,
        &with(
            ticket("wushen-police", "complaint", "public_security", monday),
            "flags",
            json!(["complex"]),
        ),
    );
    let cid = complex["id"].as_str().unwrap();
    let dispatched = act(
        &server,
        cid,
        json!({"action": "dispatch", "unit": "ws-office", "lead": "ws-security",
               "at": "2026-03-02T09:30:00+08:00"}),
    );
    assert_eq!(
        dispatched["ticket"]["deadlines"]["plan"], "2026-03-09T09:00:00+08:00",
        "WS-137's 5 working days for a plan count from the bureau's receipt"
    );
    act(
        &server,
        cid,
        json!({"action": "sign", "at": "2026-03-02T10:00:00+08:00"}),
    );
    // WS-137: the plan, handed in on time, meets the plan clock (the host ties no action
    // to it: the policy names `plan`).
    let planned = act(
        &server,
        cid,
        json!({"action": "plan", "at": "2026-03-06T10:00:00+08:00", "plan": "联合治安大队分步处置"}),
    );
    let plan = planned["ticket"]["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "plan")
        .unwrap()
        .clone();
    assert_eq!(plan["state"], "met", "{plan}");
    assert_eq!(plan["met_at"], "2026-03-06T10:00:00+08:00");
    assert!(
        sweep(&server, "2026-03-10T10:00:00+08:00")
            .iter()
            .all(|f| f["clock"] != "plan"),
        "a met plan clock is never chased"
    );
    let hang = act(
        &server,
        cid,
        json!({"action": "request_extension", "at": "2026-05-20T10:00:00+08:00",
               "criteria": ["third_party_needed"], "reason": "需司法鉴定",
               "evidence": ["application_form"], "signatures": ["main_leader"], "stamp": true,
               "requester_informed": true, "until": "2026-08-31T18:00:00+08:00"}),
    );
    assert_eq!(hang["outcome"], "allowed", "{hang}");
    assert_eq!(
        hang["ticket"]["deadlines"]["resolve"],
        "2026-08-31T18:00:00+08:00"
    );
    // An unknown criterion code is bad input, not a denial.
    let (status, bad) = server.post(
        &format!("/api/v1/tickets/{cid}/actions"),
        &json!({"action": "request_extension", "criteria": ["because"], "working_days": 5}),
    );
    assert_eq!(status, 400, "{bad}");
}

#[test]
fn puyang_returns_reverification_supervision_and_night_matters() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    let monday = "2026-03-02T09:00:00+08:00";

    // PY-6: counted from the moment the centre transfers it; PY-8, PY-9, PY-ops-7.2.
    let waste = file(
        &server,
        &ticket("puyang-hualong", "complaint", "waste", monday),
    );
    let id = waste["id"].as_str().unwrap();
    assert_eq!(waste["lead_unit"]["id"], "py-urban");
    assert_eq!(
        waste["deadlines"],
        json!({"sign": "2026-03-03T09:00:00+08:00", "first_contact": "2026-03-03T09:00:00+08:00",
               "resolve": "2026-03-09T09:00:00+08:00"})
    );
    let timing = waste["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["hook"] == "time_limits")
        .unwrap();
    assert!(
        timing["cite"]
            .as_array()
            .unwrap()
            .contains(&json!("PY-conflicts")),
        "{timing}"
    );

    // PY-7: a return without the deputy leader's approval is invalid; no second return.
    let invalid = act(
        &server,
        id,
        json!({"action": "return", "at": "2026-03-02T15:00:00+08:00", "reason": "非本单位职责",
               "basis": "三定方案", "suggested_unit": "py-ecology"}),
    );
    assert_eq!(invalid["outcome"], "denied");
    let again = act(
        &server,
        id,
        json!({"action": "return", "at": "2026-03-02T16:00:00+08:00", "reason": "非本单位职责",
               "basis": "三定方案", "suggested_unit": "py-ecology",
               "signatures": ["deputy_leader"]}),
    );
    assert_eq!(again["outcome"], "denied");
    assert!(
        again["reasons"][0]
            .as_str()
            .unwrap()
            .contains("second time"),
        "{again}"
    );

    // A valid return on another ticket re-dispatches it with the normal limits counted from
    // the centre's receipt (PY-6/PY-9: 5 working days), not PY-flow-3's 2 of the unit's own
    // internal flow.
    let other = file(
        &server,
        &ticket("puyang-hualong", "complaint", "waste", monday),
    );
    let oid = other["id"].as_str().unwrap();
    let moved = act(
        &server,
        oid,
        json!({"action": "return", "at": "2026-03-02T15:00:00+08:00", "reason": "属于环境污染",
               "basis": "三定方案", "suggested_unit": "py-ecology",
               "signatures": ["deputy_leader"]}),
    );
    assert_eq!(moved["outcome"], "allowed", "{moved}");
    assert_eq!(moved["ticket"]["lead_unit"]["id"], "py-ecology");
    assert_eq!(
        moved["ticket"]["deadlines"]["resolve"],
        "2026-03-09T15:00:00+08:00"
    );

    // PY-12 closing, PY-20 re-verification in 3 working days, PY-21 supervision.
    act(
        &server,
        id,
        json!({"action": "sign", "at": "2026-03-02T17:00:00+08:00"}),
    );
    let reply = json!({"verified": true, "investigation": "现场核实", "result": "已清运",
                       "requester_opinion": "认可", "resolution": "solved"});
    act(
        &server,
        id,
        json!({"action": "resolve", "at": "2026-03-05T10:00:00+08:00", "reply": reply}),
    );
    let reverify = act(
        &server,
        id,
        json!({"action": "revisit", "at": "2026-03-06T10:00:00+08:00",
               "satisfaction": "unsatisfied"}),
    );
    // 规定 第十九、二十条 (回访复核) against 办理流程五 (退回重新办理): both cited, the note
    // says which applies.
    assert_eq!(
        reverify["cite"],
        json!(["PY-20", "PY-flow-5", "PY-conflicts"])
    );
    assert_eq!(reverify["ticket"]["status"], "reopened");
    assert_eq!(
        reverify["ticket"]["deadlines"]["reverify"],
        "2026-03-11T10:00:00+08:00"
    );
    let on_site = json!({"action": "resolve", "at": "2026-03-10T10:00:00+08:00", "reply": reply,
                         "evidence": ["visit_record", "photo_after"], "signatures": ["deputy_leader"]});
    let redone = act(&server, id, on_site);
    assert_eq!(redone["outcome"], "allowed", "{redone}");
    let second = act(
        &server,
        id,
        json!({"action": "revisit", "at": "2026-03-11T10:00:00+08:00",
               "satisfaction": "unsatisfied"}),
    );
    assert_eq!(second["cite"], json!(["PY-21"]));

    // PY-23/24: a hazard on a Saturday night is signed within the hour.
    let night = file(
        &server,
        &with(
            ticket(
                "puyang-hualong",
                "help",
                "municipal_infrastructure",
                "2026-03-07T22:00:00+08:00",
            ),
            "flags",
            json!(["hazard_today"]),
        ),
    );
    assert_eq!(night["deadlines"]["sign"], "2026-03-07T23:00:00+08:00");

    // PY-4/5: administrative penalty is its own channel.
    let penalty = file(
        &server,
        &with(
            ticket("puyang-hualong", "complaint", "market_regulation", monday),
            "flags",
            json!(["administrative_penalty"]),
        ),
    );
    assert_eq!(penalty["status"], "rejected");
}

#[test]
fn inner_mongolia_emergencies_are_timed_in_hours() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    // IM-10 on a Sunday night: 2 hours to intervene, whatever the calendar says.
    let gas = file(
        &server,
        &with(
            ticket(
                "inner-mongolia",
                "report",
                "gas",
                "2026-03-08T22:00:00+08:00",
            ),
            "flags",
            json!(["fire"]),
        ),
    );
    assert_eq!(gas["lead_unit"]["id"], "im-energy");
    assert_eq!(gas["deadlines"]["intervene"], "2026-03-09T00:00:00+08:00");
    let accept = &gas["decisions"][0];
    assert_eq!(accept["cite"], json!(["IM-8", "IM-10"]));
    // IM-9: litigation is refused.
    let litigation = file(
        &server,
        &with(
            ticket(
                "inner-mongolia",
                "complaint",
                "housing",
                "2026-03-09T10:00:00+08:00",
            ),
            "flags",
            json!(["in_litigation"]),
        ),
    );
    assert_eq!(litigation["rejection"]["cite"], json!(["IM-9"]));
}

/// Files, resolves and rates a few tickets, then asks for the month's assessment.
#[test]
fn assessments_are_computed_from_stored_tickets_through_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    let reply = json!({"verified": true, "investigation": "核实", "result": "已处理",
                       "requester_opinion": "认可", "resolution": "solved"});
    for (topic, day, satisfaction) in [
        ("waste", "02", "satisfied"),
        ("waste", "03", "neutral"),
        ("housing", "02", "satisfied"),
        ("wages", "04", "unsatisfied"),
    ] {
        let filed = file(
            &server,
            &ticket(
                "puyang-hualong",
                "complaint",
                topic,
                &format!("2026-03-{day}T09:00:00+08:00"),
            ),
        );
        let id = filed["id"].as_str().unwrap();
        act(
            &server,
            id,
            json!({"action": "sign", "at": format!("2026-03-{day}T10:00:00+08:00")}),
        );
        act(
            &server,
            id,
            json!({"action": "contact", "at": format!("2026-03-{day}T11:00:00+08:00")}),
        );
        act(
            &server,
            id,
            json!({"action": "resolve", "at": format!("2026-03-{day}T16:00:00+08:00"), "reply": reply}),
        );
        act(
            &server,
            id,
            json!({"action": "revisit", "at": "2026-03-20T10:00:00+08:00", "satisfaction": satisfaction}),
        );
    }
    let (status, body) =
        server.get("/api/v1/assessments?jurisdiction=puyang-hualong&from=2026-03-01&to=2026-04-01");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tickets"], 4);
    assert_eq!(
        body["cite"],
        json!(["PY-29", "PY-30", "PY-conflicts", "PY-sup-3.3"])
    );
    let units = body["assessment"]["units"].as_array().unwrap();
    let grade = |unit: &str| {
        units
            .iter()
            .find(|u| u["unit"] == unit)
            .map(|u| u["grade"].as_str().unwrap().to_owned())
            .unwrap()
    };
    // Each unit contacted and resolved on time. PY-30's 优秀 is at most 30% of the passing
    // units: of two, none (the note says which reading applies).
    let urban = units.iter().find(|u| u["unit"] == "py-urban").unwrap();
    assert_eq!(urban["first_contact_rate"], 100.0, "{urban}");
    assert_eq!(urban["on_time_rate"], 100.0, "{urban}");
    assert_eq!(grade("py-housing"), "良好");
    assert!(
        body["notes"].to_string().contains("30%"),
        "{}",
        body["notes"]
    );
    // The unsatisfied revisit reopened the wages ticket and it was never answered again: its
    // first resolve no longer stands, the ticket is open months past its limit and counts as
    // late (before, it counted as resolved on time).
    let hrss = units.iter().find(|u| u["unit"] == "py-hrss").unwrap();
    assert_eq!(hrss["on_time_rate"], 0.0, "{hrss}");
    assert_eq!(grade("py-hrss"), "不合格");

    // IM-18 rates for a region, and a period that is not one: bad input.
    let (status, region) =
        server.get("/api/v1/assessments?jurisdiction=inner-mongolia&from=2026-03-01&to=2026-04-01");
    assert_eq!(status, 200, "{region}");
    assert_eq!(region["tickets"], 0);
    assert_eq!(region["cite"], json!(["IM-18", "IM-24"]));
    let (status, bad) =
        server.get("/api/v1/assessments?jurisdiction=puyang-hualong&from=2026-04-01&to=2026-03-01");
    assert_eq!(status, 400, "{bad}");
    assert_eq!(bad["error"]["details"]["field"], "from", "{bad}");
    let (status, bad) =
        server.get("/api/v1/assessments?jurisdiction=puyang-hualong&from=March&to=2026-04-01");
    assert_eq!(status, 400, "{bad}");
    // An unescaped `+08:00` arrives as ` 08:00`: read as meant.
    let (status, same) = server.get(
        "/api/v1/assessments?jurisdiction=puyang-hualong&from=2026-03-01T00:00:00+08:00&to=2026-04-01T00:00:00+08:00",
    );
    assert_eq!(status, 200, "{same}");
    assert_eq!(same["tickets"], 4);

    // Over two months each month is assessed, then the year from their mean (PY-30).
    let (status, year) =
        server.get("/api/v1/assessments?jurisdiction=puyang-hualong&from=2026-02-01&to=2026-04-01");
    assert_eq!(status, 200, "{year}");
    assert_eq!(
        year["input"]["period"]["monthly"].as_array().unwrap().len(),
        2
    );
    // AS-5.2 for anshan with nothing stored: nobody to rank.
    let (status, anshan) =
        server.get("/api/v1/assessments?jurisdiction=anshan&from=2026-01-01&to=2027-01-01");
    assert_eq!(status, 200, "{anshan}");
    assert_eq!(anshan["assessment"]["praised"], json!([]));
}

/// PY-6 (host): an electronic ticket is received when the district centre transfers it, so
/// every count starts at the `received_at` the centre sends, not when jiesu stores it.
#[test]
fn py_6_counts_start_when_the_centre_transfers_the_ticket() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    let transferred = "2026-03-06T17:30:00+08:00";
    let filed = file(
        &server,
        &ticket("puyang-hualong", "help", "housing", transferred),
    );
    assert_eq!(filed["received_at"], transferred, "{filed}");
    // Friday 17:30 + 1 working day is Monday 17:30, whenever the ticket reached jiesu.
    assert_eq!(filed["deadlines"]["sign"], "2026-03-09T17:30:00+08:00");
}

// Lifecycle v2 (issue 10): each new capability in the jurisdiction whose text asks for it.

/// HH-17: a co-unit owns its clock toward the lead, meets it itself and is not chased; it
/// cannot resolve the lead's ticket; HH-36: the silent lead goes to its 主管部门.
#[test]
fn a_co_unit_meets_its_own_clock_and_is_not_chased() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &[
            ("hh-intake", "intake", "hohhot", None),
            ("housing-desk", "unit", "hohhot", Some("hh-housing")),
            ("market-desk", "unit", "hohhot", Some("hh-market")),
        ],
    );
    let (intake, lead, co) = (
        secret("hh-intake"),
        secret("housing-desk"),
        secret("market-desk"),
    );
    let ticket = file_as(
        &server,
        &json!({"jurisdiction": "hohhot", "channel": "phone", "category": "complaint",
                "topic": "housing", "flags": ["multi_department"], "content": "楼道漏水无人管"}),
        &intake,
    );
    let id = ticket["id"].as_str().unwrap();
    assert_eq!(ticket["lead_unit"]["id"], "hh-housing");
    assert_eq!(ticket["assist_units"][0]["id"], "hh-market");
    let owed = clock(&ticket, "first_feedback", "hh-market");
    assert_eq!(owed["met_by"], json!(["feedback", "report_progress"]));
    assert_eq!(owed["cite"], json!(["HH-17"]));

    // The co-unit signs for its own part: the ticket stays where the lead has it.
    let (status, signed) = act_as(&server, id, &json!({"action": "sign"}), &co);
    assert_eq!(status, 200, "{signed}");
    assert_eq!(signed["ticket"]["status"], "dispatched");
    let (_, signed) = act_as(&server, id, &json!({"action": "sign"}), &lead);
    assert_eq!(signed["ticket"]["status"], "signed");
    // It can never close, return or end the lead's ticket.
    for forbidden in [
        json!({"action": "resolve", "reply": {"result": "已处理"}}),
        json!({"action": "return", "reason": "不是我们的"}),
    ] {
        let (status, refused) = act_as(&server, id, &forbidden, &co);
        assert_eq!(status, 403, "{refused}");
        assert_eq!(refused["error"]["code"], "not_your_part");
        assert!(
            refused["error"]["details"]["may"]
                .as_array()
                .unwrap()
                .contains(&json!("report_progress")),
            "{refused}"
        );
    }
    // It explains and reports how far it got (说明理由并报告阶段性工作情况): its clock is met.
    let (status, reported) = act_as(
        &server,
        id,
        &json!({"action": "report_progress", "reason": "需协调物业", "progress": "已约谈物业公司"}),
        &co,
    );
    assert_eq!(status, 200, "{reported}");
    assert_eq!(
        clock(&reported["ticket"], "first_feedback", "hh-market")["state"],
        "met"
    );
    assert_eq!(
        clock(&reported["ticket"], "resolve", "hh-housing")["state"],
        "open"
    );

    // Past every limit only the lead is chased; twice silent, it goes to the city
    // government (its 主管部门, HH-36(二)).
    let first = sweep_as_admin(&server, &in_days(30));
    let second = sweep_as_admin(&server, &in_days(32));
    let fired: Vec<(String, String)> = first
        .iter()
        .chain(&second)
        .filter(|f| f["ticket"] == id)
        .flat_map(|f| f["actions"].as_array().unwrap().clone())
        .map(|a| {
            (
                a["kind"].as_str().unwrap().into(),
                a["to"]["id"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        fired.iter().all(|(_, to)| to != "hh-market"),
        "the co-unit that did its part is not chased: {fired:?}"
    );
    assert_eq!(fired[0], ("remind".to_owned(), "hh-housing".to_owned()));
    assert!(
        fired.contains(&("escalate".to_owned(), "hh-government".to_owned())),
        "{fired:?}"
    );
    // The lead's own late report is recorded but cannot turn a missed clock met.
    let (_, fed_back) = act_as(&server, id, &json!({"action": "feedback"}), &lead);
    let resolve = clock(&fed_back["ticket"], "resolve", "hh-housing");
    assert_eq!(resolve["state"], "missed", "{resolve}");
    assert!(!resolve["met_at"].is_null());
    trail(&server, id);
}

/// The time of record is the server's: a unit cannot backdate, an admin backfills with both
/// times recorded; a retried action with the same key is recorded once.
#[test]
fn the_time_of_record_and_idempotent_actions() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &[
            ("as-intake", "intake", "anshan", None),
            ("env-desk", "unit", "anshan", Some("as-environment")),
        ],
    );
    let (intake, unit) = (secret("as-intake"), secret("env-desk"));
    let old = json!({"jurisdiction": "anshan", "channel": "phone", "category": "complaint",
                     "topic": "noise", "content": "夜间施工噪音",
                     "received_at": "2025-09-30T10:00:00+08:00"});
    let (status, refused) = server.post_as("/api/v1/tickets", &old, Some(&intake));
    assert_eq!(
        status, 422,
        "an intake desk files within the day: {refused}"
    );
    assert_eq!(refused["error"]["code"], "at_out_of_range");
    let backfilled = file_as(&server, &old, ADMIN);
    assert_eq!(backfilled["received_at"], "2025-09-30T10:00:00+08:00");
    assert_ne!(backfilled["recorded_at"], backfilled["received_at"]);

    let ticket = file_as(
        &server,
        &json!({"jurisdiction": "anshan", "channel": "phone", "category": "complaint",
                "topic": "noise", "content": "夜间施工噪音"}),
        &intake,
    );
    let id = ticket["id"].as_str().unwrap();
    // 14 months late with an old `at`: refused for a unit, nothing written.
    let (status, backdated) = act_as(
        &server,
        id,
        &json!({"action": "sign", "at": "2025-10-01T10:00:00+08:00"}),
        &unit,
    );
    assert_eq!(status, 422, "{backdated}");
    assert_eq!(backdated["error"]["code"], "at_out_of_range");
    assert_eq!(trail(&server, id)["entries"].as_array().unwrap().len(), 4);

    // Retried with the same key: one event, the same answer.
    let contact = json!({"action": "sign"});
    let headers = [
        ("Authorization", format!("Bearer {unit}")),
        ("Idempotency-Key", "sign-1".to_owned()),
    ];
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (first_status, first) = server.post_raw(
        &format!("/api/v1/tickets/{id}/actions"),
        &contact.to_string(),
        &headers,
    );
    let (again_status, again) = server.post_raw(
        &format!("/api/v1/tickets/{id}/actions"),
        &contact.to_string(),
        &headers,
    );
    assert_eq!((first_status, again_status), (200, 200), "{first} {again}");
    assert_eq!(first["outcome"], again["outcome"]);
    let signs = trail(&server, id)["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["outcome"] == "sign")
        .count();
    assert_eq!(signs, 1, "a retried action is recorded once");
    let (status, conflict) = server.post_raw(
        &format!("/api/v1/tickets/{id}/actions"),
        &json!({"action": "contact"}).to_string(),
        &headers,
    );
    assert_eq!(status, 422, "{conflict}");
    assert_eq!(conflict["error"]["code"], "idempotency_key_reused");

    // An admin's backfill is judged by the sent time and keeps the server's beside it.
    let (_, contacted) = act_as(
        &server,
        backfilled["id"].as_str().unwrap(),
        &json!({"action": "sign", "at": "2025-09-30T11:00:00+08:00"}),
        ADMIN,
    );
    assert_eq!(contacted["outcome"], "allowed", "{contacted}");
    let entries = trail(&server, backfilled["id"].as_str().unwrap())["entries"].clone();
    let event = entries.as_array().unwrap().last().unwrap();
    assert_eq!(
        event["output"]["time_of_record"],
        "2025-09-30T11:00:00+08:00"
    );
    assert_ne!(
        event["output"]["recorded_at"],
        event["output"]["time_of_record"]
    );
}

/// AS-2.3: a returned ticket goes back to the hotline office, which assigns it; nobody is
/// chased meanwhile.
#[test]
fn a_returned_anshan_ticket_is_assigned_by_the_office() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &[
            ("as-intake", "intake", "anshan", None),
            ("env-desk", "unit", "anshan", Some("as-environment")),
            ("office-desk", "intake", "anshan", None),
        ],
    );
    let ticket = file_as(
        &server,
        &json!({"jurisdiction": "anshan", "channel": "phone", "category": "complaint",
                "topic": "noise", "content": "汽车鸣笛噪音"}),
        &secret("as-intake"),
    );
    let id = ticket["id"].as_str().unwrap();
    let (_, returned) = act_as(
        &server,
        id,
        &json!({"action": "return", "reason": "属交通噪音", "basis": "机动车噪音由公安交管部门管理"}),
        &secret("env-desk"),
    );
    assert_eq!(returned["ticket"]["status"], "returned", "{returned}");
    assert!(
        sweep_as_admin(&server, &in_days(60)).is_empty(),
        "nobody is chased while the office holds it"
    );
    let (status, dispatched) = act_as(
        &server,
        id,
        &json!({"action": "dispatch", "lead": "as-enforcement", "reason": "属城市综合治理"}),
        &secret("office-desk"),
    );
    assert_eq!(status, 200, "{dispatched}");
    assert_eq!(dispatched["outcome"], "allowed");
    assert_eq!(dispatched["ticket"]["lead_unit"]["id"], "as-enforcement");
    assert_eq!(dispatched["ticket"]["status"], "dispatched");
    assert!(dispatched["ticket"]["deadlines"]["resolve"].is_string());
    // The unit that returned it holds no part any more.
    let (status, _) = act_as(&server, id, &json!({"action": "sign"}), &secret("env-desk"));
    assert_eq!(status, 404);
    trail(&server, id);
}

fn puyang_complaint(received_at: &str) -> Value {
    json!({"jurisdiction": "puyang-hualong", "channel": "phone", "category": "complaint",
           "topic": "housing", "content": "楼顶漏水", "received_at": received_at})
}

fn closing_reply() -> Value {
    json!({"verified": true, "investigation": "现场核实漏水", "result": "已维修",
           "requester_opinion": "认可", "resolution": "solved"})
}

/// PY-20: an extension moves the reverify clock; PY-21: a second revisit that contradicts
/// the unit's report puts 督办 and 通报 in the outbox with the deciding entry.
#[test]
fn puyang_reverify_extension_and_supervision_from_a_revisit() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    let ticket = file_as(
        &server,
        &puyang_complaint("2026-03-02T09:00:00+08:00"),
        ADMIN,
    );
    let id = ticket["id"].as_str().unwrap();
    let lead = ticket["lead_unit"]["id"].as_str().unwrap().to_owned();
    let step = |body: Value| {
        let (status, out) = act_as(&server, id, &body, ADMIN);
        assert_eq!(status, 200, "{out}");
        assert_eq!(out["outcome"], "allowed", "{body}: {out}");
        out
    };
    step(json!({"action": "sign", "at": "2026-03-02T10:00:00+08:00"}));
    step(json!({"action": "contact", "at": "2026-03-02T11:00:00+08:00"}));
    step(json!({"action": "resolve", "at": "2026-03-05T10:00:00+08:00", "reply": closing_reply()}));
    let reopened = step(
        json!({"action": "revisit", "at": "2026-03-10T10:00:00+08:00",
                               "satisfaction": "unsatisfied"}),
    );
    assert_eq!(
        reopened["cite"],
        json!(["PY-20", "PY-flow-5", "PY-conflicts"])
    );
    let reverify = clock(&reopened["ticket"], "reverify", &lead).clone();
    assert_eq!(reverify["due"], "2026-03-13T10:00:00+08:00");

    let extended = step(
        json!({"action": "request_extension", "at": "2026-03-12T10:00:00+08:00",
                               "reason": "需再次现场查看", "evidence": ["application_form"],
                               "signatures": ["deputy_leader"], "working_days": 1}),
    );
    assert_eq!(
        clock(&extended["ticket"], "reverify", &lead)["due"],
        "2026-03-16T10:00:00+08:00",
        "the extension moved the reverify clock"
    );
    let entries = trail(&server, id)["entries"].clone();
    let moved = entries
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["outcome"] == "request_extension")
        .unwrap()["output"]["moved"]
        .clone();
    assert!(
        moved
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["clock"] == "reverify" && m["to"] == "2026-03-16T10:00:00+08:00"),
        "{moved}"
    );

    let reverified = step(
        json!({"action": "reverify", "at": "2026-03-16T09:00:00+08:00",
                                 "reply": closing_reply(), "signatures": ["deputy_leader"]}),
    );
    assert_eq!(
        clock(&reverified["ticket"], "reverify", &lead)["state"],
        "met"
    );
    step(
        json!({"action": "resolve", "at": "2026-03-16T09:30:00+08:00", "reply": closing_reply(),
                "evidence": ["visit_record", "photo_after"], "signatures": ["deputy_leader"]}),
    );
    let supervised = step(
        json!({"action": "revisit", "at": "2026-03-17T10:00:00+08:00",
                                 "satisfaction": "unsatisfied"}),
    );
    assert_eq!(supervised["cite"], json!(["PY-21"]));

    let (_, outbox) = server.get_as("/api/v1/notifications", Some(ADMIN));
    let fired: Vec<&Value> = outbox["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["ticket"] == id)
        .collect();
    let kinds: Vec<&str> = fired.iter().map(|n| n["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["supervise", "notify"], "{outbox}");
    let entries = trail(&server, id)["entries"].clone();
    let deciding = entries
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["hook"] == "on_revisit")
        .unwrap();
    for n in fired {
        assert_eq!(
            n["seq"], deciding["seq"],
            "each names the decision that fired it"
        );
        assert_eq!(n["cite"], json!(["PY-21"]));
        assert_eq!(n["clock"], Value::Null);
    }
}

/// PY-ops-7.2 逾期视为默认接受: the sweep itself moves an unsigned ticket to signed.
#[test]
fn puyang_acceptance_is_assumed_when_the_signing_window_passes() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    let ticket = file_as(
        &server,
        &puyang_complaint("2026-03-02T09:00:00+08:00"),
        ADMIN,
    );
    let id = ticket["id"].as_str().unwrap();
    let fired = sweep_as_admin(&server, "2026-03-03T10:00:00+08:00");
    let sign = fired
        .iter()
        .find(|f| f["ticket"] == id && f["clock"] == "sign")
        .unwrap_or_else(|| panic!("{fired:?}"));
    assert_eq!(sign["assumed"], "sign");
    let (_, now) = server.get_as(&format!("/api/v1/tickets/{id}"), Some(ADMIN));
    assert_eq!(now["status"], "signed");
    let lead = now["lead_unit"]["id"].as_str().unwrap();
    assert_eq!(clock(&now, "sign", lead)["state"], "missed");
    let entries = trail(&server, id)["entries"].clone();
    let assumed = entries
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "event" && e["outcome"] == "sign")
        .unwrap();
    assert_eq!(assumed["input"]["assumed"], true);
    assert_eq!(assumed["cite"], json!(["PY-ops-7.2"]));
    // Once assumed, the window is over: the unit is not told to sign again.
    assert!(
        sweep_as_admin(&server, "2026-03-04T10:00:00+08:00")
            .iter()
            .all(|f| f["clock"] != "sign")
    );
}

/// The centre dispatching without naming one of its units still meets the clocks its own
/// office owes for the dispatch (WS-4.1, WS-137): it is the office acting.
#[test]
fn the_centres_dispatch_meets_its_offices_clocks_without_naming_the_office() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    let report = file(
        &server,
        &with(
            ticket(
                "wushen-police",
                "report",
                "public_security",
                "2026-03-02T09:00:00+08:00",
            ),
            "area",
            json!("tuke"),
        ),
    );
    let id = report["id"].as_str().unwrap();
    let dispatched = act(
        &server,
        id,
        json!({"action": "dispatch", "lead": "ws-station-tuke", "at": "2026-03-02T10:00:00+08:00"}),
    );
    assert_eq!(dispatched["outcome"], "allowed", "{dispatched}");
    for name in ["sign", "first_feedback"] {
        let owed = clock(&dispatched["ticket"], name, "ws-office");
        assert_eq!(owed["state"], "met", "{name}: {owed}");
    }
}

/// AS-5's ladder is the round's: two reminders, then 督办中心. After the late answer is
/// reopened by an unsatisfied revisit, the new round's miss starts again from the first
/// reminder; the old round's reminders do not send the unit straight to 督办中心.
#[test]
fn a_reopened_round_starts_the_overdue_ladder_again() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    let noise = file(
        &server,
        &ticket("anshan", "complaint", "noise", "2026-03-02T09:00:00+08:00"),
    );
    let id = noise["id"].as_str().unwrap();
    act(
        &server,
        id,
        json!({"action": "sign", "at": "2026-03-02T10:00:00+08:00"}),
    );
    let kinds = |fired: &[Value]| -> Vec<String> {
        fired_for(fired, id)
            .into_iter()
            .map(|(k, to)| format!("{k} {to}"))
            .collect()
    };
    assert!(
        kinds(&sweep(&server, "2026-03-30T10:00:00+08:00"))
            .contains(&"remind as-environment".to_owned())
    );
    assert!(
        kinds(&sweep(&server, "2026-03-31T11:00:00+08:00"))
            .contains(&"remind as-environment".to_owned())
    );
    assert!(
        kinds(&sweep(&server, "2026-04-01T12:00:00+08:00"))
            .contains(&"escalate as-supervision-centre".to_owned()),
        "the first round climbs the whole ladder"
    );
    act(
        &server,
        id,
        json!({"action": "resolve", "at": "2026-04-02T10:00:00+08:00", "signatures": ["main_leader"],
               "reply": {"verified": true, "result": "已处理", "resolution": "solved"}}),
    );
    let reopened = act(
        &server,
        id,
        json!({"action": "revisit", "at": "2026-04-03T10:00:00+08:00", "satisfaction": "unsatisfied"}),
    );
    assert_eq!(reopened["ticket"]["status"], "reopened", "{reopened}");
    let due = reopened["ticket"]["deadlines"]["resolve"]
        .as_str()
        .unwrap()
        .to_owned();
    let after = chrono::DateTime::parse_from_rfc3339(&due).unwrap() + chrono::Duration::hours(1);
    let first = kinds(&sweep(&server, &after.to_rfc3339()));
    assert!(
        first.contains(&"remind as-environment".to_owned()),
        "{first:?}"
    );
    assert!(
        !first.iter().any(|k| k.starts_with("escalate")),
        "the new round starts from the first reminder: {first:?}"
    );
}
