#!/usr/bin/env python3
"""Whole-run timings of several commands, run in turn round after round.

The project's machine is a virtual one whose speed drifts by ±10 % from one
minute to the next: two builds (or indus and the DuckDB reference) are only
compared by alternating them in one sitting. For each command this prints
every round's wall time, the medians of wall and CPU (user + system) time,
the largest peak resident memory, and ratios of wall times (`--ratio A/B`,
or else the first command over each other one), of the medians and round
by round.

    python3 benches/alternate.py --rounds 7 \\
        --run "indus=target/release/indus run --input /tmp/gen-1m --out /tmp/b-cli --as-of 2024-04-15 -q" \\
        --run "duckdb=/tmp/peer/bin/python ../shared/tools/peer_duckdb.py /tmp/gen-1m /tmp/b-duck --as-of 2024-04-15" \\
        --ratio indus/duckdb

Standard library only, so that it runs with any Python 3.
"""

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import time


def run_once(argv):
    """(wall s, user+sys s, peak RSS in KB) of one run of argv."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{argv[0]} failed (exit {os.waitstatus_to_exitcode(status)})")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run", action="append", required=True, metavar="NAME=COMMAND")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument(
        "--abba",
        action="store_true",
        help="run the commands in reverse order every other round, so that no command always follows the same one",
    )
    p.add_argument(
        "--ratio",
        action="append",
        default=[],
        metavar="A/B",
        help="also print A's wall time over B's, round by round (default: the first command over each other one)",
    )
    args = p.parse_args()
    commands = []
    for spec in args.run:
        name, _, command = spec.partition("=")
        commands.append((name, shlex.split(command)))
    results = {name: [] for name, _ in commands}
    first = commands[0][0]
    pairs = [tuple(r.split("/", 1)) for r in args.ratio] or [(first, name) for name, _ in commands[1:]]
    for pair in pairs:
        if len(pair) != 2 or pair[0] not in results or pair[1] not in results:
            sys.exit(f"--ratio {'/'.join(pair)}: not two command names as --run gives them (A/B)")
    for r in range(args.rounds):
        # A run leaves the machine in some state (dirty pages, a folder to
        # delete, freed memory) that the next command finds.
        in_order = commands[::-1] if args.abba and r % 2 == 1 else commands
        for name, argv in in_order:
            results[name].append(run_once(argv))
            wall, cpu, rss = results[name][-1]
            print(f"round {r + 1} {name}: {wall:.2f} s wall, {cpu:.2f} s cpu, {rss / 1e6:.2f} GB", flush=True)
    print()
    medians = {}
    for name, rows in results.items():
        walls = sorted(w for w, _, _ in rows)
        medians[name] = statistics.median(walls)
        print(
            f"{name}: wall median {medians[name]:.2f} s (sorted: {', '.join(f'{w:.2f}' for w in walls)}), "
            f"cpu median {statistics.median(c for _, c, _ in rows):.2f} s, "
            f"peak {max(m for _, _, m in rows) / 1e6:.2f} GB"
        )
    for a, b in pairs:
        # Within a round the two ran minutes apart at most: the machine's
        # drift cancels out more than between medians taken over the sitting.
        by_round = [ra[0] / rb[0] for ra, rb in zip(results[a], results[b])]
        print(
            f"{a} / {b} = {medians[a] / medians[b]:.3f} (medians); by round: median "
            f"{statistics.median(by_round):.3f} ({min(by_round):.3f} - {max(by_round):.3f})"
        )


if __name__ == "__main__":
    main()
