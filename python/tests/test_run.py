"""indus.run and indus.explain against the CLI: same bytes, documented types, same errors."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import Decimal

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

import indus
from conftest import FIXTURES, MONTH_5K, assert_same_folder, cli, cli_run

CASES = FIXTURES / "cases"
NIGHTS = FIXTURES / "nights"


def test_5k_month_writes_the_cli_folder_byte_for_byte(tmp):
    cli_run(tmp / "cli", "--input", str(MONTH_5K), "--as-of", "2024-04-15")
    r = indus.run(str(MONTH_5K), "2024-04-15")
    manifest = r.write(tmp / "py")
    assert_same_folder(tmp / "cli", tmp / "py")
    assert manifest == json.loads((tmp / "cli" / "manifest.json").read_text())
    # The frames hold the rows the files hold (the 5k month's expected counts).
    assert (len(r.findings), len(r.notices), len(r.rejects)) == (1161, 995, 0)
    assert r.manifest["totals"]["findings"] == 1161


def test_a_months_selection_and_a_rule_set_file_are_the_clis(tmp):
    rules = FIXTURES.parent / "src" / "rules" / "fr-are.toml"
    args = ["--input", str(MONTH_5K), "--as-of", "2024-04-15", "--months", "2024-03", "--rules", str(rules)]
    cli_run(tmp / "cli", *args)
    indus.run(MONTH_5K, "2024-04-15", rules=rules, months="2024-03").write(tmp / "py")
    assert_same_folder(tmp / "cli", tmp / "py")
    assert json.loads((tmp / "py" / "manifest.json").read_text())["months_selected"] == "2024-03"


def test_a_night_with_previous_and_decisions_matches_the_cli(tmp):
    case = NIGHTS / "05-contest-upheld"
    cli_run(tmp / "n1", "--input", str(case / "night1"), "--as-of", "2024-04-15")
    night1 = tmp / "n1"
    cli_run(tmp / "cli2", "--input", str(case / "night2"), "--as-of", "2024-04-16", "--previous", str(night1))
    r = indus.run(case / "night2", dt.date(2024, 4, 16), previous=night1)
    r.write(tmp / "py2")
    assert_same_folder(tmp / "cli2", tmp / "py2")
    # The contest was upheld: night 2's finding is contested, its notice withdrawn (the case's README).
    expected = pl.read_csv(case / "expected" / "night2" / "findings.csv", infer_schema_length=0)
    assert sorted(r.findings["status"].to_list()) == sorted(expected["status"].to_list())


def test_a_night_from_tables_with_decisions_gives_the_clis_rows(tmp):
    case = NIGHTS / "05-contest-upheld"
    cli_run(tmp / "n1", "--input", str(case / "night1"), "--as-of", "2024-04-15")
    cli_run(tmp / "cli2", "--input", str(case / "night2"), "--as-of", "2024-04-16", "--previous", str(tmp / "n1"))
    kinds = ("rights", "declarations", "attestations", "ledger", "decisions")
    tables = {k: pl.read_csv(case / "night2" / f"{k}.csv", infer_schema_length=0) for k in kinds}
    indus.run(tables, "2024-04-16", previous=tmp / "n1").write(tmp / "py2")
    # Every output but the manifest (which names the tables, not the files) is the CLI's, byte for byte.
    for name in sorted(p.name for p in (tmp / "cli2").iterdir()):
        if name != "manifest.json":
            assert (tmp / "cli2" / name).read_bytes() == (tmp / "py2" / name).read_bytes(), name
    m = json.loads((tmp / "py2" / "manifest.json").read_text())
    assert [i["path"] for i in m["inputs"]] == [f"table:{k}" for k in kinds]


def test_frames_have_the_documented_types():
    r = indus.run(CASES / "02-underdeclared", "2024-04-15")
    f = r.findings
    assert f.schema["amount"] == pl.Decimal(18, 2)
    assert f.schema["time_barred_on"] == pl.Date
    assert f.schema["cause"] == pl.String and f.schema["status"] == pl.String
    # Case 02, worked by hand in its README: 273.60 € of underdeclared earnings, claimed.
    row = f.row(0, named=True)
    assert (row["seeker_id"], row["month"], row["cause"], row["status"]) == (
        "S02",
        "2024-03",
        "underdeclared_earnings",
        "claim",
    )
    assert row["amount"] == Decimal("273.60") and isinstance(row["amount"], Decimal)
    n = r.notices
    assert n.schema["net"] == pl.Decimal(18, 2) and n.schema["notified_on"] == pl.Date
    assert n.row(0, named=True)["notified_on"] == dt.date(2024, 4, 15)
    e = r.entitlements
    assert e.schema["a"] == pl.Decimal(18, 3) and e.schema["w"] == pl.Int64
    assert e.schema["ambiguous"] == pl.Boolean
    assert r.agencies.schema["sms"] == pl.Int64 and r.agencies.schema["claimed"] == pl.Decimal(18, 2)
    assert r.rejects.schema["line"] == pl.Int64
    assert r.changes.schema["previous_amount"] == pl.Decimal(18, 2)


def test_each_frame_has_its_csv_files_columns_in_order(tmp):
    r = indus.run(CASES / "02-underdeclared", "2024-04-15")
    r.write(tmp / "run")
    for name in indus.OUTPUTS:
        header = (tmp / "run" / f"{name}.csv").read_text().splitlines()[0].split(",")
        assert getattr(r, name).columns == header, name


def test_tables_in_polars_and_pyarrow_give_the_folders_findings(tmp):
    files = {k: MONTH_5K / f"{k}.csv" for k in ("rights", "declarations", "attestations", "ledger")}
    from_folder = indus.run(MONTH_5K, "2024-04-15")
    as_polars = {k: pl.read_csv(p, infer_schema_length=0) for k, p in files.items()}
    money = {"sjr", "gross_earnings", "gross_pay", "daily_rate", "amount"}
    exact = pacsv.ConvertOptions(column_types={c: pa.decimal128(18, 2) for c in money})
    # Typed by pyarrow: dates as date32, integers, money as decimals.
    as_arrow = {k: pacsv.read_csv(p, convert_options=exact) for k, p in files.items()}
    assert as_arrow["rights"].schema.field("opened_on").type == pa.date32()
    for tables in (as_polars, as_arrow):
        r = indus.run(tables, "2024-04-15")
        for name in ("findings", "entitlements", "notices", "agencies"):
            assert getattr(r, name).equals(getattr(from_folder, name)), name
    # Money read as binary floats is refused, naming the table and column.
    floats = dict(as_arrow, rights=pacsv.read_csv(files["rights"]))
    with pytest.raises(indus.IndusError, match="table:rights: column `sjr` is money stored as a binary float"):
        indus.run(floats, "2024-04-15")
    m = indus.run(as_polars, "2024-04-15").manifest
    assert [i["path"] for i in m["inputs"]] == [f"table:{k}" for k in files]
    assert m["inputs"][0]["rows_read"] == 5018


def test_pandas_tables_are_read_too():
    import pandas as pd

    case = CASES / "02-underdeclared"
    tables = {
        k: pd.read_csv(case / f"{k}.csv", dtype=str, keep_default_na=False)
        for k in ("rights", "declarations", "attestations", "ledger")
    }
    r = indus.run(tables, "2024-04-15")
    assert r.findings.select("seeker_id", "amount").rows() == [("S02", Decimal("273.60"))]


def test_a_bad_table_record_is_rejected_naming_the_table_and_row():
    tables = {
        k: pl.read_csv(CASES / "02-underdeclared" / f"{k}.csv", infer_schema_length=0)
        for k in ("rights", "declarations", "attestations", "ledger")
    }
    d = tables["declarations"]
    tables["declarations"] = pl.concat([d, d.with_columns(pl.lit("D-bad").alias("declaration_id"), pl.lit("12,5x").alias("gross_earnings"))])
    r = indus.run(tables, "2024-04-15", allow_empty=True)
    rej = r.rejects.row(0, named=True)
    # Rows are numbered from 1 (as a Parquet file's): the added row is the last one.
    assert (rej["file"], rej["line"], rej["record_id"], rej["column"], rej["code"]) == (
        "table:declarations",
        len(d) + 1,
        "D-bad",
        "gross_earnings",
        "bad_decimal",
    )


def _corrupt_month(tmp):
    bad = tmp / "bad"
    shutil.copytree(MONTH_5K, bad)
    lines = (bad / "declarations.csv").read_text().splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    col = header.index("gross_earnings")
    for i in range(1, 101):
        fields = lines[i].rstrip("\n").split(",")
        fields[col] = "n/a"
        lines[i] = ",".join(fields) + "\n"
    (bad / "declarations.csv").write_text("".join(lines))
    return bad


def test_too_many_rejects_raise_the_cli_message_with_the_rejects(tmp):
    bad = _corrupt_month(tmp)
    c = cli("run", "--input", str(bad), "--as-of", "2024-04-15", "--out", str(tmp / "out"))
    assert c.returncode == 2
    with pytest.raises(indus.IndusError) as e:
        indus.run(bad, "2024-04-15")
    assert e.value.exit_code == 2
    assert e.value.message in c.stderr
    assert "100 of 4874 records rejected" in e.value.message
    rejects = e.value.rejects
    assert rejects is not None and len(rejects) == 100
    assert rejects.row(0, named=True)["line"] == 2 and set(rejects["code"]) == {"bad_decimal"}
    assert not (tmp / "out").exists()


def test_a_missing_column_names_the_file_and_column(tmp):
    bad = tmp / "bad"
    shutil.copytree(CASES / "02-underdeclared", bad)
    t = pl.read_csv(bad / "ledger.csv", infer_schema_length=0).drop("amount")
    t.write_csv(bad / "ledger.csv")
    with pytest.raises(indus.IndusError) as e:
        indus.run(bad, "2024-04-15")
    assert "ledger.csv: missing required column `amount`" in e.value.message
    assert e.value.rejects is None


def test_a_missing_table_and_an_unknown_one_are_refused():
    with pytest.raises(indus.IndusError, match="no `declarations` table"):
        indus.run({"rights": pl.DataFrame({"right_id": []})}, "2024-04-15")
    with pytest.raises(indus.IndusError, match="`payslips` is not an input"):
        indus.run({"payslips": pl.DataFrame()}, "2024-04-15")


def test_explain_is_the_cli_json():
    case = CASES / "02-underdeclared"
    c = cli("explain", "--input", str(case), "--as-of", "2024-04-15", "--seeker", "S02", "--month", "2024-03", "--format", "json")
    assert c.returncode == 0, c.stderr
    x = indus.explain(case, "S02", "2024-03", "2024-04-15")
    assert x == json.loads(c.stdout)
    assert x["seeker_id"] == "S02"


def test_frames_cross_as_arrow_without_a_float():
    r = indus.run(CASES / "02-underdeclared", "2024-04-15")
    t = pa.table(r._native.frame("findings"))
    assert t.schema.field("amount").type == pa.decimal128(18, 2)
    assert t.schema.field("time_barred_on").type == pa.date32()
