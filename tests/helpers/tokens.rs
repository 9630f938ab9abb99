//! Issuing API tokens the way an operator does: `tutorwatch token issue … --data DIR`.

use std::path::Path;
use std::process::Command;

use super::binary;

/// Runs `tutorwatch token issue ARGS --data DATA` and returns the token it printed.
pub fn issue_token(data: &Path, args: &[&str]) -> String {
    let output = Command::new(binary())
        .args(["token", "issue"])
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .expect("runs tutorwatch token issue");
    assert!(output.status.success(), "{output:?}");
    let issued: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    issued["token"].as_str().expect("a token").to_owned()
}
