#!/usr/bin/env python3
"""Benchmarks of git-lfs-s3 against the local S3 server, side by side with raw `aws s3 cp` and git-lfs's own
local clone. Run through scripts/bench.sh, which starts the server and builds the binary. Prints figures;
never fails on a number.

Workloads: W1 = 1,000 files of 16 KiB in 10 folders; W2 = 2 files of 1 GiB (smaller with --quick).
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BIN = os.environ["LFS_S3_BIN"]
ENDPOINT = os.environ["S3_ENDPOINT"]
ROWS = []
# radosgw's access lines (logged at its default level): method, bucket, key, query
ACCESS = re.compile(r'beast: \S+ \S+ - \S+ \[[^\]]+\] "(\w+) /([^/ ?]+)/?([^ ?]*)(\?[^ ]*)? HTTP')


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(args, cwd=None, env=None, check=True, quiet=True):
    r = subprocess.run(args, cwd=cwd, env=env, stdout=subprocess.PIPE if quiet else None,
                       stderr=subprocess.PIPE if quiet else None, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({r.returncode}): {r.stderr}")
    return r


def timed(args, **kw):
    t = time.perf_counter()
    run(args, **kw)
    return time.perf_counter() - t


class Requests:
    """The S3 requests radosgw logged for one bucket while the block ran, by kind (LIST, HEAD, GET, PUT, POST...)."""

    def __init__(self, bucket):
        self.bucket = bucket
        self.counts = {}

    def __enter__(self):
        self.log = os.path.join(os.environ["S3_STATE_DIR"], "log", "client.rgw.a.log")
        self.start = os.path.getsize(self.log)
        return self

    def __exit__(self, *exc):
        time.sleep(0.3)  # radosgw writes the access line after the answer
        with open(self.log, "rb") as f:
            f.seek(self.start)
            text = f.read().decode("utf-8", "replace")
        for m in ACCESS.finditer(text):
            method, bucket, key, query = m.group(1), m.group(2), m.group(3), m.group(4) or ""
            if bucket != self.bucket:
                continue
            listing = "versions" in query or (method == "GET" and not key and "versioning" not in query)
            kind = "LIST" if listing else method
            self.counts[kind] = self.counts.get(kind, 0) + 1

    def total(self):
        return sum(self.counts.values())

    def __str__(self):
        return " + ".join(f"{v} {k}" for k, v in sorted(self.counts.items(), key=lambda kv: -kv[1])) or "none"

    def per_object(self, objects):
        parts = " + ".join(f"{v / objects:.2g} {k}" for k, v in sorted(self.counts.items(), key=lambda kv: -kv[1]))
        return f"{self.total() / objects:.2f} ({parts})" if parts else "0"


class PeakRss:
    """Polls the peak resident memory (VmHWM) of every running process of the binary's verb (the agent by default)."""

    def __init__(self, binary, verb="agent"):
        self.binary = binary
        self.verb = verb
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _poll(self):
        while not self._stop.is_set():
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        if not f.read().startswith(self.binary.encode() + b"\0" + self.verb.encode()):
                            continue
                    with open(f"/proc/{pid}/status") as f:
                        for line in f:
                            if line.startswith("VmHWM:"):
                                self.peak_kib = max(self.peak_kib, int(line.split()[1]))
                except OSError:
                    pass
            time.sleep(0.02)


