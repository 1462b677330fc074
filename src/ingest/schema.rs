//! The input schemas of data.md D1, one table per input: each column's
//! name, whether it is required, and its type. Ingest checks headers
//! against it; validation reads every cell through it, by name (the
//! [`col`] function gives a column's place at compile time, so a renamed or
//! missing column is a build error, not a shifted read).

use super::InputKind;

/// Whether a column must be in the file and filled in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    Required,
    Optional,
}

/// What a column holds (data.md D1 types).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    /// An id or another text.
    Text,
    Date,
    Month,
    Integer,
    /// A decimal quantity (hours).
    Decimal,
    /// An amount in euros: at most 2 decimals, below 10^16.
    Money,
    Boolean,
    /// One of a closed list of words (a payment kind, a cause, a decision).
    Enum,
}

/// One column of an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub presence: Presence,
    pub ty: ColumnType,
}

const fn c(name: &'static str, ty: ColumnType) -> Column {
    Column { name, presence: Presence::Required, ty }
}

const fn optional(name: &'static str, ty: ColumnType) -> Column {
    Column { name, presence: Presence::Optional, ty }
}

use ColumnType::*;

const RIGHTS: &[Column] = &[
    c("right_id", Text),
    c("seeker_id", Text),
    c("agency_id", Text),
    c("opened_on", Date),
    c("payable_from", Date),
    optional("closed_on", Date),
    c("sjr", Money),
    c("entitlement_days", Integer),
    c("days_paid_before", Integer),
    c("age_at_contract_end", Integer),
    c("contract_ended_on", Date),
];

const DECLARATIONS: &[Column] = &[
    c("declaration_id", Text),
    c("seeker_id", Text),
    c("month", Month),
    c("declared_on", Date),
    c("hours_worked", Decimal),
    c("gross_earnings", Money),
    optional("sick_days", Integer),
    optional("search_ended_on", Date),
];

const ATTESTATIONS: &[Column] = &[
    c("attestation_id", Text),
    c("seeker_id", Text),
    c("employer_id", Text),
    c("period_start", Date),
    c("period_end", Date),
    c("hours", Decimal),
    c("gross_pay", Money),
    c("received_on", Date),
    optional("conserved", Boolean),
];

const LEDGER: &[Column] = &[
    c("payment_id", Text),
    c("seeker_id", Text),
    c("right_id", Text),
    c("month", Month),
    c("kind", Enum),
    c("days", Integer),
    c("daily_rate", Money),
    c("amount", Money),
    c("paid_on", Date),
];

const DECISIONS: &[Column] = &[
    c("decision_id", Text),
    c("seeker_id", Text),
    c("month", Month),
    c("cause", Enum),
    c("decision", Enum),
    c("amount", Money),
    c("decided_on", Date),
];

/// The columns of an input, in data.md's order.
pub(crate) const fn schema(kind: InputKind) -> &'static [Column] {
    match kind {
        InputKind::Rights => RIGHTS,
        InputKind::Declarations => DECLARATIONS,
        InputKind::Attestations => ATTESTATIONS,
        InputKind::Ledger => LEDGER,
        InputKind::Decisions => DECISIONS,
    }
}

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The place of column `name` in `kind`'s schema; used in constants, so
/// that a name the schema does not have fails the build.
pub const fn col(kind: InputKind, name: &str) -> usize {
    let columns = schema(kind);
    let mut i = 0;
    while i < columns.len() {
        if same(columns[i].name, name) {
            return i;
        }
        i += 1;
    }
    panic!("no such column in the input's schema")
}
