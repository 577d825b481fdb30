//! Shared fixtures: scratch policy trees and a real `jiesu serve` process.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub mod desks;

pub fn project_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the `jiesu` binary in the project folder: exit code, stdout, stderr.
pub fn jiesu(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_jiesu"))
        .args(args)
        .env_remove("JIESU_CONFIG")
        .current_dir(project_dir())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A scratch `policies/` + `plugins/` tree with the shipped calendar.
pub struct PolicyTree {
    pub root: tempfile::TempDir,
}

impl PolicyTree {
    pub fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("policies")).unwrap();
        std::fs::create_dir_all(root.path().join("plugins/calendars")).unwrap();
        std::fs::copy(
            project_dir().join("plugins/calendars/cn.toml"),
            root.path().join("plugins/calendars/cn.toml"),
        )
        .unwrap();
        Self { root }
    }

    /// A copy of the shipped policy sets and plugins.
    pub fn shipped() -> Self {
        let tree = Self::new();
        copy_dir(&project_dir().join("policies"), &tree.policies());
        copy_dir(&project_dir().join("plugins"), &tree.plugins());
        tree
    }

    pub fn policies(&self) -> PathBuf {
        self.root.path().join("policies")
    }

    pub fn plugins(&self) -> PathBuf {
        self.root.path().join("plugins")
    }

    pub fn paths(&self) -> jiesu::policy::Paths {
        jiesu::policy::Paths {
            policies: self.policies(),
            plugins: self.plugins(),
        }
    }

    pub fn write(&self, relative: &str, content: &str) {
        let path = self.root.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    /// A set with one unit `u1` and the given script.
    pub fn simple_set(&self, id: &str, script: &str) {
        self.write(
            &format!("policies/{id}/policy.toml"),
            &format!(
                "id = \"{id}\"\nname = \"{id}\"\n[[units]]\nid = \"u1\"\nname = \"单位一\"\nlevel = \"department\"\n"
            ),
        );
        self.write(&format!("policies/{id}/main.rhai"), script);
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A running `jiesu serve` on a free loopback port; killed on drop.
pub struct Server {
    child: Child,
    pub base: String,
    pub log: PathBuf,
    agent: ureq::Agent,
    token: Option<String>,
}

pub struct ServerOptions<'a> {
    pub database: &'a Path,
    pub policies: PathBuf,
    pub plugins: PathBuf,
    pub env: Vec<(&'a str, &'a str)>,
    pub args: Vec<&'a str>,
}

impl<'a> ServerOptions<'a> {
    /// Serving a scratch policy tree instead of the shipped one.
    pub fn for_tree(database: &'a Path, tree: &PolicyTree) -> Self {
        Self {
            policies: tree.policies(),
            plugins: tree.plugins(),
            ..Self::new(database)
        }
    }

    pub fn new(database: &'a Path) -> Self {
        Self {
            database,
            policies: project_dir().join("policies"),
            plugins: project_dir().join("plugins"),
            env: vec![],
            args: vec![],
        }
    }
}

impl Server {
    pub fn start(database: &Path) -> Self {
        Self::start_with(ServerOptions::new(database))
    }

    pub fn start_with(options: ServerOptions) -> Self {
        let log = options.database.with_extension(format!(
            "{}.log",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let mut command = Command::new(env!("CARGO_BIN_EXE_jiesu"));
        command
            .arg("serve")
            .arg("--bind")
            .arg("127.0.0.1:0")
            .arg("--database")
            .arg(format!("sqlite://{}", options.database.display()))
            .arg("--policies")
            .arg(&options.policies)
            .arg("--plugins")
            .arg(&options.plugins)
            .args(&options.args)
            .env_remove("JIESU_ADMIN_TOKEN")
            .env_remove("JIESU_JURISDICTIONS")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap());
        // A server without tokens refuses to start unless it is a developer's (`--dev`).
        let tokens = options.args.contains(&"--config")
            || options.env.iter().any(|(k, _)| *k == "JIESU_ADMIN_TOKEN");
        if !tokens {
            command.arg("--dev");
        }
        // Tests sweep explicitly (POST /admin/sweep) unless they ask for the background one.
        if !options.args.contains(&"--sweep-interval") {
            command.arg("--sweep-interval").arg("0");
        }
        let mut token = None;
        for (k, v) in &options.env {
            command.env(k, v);
            if *k == "JIESU_ADMIN_TOKEN" {
                token = Some((*v).to_owned());
            }
        }
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let Some(addr) = line.trim().strip_prefix("jiesu listening on ") else {
            let _ = child.kill();
            panic!(
                "server did not start: {line:?}\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        let server = Self {
            child,
            base: addr.to_owned(),
            log,
            agent,
            token,
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.get("/healthz").0 == 200 {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("server never became healthy:\n{}", self.logs());
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn finish(mut response: ureq::http::Response<ureq::Body>) -> (u16, Value) {
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, json)
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        let mut request = self.agent.get(format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        Self::finish(request.call().unwrap())
    }

    pub fn post_raw(&self, path: &str, body: &str, headers: &[(&str, &str)]) -> (u16, Value) {
        let mut request = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/json");
        if let Some(token) = &self.token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        Self::finish(request.send(body).unwrap())
    }

    pub fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.post_raw(path, &body.to_string(), &[])
    }

    /// A GET with this bearer token (or none), whatever the server was started with.
    pub fn get_as(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut request = self.agent.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        Self::finish(request.call().unwrap())
    }

    /// A POST with this bearer token (or none).
    pub fn post_as(&self, path: &str, body: &Value, token: Option<&str>) -> (u16, Value) {
        let mut request = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/json");
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        Self::finish(request.send(body.to_string()).unwrap())
    }

    /// A GET returning the raw body text (CSV, HTML, JSON Lines).
    pub fn get_text(&self, path: &str, token: Option<&str>) -> (u16, String, String) {
        let mut request = self.agent.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let mut response = request.call().unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        // Exports are larger than ureq's default body limit (10 MB).
        let text = response
            .body_mut()
            .with_config()
            .limit(u64::MAX)
            .read_to_string()
            .unwrap_or_default();
        (status, content_type, text)
    }

    /// The server's process id (for /proc readings).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A figure of `/proc/<pid>/status` in KiB (`VmRSS`, `VmHWM`).
    pub fn memory_kib(&self, key: &str) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}:")))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    /// Stops the server the hard way: no chance to flush anything.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sets a flag when dropped, so a helper thread looping on it stops even when the test body
/// panics (a scoped thread that never stops would hang the test instead of failing it).
pub struct StopOnDrop<'a>(pub &'a std::sync::atomic::AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}
