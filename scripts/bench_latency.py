#!/usr/bin/env python3
"""Latency benchmark (issue 22): the same workloads as a user 0, 20 or 50 ms away from the bucket. Every request of
the agent and of `aws s3 cp --recursive` goes through scripts/delay_proxy.py (RTT/2 added each way per chunk, no
bandwidth cap) to the same radosgw. Prints a table of seconds, ratios (agent / aws), S3 requests per object
(counted in radosgw's log) and the agents' RSS (the sum over all agent processes alive at one moment, at its
highest). Every download is compared byte for byte with the data pushed; a mismatch stops the run. Never fails on
a number. Run through scripts/bench-latency.sh, which starts the server and builds the binary.

Workloads: W1 = 1,000 files of 16 KiB in 10 folders (push, `git clone`, CI clone `--depth 1 --single-branch`,
`git lfs pull` after a clone without smudge, and a clone that knows no version: the mapping branch removed from a
copy of the remote); BIG = one file of 256 MiB (push, clone, `git lfs pull`); HUGE (only with --huge) = one
6 GiB file, push and clone through the agent, with the agent's peak memory.
"""
import argparse
import filecmp
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from bench import BIN, Env, Requests, log, make_files, run  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.environ["S3_ENDPOINT"]


class AgentRss:
    """Samples, every 50 ms, every running agent process: the highest sum of their RSS at one moment (and of their
    PSS, which counts the binary's shared pages once), the most agents alive at once, and the highest peak RSS
    (VmHWM) of any one of them."""

    def __init__(self):
        self.sum_kib = 0
        self.pss_kib = 0
        self.single_kib = 0
        self.most = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._prefix = BIN.encode() + b"\0agent"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _poll(self):
        while not self._stop.is_set():
            total, pss, alive = 0, 0, 0
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        if not f.read().startswith(self._prefix):
                            continue
                    with open(f"/proc/{pid}/status") as f:
                        for line in f:
                            if line.startswith("VmRSS:"):
                                total += int(line.split()[1])
                                alive += 1
                            elif line.startswith("VmHWM:"):
                                self.single_kib = max(self.single_kib, int(line.split()[1]))
                    with open(f"/proc/{pid}/smaps_rollup") as f:
                        pss += next((int(line.split()[1]) for line in f if line.startswith("Pss:")), 0)
                except OSError:
                    pass
            self.sum_kib = max(self.sum_kib, total)
            self.pss_kib = max(self.pss_kib, pss)
            self.most = max(self.most, alive)
            time.sleep(0.05)

    def __str__(self):
        return f"{self.sum_kib / 1024:.0f} MB, PSS {self.pss_kib / 1024:.0f} MB ({self.most} agents)" if self.most else ""


class Proxy:
    """scripts/delay_proxy.py in its own process (so its event loop never waits on this one)."""

    def __init__(self, rtt_ms):
        target = SERVER.split("://", 1)[1].rstrip("/")
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "delay_proxy.py"), "--target", target,
                                      "--rtt-ms", str(rtt_ms)], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            self.proc.kill()
            raise RuntimeError("the delay proxy did not start")
        self.endpoint = f"http://127.0.0.1:{int(line.split()[1])}"

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def verify(data, dest, files):
    """Every file of the workload in dest is byte for byte the one in data."""
    for rel, size in files:
        got = os.path.join(dest, rel)
        if not os.path.isfile(got) or os.path.getsize(got) != size or not filecmp.cmp(os.path.join(data, rel), got,
                                                                                        shallow=False):
            raise RuntimeError(f"{dest}: {rel} is not the file pushed")


