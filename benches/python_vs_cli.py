"""The Python module against the CLI on one month, alternating runs, and the
Spark job's wall time (docs/performance.md, "From Python and on Spark").

    python benches/python_vs_cli.py --cli target/release/indus --input /tmp/gen-1m \
        --as-of 2024-04-15 --runs 9 [--spark-buckets 16]

Run it with the Python that has the release wheel installed (the README's
"From Python"). Each round runs the CLI, then `indus.run(...).write(...)` in a
fresh interpreter (as a script or a nightly job would), each under
/usr/bin/time; every Python folder is compared with the CLI's, byte for byte.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

PY_RUN = "import indus, sys; indus.run(sys.argv[1], sys.argv[2]).write(sys.argv[3])"
PY_SPARK = """
import os, sys, time
os.environ["PYSPARK_PYTHON"] = sys.executable
from pyspark.sql import SparkSession
spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
         .config("spark.driver.memory", "4g").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
import indus.spark
t = time.time()
indus.spark.run(spark, sys.argv[1], sys.argv[3], sys.argv[2], buckets=int(sys.argv[4]))
print(f"spark job {time.time() - t:.1f} s (session start not counted)", file=sys.stderr)
"""


def timed(cmd: list[str]) -> tuple[float, float, int]:
    """(wall s, user + system CPU s, peak RSS KB) of one command; its lines
    saying "spark job" are shown."""
    with tempfile.NamedTemporaryFile("r") as out:
        r = subprocess.run(["/usr/bin/time", "-o", out.name, "-f", "%e %U %S %M", *cmd], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"{cmd[0]} failed: {r.stderr}")
        for line in r.stderr.splitlines():
            if "spark job" in line:
                print(line)
        wall, user, system, rss = out.read().split()
        return float(wall), float(user) + float(system), int(rss)


def same_folder(a: str, b: str) -> bool:
    names = sorted(os.listdir(a))
    return names == sorted(os.listdir(b)) and all(filecmp.cmp(os.path.join(a, n), os.path.join(b, n), shallow=False) for n in names)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--cli", required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--as-of", required=True)
    p.add_argument("--runs", type=int, default=9)
    p.add_argument("--spark-buckets", type=int, default=0, help="also time indus.spark on local[2] (0: no)")
    a = p.parse_args()
    work = tempfile.mkdtemp(prefix="indus-bench-")
    results: dict[str, list[tuple[float, float, int]]] = {"cli": [], "python": []}
    try:
        for _ in range(a.runs):
            for name in ("cli", "python"):
                out = os.path.join(work, name)
                shutil.rmtree(out, ignore_errors=True)
                if name == "cli":
                    cmd = [a.cli, "run", "--input", a.input, "--out", out, "--as-of", a.as_of, "-q"]
                else:
                    cmd = [sys.executable, "-c", PY_RUN, a.input, a.as_of, out]
                results[name].append(timed(cmd))
            assert same_folder(os.path.join(work, "cli"), os.path.join(work, "python")), "the folders differ"
        for name, rs in results.items():
            walls = sorted(r[0] for r in rs)
            print(
                f"{name:<7} wall {walls} median {statistics.median(walls):.2f} s, min {walls[0]:.2f} s; "
                f"CPU median {statistics.median(r[1] for r in rs):.2f} s; peak {min(r[2] for r in rs) / 1e6:.2f}"
                f"–{max(r[2] for r in rs) / 1e6:.2f} GB"
            )
        ratio = statistics.median(r[0] for r in results["python"]) / statistics.median(r[0] for r in results["cli"])
        print(f"python / cli (medians): {ratio:.3f}")
        if a.spark_buckets:
            out = os.path.join(work, "spark")
            wall, cpu, rss = timed([sys.executable, "-c", PY_SPARK, a.input, a.as_of, out, str(a.spark_buckets)])
            assert same_folder(os.path.join(work, "cli"), out), "the Spark folder differs"
            print(f"spark   local[2], {a.spark_buckets} buckets: {wall:.1f} s with the session's start; driver Python peak {rss / 1e6:.2f} GB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
