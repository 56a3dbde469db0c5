#!/usr/bin/env python3
"""Import benchmark (issue 24): N files put in the bucket by the AWS CLI (no git), adopted by `git lfs-s3 import`;
then the push that follows (it must write no version) and a full clone of the result, for the rate to compare with.
Prints seconds, objects/s and peak RSS (the import process; the clone's agents). Run through scripts/bench-import.sh,
which starts the server and builds the binary. Never fails on a number.
"""
import argparse
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from bench import BIN, ENDPOINT, Env, PeakRss, log, run  # noqa: E402


def versions(e, bucket):
    out = run(["aws", "--endpoint-url", ENDPOINT, "s3api", "list-object-versions", "--bucket", bucket,
               "--query", "length(Versions)", "--output", "text"], env=e.aws).stdout.strip()
    return int(out) if out.isdigit() else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=20000)
    ap.add_argument("--folders", type=int, default=200)
    ap.add_argument("--size", type=int, default=4096)
    a = ap.parse_args()
    root = tempfile.mkdtemp(prefix="lfs-s3-import-")
    rows = []
    try:
        e = Env(root)
        bucket = e.bucket("import-" + str(os.getpid()))
        source = os.path.join(root, "source")
        log(f"writing {a.files} files of {a.size} bytes in {a.folders} folders, uploading them with the AWS CLI")
        for i in range(a.files):
            d = os.path.join(source, f"d{i % a.folders:03d}")
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, f"f{i:06d}.bin"), "wb") as f:
                f.write(os.urandom(a.size))
        e.s3(["s3", "cp", "--recursive", "--quiet", source, f"s3://{bucket}/adopt/"])

        origin = os.path.join(root, "origin.git")
        e.git(["init", "-q", "--bare", origin])
        work = os.path.join(root, "work")
        e.git(["clone", "-q", origin, work])
        e.git(["config", "gc.auto", "0"], cwd=work)
        run([BIN, "init", "--bucket", bucket, "--prefix", "adopt", "--endpoint", ENDPOINT], cwd=work, env=e.env)
        e.git(["lfs", "track", "*.bin"], cwd=work)
        e.git(["add", "-A"], cwd=work)
        e.git(["commit", "-q", "-m", "set up"], cwd=work)

        with PeakRss(BIN, "import") as rss:
            t = time.perf_counter()
            run([BIN, "import"], cwd=work, env=e.env)
            seconds = time.perf_counter() - t
        rows.append((f"import (adopt {a.files} files)", seconds, a.files / seconds, rss.peak_kib / 1024, ""))
        log(f"import: {seconds:.1f} s")

        before = versions(e, bucket)
        with PeakRss(BIN) as rss:
            t = time.perf_counter()
            e.git(["push", "-q", "origin", "main"], cwd=work)
            seconds = time.perf_counter() - t
        new = versions(e, bucket) - before
        rows.append(("push after the import", seconds, a.files / seconds, rss.peak_kib / 1024, f"{new} new versions"))
        log(f"push: {seconds:.1f} s, {new} new versions")

        again = time.perf_counter()
        out = run([BIN, "import"], cwd=work, env=e.env).stdout.strip()
        rows.append(("second import (no change)", time.perf_counter() - again, 0, 0, out.splitlines()[-1] if out else ""))

        clone = os.path.join(root, "clone")
        with PeakRss(BIN) as rss:
            t = time.perf_counter()
            e.git(["-c", "gc.auto=0", "clone", "-q", origin, clone])
            seconds = time.perf_counter() - t
        rows.append((f"full clone ({a.files} files)", seconds, a.files / seconds, rss.peak_kib / 1024, "per agent process"))
        log(f"clone: {seconds:.1f} s")

        print(f"\nImport benchmark: {a.files} files of {a.size} bytes in {a.folders} folders, radosgw on this machine\n")
        print("| step | seconds | objects/s | peak RSS | note |")
        print("|---|---|---|---|---|")
        for name, seconds, rate, mb, note in rows:
            print(f"| {name} | {seconds:.1f} | {rate:.0f} | {mb:.0f} MB | {note} |" if rate else f"| {name} | {seconds:.1f} | - | - | {note} |")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
