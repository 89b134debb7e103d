//! The oracle: for every shipped filter with a sample log among fail2ban's own test files, the
//! lines the tester matches and ignores must be the lines `fail2ban-regex` matches and ignores.
//!
//! The filter's failregex/ignoreregex/prefregex/datepattern are what the agent's config reader
//! resolves (a jail per filter in a copy of `/etc/fail2ban`), sent to the running agent. Both
//! sides run with `usedns = no`, so no host name is looked up. Like `fail2ban-regex`, the lines
//! are the complete lines of the file (a last line without a newline is not read), without
//! comment (`#`) and empty lines.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use bangui_agent::f2bconf::pyrepr::PyVal;
use bangui_agent::f2bconf::stream::Reader;
use bangui_tests::assert_status;
use serde_json::{json, Value};

use crate::common::{start, REGEX_TEST};

/// `fail2ban-regex` processes run at once.
const PARALLEL: usize = 3;
/// Share of filters (per mille) whose matched and ignored lines must equal fail2ban-regex's.
/// Reached on Debian's fail2ban 1.0.2: 89 of 89 filters, 910 of 910 lines.
const MIN_EQUAL_FILTERS_PERMILLE: usize = 1000;
/// Share of lines (per mille) whose outcome (matched / ignored / missed) must agree.
const MIN_EQUAL_LINES_PERMILLE: usize = 1000;

/// Where Debian's fail2ban keeps its sample logs.
fn sample_logs() -> PathBuf {
    let out = Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import fail2ban,os;print(os.path.dirname(fail2ban.__file__))",
        ])
        .output()
        .expect("python3");
    let pkg = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let dir = Path::new(&pkg).join("tests/files/logs");
    assert!(dir.is_dir(), "no sample logs at {}", dir.display());
    dir
}

/// What the tester needs of one filter, as the config reader resolves it.
#[derive(Debug, Default)]
struct Resolved {
    failregex: Vec<String>,
    ignoreregex: Vec<String>,
    prefregex: Option<String>,
    datepattern: Option<String>,
    maxlines: i64,
}