class Env:
    """A throw-away HOME with git-lfs-s3 installed globally (and one without it, for git-lfs's floor)."""

    def __init__(self, root):
        self.root = root
        self.home = os.path.join(root, "home")
        os.makedirs(self.home)
        self.env = dict(os.environ, HOME=self.home, GIT_CONFIG_NOSYSTEM="1", AWS_EC2_METADATA_DISABLED="true",
                        GIT_TERMINAL_PROMPT="0")
        for k in list(self.env):
            if k.startswith("GIT_TRACE") or k.startswith("LFS_S3_"):
                del self.env[k]
        for k, v in [("user.name", "Bench"), ("user.email", "bench@example.com"), ("init.defaultBranch", "main"),
                     ("advice.detachedHead", "false")]:
            self.git(["config", "--global", k, v])
        run([BIN, "install"], env=self.env)
        # git-lfs alone: same filters, no standalone agent, so file remotes use its built-in local agent
        self.plain = dict(self.env, GIT_CONFIG_GLOBAL=os.path.join(root, "plain.gitconfig"))
        for k, v in [("user.name", "Bench"), ("user.email", "bench@example.com"), ("init.defaultBranch", "main")]:
            run(["git", "config", "--global", k, v], env=self.plain)
        run(["git", "lfs", "install", "--skip-repo"], env=self.plain)
        aws_config = os.path.join(root, "aws-config")
        with open(aws_config, "w") as f:
            f.write("[default]\nregion = us-east-1\ns3 =\n  max_concurrent_requests = 8\n  multipart_chunksize = 8MB\n")
        self.aws = dict(self.env, AWS_CONFIG_FILE=aws_config)

    def git(self, args, cwd=None, env=None, **kw):
        return run(["git"] + args, cwd=cwd or self.root, env=env or self.env, **kw)

    def lfs_repository(self, tag, data, bucket, endpoint=ENDPOINT, env=None):
        """A bare origin and a work tree with data committed as LFS files, set up for bucket at endpoint."""
        origin = os.path.join(self.root, f"{tag}-origin.git")
        work = os.path.join(self.root, f"{tag}-work")
        self.git(["init", "-q", "--bare", origin])
        self.git(["clone", "-q", origin, work])
        run([BIN, "init", "--bucket", bucket, "--prefix", "bench", "--endpoint", endpoint], cwd=work, env=env or self.env)
        self.git(["lfs", "track", "*.bin"], cwd=work)
        shutil.copytree(data, work, dirs_exist_ok=True)
        self.git(["add", "-A"], cwd=work)
        self.git(["commit", "-q", "-m", tag], cwd=work)
        return origin, work

    def s3(self, args):
        return run(["aws", "--endpoint-url", ENDPOINT] + args, env=self.aws)

    def bucket(self, name):
        self.s3(["s3api", "create-bucket", "--bucket", name])
        self.s3(["s3api", "put-bucket-versioning", "--bucket", name, "--versioning-configuration", "Status=Enabled"])
        return name


def make_files(root, files):
    for rel, size in files:
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as out, open("/dev/urandom", "rb") as rnd:
            left = size
            while left:
                chunk = rnd.read(min(left, 8 << 20))
                out.write(chunk)
                left -= len(chunk)


def workload(name, quick):
    if name == "W1":
        return [(f"dir{i % 10}/file{i:04d}.bin", 16 << 10) for i in range(1000)]
    size = (128 << 20) if quick else (1 << 30)
    return [("big/first.bin", size), ("big/second.bin", size)]


