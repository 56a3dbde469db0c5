#!/usr/bin/env python3
"""Scale benchmark (issue 11): a repository of N small LFS files in F folders and a committed mapping grown to M
lines; prints, for each step, seconds, the agent's peak RSS and the S3 requests by kind (from radosgw's access
log). Run through scripts/bench-scale.sh, which starts the server and builds the binary. Never fails on a number.
"""
import argparse
import os
import random
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from bench import BIN, ENDPOINT, Env, PeakRss, Requests, log, run  # noqa: E402


ROWS = []


def step(name, bucket, args, cwd, env):
    with Requests(bucket) as req, PeakRss(BIN) as rss:
        t = time.perf_counter()
        run(args, cwd=cwd, env=env)
        seconds = time.perf_counter() - t
    ROWS.append((name, seconds, rss.peak_kib / 1024, str(req)))
    log(f"{name}: {seconds:.1f} s, {rss.peak_kib / 1024:.0f} MB, {req}")


def grow_mapping(work, lines, prefix):
    """Synthetic entries (other objects' versions) until the committed mapping has `lines` lines."""
    folder = os.path.join(work, ".lfs-s3", "mapping")
    os.makedirs(folder, exist_ok=True)
    rnd = random.Random(7)
    per = {}
    for i in range(lines):
        oid = "%064x" % rnd.getrandbits(256)
        per.setdefault(oid[:2], []).append(f"{oid}\t64\tv{i:08d}synthetic\t{prefix}/synthetic/{i % 997}/f{i}.bin\n")
    for shard, rows in per.items():
        path = os.path.join(folder, shard + ".tsv")
        existing = open(path).read().splitlines(keepends=True) if os.path.exists(path) else ["# git-lfs-s3 mapping\n"]
        body = sorted(set(l for l in existing if not l.startswith("#")) | set(rows))
        with open(path, "w") as f:
            f.writelines([existing[0]] + body)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=20000)
    ap.add_argument("--folders", type=int, default=200)
    ap.add_argument("--mapping", type=int, default=1000000)
    a = ap.parse_args()
    root = tempfile.mkdtemp(prefix="lfs-s3-scale-")
    try:
        e = Env(root)
        bucket = e.bucket("scale-" + str(os.getpid()))
        origin = os.path.join(root, "origin.git")
        e.git(["init", "-q", "--bare", origin])
        work = os.path.join(root, "work")
        e.git(["clone", "-q", origin, work])
        e.git(["config", "gc.auto", "0"], cwd=work)
        run([BIN, "init", "--bucket", bucket, "--prefix", "scale", "--endpoint", ENDPOINT], cwd=work, env=e.env)
        e.git(["lfs", "track", "*.bin"], cwd=work)
        log(f"writing {a.files} files of 64 bytes in {a.folders} folders")
        for i in range(a.files):
            d = os.path.join(work, f"d{i % a.folders:03d}")
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, f"f{i:06d}.bin"), "wb") as f:
                f.write(os.urandom(64))
        e.git(["add", "-A"], cwd=work)
        e.git(["commit", "-q", "-m", "files"], cwd=work)
        step(f"push of {a.files} files", bucket, ["git", "push", "-q", "origin", "main"], work, e.env)

        # aws s3 cp of the same tree, for files/s
        dest = os.path.join(root, "aws-copy")
        with Requests(bucket) as req:
            t = time.perf_counter()
            e.s3(["s3", "cp", "--recursive", "--quiet", f"s3://{bucket}/scale/", dest])
            aws = time.perf_counter() - t
        ROWS.append((f"aws s3 cp --recursive ({a.files} files)", aws, 0, str(req)))
        shutil.rmtree(dest)

        clone = os.path.join(root, "clone")
        step("full clone", bucket, ["git", "-c", "gc.auto=0", "clone", "-q", origin, clone], root, e.env)
        shutil.rmtree(clone)

        def one_file(label):
            name = f"one-{len(ROWS)}.bin"
            with open(os.path.join(work, "d000", name), "wb") as f:
                f.write(os.urandom(64))
            e.git(["add", "-A"], cwd=work)
            e.git(["commit", "-q", "-m", name], cwd=work)
            step(f"push of one more file ({label})", bucket, ["git", "push", "-q", "origin", "main"], work, e.env)
            lazy = os.path.join(root, "lazy")
            e.git(["clone", "-q", origin, lazy], env=dict(e.env, GIT_LFS_SKIP_SMUDGE="1"))
            step(f"git lfs pull -I one file ({label})", bucket, ["git", "lfs", "pull", "-I", f"d000/{name}"], lazy, e.env)
            shutil.rmtree(lazy)

        lines = sum(1 for _ in open_all(work))
        one_file(f"mapping of {lines:,} lines")
        log(f"growing the mapping to {a.mapping:,} lines")
        grow_mapping(work, a.mapping - lines, "scale")
        e.git(["add", "-A"], cwd=work)
        e.git(["commit", "-q", "-m", "big mapping"], cwd=work)
        e.git(["push", "-q", "origin", "main"], cwd=work, env=dict(e.env, GIT_LFS_SKIP_PUSH="1"))
        lines = sum(1 for _ in open_all(work))
        one_file(f"mapping of {lines:,} lines")

        print(f"\nScale benchmark: {a.files} files of 64 bytes in {a.folders} folders, radosgw on this machine\n")
        print("| step | seconds | agent peak RSS | S3 requests |")
        print("|---|---|---|---|")
        for name, seconds, rss, req in ROWS:
            print(f"| {name} | {seconds:.1f} | {rss:.0f} MB | {req} |" if rss else f"| {name} | {seconds:.1f} | - | {req} |")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def open_all(work):
    folder = os.path.join(work, ".lfs-s3", "mapping")
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name)) as f:
            for line in f:
                if not line.startswith("#"):
                    yield line


if __name__ == "__main__":
    main()
