//! dive's CI rules over an efficiency result: `lowestEfficiency`, `highestWastedBytes`,
//! `highestUserWastedPercent`, with dive's defaults, its rules file (`rules:` with flat
//! `key: value` lines) and its messages.

use crate::efficiency::Efficiency;
use crate::error::{Error, Result};

/// The thresholds, as text (a number, a size, or `disabled`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// The lowest acceptable efficiency (0-1).
    pub lowest_efficiency: String,
    /// The most wasted bytes allowed (`20MB`).
    pub highest_wasted_bytes: String,
    /// The highest wasted fraction of the user layers (0-1).
    pub highest_user_wasted_percent: String,
}

impl Default for Rules {
    /// dive's defaults.
    fn default() -> Rules {
        Rules {
            lowest_efficiency: "0.9".into(),
            highest_wasted_bytes: "disabled".into(),
            highest_user_wasted_percent: "0.1".into(),
        }
    }
}

impl Rules {
    /// Applies the `rules:` of a rules file's text; `what` names the file in errors.
    pub fn apply_file(&mut self, what: &str, text: &str) -> Result<()> {
        let mut in_rules = false;
        for line in text.lines() {
            let l = line.split('#').next().unwrap_or("");
            if l.trim().is_empty() {
                continue;
            }
            if !l.starts_with(' ') && !l.starts_with('\t') {
                in_rules = l.trim() == "rules:";
                continue;
            }
            if !in_rules {
                continue;
            }
            if let Some((k, v)) = l.trim().split_once(':') {
                let v = v.trim().trim_matches(['"', '\'']).to_string();
                match k.trim() {
                    "lowestEfficiency" => self.lowest_efficiency = v,
                    "highestWastedBytes" => self.highest_wasted_bytes = v,
                    "highestUserWastedPercent" => self.highest_user_wasted_percent = v,
                    other => {
                        return Err(Error::InvalidInput(format!(
                            "{what}: unknown rule {other:?}"
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}

/// A rule's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Within the threshold.
    Pass,
    /// Over the threshold.
    Fail,
    /// Disabled.
    Skip,
}

impl Status {
    /// dive's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Skip => "SKIP",
        }
    }
}

/// `efficiency`'s result: dive's numbers, the build step of each layer, and the CI rules'
/// verdicts when they were asked for.
#[derive(Debug, Clone)]
pub struct EfficiencyReport {
    /// Each layer's diff ID and the build step (`created_by`) that made it, base first.
    pub layers: Vec<(crate::digest::Digest, String)>,
    /// The analysis.
    pub efficiency: Efficiency,
    /// The rules' outcomes, when CI was asked for.
    pub rules: Option<Vec<RuleResult>>,
}

impl EfficiencyReport {
    /// Whether a rule failed (the exit status is then 1).
    pub fn failed(&self) -> bool {
        self.rules
            .as_ref()
            .is_some_and(|r| r.iter().any(|x| x.status == Status::Fail))
    }
}

/// One rule's outcome.
#[derive(Debug, Clone)]
pub struct RuleResult {
    /// The rule's key.
    pub key: &'static str,
    /// Its verdict.
    pub status: Status,
    /// dive's message (empty on a pass).
    pub message: String,
}

fn disabled(v: &str) -> bool {
    matches!(v, "" | "disabled" | "off" | "false")
}

/// A byte threshold (`20MB`, `1.5 GB`, `100`) as Docker parses sizes: go-units
/// `FromHumanSize`, decimal units.
pub fn parse_bytes(s: &str) -> Result<u64> {
    let n = crate::units::from_human_size(s.trim()).map_err(Error::InvalidInput)?;
    u64::try_from(n).map_err(|_| Error::InvalidInput(format!("invalid size: '{s}'")))
}

fn ratio(key: &str, v: &str) -> Result<f64> {
    let x: f64 = v.parse().map_err(|e| {
        Error::InvalidInput(format!("invalid {key} config value, given {v:?}: {e}"))
    })?;
    if !(0.0..=1.0).contains(&x) {
        return Err(Error::InvalidInput(format!(
            "{key} config value is outside allowed range (0-1), given '{x}'"
        )));
    }
    Ok(x)
}

/// Evaluates the rules, in dive's order.
pub fn evaluate(e: &Efficiency, r: &Rules) -> Result<Vec<RuleResult>> {
    let verdict = |key: &'static str, fail: Option<String>| RuleResult {
        key,
        status: if fail.is_some() {
            Status::Fail
        } else {
            Status::Pass
        },
        message: fail.unwrap_or_default(),
    };
    let skip = |key: &'static str| RuleResult {
        key,
        status: Status::Skip,
        message: "rule disabled".into(),
    };
    let (lowest, wasted, user) = (
        &r.lowest_efficiency,
        &r.highest_wasted_bytes,
        &r.highest_user_wasted_percent,
    );
    let mut out = Vec::new();
    out.push(if disabled(lowest) {
        skip("lowestEfficiency")
    } else {
        let t = ratio("lowestEfficiency", lowest)?;
        verdict(
            "lowestEfficiency",
            (t > e.score).then(|| {
                format!(
                    "image efficiency is too low (efficiency={:.2} < threshold={lowest})",
                    e.score
                )
            }),
        )
    });
    out.push(if disabled(wasted) {
        skip("highestWastedBytes")
    } else {
        let t = parse_bytes(wasted)?;
        verdict(
            "highestWastedBytes",
            (e.wasted_bytes > t).then(|| {
                format!(
                    "too many bytes wasted (wasted-bytes={} > threshold={t})",
                    e.wasted_bytes
                )
            }),
        )
    });
    out.push(if disabled(user) {
        skip("highestUserWastedPercent")
    } else {
        let t = ratio("highestUserWastedPercent", user)?;
        verdict(
            "highestUserWastedPercent",
            (e.user_wasted_percent > t).then(|| {
                format!(
                    "too many bytes wasted, relative to the user bytes added (%-user-wasted-bytes={:.2} > threshold={user})",
                    e.user_wasted_percent
                )
            }),
        )
    });
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_decimal_as_go_units_reads_them() {
        assert_eq!(parse_bytes("20MB").unwrap(), 20_000_000);
        // go-units: every k/m/g suffix form is decimal in FromHumanSize.
        assert_eq!(parse_bytes("1.5 GiB").unwrap(), 1_500_000_000);
        assert!(parse_bytes("3 parsecs").is_err());
    }

    #[test]
    fn a_rules_file_overrides_the_defaults_and_refuses_unknown_rules() {
        let mut r = Rules::default();
        r.apply_file(
            "ci.yaml",
            "plugins: x\nrules:\n  # comment\n  lowestEfficiency: 0.95\n  highestWastedBytes: \"20MB\"\n",
        )
        .unwrap();
        assert_eq!(r.lowest_efficiency, "0.95");
        assert_eq!(r.highest_wasted_bytes, "20MB");
        assert_eq!(r.highest_user_wasted_percent, "0.1");
        let e = Rules::default()
            .apply_file("ci.yaml", "rules:\n  lowest: 1\n")
            .unwrap_err();
        assert_eq!(e.to_string(), "ci.yaml: unknown rule \"lowest\"");
    }
}