def bench_workload(e, name, files, runs):
    total = sum(s for _, s in files)
    data = os.path.join(e.root, f"{name}-data")
    make_files(data, files)
    res = {k: [] for k in ["raw_up", "raw_down", "push", "clone", "floor", "rss"]}
    for r in range(runs):
        log(f"{name} run {r + 1}/{runs}")
        # raw aws s3 cp, same server, same concurrency
        raw = e.bucket(f"raw-{name.lower()}-{r}")
        res["raw_up"].append(timed(["aws", "--endpoint-url", ENDPOINT, "s3", "cp", "--recursive", "--only-show-errors",
                                    data, f"s3://{raw}/"], env=e.aws))
        dl = os.path.join(e.root, f"raw-dl-{name}-{r}")
        res["raw_down"].append(timed(["aws", "--endpoint-url", ENDPOINT, "s3", "cp", "--recursive", "--only-show-errors",
                                      f"s3://{raw}/", dl], env=e.aws))
        shutil.rmtree(dl)

        # git-lfs-s3: a repository with the files committed, pushed through the agent
        bucket = e.bucket(f"lfs-{name.lower()}-{r}")
        origin, work = e.lfs_repository(f"{name}-{r}", data, bucket)
        with PeakRss(BIN) as rss_push:
            res["push"].append(timed(["git", "push", "-q", "origin", "main"], cwd=work, env=e.env))
        clone = os.path.join(e.root, f"{name}-{r}-clone")
        with PeakRss(BIN) as rss_clone:
            res["clone"].append(timed(["git", "clone", "-q", origin, clone], env=e.env))
        res["rss"].append(max(rss_push.peak_kib, rss_clone.peak_kib))
        shutil.rmtree(clone)

        # git-lfs's own floor: the same repository through its built-in local-file agent
        plain_origin = os.path.join(e.root, f"{name}-{r}-plain.git")
        e.git(["init", "-q", "--bare", plain_origin], env=e.plain)
        # lfs.url (and lfs.pushurl, which init also writes) override the repository's placeholder: git-lfs then uses
        # its built-in file agent
        plain_url = "file://" + plain_origin
        e.git(["-c", f"lfs.url={plain_url}", "-c", f"lfs.pushurl={plain_url}", "push", "-q", plain_url, "main"], cwd=work,
              env=e.plain)
        plain_clone = os.path.join(e.root, f"{name}-{r}-plain-clone")
        res["floor"].append(timed(["git", "clone", "-q", "-c", f"lfs.url={plain_url}", plain_url, plain_clone], env=e.plain))
        first = os.path.join(plain_clone, files[0][0])
        if not os.path.exists(first) or os.path.getsize(first) != files[0][1]:
            raise RuntimeError("the floor clone did not check out the files' contents")
        for d in (plain_clone, plain_origin, work, origin):
            shutil.rmtree(d)
    shutil.rmtree(data)
    return total, res