fn strings(v: &PyVal) -> Vec<String> {
    match v {
        PyVal::List(items) => items
            .iter()
            .filter_map(PyVal::as_str)
            .map(str::to_owned)
            .collect(),
        PyVal::Str(s) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// One jail per filter in a copy of the Debian tree, read with the agent's reader.
fn resolve_filters(conf: &Path, names: &[String]) -> HashMap<String, Resolved> {
    bangui_tests::copy_dir(Path::new("/etc/fail2ban"), conf);
    let jails: String = names
        .iter()
        .map(|n| {
            format!("[oracle-{n}]\nenabled = true\nfilter = {n}\nlogpath = /dev/null\nbackend = polling\n\n")
        })
        .collect();
    fs::write(conf.join("jail.local"), jails).unwrap();
    let mut reader = Reader::new(conf);
    let mut out = HashMap::new();
    for name in names {
        let jail = reader
            .read_jail(&format!("oracle-{name}"), false)
            .unwrap_or_else(|e| panic!("reading filter {name}: {e}"));
        assert!(
            jail.config_error.is_none(),
            "{name}: {:?}",
            jail.config_error
        );
        let mut r = Resolved {
            maxlines: 1,
            ..Resolved::default()
        };
        for cmd in &jail.stream {
            let PyVal::List(v) = cmd else { continue };
            let (Some(what), Some(value)) = (v.get(2).and_then(PyVal::as_str), v.get(3)) else {
                continue;
            };
            match what {
                "addfailregex" => r.failregex.extend(strings(value)),
                "addignoreregex" => r.ignoreregex.extend(strings(value)),
                "prefregex" => r.prefregex = value.as_str().map(str::to_owned),
                "datepattern" => r.datepattern = value.as_str().map(str::to_owned),
                "maxlines" => {
                    if let PyVal::Int(n) = value {
                        r.maxlines = *n;
                    }
                }
                _ => {}
            }
        }
        out.insert(name.clone(), r);
    }
    out
}

/// The lines listed under `|- Matched line(s):` / `|- Ignored line(s):`.
fn section(out: &str, head: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut on = false;
    for l in out.lines() {
        if l.starts_with("|- ") {
            on = l.starts_with(head);
        } else if l.starts_with("`-") {
            on = false;
        } else if on {
            if let Some(x) = l.strip_prefix("|  ") {
                lines.push(x.trim_end().to_owned());
            }
        }
    }
    lines
}

/// `fail2ban-regex` on each filter's sample log, a few processes at a time.
fn run_fail2ban_regex(conf: &Path, logs: &Path, names: &[String]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for chunk in names.chunks(PARALLEL) {
        let children: Vec<_> = chunk
            .iter()
            .map(|name| {
                let child = Command::new("fail2ban-regex")
                    .arg("-c")
                    .arg(conf)
                    .args([
                        "--usedns=no",
                        "--print-all-matched",
                        "--print-all-ignored",
                        "--print-no-missed",
                    ])
                    .arg(logs.join(name))
                    .arg(name)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("fail2ban-regex");
                (name.clone(), child)
            })
            .collect();
        for (name, child) in children {
            let o = child.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&o.stdout).into_owned();
            assert!(
                o.status.success() && text.contains("Lines: "),
                "fail2ban-regex {name}: {}{}",
                text,
                String::from_utf8_lossy(&o.stderr)
            );
            out.insert(name, text);
        }
    }
    out
}

/// The lines fail2ban-regex reads from a file.
fn log_lines(path: &Path) -> Vec<String> {
    let raw = fs::read(path).unwrap();
    let text = String::from_utf8_lossy(&raw);
    let complete = &text[..text.rfind('\n').map_or(0, |i| i + 1)];
    complete
        .split('\n')
        .map(|l| l.trim_end_matches('\r').to_owned())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

/// Per line text: how often it was [matched, ignored, missed].
type Tally = HashMap<String, [i64; 3]>;

fn tally_theirs(lines: &[String], out: &str) -> Tally {
    let mut t: Tally = HashMap::new();
    for l in lines {
        t.entry(l.trim_end().to_owned()).or_default()[2] += 1;
    }
    for (i, head) in [(0, "|- Matched"), (1, "|- Ignored")] {
        for l in section(out, head) {
            let e = t.entry(l).or_default();
            e[i] += 1;
            e[2] -= 1;
        }
    }
    t
}

fn tally_ours(response: &Value) -> Tally {
    let mut t: Tally = HashMap::new();
    for l in response["lines"].as_array().unwrap() {
        let k = if l["matched"] == true {
            0
        } else if l["ignored"] == true {
            1
        } else {
            2
        };
        t.entry(l["line"].as_str().unwrap().trim_end().to_owned())
            .or_default()[k] += 1;
    }
    t
}

#[tokio::test]
async fn tester_agrees_with_fail2ban_regex_on_the_sample_logs() {
    let logs = sample_logs();
    let mut names: Vec<String> = fs::read_dir(&logs)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            Path::new("/etc/fail2ban/filter.d")
                .join(format!("{n}.conf"))
                .is_file()
        })
        .collect();
    names.sort();
    assert!(
        names.len() > 60,
        "only {} filters with sample logs",
        names.len()
    );

    let tmp = tempfile::tempdir().unwrap();
    let conf = tmp.path().join("etc");
    let filters = resolve_filters(&conf, &names);
    let conf2 = conf.clone();
    let names2 = names.clone();
    let logs2 = logs.clone();
    let started = std::time::Instant::now();
    let theirs = tokio::task::spawn_blocking(move || {
        let t = std::time::Instant::now();
        let out = run_fail2ban_regex(&conf2, &logs2, &names2);
        (out, t.elapsed())
    });

    let (_f2b, agent) = start();
    let mut ours = HashMap::new();
    for name in &names {
        let f = &filters[name];
        let lines = log_lines(&logs.join(name));
        let r = agent
            .post_json(
                REGEX_TEST,
                &json!({
                    "failregex": f.failregex,
                    "ignoreregex": f.ignoreregex,
                    "prefregex": f.prefregex,
                    "datepattern": f.datepattern,
                    "maxlines": f.maxlines,
                    "lines": lines,
                }),
            )
            .await;
        assert_status(&r, 200);
        assert_eq!(r.json["timed_out"], 0, "{name}");
        ours.insert(name.clone(), (lines, r.json));
    }
    let tester_time = started.elapsed();
    let (theirs, f2b_time) = theirs.await.unwrap();
    eprintln!(
        "regex oracle: agent started and tested in {tester_time:.1?}, fail2ban-regex ran in {f2b_time:.1?} (in parallel)"
    );

    let (mut equal, mut agree, mut total) = (0, 0, 0);
    let mut report = Vec::new();
    for name in &names {
        let (lines, response) = &ours[name];
        let t = tally_theirs(lines, &theirs[name]);
        let o = tally_ours(response);
        let mut same = 0;
        let mut diffs = Vec::new();
        for (line, tv) in &t {
            let ov = o.get(line).copied().unwrap_or_default();
            same += (0..3).map(|i| tv[i].min(ov[i]).max(0)).sum::<i64>();
            if ov != *tv {
                diffs.push(format!(
                    "    fail2ban {tv:?} tester {ov:?} [matched, ignored, missed]: {line}"
                ));
            }
        }
        total += lines.len();
        agree += same as usize;
        if diffs.is_empty() {
            equal += 1;
        } else {
            report.push(format!(
                "  {name} (maxlines {}): {same} of {} lines agree\n{}",
                filters[name].maxlines,
                lines.len(),
                diffs.join("\n")
            ));
        }
    }
    eprintln!(
        "regex oracle: {equal} of {} filters give the same matched and ignored lines as fail2ban-regex; {agree} of {total} lines agree ({:.1} %)",
        names.len(),
        agree as f64 * 100.0 / total as f64
    );
    for r in &report {
        eprintln!("{r}");
    }
    assert!(total > 500, "only {total} sample lines");
    assert!(
        equal * 1000 >= names.len() * MIN_EQUAL_FILTERS_PERMILLE,
        "{equal} of {} filters agree, below {MIN_EQUAL_FILTERS_PERMILLE} per mille",
        names.len()
    );
    assert!(
        agree * 1000 >= total * MIN_EQUAL_LINES_PERMILLE,
        "{agree} of {total} lines agree, below {MIN_EQUAL_LINES_PERMILLE} per mille"
    );
}
