//! Credentials as Docker keeps them: `~/.docker/config.json` (`auths`, `credHelpers`,
//! `credsStore`) and the `docker-credential-*` helper protocol, plus the `login`/`logout`
//! edits to that file. Secrets never reach an error message or a log line.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use serde_json::{Map, Value};

use crate::{RegistryError, Result};

/// The key Docker files Docker Hub credentials under.
pub const HUB_KEY: &str = "https://index.docker.io/v1/";

/// A user name and secret for one registry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    /// The user name (`<token>` means the secret is an identity token).
    pub username: String,
    /// The password or token.
    pub secret: String,
}

impl std::fmt::Debug for Credential {
    // Secrets must not leak through `{:?}` in logs or panics.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("username", &self.username)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl Credential {
    /// The `Authorization: Basic …` value.
    pub fn basic_header(&self) -> String {
        let raw = format!("{}:{}", self.username, self.secret);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }
}

/// The key a registry host is filed under in `config.json`.
pub fn config_key(domain: &str) -> String {
    if domain == "docker.io" || domain == "index.docker.io" || domain == "registry-1.docker.io" {
        HUB_KEY.to_string()
    } else {
        domain.to_string()
    }
}

/// The parsed `config.json` (kept as JSON so unknown fields survive a rewrite).
pub struct DockerConfig {
    path: PathBuf,
    doc: Map<String, Value>,
}

fn config_err(path: &Path, reason: impl Into<String>) -> RegistryError {
    RegistryError::Config {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

impl DockerConfig {
    /// Reads `DIR/config.json` (an absent file is an empty config).
    pub fn load_from(dir: &Path) -> Result<DockerConfig> {
        let path = dir.join("config.json");
        let doc = match std::fs::read(&path) {
            Ok(b) if b.iter().all(u8::is_ascii_whitespace) => Map::new(),
            Ok(b) => match serde_json::from_slice::<Value>(&b) {
                Ok(Value::Object(m)) => m,
                Ok(_) => return Err(config_err(&path, "not a JSON object")),
                Err(e) => return Err(config_err(&path, e.to_string())),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Map::new(),
            Err(e) => return Err(config_err(&path, e.to_string())),
        };
        Ok(DockerConfig { path, doc })
    }

    fn helper_for(&self, key: &str) -> Option<String> {
        let per = self
            .doc
            .get("credHelpers")
            .and_then(Value::as_object)
            .and_then(|m| m.get(key))
            .and_then(Value::as_str);
        per.or_else(|| self.doc.get("credsStore").and_then(Value::as_str))
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }

    /// The credential for a registry host, if the config has one.
    pub fn credential(&self, domain: &str) -> Result<Option<Credential>> {
        let key = config_key(domain);
        if let Some(helper) = self.helper_for(&key) {
            return helper_get(&helper, &key);
        }
        let auths = self.doc.get("auths").and_then(Value::as_object);
        let entry = auths.and_then(|a| {
            a.get(&key).or_else(|| {
                // Docker also accepts entries written as URLs (`https://host/v1/`).
                a.iter().find(|(k, _)| strip_url(k) == key).map(|(_, v)| v)
            })
        });
        let Some(entry) = entry.and_then(Value::as_object) else {
            return Ok(None);
        };
        if let Some(tok) = entry.get("identitytoken").and_then(Value::as_str) {
            if !tok.is_empty() {
                return Ok(Some(Credential {
                    username: "<token>".into(),
                    secret: tok.into(),
                }));
            }
        }
        let Some(auth) = entry.get("auth").and_then(Value::as_str) else {
            return Ok(None);
        };
        if auth.is_empty() {
            return Ok(None);
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|_| config_err(&self.path, format!("auths.{key}.auth is not base64")))?;
        let text = String::from_utf8(decoded)
            .map_err(|_| config_err(&self.path, format!("auths.{key}.auth is not UTF-8")))?;
        let (user, secret) = text.split_once(':').ok_or_else(|| {
            config_err(&self.path, format!("auths.{key}.auth is not user:password"))
        })?;
        Ok(Some(Credential {
            username: user.into(),
            secret: secret.into(),
        }))
    }

    /// Stores a credential as `docker login` does: in the helper when one is configured,
    /// else base64 in `auths`.
    pub fn store(&mut self, domain: &str, cred: &Credential) -> Result<()> {
        let key = config_key(domain);
        if let Some(helper) = self.helper_for(&key) {
            helper_store(&helper, &key, cred)?;
            // Docker leaves an empty entry in auths so `docker logout` knows the host.
            self.auths_mut().insert(key, Value::Object(Map::new()));
        } else {
            let mut e = Map::new();
            e.insert(
                "auth".into(),
                Value::String(
                    base64::engine::general_purpose::STANDARD
                        .encode(format!("{}:{}", cred.username, cred.secret)),
                ),
            );
            self.auths_mut().insert(key, Value::Object(e));
        }
        self.save()
    }

    /// Removes a host's credential; returns whether there was one.
    pub fn erase(&mut self, domain: &str) -> Result<bool> {
        let key = config_key(domain);
        if let Some(helper) = self.helper_for(&key) {
            let _ = helper_call(&helper, "erase", key.as_bytes());
        }
        let had = self.auths_mut().remove(&key).is_some();
        self.save()?;
        Ok(had)
    }

    fn auths_mut(&mut self) -> &mut Map<String, Value> {
        let v = self
            .doc
            .entry("auths")
            .or_insert_with(|| Value::Object(Map::new()));
        if !v.is_object() {
            *v = Value::Object(Map::new());
        }
        match v {
            Value::Object(m) => m,
            _ => unreachable!("just made an object"),
        }
    }

    fn save(&self) -> Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| config_err(dir, e.to_string()))?;
        // Docker indents with tabs; keep the file looking like its own.
        let mut bytes = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b"\t");
        let mut ser = serde_json::Serializer::with_formatter(&mut bytes, fmt);
        serde::Serialize::serialize(&self.doc, &mut ser)
            .map_err(|e| config_err(&self.path, e.to_string()))?;
        let mut tmp =
            tempfile::NamedTempFile::new_in(dir).map_err(|e| config_err(dir, e.to_string()))?;
        tmp.write_all(&bytes)
            .map_err(|e| config_err(&self.path, e.to_string()))?;
        set_private(tmp.path());
        tmp.persist(&self.path)
            .map_err(|e| config_err(&self.path, e.error.to_string()))?;
        Ok(())
    }
}