def bench_startup(e, count=60):
    repo = os.path.join(e.root, "startup-repo")
    e.git(["init", "-q", repo])
    times = []
    for _ in range(count):
        t = time.perf_counter()
        p = subprocess.Popen([BIN, "agent"], cwd=repo, env=e.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
        p.stdin.write(b'{"event":"init","operation":"upload","remote":"origin","concurrent":true,"concurrenttransfers":8}\n')
        p.stdin.flush()
        p.stdout.readline()
        times.append(time.perf_counter() - t)
        p.stdin.write(b'{"event":"terminate"}\n')
        p.stdin.close()
        p.wait()
    return times


def bench_discovery(e, files=20000, commits=2000, runs=3):
    """Time for the agent to upload one new object in a repository of `files` LFS files over `commits` commits:
    almost all of it is path discovery. First push = empty cache; following push = one more commit."""
    import hashlib
    results = {"first": [], "next": []}
    for r in range(runs):
        repo = os.path.join(e.root, f"discovery-{r}")
        store = os.path.join(e.root, f"discovery-store-{r}")
        os.makedirs(store)
        e.git(["init", "-q", repo])
        per = files // commits
        stream = []
        for c in range(commits):
            stream.append(f"commit refs/heads/main\nmark :{c + 1}\ncommitter B <b@e> {1700000000 + c} +0000\ndata 2\nc\n")
            if c:
                stream.append(f"from :{c}\n")
            for i in range(per):
                oid = hashlib.sha256(f"{c}-{i}".encode()).hexdigest()
                pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {1000 + i}\n"
                stream.append(f"M 100644 inline d{c % 50}/c{c}/f{i}.bin\ndata {len(pointer)}\n{pointer}\n")
            stream.append("\n")
        p = subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, env=e.env, input="".join(stream).encode(),
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if p.returncode != 0:
            raise RuntimeError(p.stderr.decode())
        e.git(["reset", "-q", "--hard"], cwd=repo)
        run([BIN, "init", "--store", "file://" + store], cwd=repo, env=e.env)
        for phase in ("first", "next"):
            data = os.urandom(1000)
            oid = hashlib.sha256(data).hexdigest()
            obj = os.path.join(e.root, oid)
            with open(obj, "wb") as f:
                f.write(data)
            pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize 1000\n"
            with open(os.path.join(repo, f"new-{phase}.bin"), "w") as f:
                f.write(pointer)
            e.git(["add", "-A"], cwd=repo)
            e.git(["commit", "-q", "-m", phase], cwd=repo)
            req = (b'{"event":"init","operation":"upload","remote":"origin","concurrent":true,"concurrenttransfers":8}\n'
                   + json.dumps({"event": "upload", "oid": oid, "size": 1000, "path": obj, "action": None}).encode()
                   + b"\n")
            p = subprocess.Popen([BIN, "agent"], cwd=repo, env=e.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL)
            p.stdin.write(req)
            p.stdin.flush()
            p.stdout.readline()  # init answer
            t = time.perf_counter()
            while True:
                line = p.stdout.readline()
                if not line or b'"complete"' in line:
                    break
            results[phase].append(time.perf_counter() - t)
            if b"error" in line:
                log(f"discovery upload failed: {line!r}")
            p.stdin.write(b'{"event":"terminate"}\n')
            p.stdin.close()
            p.wait()
        shutil.rmtree(repo)
        shutil.rmtree(store)
    return results


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="W2 of 2 x 128 MiB, 1 run, a smaller discovery repo")
    ap.add_argument("--only", default="W1,W2,startup,discovery")
    a = ap.parse_args()
    runs = 1 if a.quick else a.runs
    only = a.only.split(",")
    root = tempfile.mkdtemp(prefix="lfs-s3-bench.")
    e = Env(root)
    out = []
    try:
        for name in ("W1", "W2"):
            if name not in only:
                continue
            total, r = bench_workload(e, name, workload(name, a.quick), runs)
            mb = total / 1e6
            out.append(f"{name}: {len(workload(name, a.quick))} files, {total / (1 << 20):.0f} MiB, median of {runs}")
            out.append(f"  upload    git push (git-lfs-s3) {med(r['push']):7.2f} s {mb / med(r['push']):7.1f} MB/s | "
                       f"aws s3 cp --recursive {med(r['raw_up']):7.2f} s {mb / med(r['raw_up']):7.1f} MB/s | "
                       f"ratio {med(r['push']) / med(r['raw_up']):.2f}x")
            floor = med(r["floor"])
            out.append(f"  download  git clone (git-lfs-s3) {med(r['clone']):6.2f} s | aws s3 cp --recursive "
                       f"{med(r['raw_down']):6.2f} s | git-lfs local clone (floor) {floor:6.2f} s | "
                       f"clone / (raw + floor) {med(r['clone']) / (med(r['raw_down']) + floor):.2f}x | "
                       f"clone / floor {med(r['clone']) / floor:.2f}x")
            out.append(f"  agent peak RSS {max(r['rss']) / 1024:.0f} MB")
        if "startup" in only:
            t = bench_startup(e)
            out.append(f"agent start-up to init answer: median {med(t) * 1000:.1f} ms, p90 "
                       f"{sorted(t)[int(len(t) * 0.9)] * 1000:.1f} ms over {len(t)} starts")
        if "discovery" in only:
            files, commits = (2000, 200) if a.quick else (20000, 2000)
            d = bench_discovery(e, files, commits, runs)
            out.append(f"path discovery, {files} LFS files in {commits} commits: first push {med(d['first']):.2f} s, "
                       f"following push {med(d['next']):.3f} s (upload of one new object, folder store)")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("\n".join(["", "== git-lfs-s3 benchmark (local radosgw, this machine)"] + out))


if __name__ == "__main__":
    main()
