//! `manifest.json`: what a run read, with which rules, and what it wrote —
//! enough for `indus replay` to check a run to the byte. Nothing in it depends
//! on the clock or the host.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The one manifest type: `run` writes it, and `replay`, `report` and a
/// night's `--previous` read it back with [`Manifest::read`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub engine: String,
    pub engine_version: String,
    pub rule_set: RuleSetRef,
    pub as_of: String,
    /// The months reconciled (those selected, or all the input holds).
    pub months: Vec<String>,
    /// `--months` as given, if any (replay passes it again).
    pub months_selected: Option<String>,
    pub dialect: String,
    pub max_reject_rate: f64,
    /// `--max-withdrawal-rate` (nights.md §8.4); a run made before nights read it as the default.
    #[serde(default = "default_max_withdrawal_rate")]
    pub max_withdrawal_rate: f64,
    /// `--allow-empty`: the run was told that empty inputs were expected.
    #[serde(default)]
    pub allow_empty: bool,
    /// `--outputs`: absent for every output; `nightly` for a run that left
    /// out the entitlements (which `outputs` then does not list).
    #[serde(default, skip_serializing_if = "super::OutputSet::is_all")]
    pub output_set: super::OutputSet,
    /// The previous night compared with (`--previous`); null for a run that stands alone.
    #[serde(default)]
    pub previous: Option<PreviousRef>,
    /// Known decision records whose (seeker, month, cause) is no finding of the run.
    #[serde(default)]
    pub decisions_unmatched: u64,
    /// `--shard I/N`: the folder is one shard of a run, for `indus merge`;
    /// absent from a whole run's manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardRef>,
    pub inputs: Vec<InputRef>,
    pub outputs: Vec<OutputRef>,
    pub totals: Totals,
}

impl Manifest {
    /// Reads a run's `manifest.json`; the error says why it is not one.
    pub fn read(path: &std::path::Path) -> Result<Manifest, crate::error::Error> {
        let unreadable = |problem: String| crate::error::Error::Unreadable { path: path.to_path_buf(), problem };
        let text = std::fs::read_to_string(path)
            .map_err(|e| unreadable(format!("no readable manifest.json ({e}): not an indus run folder")))?;
        serde_json::from_str(&text).map_err(|e| unreadable(format!("not an indus run manifest ({e})")))
    }
}

fn default_max_withdrawal_rate() -> f64 {
    crate::run::DEFAULT_MAX_WITHDRAWAL_RATE
}

/// The previous night's run folder: the path as given, and the SHA-256 of its
/// manifest.json (which holds the hashes of everything else in it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreviousRef {
    pub path: String,
    pub manifest_sha256: String,
}

/// Which shard of a run a part folder holds, and what `indus merge` needs
/// of it that its rows do not say.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardRef {
    pub index: u32,
    pub count: u32,
    /// The previous night's notices of the shard's seekers that were not
    /// withdrawn: the mass-withdrawal guard is applied to the whole run at
    /// merge (nights.md §8.4).
    pub previous_notices_standing: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleSetRef {
    pub id: String,
    pub version: String,
    pub sha256: String,
    /// The rule set file given with `--rules`; empty for the embedded default.
    pub path: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InputRef {
    pub kind: String,
    pub path: String,
    pub sha256: String,
    pub rows_read: u64,
    pub rejected: u64,
    pub not_yet_known: u64,
    /// Records of a month before the rule set's first, outside `--months`: not used.
    #[serde(default)]
    pub ignored: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputRef {
    pub file: String,
    pub sha256: String,
    pub rows: u64,
}

/// Count and amount (two decimals, as text) of a group of findings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Total {
    pub findings: u64,
    pub amount: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub seeker_months: u64,
    pub findings: u64,
    pub notices: u64,
    pub rejects: u64,
    pub by_cause: BTreeMap<String, Total>,
    pub by_status: BTreeMap<String, Total>,
    pub notices_by_channel: BTreeMap<String, Total>,
    /// Notices by action (nights.md §8.4): `findings` counts notices, `amount` sums their net.
    #[serde(default)]
    pub notices_by_action: BTreeMap<String, Total>,
}
