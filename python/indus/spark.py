"""indus on a Spark cluster: Spark moves the records, the engine reconciles them.

``indus.spark.run`` gives the run folder ``indus run`` writes on the same
inputs, byte for byte, whatever the number of buckets:

1. **scan** (one task a file): the engine reads each input once and hands
   Spark every record as it is in the file (a Parquet row as a line of CSV
   of its known columns, its line its row number), with its physical line and
   its bucket (``pmod(xxhash64(seeker_id), buckets)``, Spark's own hash, so
   the bucket is the one ``indus run --shard`` gives). Spark's CSV reader is
   not used: it neither numbers lines nor rejects one bad record the way
   data.md asks, and rejects must name file and line. ``duplicate_id`` is
   about a whole file, which the scan task sees: it also says which lines
   repeat an earlier id (a Spark ``groupBy`` of the ids took 11.6 s of 49 on
   the 1M month, for what the scan knows already).
2. **buckets**: ``groupBy("bucket").applyInArrow``: each group is exactly one
   bucket, every record of its seekers, which the engine reconciles as one
   partition of ``indus run --memory-limit`` (a ``mapInArrow`` over a
   repartitioned union would hand a task several buckets mixed, to be sorted
   apart again). Its part (findings, candidate notices, entitlements,
   rejects, counts) comes back to the driver as files in Arrow rows.
3. **merge** (driver): the engine merges the parts by seeker, checks the
   whole (reject rates, the previous night, its withdrawal guard) and
   writes the folder atomically.

Partitioning, scheduling, retries and data movement are Spark's. The input
files must be readable at the same path by every executor (a shared file
system), as they are for ``indus run --shard`` on several machines; only the
driver writes ``out_dir``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import tempfile
from typing import Any, Iterator, Optional, Union

import pyarrow as pa

from . import IndusError, _date, _native, _path, _raise

__all__ = ["run", "SCAN_SCHEMA", "PART_SCHEMA"]

#: A scanned record (bucket -1: an input's facts as JSON; -2: an error).
SCAN_SCHEMA = "kind string, bucket int, line long, text binary"
_SCAN_ARROW = pa.schema([("kind", pa.string()), ("bucket", pa.int32()), ("line", pa.int64()), ("text", pa.binary())])
#: A file of a bucket's part (file "error": the bucket failed, content its message).
PART_SCHEMA = "bucket int, file string, content binary"
_PART_ARROW = pa.schema([("bucket", pa.int32()), ("file", pa.string()), ("content", pa.binary())])

_FACTS, _ERROR = -1, -2
#: Records a scan task hands Spark at a time (an Arrow batch).
_SCAN_CHUNK = 65_536
#: The buckets' parts reach the driver in this many groups (at most): about
#: 1/8 of the run's outputs in the driver's memory at a time, for 8 small jobs.
_FETCH_GROUPS = 8


def _scan_task(options: str, buckets: int, chunk: int):
    def scan(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for b in batches:
            for kind, path in zip(b.column("kind").to_pylist(), b.column("path").to_pylist()):
                # The engine reads the file on a thread of its own, a chunk of
                # records at a time: the task never holds the whole file.
                try:
                    stream = _native.scan(kind, path, options, buckets, chunk)
                    for frame in stream:
                        yield from pa.table(frame).cast(_SCAN_ARROW).to_batches()
                    facts = stream.facts()
                except _native.NativeError as e:
                    row = {"kind": [kind], "bucket": [_ERROR], "line": [0]}
                    yield pa.RecordBatch.from_pydict({**row, "text": [e.args[0].encode()]}, schema=_SCAN_ARROW)
                    continue
                row = {"kind": [kind], "bucket": [_FACTS], "line": [0]}
                yield pa.RecordBatch.from_pydict({**row, "text": [facts.encode()]}, schema=_SCAN_ARROW)

    return scan


def _bucket_task(facts: str, options: str):
    def reconcile(table: pa.Table) -> pa.Table:
        bucket = table.column("bucket")[0].as_py()
        with tempfile.TemporaryDirectory(prefix="indus-bucket-") as tmp:
            part = os.path.join(tmp, "part")
            try:
                _native.reconcile_bucket(table.select(["kind", "line", "text"]), facts, options, part)
            except _native.NativeError as e:
                return pa.table({"bucket": [bucket], "file": ["error"], "content": [e.args[0].encode()]}, schema=_PART_ARROW)
            names = sorted(os.listdir(part))
            contents = []
            for name in names:
                with open(os.path.join(part, name), "rb") as f:
                    contents.append(f.read())
        return pa.table({"bucket": [bucket] * len(names), "file": names, "content": contents}, schema=_PART_ARROW)

    return reconcile


def run(
    spark: Any,
    input_dir: Union[str, "os.PathLike[str]"],
    out_dir: Union[str, "os.PathLike[str]"],
    as_of: Union[str, _dt.date],
    rules: Optional[Union[str, "os.PathLike[str]"]] = None,
    previous: Optional[Union[str, "os.PathLike[str]"]] = None,
    months: Optional[str] = None,
    *,
    buckets: Optional[int] = None,
    dialect: str = "auto",
    max_reject_rate: float = 0.01,
    max_withdrawal_rate: float = _native.DEFAULT_MAX_WITHDRAWAL_RATE,
    allow_empty: bool = False,
) -> dict[str, Any]:
    """Runs ``indus run --input INPUT_DIR --out OUT_DIR --as-of AS_OF`` on Spark.

    Args:
        spark: a SparkSession (its executors run this package's Python).
        input_dir: the folder of inputs (CSV or Parquet), readable by every executor.
        out_dir: the run folder to write (on the driver), replaced atomically.
        as_of, rules, previous, months, dialect, max_reject_rate,
        max_withdrawal_rate, allow_empty: as ``indus.run`` and the CLI.
        buckets: how many buckets of seekers (default: eight times the
            default parallelism; on local[2], 16 took 35 s for the 1M month
            where 4 took 44 s: smaller buckets keep both cores busy). A task
            holds one bucket's records at a time, about 5 bytes of memory a
            byte of input: a 300 MB month in 8 buckets needs about 200 MB a
            task. The outputs do not depend on it.

    Returns:
        the manifest, as a dict.

    Raises:
        IndusError: with the CLI's message, as ``indus.run`` does.
    """
    input_dir, out_dir = os.fspath(input_dir), os.fspath(out_dir)
    n = int(buckets or 8 * spark.sparkContext.defaultParallelism)
    options = json.dumps(
        {
            "input": input_dir,
            "as_of": _date(as_of),
            "rules": _path(rules),
            "previous": _path(previous),
            "months": months,
            "dialect": dialect,
            "max_reject_rate": float(max_reject_rate),
            "max_withdrawal_rate": float(max_withdrawal_rate),
            "allow_empty": bool(allow_empty),
        }
    )
    try:
        files = _native.locate(input_dir)
    except _native.NativeError as e:
        _raise(e)

    parts = None
    # One shuffle partition a bucket for the grouping (Spark's default, 200,
    # would make as many tasks and as many fetches); restored after.
    shuffle = spark.conf.get("spark.sql.shuffle.partitions")
    spark.conf.set("spark.sql.shuffle.partitions", str(n))
    # 1. Scan: one task a file.
    paths = spark.createDataFrame(spark.sparkContext.parallelize(files, len(files)), "kind string, path string")
    scanned = paths.mapInArrow(_scan_task(options, n, _SCAN_CHUNK), SCAN_SCHEMA).persist()
    try:
        meta = {(r["kind"], r["bucket"]): r["text"] for r in scanned.where("bucket < 0").collect()}
        for kind, _ in files:  # the first failing file, in the CLI's order
            if (kind, _ERROR) in meta:
                raise IndusError(bytes(meta[(kind, _ERROR)]).decode(), 2)
        facts = [json.loads(bytes(meta[(kind, _FACTS)])) for kind, _ in files]
        records = scanned.where("bucket >= 0")

        # 2. Buckets; 3. merge.
        parts = (
            records.select("bucket", "kind", "line", "text")
            .groupBy("bucket")
            .applyInArrow(_bucket_task(json.dumps(facts), options), PART_SCHEMA)
            .persist()
        )
        # Every bucket reconciled at once, then fetched as Arrow in a few
        # groups: the parts of a group at a time on the driver (toLocalIterator
        # pickled them row by row: 8.5 s of the 1M month, Arrow takes 3.4 s).
        parts.count()
        parent = os.path.dirname(os.path.abspath(out_dir))
        os.makedirs(parent, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=parent, prefix=".indus-spark-") as tmp:
            dirs: dict[int, str] = {}
            errors: dict[int, str] = {}
            groups = min(n, _FETCH_GROUPS)
            for g in range(groups):
                table = parts.where(f"pmod(bucket, {groups}) = {g}").toArrow()
                for bucket, file, content in zip(
                    table.column("bucket").to_pylist(), table.column("file").to_pylist(), table.column("content")
                ):
                    if file == "error":
                        errors[bucket] = content.as_py().decode()
                        continue
                    d = dirs.setdefault(bucket, os.path.join(tmp, f"part-{bucket}"))
                    os.makedirs(d, exist_ok=True)
                    with open(os.path.join(d, file), "wb") as f:
                        f.write(content.as_buffer())
                del table
            if errors:
                raise IndusError(errors[min(errors)], 2)
            try:
                manifest = _native.merge_buckets(json.dumps(facts), [dirs[b] for b in sorted(dirs)], options, out_dir)
            except _native.NativeError as e:
                _raise(e)
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", shuffle)
        scanned.unpersist()
        if parts is not None:
            parts.unpersist()
    return json.loads(manifest)