class Bench:
    def __init__(self, root, rtt, runs, transfers):
        self.root = root
        self.rtt = rtt
        self.runs = runs
        self.e = Env(root)
        for k in [k for k in self.e.env if k.startswith("AWS_ENDPOINT_URL")]:
            del self.e.env[k]  # nothing may reach the server around the proxy
        if transfers:
            self.e.git(["config", "--global", "lfs.concurrenttransfers", str(transfers)])
        aws_config = os.path.join(root, "aws-config")
        with open(aws_config, "w") as f:
            f.write("[default]\nregion = us-east-1\n")  # the AWS CLI's defaults: 10 requests in flight, 8 MB parts
        self.aws = dict(self.e.env, AWS_CONFIG_FILE=aws_config)
        self.proxy = Proxy(rtt)
        self.endpoint = self.proxy.endpoint
        self.rows = []
        self.serial = 0

    def close(self):
        self.proxy.stop()

    def name(self, what):
        self.serial += 1
        return f"lat-{what}-{self.rtt}ms-{self.serial}-{os.getpid()}".lower()

    def bucket(self, what):
        name = self.name(what)
        self.e.s3(["s3api", "create-bucket", "--bucket", name])
        self.e.s3(["s3api", "put-bucket-versioning", "--bucket", name, "--versioning-configuration", "Status=Enabled"])
        return name

    def step(self, bucket, objects, args, cwd=None, env=None):
        """Runs args once; (seconds, requests per object, agents' RSS)."""
        with Requests(bucket) as req, AgentRss() as rss:
            t = time.perf_counter()
            run(args, cwd=cwd, env=env or self.e.env)
            seconds = time.perf_counter() - t
        return seconds, req.per_object(objects), str(rss)

    def aws_cp(self, src, dst, bucket, objects):
        return self.step(bucket, objects, ["aws", "--endpoint-url", self.endpoint, "s3", "cp", "--recursive",
                                           "--only-show-errors", src, dst], env=self.aws)

    def repository(self, tag, data, bucket):
        """A bare origin and a work tree with data committed as LFS files, set up for bucket through the proxy."""
        return self.e.lfs_repository(tag, data, bucket, self.endpoint)

    def mapping_pushed(self, origin, work):
        """The mapping is on the remote before anyone clones (a push publishes it; sync if it did not)."""
        branch = "refs/heads/lfs-s3"
        if not self.e.git(["ls-remote", origin, branch]).stdout.strip():
            log("the push did not publish the mapping branch: running git lfs-s3 sync")
            run([BIN, "sync"], cwd=work, env=self.e.env)
        if not self.e.git(["ls-remote", origin, branch]).stdout.strip():
            raise RuntimeError("the mapping branch is not on the remote after the push")

    def add(self, row, aws, agent, requests_aws, requests_agent, rss, base_name="aws s3 cp"):
        self.rows.append((row, aws, agent, requests_aws, requests_agent, rss, base_name))

    def runs_of(self, fn):
        """fn() -> (seconds, requests, rss) over self.runs runs: median seconds, the last run's other figures."""
        results = [fn() for _ in range(self.runs)]
        return statistics.median(r[0] for r in results), results[-1][1], results[-1][2]

    def w1(self, files, unmapped=True):
        self.workload("W1", files, ci=True, unmapped=unmapped)

    def workload(self, tag, files, ci, unmapped):
        data = os.path.join(self.root, f"{tag}-data")
        make_files(data, files)
        n = len(files)
        label = f"{tag}, {n:,} x {files[0][1] >> 10} KiB" if n > 1 else f"{tag}, one {files[0][1] >> 20} MiB file"
        log(f"{label} at {self.rtt} ms")

        raw = self.bucket("raw")
        up = down = None
        times_up, times_down = [], []
        for r in range(self.runs):
            bucket = raw if r == 0 else self.bucket("raw")
            up = self.aws_cp(data, f"s3://{bucket}/", bucket, n)
            dl = os.path.join(self.root, f"{tag}-aws-dl")
            down = self.aws_cp(f"s3://{bucket}/", dl, bucket, n)
            verify(data, dl, files)
            shutil.rmtree(dl)
            times_up.append(up[0])
            times_down.append(down[0])
        aws_up, aws_down = statistics.median(times_up), statistics.median(times_down)

        agent = {k: [] for k in ("push", "clone", "ci", "pull", "unmapped")}
        last = {}
        for r in range(self.runs):
            bucket = self.bucket("lfs")
            origin, work = self.repository(f"{tag}-{r}", data, bucket)
            last["push"] = self.step(bucket, n, ["git", "push", "-q", "origin", "main"], cwd=work)
            self.mapping_pushed(origin, work)
            url = "file://" + origin

            def mapped_clone():
                clone = os.path.join(self.root, f"{tag}-{r}-clone")
                last["clone"] = self.step(bucket, n, ["git", "clone", "-q", url, clone])
                verify(data, clone, files)
                shutil.rmtree(clone)

            def blind_clone():
                # a remote without the mapping branch: the clone knows no object's version
                bare = os.path.join(self.root, f"{tag}-{r}-nomap.git")
                run(["git", "clone", "-q", "--bare", origin, bare], env=self.e.env)
                self.e.git(["update-ref", "-d", "refs/heads/lfs-s3"], cwd=bare)
                blind = os.path.join(self.root, f"{tag}-{r}-blind")
                last["unmapped"] = self.step(bucket, n, ["git", "clone", "-q", "file://" + bare, blind])
                verify(data, blind, files)
                shutil.rmtree(blind)
                shutil.rmtree(bare)

            # The two clones compared with each other run next to each other, taking turns at going first: on a busy
            # machine clones in a row can grow slower, and whichever ran later would carry that.
            pair = [mapped_clone, blind_clone] if unmapped else [mapped_clone]
            for clone_step in pair if r % 2 == 0 else reversed(pair):
                clone_step()

            if ci:
                ci_clone = os.path.join(self.root, f"{tag}-{r}-ci")
                last["ci"] = self.step(bucket, n, ["git", "clone", "-q", "--depth", "1", "--single-branch", url, ci_clone])
                verify(data, ci_clone, files)
                shutil.rmtree(ci_clone)

            lazy = os.path.join(self.root, f"{tag}-{r}-lazy")
            run(["git", "clone", "-q", url, lazy], env=dict(self.e.env, GIT_LFS_SKIP_SMUDGE="1"))
            last["pull"] = self.step(bucket, n, ["git", "lfs", "pull"], cwd=lazy)
            verify(data, lazy, files)
            shutil.rmtree(lazy)

            for k, v in last.items():
                agent[k].append(v[0])
            shutil.rmtree(work)
            shutil.rmtree(origin)
        shutil.rmtree(data)

        def med(k):
            return statistics.median(agent[k])

        self.add(f"{label}: push", aws_up, med("push"), up[1], last["push"][1], last["push"][2])
        self.add(f"{label}: `git clone`", aws_down, med("clone"), down[1], last["clone"][1], last["clone"][2])
        if ci:
            self.add(f"{label}: CI clone (`--depth 1 --single-branch`)", aws_down, med("ci"), down[1], last["ci"][1],
                     last["ci"][2])
        self.add(f"{label}: `git lfs pull` after a clone without smudge", aws_down, med("pull"), down[1],
                 last["pull"][1], last["pull"][2])
        if unmapped:
            self.add(f"{label}: clone that knows no version", aws_down, med("unmapped"), down[1],
                     last["unmapped"][1], last["unmapped"][2])
            self.add(f"{label}: clone that knows no version / one that does", med("clone"), med("unmapped"),
                     last["clone"][1], last["unmapped"][1], "", base_name="mapped clone")


