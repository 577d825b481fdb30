//! The auditor's pages, rendered on the server (maud escapes every value): `/ui/` lists
//! tickets with filters, `/ui/tickets/{id}` shows one ticket's timeline of events and
//! decisions with the text of every cited rule, its deadlines and its chain status.
//! They take the API's bearer tokens, or a session the login form starts (`session.rs`).

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header::{CONTENT_TYPE, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde::Deserialize;
use serde_json::Value;

use super::auth::identify;
use super::disclose::disclosed;
use super::session::{LOGIN_CSRF_COOKIE, SESSION_COOKIE, Sessions, random_token, same_secret};
use super::{ApiError, AppState, Caller};
use crate::domain::{Capability, Principal};
use crate::service::{TicketPageData, TicketQuery};

const STYLE: &str = "body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:2rem;color:#222}\
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}\
.cite{display:inline-block;background:#eef;border-radius:3px;padding:0 .3rem;margin:.1rem}\
.rule{color:#555;font-size:.9em}.bad{color:#b00;font-weight:bold}.good{color:#070}\
details pre{white-space:pre-wrap;max-width:60rem;background:#f6f6f6;padding:.5rem}";

fn page(title: &str, csrf: Option<&str>, body: Markup) -> HttpResponse {
    let markup = html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                title { (title) " · jiesu" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                nav {
                    a href="/ui/" { "工单列表" }
                    @if let Some(csrf) = csrf {
                        " · "
                        form method="post" action="/ui/logout" style="display:inline" {
                            input type="hidden" name="csrf" value=(csrf);
                            button type="submit" { "退出" }
                        }
                    }
                }
                (body)
            }
        }
    };
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(markup.into_string())
}

fn to_login() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, "/ui/login"))
        .finish()
}

/// The caller and, for a logged-in person, the session's CSRF token; `None` for a person
/// without a session or token: they get the login page.
fn caller(req: &HttpRequest) -> Option<(Caller, Option<String>)> {
    if let (Some(cookie), Some(sessions)) = (
        req.cookie(SESSION_COOKIE),
        req.app_data::<web::Data<Sessions>>(),
    ) && let Some(session) = sessions.get(cookie.value())
    {
        return Some((Caller(session.principal), Some(session.csrf)));
    }
    identify(req).ok().map(|caller| (caller, None))
}

fn ui_cookie<'c>(name: &'c str, value: String, secure: bool) -> Cookie<'c> {
    Cookie::build(name, value)
        .path("/ui")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish()
}

fn status_page(status: actix_web::http::StatusCode, message: &str) -> HttpResponse {
    let mut response = page(
        "登录",
        None,
        html! { h1 { "登录" } p class="bad" { (message) } a href="/ui/login" { "重试" } },
    );
    *response.status_mut() = status;
    response
}

fn error_page(err: ApiError) -> HttpResponse {
    let mut response = page(
        "错误",
        None,
        html! { h1 { "无法显示" } p class="bad" { (err.message) } },
    );
    *response.status_mut() = err.status;
    response
}

/// `GET /ui/login`: the form, with a CSRF token both in it and in a cookie (a login made
/// from another site's page cannot read the cookie to copy it).
pub async fn login_form(req: HttpRequest) -> HttpResponse {
    let Some(csrf) = random_token() else {
        return status_page(
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            "无法生成表单令牌",
        );
    };
    let secure = req
        .app_data::<web::Data<Sessions>>()
        .is_some_and(|s| s.secure);
    let mut response = page(
        "登录",
        None,
        html! {
            h1 { "登录" }
            form method="post" action="/ui/login" {
                input type="hidden" name="csrf" value=(csrf);
                label { "令牌 " input type="password" name="token" autocomplete="off" required; }
                " " button type="submit" { "登录" }
            }
        },
    );
    let _ = response.add_cookie(&ui_cookie(LOGIN_CSRF_COOKIE, csrf, secure));
    response
}

