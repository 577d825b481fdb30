//! The auditor's pages (issue 6): rendered by the server, loaded in a real browser
//! (headless Chromium, which `.ci/run` installs), showing the ticket's cite ids with their
//! rule texts, deadlines and chain status; and the token login for people.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use common::{Server, ServerOptions};
use serde_json::json;
use sha2::{Digest, Sha256};

fn chromium() -> String {
    if let Ok(path) = std::env::var("JIESU_CHROMIUM") {
        return path;
    }
    for candidate in ["chromium", "chromium-browser", "google-chrome"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {candidate}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if found {
            return candidate.to_owned();
        }
    }
    panic!("no Chromium: install it (apt-get install chromium) or set JIESU_CHROMIUM");
}

/// The DOM after Chromium loaded and ran the page.
fn render(url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            &format!("--user-data-dir={}", profile.path().display()),
            "--dump-dom",
            url,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_ticket_page_renders_in_a_browser_with_its_cite_ids() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    let (status, ticket) = server.post(
        "/api/v1/tickets",
        &json!({"jurisdiction": "anshan", "channel": "phone", "category": "complaint", "topic": "noise",
                "content": "夜间施工噪音 <script>alert(1)</script>", "received_at": "2026-03-02T09:00:00+08:00"}),
    );
    assert_eq!(status, 201, "{ticket}");
    let id = ticket["id"].as_str().unwrap();

    let dom = render(&format!("{}/ui/tickets/{id}", server.base));
    for cite in ["AS-2.1", "AS-3"] {
        assert!(
            dom.contains(&format!("data-cite=\"{cite}\"")),
            "no {cite} in {dom}"
        );
    }
    assert!(
        dom.contains("第一责任主体"),
        "the rule's text beside its id: {dom}"
    );
    assert!(dom.contains("市环保局"), "{dom}");
    assert!(dom.contains("id=\"chain\""), "{dom}");
    assert!(dom.contains("完整"), "chain status: {dom}");
    assert!(dom.contains("办理经过") && dom.contains("时限"), "{dom}");
    assert!(
        !dom.contains("<script>alert(1)</script>"),
        "content is escaped, never run: {dom}"
    );

    let list = render(&format!("{}/ui/?jurisdiction=anshan", server.base));
    assert!(list.contains(&format!("/ui/tickets/{id}")), "{list}");
}

#[test]
fn people_log_in_with_a_token_kept_in_a_cookie() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("jiesu.toml");
    std::fs::write(
        &config,
        format!(
            "[[tokens]]\nname = \"auditor\"\nrole = \"auditor\"\nsha256 = \"{}\"\n\n[[tokens]]\nname = \"intake\"\nrole = \"intake\"\nsha256 = \"{}\"\n",
            hex::encode(Sha256::digest(b"audit-secret")),
            hex::encode(Sha256::digest(b"intake-secret")),
        ),
    )
    .unwrap();
    let db = dir.path().join("j.db");
    let mut options = ServerOptions::new(&db);
    let config = config.to_str().unwrap().to_owned();
    options.args = vec!["--config", &config];
    options.env = vec![("JIESU_ADMIN_TOKEN", "root")];
    let server = Server::start_with(options);
    let (_, ticket) = server.post(
        "/api/v1/tickets",
        &json!({"jurisdiction": "anshan", "channel": "phone", "category": "complaint", "topic": "noise",
                "content": "噪音", "received_at": "2026-03-02T09:00:00+08:00"}),
    );
    let id = ticket["id"].as_str().unwrap();

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let page = format!("{}/ui/tickets/{id}", server.base);
    let anonymous = agent.get(&page).call().unwrap();
    assert_eq!(anonymous.status().as_u16(), 303);
    assert_eq!(anonymous.headers()["location"], "/ui/login");

    let wrong = agent
        .post(format!("{}/ui/login", server.base))
        .send_form([("token", "guess")])
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);

    let login = agent
        .post(format!("{}/ui/login", server.base))
        .send_form([("token", "audit-secret")])
        .unwrap();
    assert_eq!(login.status().as_u16(), 303);
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_owned();
    let mut shown = agent.get(&page).header("Cookie", &pair).call().unwrap();
    assert_eq!(shown.status().as_u16(), 200);
    let html = shown.body_mut().read_to_string().unwrap();
    assert!(html.contains("data-cite=\"AS-3\""), "{html}");

    // An intake token may log in, but trails are not for intake.
    let login = agent
        .post(format!("{}/ui/login", server.base))
        .send_form([("token", "intake-secret")])
        .unwrap();
    let pair = login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let refused = agent.get(&page).header("Cookie", &pair).call().unwrap();
    assert_eq!(refused.status().as_u16(), 403);
}
