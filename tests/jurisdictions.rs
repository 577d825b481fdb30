//! The five jurisdictions against the running server (issue 5's acceptance): scenarios
//! written from the seed texts — deadlines, lead and co-units, rejections and redirects,
//! return/extension/termination reviews, revisits, overdue escalations and assessments.
//! Every decision of every trail written here must carry a non-empty `cite`.
#![allow(clippy::unwrap_used)]

mod common;

use common::Server;
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
    assert_eq!(
        report["clocks"],
        json!([{"name": "sign", "unit": {"id": "ws-office", "name": "旗公安局接诉即办领导小组办公室"},
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
               "first_feedback": "2026-03-03T10:00:00+08:00",
               "resolve": "2026-03-05T10:00:00+08:00"})
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

    // WS-4.7 termination: denied until photos, form, visit and the main leader's signature.
    let denied = act(
        &server,
        id,
        json!({"action": "request_termination", "at": "2026-03-08T10:00:00+08:00",
               "criteria": ["repeat_no_new_facts"], "reason": "已依法答复，无新情况反复反映",
               "evidence": ["application_form"]}),
    );
    assert_eq!(denied["outcome"], "denied");
    assert_eq!(denied["reasons"].as_array().unwrap().len(), 4, "{denied}");
    let terminated = act(
        &server,
        id,
        json!({"action": "request_termination", "at": "2026-03-08T10:00:00+08:00",
               "criteria": ["repeat_no_new_facts"], "reason": "已依法答复，无新情况反复反映",
               "evidence": ["photo_before", "photo_after", "application_form", "visit_record"],
               "signatures": ["main_leader"]}),
    );
    assert_eq!(terminated["outcome"], "allowed");
    assert_eq!(terminated["cite"], json!(["WS-4.7"]));
    assert_eq!(terminated["ticket"]["status"], "terminated");

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
        dispatched["ticket"]["deadlines"]["plan"],
        "2026-03-09T09:30:00+08:00"
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
               "evidence": ["application_form"], "signatures": ["main_leader"],
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

    // A valid return on another ticket re-dispatches it: PY-flow-3 gives 2 working days.
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
        "2026-03-04T15:00:00+08:00"
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
    assert_eq!(reverify["cite"], json!(["PY-20"]));
    assert_eq!(reverify["ticket"]["status"], "reopened");
    assert_eq!(
        reverify["ticket"]["deadlines"]["reverify"],
        "2026-03-11T10:00:00+08:00"
    );
    let on_site = json!({"action": "resolve", "at": "2026-03-10T10:00:00+08:00", "reply": reply,
                         "evidence": ["visit_record", "photo_after"]});
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
    assert_eq!(body["cite"], json!(["PY-29", "PY-30", "PY-conflicts"]));
    let units = body["assessment"]["units"].as_array().unwrap();
    let grade = |unit: &str| {
        units
            .iter()
            .find(|u| u["unit"] == unit)
            .map(|u| u["grade"].as_str().unwrap().to_owned())
            .unwrap()
    };
    // Each unit contacted, resolved and rated on time: all pass; the best is excellent.
    let urban = units.iter().find(|u| u["unit"] == "py-urban").unwrap();
    assert_eq!(urban["first_contact_rate"], 100.0, "{urban}");
    assert_eq!(urban["on_time_rate"], 100.0, "{urban}");
    assert_eq!(grade("py-housing"), "优秀");
    assert_eq!(grade("py-hrss"), "合格");

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