def huge(root, size):
    """One file of `size` bytes pushed and cloned through the agent (no proxy): seconds and peak memory."""
    e = Env(root)
    bucket = f"lat-huge-{os.getpid()}"
    e.bucket(bucket)
    files = [("huge/one.bin", size)]
    data = os.path.join(root, "huge-data")
    log(f"writing {size >> 20} MiB of random data")
    make_files(data, files)
    origin = os.path.join(root, "huge-origin.git")
    work = os.path.join(root, "huge-work")
    e.git(["init", "-q", "--bare", origin])
    e.git(["clone", "-q", origin, work])
    run([BIN, "init", "--bucket", bucket, "--prefix", "bench", "--endpoint", SERVER], cwd=work, env=e.env)
    e.git(["lfs", "track", "*.bin"], cwd=work)
    os.makedirs(os.path.join(work, "huge"))
    os.link(os.path.join(data, files[0][0]), os.path.join(work, files[0][0]))
    t = time.perf_counter()
    e.git(["add", "-A"], cwd=work)
    e.git(["commit", "-q", "-m", "huge"], cwd=work)
    add_seconds = time.perf_counter() - t
    out = [f"HUGE, one {size / (1 << 30):.1f} GiB file, radosgw on this machine (no proxy); git add + commit "
           f"{add_seconds:.1f} s (git-lfs hashing)"]
    rows = []
    for what, args, cwd in [("push", ["git", "push", "origin", "main"], work),
                            ("clone", ["git", "clone", "file://" + origin, os.path.join(root, "huge-clone")], None)]:
        with AgentRss() as rss:
            t = time.perf_counter()
            r = run(args, cwd=cwd, env=e.env, check=False)
            seconds = time.perf_counter() - t
        ok = r.returncode == 0
        if ok and what == "clone":
            try:
                verify(data, os.path.join(root, "huge-clone"), files)
            except RuntimeError as err:
                ok, r = False, subprocess.CompletedProcess(args, 1, "", str(err))
        rows.append(f"  {what}: {'ok' if ok else 'FAILED'} in {seconds:.1f} s = {size / 1e6 / seconds:.0f} MB/s, "
                    f"agent peak RSS {rss.single_kib / 1024:.0f} MB (one process), agents' RSS together at most "
                    f"{rss.sum_kib / 1024:.0f} MB")
        if not ok:
            rows.append("    " + (r.stderr or "").strip().replace("\n", "\n    ")[-3000:])
            break
    shutil.rmtree(os.path.join(root, "huge-clone"), ignore_errors=True)
    if all(" ok " in r for r in rows):
        rows += huge_promote(e, root, work, data, files, bucket)
    shutil.rmtree(data, ignore_errors=True)
    return out + rows


