#!/usr/bin/env python3
"""W2 pushed through git-lfs-s3 beside git-annex's S3 special remote and `aws s3 cp --recursive`, over plain HTTP and
over HTTPS, against the local radosgw. Run through scripts/bench-peer.sh, which starts the server (with HTTPS) and
builds the binary. Prints medians; never fails on a number.

git-annex signs with AWS signature v2 and sends each file as one PUT, one file at a time; git-lfs-s3 and the AWS CLI
sign with v4. Over plain HTTP a v4 signature must cover the body (the AWS SDK refuses an unsigned one there), so the
client hashes every byte before sending it; over HTTPS neither does.
"""
import argparse
import os
import shutil
import tempfile
import time
import urllib.parse

from bench import Env, log, make_files, med, run, timed

TLS_ENDPOINT = os.environ.get("S3_TLS_ENDPOINT")
CA_FILE = os.environ.get("S3_CA_FILE")


def stored_bytes(e, bucket, prefix=""):
    out = run(["aws", "--endpoint-url", os.environ["S3_ENDPOINT"], "s3api", "list-objects-v2", "--bucket", bucket,
               "--prefix", prefix, "--query", "sum(Contents[].Size)", "--output", "text"], env=e.aws).stdout.strip()
    return int(float(out)) if out not in ("", "None") else 0


def agent_push(e, data, endpoint, env, tag):
    bucket = e.bucket(tag)
    origin, work = e.lfs_repository(tag, data, bucket, endpoint, env)
    seconds = timed(["git", "push", "-q", "origin", "main"], cwd=work, env=env)
    shutil.rmtree(work)
    shutil.rmtree(origin)
    return seconds, stored_bytes(e, bucket, "bench/big/")


def annex_copy(e, data, endpoint, env, tag):
    bucket = e.bucket(tag)
    url = urllib.parse.urlparse(endpoint)
    work = os.path.join(e.root, f"{tag}-annex")
    os.makedirs(work)
    e.git(["init", "-q"], cwd=work, env=env)
    # git-annex refuses private addresses unless told; its TLS checks names, not IP addresses: localhost
    e.git(["config", "annex.security.allowed-ip-addresses", "127.0.0.1"], cwd=work, env=env)
    e.git(["annex", "init", "-q", "bench"], cwd=work, env=env)
    e.git(["annex", "initremote", "s3", "type=S3", "encryption=none", "requeststyle=path", f"bucket={bucket}",
           "host=localhost" if url.scheme == "https" else "host=127.0.0.1", f"port={url.port}", f"protocol={url.scheme}"],
          cwd=work, env=env)
    shutil.copytree(data, work, dirs_exist_ok=True)
    e.git(["annex", "add", "-q", "."], cwd=work, env=env)
    seconds = timed(["git", "annex", "copy", "-q", "--to", "s3", "."], cwd=work, env=env)
    run(["chmod", "-R", "u+w", work])
    shutil.rmtree(work)
    return seconds, stored_bytes(e, bucket, "SHA256")  # the keys, not the remote's annex-uuid


def aws_cp(e, data, endpoint, env, tag):
    bucket = e.bucket(tag)
    seconds = timed(["aws", "--endpoint-url", endpoint, "s3", "cp", "--recursive", "--only-show-errors", data,
                     f"s3://{bucket}/"], env=env)
    return seconds, stored_bytes(e, bucket)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="2 x 128 MiB, one run")
    a = ap.parse_args()
    runs = 1 if a.quick else a.runs
    size = (128 << 20) if a.quick else (1 << 30)
    files = [("big/first.bin", size), ("big/second.bin", size)]
    root = tempfile.mkdtemp(prefix="lfs-s3-bench-peer.")
    e = Env(root)
    data = os.path.join(root, "data")
    make_files(data, files)
    total = sum(s for _, s in files)
    transports = [("http", os.environ["S3_ENDPOINT"], {})]
    if TLS_ENDPOINT:
        # git-lfs-s3 (.NET on OpenSSL): SSL_CERT_FILE; the AWS CLI: AWS_CA_BUNDLE; git-annex: a folder of certificates
        certs = os.path.join(root, "certs")
        os.makedirs(certs)
        shutil.copy(CA_FILE, os.path.join(certs, "radosgw.pem"))
        transports.append(("https", TLS_ENDPOINT, {"SSL_CERT_FILE": CA_FILE, "AWS_CA_BUNDLE": CA_FILE,
                                                  "SYSTEM_CERTIFICATE_PATH": certs}))
    tools = [("git-lfs-s3 `git push`", agent_push, e.env), ("`git annex copy --to` S3", annex_copy, e.env),
             ("`aws s3 cp --recursive`", aws_cp, e.aws)]
    rows = []
    try:
        for name, endpoint, extra in transports:
            # The AWS CLI here fails its multipart uploads to radosgw over HTTPS ("argument of type 'NoneType' is not
            # iterable"): it runs over HTTP only.
            used = [t for t in tools if name == "http" or t[1] is not aws_cp]
            times = {t: [] for t, _, _ in tools}
            for r in range(runs):
                for tool, fn, base in used:
                    log(f"W2 over {name}, run {r + 1}/{runs}: {tool}")
                    tag = f"peer-{name}-{fn.__name__.replace('_', '')}-{r}-{time.time_ns() % 10**8}"
                    seconds, stored = fn(e, data, endpoint, dict(base, **extra), tag)
                    if stored != total:
                        raise RuntimeError(f"{tool} over {name} stored {stored} bytes, not {total}")
                    times[tool].append(seconds)
            agent, annex, aws = (med(times[t]) for t, _, _ in tools)
            ran_aws = bool(times[tools[2][0]])
            rows.append(f"| {name} | {agent:.2f} s ({total / 1e6 / agent:.0f} MB/s) | {annex:.2f} s | "
                        f"{f'{aws:.2f} s' if ran_aws else 'not run'} | {agent / annex:.2f}x | "
                        f"{f'{agent / aws:.2f}x' if ran_aws else ''} |")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("\n".join([
        "", f"== W2 push beside peers (2 x {size >> 20} MiB, local radosgw on bluestore, medians of {runs})", "",
        "| transport | git-lfs-s3 `git push` | `git annex copy --to` S3 (one PUT per file) | `aws s3 cp --recursive` "
        "| agent / git-annex | agent / aws |",
        "|---|---|---|---|---|---|"] + rows))


if __name__ == "__main__":
    main()