#[derive(Deserialize)]
pub struct LoginForm {
    token: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /ui/login`: rate-limited per address; checks the form's CSRF token and the
/// token, then starts a session whose opaque id is the only thing the cookie holds.
pub async fn login(req: HttpRequest, form: web::Form<LoginForm>) -> HttpResponse {
    use actix_web::http::StatusCode;
    let Some(sessions) = req.app_data::<web::Data<Sessions>>() else {
        return status_page(StatusCode::SERVICE_UNAVAILABLE, "此服务器未启用登录");
    };
    let address = req
        .peer_addr()
        .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |a| a.ip());
    if !sessions.may_try_login(address) {
        return status_page(StatusCode::TOO_MANY_REQUESTS, "登录尝试过多，请稍后再试");
    }
    let form = form.into_inner();
    let expected = req.cookie(LOGIN_CSRF_COOKIE).map(|c| c.value().to_owned());
    if !expected.is_some_and(|e| !e.is_empty() && same_secret(&e, &form.csrf)) {
        return status_page(StatusCode::FORBIDDEN, "表单已失效，请重新打开登录页");
    }
    let principal = req
        .app_data::<web::Data<super::AuthConfig>>()
        .and_then(|config| config.principal_for(&form.token));
    let Some(principal) = principal else {
        return status_page(StatusCode::UNAUTHORIZED, "令牌无效");
    };
    let Some((id, _csrf)) = sessions.start(principal) else {
        return status_page(StatusCode::INTERNAL_SERVER_ERROR, "无法开始会话");
    };
    let mut spent = ui_cookie(LOGIN_CSRF_COOKIE, String::new(), sessions.secure);
    spent.make_removal();
    HttpResponse::SeeOther()
        .insert_header((LOCATION, "/ui/"))
        .cookie(ui_cookie(SESSION_COOKIE, id, sessions.secure))
        .cookie(spent)
        .finish()
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /ui/logout`: ends the session if the form carries its CSRF token.
pub async fn logout(req: HttpRequest, form: web::Form<LogoutForm>) -> HttpResponse {
    if let (Some(cookie), Some(sessions)) = (
        req.cookie(SESSION_COOKIE),
        req.app_data::<web::Data<Sessions>>(),
    ) && let Some(session) = sessions.get(cookie.value())
    {
        if !same_secret(&session.csrf, &form.csrf) {
            return status_page(actix_web::http::StatusCode::FORBIDDEN, "表单已失效");
        }
        sessions.end(cookie.value());
    }
    let mut cookie = ui_cookie(SESSION_COOKIE, String::new(), false);
    cookie.make_removal();
    HttpResponse::SeeOther()
        .insert_header((LOCATION, "/ui/login"))
        .cookie(cookie)
        .finish()
}

/// Chinese labels for the API's codes, as auditors read them; unknown codes show as is.
fn label(value: &Value) -> String {
    let code = text(value);
    let zh = match code.as_str() {
        "rejected" => "不予受理",
        "answered" => "直接答复",
        "dispatched" => "已派单",
        "signed" => "已签收",
        "in_progress" => "办理中",
        "resolved" => "已办结",
        "reopened" => "重办",
        "returned" => "已退回中心",
        "closed" => "已关闭",
        "terminated" => "终结办理",
        "consultation" => "咨询",
        "help" => "求助",
        "complaint" => "投诉",
        "report" => "举报",
        "suggestion" => "建议",
        "accept" => "受理",
        "route" => "派单",
        "time_limits" => "时限",
        "review_return" => "退单审核",
        "review_extension" => "延期审核",
        "review_termination" => "终结审核",
        "review_closure" => "办结审核",
        "review_dispatch" => "派单审核",
        "review_appeal" => "申诉审核",
        "on_supervise" => "督办",
        "on_revisit" => "回访",
        "on_overdue" => "超期督办",
        "assess" => "考核",
        "filed" => "登记",
        "sign" => "签收",
        "contact" => "联系",
        "intervene" => "介入",
        "feedback" => "反馈",
        "return" => "退单",
        "request_extension" => "申请延期",
        "request_termination" => "申请终结",
        "resolve" => "办结",
        "revisit" => "回访",
        "plan" => "办理方案",
        "report_progress" => "报告进展",
        "reverify" => "复核",
        "appeal" => "申诉",
        "dispatch" => "中心派单",
        "supervise" => "督办",
        "allowed" => "同意",
        "denied" => "不同意",
        "accepted" => "受理",
        _ => return code,
    };
    format!("{zh}（{code}）")
}

fn text(value: &Value) -> String {
    match value {
        Value::Null => "—".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `GET /ui/?jurisdiction=&status=&unit=&overdue=`
pub async fn tickets(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<TicketQuery>,
) -> HttpResponse {
    let Some((caller, csrf)) = caller(&req) else {
        return to_login();
    };
    let principal = match caller.require(Capability::ReadTickets) {
        Ok(p) => p.clone(),
        Err(e) => return error_page(e),
    };
    let query = query.into_inner();
    let filters = query.clone();
    let who = principal.clone();
    let listed = state
        .run(move |service| service.tickets(&who, query, Utc::now()))
        .await
        .and_then(|page| disclosed(&principal, page));
    let listed = match listed {
        Ok(v) => v,
        Err(e) => return error_page(e),
    };
    let selected = |v: &Option<String>| v.clone().unwrap_or_default();
    page(
        "工单列表",
        csrf.as_deref(),
        html! {
            h1 { "工单列表" }
            form method="get" action="/ui/" {
                label { "辖区 " input name="jurisdiction" value=(selected(&filters.jurisdiction)); }
                " " label { "状态 " input name="status" value=(selected(&filters.status)); }
                " " label { "承办单位 " input name="unit" value=(selected(&filters.unit)); }
                " " label { "超期 " input type="checkbox" name="overdue" value="true" checked[filters.overdue == Some(true)]; }
                " " button type="submit" { "筛选" }
            }
            table {
                tr { th { "工单" } th { "辖区" } th { "状态" } th { "类别 / 事项" } th { "主办单位" } th { "受理时间" } th { "办结时限" } }
                @for t in listed["tickets"].as_array().into_iter().flatten() {
                    tr {
                        td { a href={ "/ui/tickets/" (text(&t["id"])) } { (text(&t["id"])) } }
                        td { (text(&t["jurisdiction"])) }
                        td { (label(&t["status"])) }
                        td { (label(&t["category"])) " / " (text(&t["topic"])) }
                        td { (text(&t["lead_unit"]["name"])) }
                        td { (text(&t["received_at"])) }
                        td { (text(&t["deadlines"]["resolve"])) }
                    }
                }
            }
            @if let Some(next) = listed["next_after"].as_str() {
                a href={ "/ui/?after=" (next) } { "下一页" }
            }
        },
    )
}

type RuleTexts = std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>;

/// One trail row; each cited rule's text is the deciding version's.
fn decision_row(entry: &Value, texts: &RuleTexts) -> Markup {
    let empty = std::collections::BTreeMap::new();
    let rules = entry["policy"]["version"]
        .as_str()
        .and_then(|v| texts.get(v))
        .unwrap_or(&empty);
    let cite: Vec<String> = entry["cite"]
        .as_array()
        .into_iter()
        .flatten()
        .map(text)
        .collect();
    html! {
        tr {
            td { (text(&entry["seq"])) }
            td { (text(&entry["at"])) }
            td { @if entry["kind"] == "decision" { "决策" } @else { "事件" } }
            td { (text(&entry["actor"])) }
            td { (label(&entry["hook"])) }
            td { (label(&entry["outcome"])) }
            td {
                @for id in &cite {
                    div {
                        span class="cite" data-cite=(id) { (id) }
                        @if let Some(rule) = rules.get(id) { " " span class="rule" { (rule) } }
                    }
                }
                @for note in entry["notes"].as_array().into_iter().flatten() {
                    div class="rule" { "说明：" (text(note)) }
                }
            }
            td {
                @if let Some(version) = entry["policy"]["version"].as_str() {
                    (text(&entry["policy"]["id"])) " " code title=(version) { (version.chars().take(12).collect::<String>()) }
                }
            }
            td {
                details { summary { "输入" } pre { (serde_json::to_string_pretty(&entry["input"]).unwrap_or_default()) } }
                details { summary { "输出" } pre { (serde_json::to_string_pretty(&entry["output"]).unwrap_or_default()) } }
            }
        }
    }
}

/// `GET /ui/tickets/{id}`
pub async fn ticket(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> HttpResponse {
    let Some((caller, csrf)) = caller(&req) else {
        return to_login();
    };
    let principal: Principal = match caller.require(Capability::ReadTrail) {
        Ok(p) => p.clone(),
        Err(e) => return error_page(e),
    };
    let id = id.into_inner();
    let who = principal.clone();
    let loaded = state
        .run(move |service| service.ticket_page(&who, &id))
        .await;
    let TicketPageData { trail, rules } = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return error_page(e),
    };
    let trail = match disclosed(&principal, trail) {
        Ok(v) => v,
        Err(e) => return error_page(e),
    };
    let t = &trail["ticket"];
    let chain = &trail["chain"];
    page(
        &format!("工单 {}", text(&t["id"])),
        csrf.as_deref(),
        html! {
            h1 { "工单 " (text(&t["id"])) }
            table {
                tr { th { "辖区" } td { (text(&t["jurisdiction"])) } }
                tr { th { "状态" } td { (label(&t["status"])) } }
                tr { th { "类别 / 事项" } td { (label(&t["category"])) " / " (text(&t["topic"])) } }
                tr { th { "诉求内容" } td { (text(&t["content"])) } }
                tr { th { "诉求人" } td { (text(&t["requester"]["name"])) " " (text(&t["requester"]["phone"])) } }
                tr { th { "主办单位" } td { (text(&t["lead_unit"]["name"])) } }
                tr { th { "协办单位" } td {
                    @for u in t["assist_units"].as_array().into_iter().flatten() { (text(&u["name"])) " " }
                } }
                tr { th { "策略版本" } td { (text(&t["policy"]["id"])) " " code { (text(&t["policy"]["version"])) } } }
                tr { th { "哈希链" } td {
                    @if chain["valid"] == true {
                        span class="good" id="chain" { "完整（" (text(&chain["entries"])) " 条）" }
                    } @else {
                        span class="bad" id="chain" { "已被篡改：第 " (text(&chain["broken_at"])) " 条 — " (text(&chain["reason"])) }
                    }
                } }
            }
            h2 { "时限" }
            table {
                tr { th { "时限" } th { "单位" } th { "到期" } th { "结果" } th { "完成于" } }
                @for c in t["clocks"].as_array().into_iter().flatten() {
                    @let state = text(&c["state"]);
                    tr {
                        td { (text(&c["name"])) }
                        td { (text(&c["unit"]["name"])) " " code { (text(&c["unit"]["id"])) } }
                        td { (text(&c["due"])) }
                        td class=(if state == "missed" { "bad" } else if state == "met" { "good" } else { "" }) {
                            (match state.as_str() { "met" => "按时", "missed" => "超期", "warned" => "已预警", "cancelled" => "已取消", _ => "进行中" })
                        }
                        td { (text(&c["met_at"])) }
                    }
                }
            }
            h2 { "办理经过" }
            table {
                tr { th { "序号" } th { "时间" } th { "类型" } th { "操作人" } th { "规则钩子" } th { "结果" } th { "依据" } th { "策略" } th { "输入 / 输出" } }
                @for entry in trail["entries"].as_array().into_iter().flatten() {
                    (decision_row(entry, &rules))
                }
            }
        },
    )
}