def huge_promote(e, root, work, data, files, bucket):
    """A second version pushed, then a commit that takes the file back to the first: that push must make the first
    version the latest again, a server-side copy above S3's 5 GB CopyObject limit (a multipart copy)."""
    rel, size = files[0]
    key = f"bench/{rel}"
    first = e.git(["rev-parse", f"HEAD:{rel}"], cwd=work).stdout.strip()
    first_oid = e.git(["cat-file", "blob", first], cwd=work).stdout.split("sha256:")[1].split()[0]
    os.remove(os.path.join(work, rel))
    log(f"writing a second {size >> 20} MiB version")
    make_files(work, files)
    e.git(["add", "-A"], cwd=work)
    e.git(["commit", "-q", "-m", "second version"], cwd=work)
    run(["git", "push", "-q", "origin", "main"], cwd=work, env=e.env)
    # HEAD's file back to the first version without checking 6 GiB out again: the pointer blob goes into the index.
    e.git(["update-index", "--cacheinfo", f"100644,{first},{rel}"], cwd=work)
    e.git(["commit", "-q", "-m", "back to the first version"], cwd=work)
    # git-lfs keeps an agent's stderr to itself: the agents' own log says what the promote did.
    agent_log = os.path.join(root, "promote-agents.log")
    e.git(["config", "lfs-s3.logfile", agent_log], cwd=work)
    with AgentRss() as rss:
        t = time.perf_counter()
        r = run(["git", "push", "-q", "origin", "main"], cwd=work, env=e.env, check=False)
        seconds = time.perf_counter() - t
    # git-lfs waits 30 s for an agent to exit after `terminate`, then returns; a longer copy finishes in the agent
    # after `git push` has returned. Wait for it (up to 15 minutes) and say how long it took.
    while True:
        head = json.loads(e.s3(["s3api", "head-object", "--bucket", bucket, "--key", key]).stdout)
        latest_oid = head.get("Metadata", {}).get("lfs-oid")
        settled = time.perf_counter() - t
        if latest_oid == first_oid or settled > 900:
            break
        time.sleep(2)
    versions = json.loads(e.s3(["s3api", "list-object-versions", "--bucket", bucket, "--prefix", key]).stdout).get("Versions", [])
    ok = r.returncode == 0 and latest_oid == first_oid and head.get("ContentLength") == size
    return [f"  push that makes the first version the latest again (multipart server-side copy of {size / 1e9:.1f} GB): "
            f"{'ok' if ok else 'FAILED'}: git push returned in {seconds:.1f} s, the copy was the latest after {settled:.1f} s; "
            f"{len(versions)} versions at the key, latest holds "
            f"{'the first version' if latest_oid == first_oid else latest_oid}, agents' RSS together at most {rss.sum_kib / 1024:.0f} MB, "
            f"one process at most {rss.single_kib / 1024:.0f} MB"] + ([] if ok else ["    " + (r.stderr or "").strip()[-3000:]] + [
        "    agent: " + line for line in (open(agent_log, errors="replace").read().splitlines()[-12:] if os.path.exists(agent_log) else [])])


