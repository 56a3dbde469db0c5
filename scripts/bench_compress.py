#!/usr/bin/env python3
"""Compression benchmark (issue 13): one push and one clone of text-like files, with lfs-s3.compress off and on;
prints seconds, bytes stored in the bucket and the agent's peak RSS. Run through scripts/bench-compress.sh, which
starts the server and builds the binary. Never fails on a number.
"""
import argparse
import os
import random
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from bench import BIN, ENDPOINT, Env, PeakRss, log, run  # noqa: E402


def write_csv(path, size, seed):
    rnd = random.Random(seed)
    cities = ["Berlin", "Lisbon", "Oslo", "Quito", "Osaka", "Perth"]
    with open(path, "w") as f:
        written, i = 0, 0
        while written < size:
            line = f"{i},customer {rnd.randrange(100000)},{rnd.randrange(10**7) / 100:.2f},{rnd.choice(cities)},2026-{rnd.randrange(1, 13):02d}-{rnd.randrange(1, 29):02d}\n"
            f.write(line)
            written += len(line)
            i += 1


def stored_bytes(e, bucket, prefix):
    out = e.s3(["s3api", "list-object-versions", "--bucket", bucket, "--prefix", prefix + "/", "--query", "sum(Versions[].Size)", "--output", "text"])
    return int(float(out.stdout.strip() or 0))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=4)
    ap.add_argument("--mib", type=int, default=64, help="size of each CSV file")
    a = ap.parse_args()
    root = tempfile.mkdtemp(prefix="lfs-s3-compress-")
    rows = []
    try:
        e = Env(root)
        bucket = e.bucket("compress-" + str(os.getpid()))
        sources = os.path.join(root, "sources")
        os.makedirs(sources)
        log(f"writing {a.files} CSV files of {a.mib} MiB")
        for i in range(a.files):
            write_csv(os.path.join(sources, f"t{i}.csv"), a.mib << 20, i)
        for mode in ["none", "*.csv", "auto"]:
            prefix = {"none": "plain", "*.csv": "pattern", "auto": "auto"}[mode]
            origin = os.path.join(root, prefix + ".git")
            work = os.path.join(root, prefix)
            e.git(["init", "-q", "--bare", origin])
            e.git(["clone", "-q", origin, work])
            run([BIN, "init", "--bucket", bucket, "--prefix", prefix, "--endpoint", ENDPOINT, "--compress", mode], cwd=work, env=e.env)
            e.git(["lfs", "track", "*.csv"], cwd=work)
            shutil.copytree(sources, os.path.join(work, "data"))
            e.git(["add", "-A"], cwd=work)
            e.git(["commit", "-q", "-m", "data"], cwd=work)
            with PeakRss(BIN) as rss:
                t = time.perf_counter()
                run(["git", "push", "-q", "origin", "main"], cwd=work, env=e.env)
                push = time.perf_counter() - t
            push_rss = rss.peak_kib / 1024
            clone = os.path.join(root, prefix + "-clone")
            with PeakRss(BIN) as rss:
                t = time.perf_counter()
                run(["git", "clone", "-q", origin, clone], cwd=root, env=e.env)
                pull = time.perf_counter() - t
            stored = stored_bytes(e, bucket, prefix)
            rows.append((mode, push, pull, stored, max(push_rss, rss.peak_kib / 1024)))
            log(f"compress={mode}: push {push:.1f} s, clone {pull:.1f} s, stored {stored / 2**20:.1f} MiB")
            shutil.rmtree(clone)
            shutil.rmtree(work)
        total = a.files * (a.mib << 20)
        print(f"\nCompression benchmark: {a.files} CSV files of {a.mib} MiB ({total >> 20} MiB), radosgw on this machine\n")
        print("| lfs-s3.compress | push | clone | stored | ratio | agent peak RSS |")
        print("|---|---|---|---|---|---|")
        for mode, push, pull, stored, rss in rows:
            print(f"| `{mode}` | {push:.1f} s | {pull:.1f} s | {stored / 2**20:.1f} MiB | {stored / total:.2f} | {rss:.0f} MB |")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