fn set_private(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o600));
}

fn strip_url(k: &str) -> String {
    let s = k
        .strip_prefix("https://")
        .or_else(|| k.strip_prefix("http://"))
        .unwrap_or(k);
    let host = s.split('/').next().unwrap_or(s).to_string();
    if host == "index.docker.io" {
        HUB_KEY.to_string()
    } else {
        host
    }
}

fn helper_call(helper: &str, verb: &str, input: &[u8]) -> Result<Vec<u8>> {
    let prog = format!("docker-credential-{helper}");
    let fail = |reason: String| RegistryError::CredentialHelper {
        helper: prog.clone(),
        reason,
    };
    let mut child = Command::new(&prog)
        .arg(verb)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| fail(e.to_string()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input).map_err(|e| fail(e.to_string()))?;
    }
    let out = child.wait_with_output().map_err(|e| fail(e.to_string()))?;
    if !out.status.success() {
        let msg = String::from_utf8_lossy(&out.stdout).trim().to_string();
        // The protocol's "not found" answer is not an error: there is just no credential.
        if msg.contains("credentials not found") {
            return Ok(Vec::new());
        }
        return Err(fail(format!("{verb} failed: {msg}")));
    }
    Ok(out.stdout)
}

fn helper_get(helper: &str, key: &str) -> Result<Option<Credential>> {
    let out = helper_call(helper, "get", key.as_bytes())?;
    if out.is_empty() {
        return Ok(None);
    }
    let v: BTreeMap<String, Value> =
        serde_json::from_slice(&out).map_err(|e| RegistryError::CredentialHelper {
            helper: format!("docker-credential-{helper}"),
            reason: format!("get: bad answer: {e}"),
        })?;
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let (username, secret) = (s("Username"), s("Secret"));
    if secret.is_empty() {
        return Ok(None);
    }
    Ok(Some(Credential { username, secret }))
}

fn helper_store(helper: &str, key: &str, cred: &Credential) -> Result<()> {
    let body =
        serde_json::json!({"ServerURL": key, "Username": cred.username, "Secret": cred.secret});
    helper_call(helper, "store", body.to_string().as_bytes()).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auths_round_trip_and_hub_key() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = DockerConfig::load_from(dir.path()).unwrap();
        assert!(c.credential("127.0.0.1:5000").unwrap().is_none());
        let cred = Credential {
            username: "u".into(),
            secret: "p:w".into(),
        };
        c.store("docker.io", &cred).unwrap();
        let text = std::fs::read_to_string(dir.path().join("config.json")).unwrap();
        assert!(text.contains(HUB_KEY), "{text}");
        assert!(text.contains("dTpwOnc="), "{text}");
        let c = DockerConfig::load_from(dir.path()).unwrap();
        assert_eq!(c.credential("docker.io").unwrap(), Some(cred.clone()));
        let mut c = c;
        assert!(c.erase("docker.io").unwrap());
        assert!(c.credential("docker.io").unwrap().is_none());
        assert!(!format!("{cred:?}").contains("p:w"));
    }

    #[test]
    fn url_keys_and_identity_tokens() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.json"),
            r#"{"auths":{"https://reg.example:5000/v1/":{"auth":"YTpi"},"tok.example":{"identitytoken":"T"}}}"#,
        )
        .unwrap();
        let c = DockerConfig::load_from(dir.path()).unwrap();
        let a = c.credential("reg.example:5000").unwrap().unwrap();
        assert_eq!((a.username.as_str(), a.secret.as_str()), ("a", "b"));
        let t = c.credential("tok.example").unwrap().unwrap();
        assert_eq!(t.username, "<token>");
    }

    #[test]
    fn broken_config_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.json"), "{nope").unwrap();
        let e = DockerConfig::load_from(dir.path())
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("config.json"), "{e}");
    }
}
