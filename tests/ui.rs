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

/// The `name=value` of a response's cookie.
fn cookie_pair(response: &ureq::http::Response<ureq::Body>, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap_or_default().to_owned())
}

fn set_cookie(response: &ureq::http::Response<ureq::Body>, name: &str) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_default()
        .to_owned()
}

/// The login form's CSRF cookie and hidden field.
fn login_form(agent: &ureq::Agent, base: &str) -> (String, String) {
    let mut form = agent.get(format!("{base}/ui/login")).call().unwrap();
    let cookie = cookie_pair(&form, "jiesu_login_csrf").unwrap();
    let html = form.body_mut().read_to_string().unwrap();
    let field = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|v| v.split('"').next())
        .unwrap()
        .to_owned();
    (cookie, field)
}

fn log_in(agent: &ureq::Agent, base: &str, token: &str) -> ureq::http::Response<ureq::Body> {
    let (cookie, csrf) = login_form(agent, base);
    agent
        .post(format!("{base}/ui/login"))
        .header("Cookie", &cookie)
        .send_form([("token", token), ("csrf", csrf.as_str())])
        .unwrap()
}

#[test]
fn people_log_in_to_an_opaque_session_with_csrf_and_a_rate_limit() {
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
    options.args = vec!["--config", &config, "--secure-cookies"];
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
    let base = server.base.clone();
    let page = format!("{base}/ui/tickets/{id}");
    let anonymous = agent.get(&page).call().unwrap();
    assert_eq!(anonymous.status().as_u16(), 303);
    assert_eq!(anonymous.headers()["location"], "/ui/login");

    // Without the form's CSRF token (a login posted from another site): refused.
    let forged = agent
        .post(format!("{base}/ui/login"))
        .send_form([("token", "audit-secret")])
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    let empty = agent
        .post(format!("{base}/ui/login"))
        .header("Cookie", "jiesu_login_csrf=")
        .send_form([("token", "audit-secret"), ("csrf", "")])
        .unwrap();
    assert_eq!(
        empty.status().as_u16(),
        403,
        "an empty token pair is no token"
    );
    assert_eq!(log_in(&agent, &base, "guess").status().as_u16(), 401);

    let login = log_in(&agent, &base, "audit-secret");
    assert_eq!(login.status().as_u16(), 303);
    let cookie = set_cookie(&login, "jiesu_session");
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Secure"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("audit-secret"),
        "the cookie never holds the token: {cookie}"
    );
    let pair = cookie_pair(&login, "jiesu_session").unwrap();
    let mut shown = agent.get(&page).header("Cookie", &pair).call().unwrap();
    assert_eq!(shown.status().as_u16(), 200);
    let html = shown.body_mut().read_to_string().unwrap();
    assert!(html.contains("data-cite=\"AS-3\""), "{html}");

    // The session cookie is no credential for the API.
    let api = agent
        .get(format!("{base}/api/v1/tickets/{id}"))
        .header("Cookie", &pair)
        .call()
        .unwrap();
    assert_eq!(api.status().as_u16(), 401);

    // Logging out needs the session's CSRF token; then the session is gone.
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|v| v.split('"').next())
        .unwrap()
        .to_owned();
    let forged = agent
        .post(format!("{base}/ui/logout"))
        .header("Cookie", &pair)
        .send_form([("csrf", "guess")])
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    assert_eq!(
        agent
            .get(&page)
            .header("Cookie", &pair)
            .call()
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    let out = agent
        .post(format!("{base}/ui/logout"))
        .header("Cookie", &pair)
        .send_form([("csrf", csrf.as_str())])
        .unwrap();
    assert_eq!(out.status().as_u16(), 303);
    assert_eq!(
        agent
            .get(&page)
            .header("Cookie", &pair)
            .call()
            .unwrap()
            .status()
            .as_u16(),
        303
    );

    // An intake token may log in, but trails are not for intake.
    let login = log_in(&agent, &base, "intake-secret");
    let pair = cookie_pair(&login, "jiesu_session").unwrap();
    let refused = agent.get(&page).header("Cookie", &pair).call().unwrap();
    assert_eq!(refused.status().as_u16(), 403);

    // Guessing is limited: after 10 tries a minute from one address, 429.
    let statuses: Vec<u16> = (0..10)
        .map(|_| log_in(&agent, &base, "guess").status().as_u16())
        .collect();
    assert!(statuses.contains(&429), "{statuses:?}");
}