def table(benches, commit):
    lines = ["", f"== git-lfs-s3 across a network (commit {commit}; radosgw on this machine behind a delay proxy; "
                 "ratio = agent / aws s3 cp unless said otherwise; load average at the end "
                 f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)", "",
             "| RTT | workload | `aws s3 cp --recursive` | git-lfs-s3 | ratio | requests per object: aws / agent | "
             "agents' RSS together, at most |",
             "|---|---|---|---|---|---|---|"]
    for b in benches:
        for row, base, agent, req_base, req_agent, rss, base_name in b.rows:
            base_cell = f"{base:.2f} s" if base_name == "aws s3 cp" else f"{base:.2f} s ({base_name})"
            lines.append(f"| {b.rtt} ms | {row} | {base_cell} | {agent:.2f} s | {agent / base:.2f}x | "
                         f"{req_base} / {req_agent} | {rss} |")
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rtt", default="0,20,50", help="round-trip times to add, in ms (comma-separated)")
    ap.add_argument("--runs", type=int, default=1, help="runs of each step (the table shows medians)")
    ap.add_argument("--quick", action="store_true", help="W1 of 100 files, BIG of 16 MiB")
    ap.add_argument("--only", default="W1,BIG", help="W1, BIG (comma-separated)")
    ap.add_argument("--transfers", type=int, default=0, help="set lfs.concurrenttransfers in the global git config")
    ap.add_argument("--huge", action="store_true", help="only the 6 GiB push and clone, no proxy")
    ap.add_argument("--huge-gib", type=float, default=6)
    a = ap.parse_args()
    commit = run(["git", "-C", os.path.dirname(HERE), "rev-parse", "--short", "HEAD"], check=False).stdout.strip()
    dirty = run(["git", "-C", os.path.dirname(HERE), "status", "--porcelain", "--untracked-files=no"],
                check=False).stdout.strip()
    commit = (commit or "unknown") + (" + uncommitted changes" if dirty else "")
    root = tempfile.mkdtemp(prefix="lfs-s3-latency.", dir=os.environ.get("BENCH_TMP"))
    try:
        if a.huge:
            print("\n".join([""] + huge(root, int(a.huge_gib * (1 << 30))) + [f"(commit {commit})"]))
            return
        only = a.only.split(",")
        w1 = [(f"dir{i % 10}/file{i:04d}.bin", 16 << 10) for i in range(100 if a.quick else 1000)]
        big = [("big/one.bin", (16 if a.quick else 256) << 20)]
        benches = []
        for rtt in [int(x) for x in a.rtt.split(",")]:
            b = Bench(os.path.join(root, f"rtt{rtt}"), rtt, a.runs, a.transfers)
            benches.append(b)
            try:
                if "W1" in only:
                    b.w1(w1)
                if "BIG" in only:
                    b.workload("BIG", big, ci=False, unmapped=False)
            finally:
                b.close()
            shutil.rmtree(b.root, ignore_errors=True)
        print("\n".join(table(benches, commit)))
        if a.transfers:
            print(f"(lfs.concurrenttransfers = {a.transfers})")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
