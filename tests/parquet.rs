//! The Parquet outputs hold exactly the values of their CSV twins, typed:
//! analysts' notebooks and auditors' spreadsheets must never disagree.

mod common;

use std::path::Path;
use std::str::FromStr;

use common::*;
use polars::prelude::*;
use rust_decimal::Decimal;

/// What a column must be in Parquet.
fn expected_type(column: &str) -> DataType {
    match column {
        "a" => DataType::Decimal(18, 3),
        "aj" | "degressive_rate" | "paid_rate" | "e_declared" | "e_attested" | "due" | "paid" | "duplicates" | "f0"
        | "f1" | "f2" | "f3" | "f4" | "f5" | "delta" | "amount" => DataType::Decimal(18, 2),
        "w" | "w_prime" | "days_due" => DataType::Int64,
        "ceiling_applied" | "ambiguous" | "held" => DataType::Boolean,
        "time_barred_on" => DataType::Date,
        _ => DataType::String,
    }
}

fn assert_same(dir: &Path, name: &str) {
    let df = ParquetReader::new(std::fs::File::open(dir.join(format!("{name}.parquet"))).unwrap()).finish().unwrap();
    let mut r = csv::Reader::from_path(dir.join(format!("{name}.csv"))).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(df.get_column_names().iter().map(|c| c.to_string()).collect::<Vec<_>>(), header, "{name} columns");
    assert_eq!(df.height(), rows.len(), "{name} rows");
    for (j, col) in df.columns().iter().enumerate() {
        let want = expected_type(&header[j]);
        assert_eq!(col.dtype(), &want, "{name}.{}", header[j]);
        let text = col.cast(&DataType::String).unwrap();
        let text = text.str().unwrap();
        for (k, row) in rows.iter().enumerate() {
            let (got, csv) = (text.get(k), &row[j]);
            let same = match (got, &want) {
                (None, _) => csv.is_empty(),
                (Some(g), DataType::Decimal(..)) => Decimal::from_str(g).ok() == Decimal::from_str(csv).ok(),
                (Some(g), _) => g == csv,
            };
            assert!(same, "{name} line {} column {}: parquet {got:?}, csv {csv:?}", k + 2, header[j]);
        }
    }
}

#[test]
fn parquet_outputs_hold_the_csv_values_typed() {
    let tmp = tempfile::tempdir().unwrap();
    let (gen, out) = (tmp.path().join("gen"), tmp.path().join("run"));
    let o = indus(&[
        "generate",
        "--seekers",
        "3000",
        "--months",
        "2024-02..2024-03",
        "--seed",
        "11",
        "--bad-rate",
        "0.01",
        "--out",
        gen.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    run_ok(&gen, &out, "2024-04-20", &["--max-reject-rate", "0.05"]);
    assert_same(&out, "findings");
    assert_same(&out, "entitlements");
    // The month exercises every kind of cell: empty figures, A's three decimals, every flag.
    let ent = read_csv(&out.join("entitlements.csv"));
    assert!(ent.len() > 5000);
    assert!(ent.iter().any(|r| r["aj"].is_empty()) && ent.iter().any(|r| r["ceiling_applied"] == "true"));
    assert!(ent.iter().any(|r| r["held"] == "true") && ent.iter().any(|r| r["ambiguous"] == "true"));
    let findings = read_csv(&out.join("findings.csv"));
    assert!(findings.iter().any(|r| r["time_barred_on"].is_empty()) && findings.len() > 300);
}

/// Case 02's rights as a Parquet file, one column replaced.
fn rights_parquet_with(dir: &Path, column: Column) -> std::path::PathBuf {
    let input = dir.join("in");
    copy_dir(&fixtures().join("cases/02-underdeclared"), &input);
    let mut df = CsvReadOptions::default()
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(input.join("rights.csv")))
        .unwrap()
        .finish()
        .unwrap();
    df.with_column(column).unwrap();
    std::fs::remove_file(input.join("rights.csv")).unwrap();
    ParquetWriter::new(std::fs::File::create(input.join("rights.parquet")).unwrap()).finish(&mut df).unwrap();
    input
}

#[test]
fn money_as_a_binary_float_or_a_list_column_is_refused_naming_the_column() {
    let tmp = tempfile::tempdir().unwrap();
    let input = rights_parquet_with(tmp.path(), Column::new("sjr".into(), [80.0f64]));
    let out = tmp.path().join("out");
    let o =
        indus(&["run", "--input", input.to_str().unwrap(), "--out", out.to_str().unwrap(), "--as-of", "2024-04-15"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("rights.parquet") && err.contains("column `sjr` is money stored as a binary float"), "{err}");

    let tmp = tempfile::tempdir().unwrap();
    let list = Series::new("x".into(), [1i64, 2]).implode().unwrap().into_series().with_name("agency_id".into());
    let input = rights_parquet_with(tmp.path(), list.into());
    let o =
        indus(&["run", "--input", input.to_str().unwrap(), "--out", out.to_str().unwrap(), "--as-of", "2024-04-15"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("column `agency_id` is a list"), "{err}");
}
