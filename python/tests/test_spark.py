"""indus.spark.run on Spark local[2] against the CLI: the same folder, byte for byte."""

from __future__ import annotations

import json
import os
import sys

import pytest

import indus
import indus.spark
from conftest import MONTH_5K, assert_same_folder, cli, cli_run

pyspark = pytest.importorskip("pyspark")


@pytest.fixture(scope="module")
def spark():
    # The Python workers must import this interpreter's packages (indus, pyarrow).
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    s = (
        SparkSession.builder.master("local[2]")
        .appName("indus-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    s.sparkContext.setLogLevel("ERROR")
    yield s
    s.stop()


def generate(out, *args: str) -> None:
    g = cli("generate", "--out", str(out), *args)
    assert g.returncode == 0, g.stderr


def append(path, text: str) -> None:
    with open(path, "a") as f:
        f.write(text)


def test_the_5k_month_on_spark_is_the_cli_folder(spark, tmp):
    cli_run(tmp / "cli", "--input", str(MONTH_5K), "--as-of", "2024-04-15")
    m = indus.spark.run(spark, MONTH_5K, tmp / "spark", "2024-04-15", buckets=8)
    assert_same_folder(tmp / "cli", tmp / "spark")
    assert m["totals"]["findings"] == 1161
    # Nothing but the folder and its lock beside it.
    assert sorted(p.name for p in tmp.iterdir() if "indus-spark" in p.name) == []


def test_months_with_bad_records_of_every_kind_whatever_the_buckets(spark, tmp, monkeypatch):
    # Inputs scanned 500 records at a time: many chunks a file, on Spark's side too.
    monkeypatch.setattr(indus.spark, "_SCAN_CHUNK", 500)
    src = tmp / "in"
    generate(src, "--seekers", "3000", "--months", "2024-01..2024-03", "--seed", "13", "--bad-rate", "0.006")
    # What the generator does not write: ids repeated by other seekers (so in
    # other buckets), lines without any value, a field too many, a quoted line break.
    decl = src / "declarations.csv"
    first = decl.read_text().splitlines()[1:4]

    def repeat(line: str, seeker: str) -> str:
        f = line.split(",")
        f[1] = seeker
        return ",".join(f)

    append(decl, f"{repeat(first[0], 'S-OTHER-1')}\n{repeat(first[1], 'S-OTHER-2')}\n,,,,,,,\n\n{first[2]},extra\n")
    append(src / "rights.csv", 'R-QUOTED,S-QUOTED,"AG\nENCY",2023-01-01,2023-02-01,,50.00,730,0,40,2023-01-20\n')
    cli_run(tmp / "cli", "--input", str(src), "--as-of", "2024-06-30")
    codes = {line.split(",")[4] for line in (tmp / "cli" / "rejects.csv").read_text().splitlines()[1:]}
    assert {"duplicate_id", "bad_record", "bad_date", "missing_value", "negative_value"} <= codes
    for buckets in (3, 8):
        out = tmp / f"spark-{buckets}"
        indus.spark.run(spark, src, out, "2024-06-30", buckets=buckets)
        assert_same_folder(tmp / "cli", out)


def test_a_night_with_previous_and_decisions_on_spark_is_the_same_night(spark, tmp):
    chain = tmp / "chain"
    generate(chain, "--seekers", "2000", "--months", "2024-03..2024-04", "--seed", "7", "--nights", "2")
    assert (chain / "night2" / "decisions.csv").exists()
    night_as_of = [n["as_of"] for n in json.loads((chain / "nights.json").read_text())["nights"]]
    cli_run(tmp / "n1", "--input", str(chain / "night1"), "--as-of", night_as_of[0])
    prev = ["--previous", str(tmp / "n1")]
    cli_run(tmp / "cli2", "--input", str(chain / "night2"), "--as-of", night_as_of[1], *prev)
    indus.spark.run(spark, chain / "night2", tmp / "spark2", night_as_of[1], previous=tmp / "n1", buckets=5)
    assert_same_folder(tmp / "cli2", tmp / "spark2")


def test_rejects_over_the_threshold_fail_as_the_cli_fails(spark, tmp):
    src = tmp / "in"
    generate(src, "--seekers", "2000", "--months", "2024-03", "--seed", "5", "--bad-rate", "0.05")
    c = cli("run", "--input", str(src), "--as-of", "2024-06-30", "--out", str(tmp / "cli"))
    assert c.returncode == 2
    with pytest.raises(indus.IndusError) as e:
        indus.spark.run(spark, src, tmp / "spark", "2024-06-30", buckets=4)
    assert e.value.message in c.stderr and "over the limit" in e.value.message
    assert e.value.rejects is not None and len(e.value.rejects) > 10
    assert not (tmp / "spark").exists()
    assert [p.name for p in tmp.iterdir() if "indus-spark" in p.name] == []


def test_a_french_export_on_spark_is_the_cli_folder(spark, tmp):
    case = MONTH_5K.parent.parent / "cases" / "16-french-export"
    cli_run(tmp / "cli", "--input", str(case), "--as-of", "2024-04-15")
    indus.spark.run(spark, case, tmp / "spark", "2024-04-15", buckets=2)
    assert_same_folder(tmp / "cli", tmp / "spark")
    assert json.loads((tmp / "spark" / "manifest.json").read_text())["totals"]["findings"] == 1  # 273.60 €, as case 02 (its README)


def test_parquet_inputs_on_spark_are_the_cli_folder(spark, tmp):
    src = tmp / "in"
    generate(src, "--seekers", "1500", "--months", "2024-02..2024-03", "--seed", "21", "--bad-rate", "0.004", "--format", "parquet")
    cli_run(tmp / "cli", "--input", str(src), "--as-of", "2024-06-30")
    indus.spark.run(spark, src, tmp / "spark", "2024-06-30", buckets=4)
    assert_same_folder(tmp / "cli", tmp / "spark")
