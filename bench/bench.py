#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""bucketfs benchmarks: each scenario runs every contender once per round,
in an order that rotates between rounds, and reports the median.  Cold runs
drop the kernel's page cache first.  Prints a markdown table."""
import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

AK = SK = "S3RVER"


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, **kw)


def drop_caches():
    sh("sync; echo 3 > /proc/sys/vm/drop_caches")


def mounted(path):
    with open("/proc/mounts") as f:
        return any(line.split()[1] == path for line in f)


def wait_mount(path, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        if mounted(path):
            return
        time.sleep(0.05)
    raise RuntimeError("mount did not appear at " + path)


def unmount(path):
    subprocess.run(["fusermount3", "-u", path], stderr=subprocess.DEVNULL)
    for _ in range(100):
        if not mounted(path):
            return
        time.sleep(0.05)
    subprocess.run(["fusermount3", "-uz", path], stderr=subprocess.DEVNULL)


class Mount:
    """A filesystem contender: mounted once for the whole run."""

    def __init__(self, name, mnt, cmd, env=None):
        self.name, self.mnt, self.cmd, self.env = name, mnt, cmd, env

    def start(self):
        os.makedirs(self.mnt, exist_ok=True)
        env = dict(os.environ)
        env.update(self.env or {})
        self.proc = subprocess.Popen(self.cmd, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_mount(self.mnt)

    def stop(self):
        unmount(self.mnt)


def rss_of(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None


def timed(fn):
    t = time.monotonic()
    fn()
    return time.monotonic() - t


def curl_parallel(ep, key, size, part=8 << 20, conns=8):
    """The raw-client ceiling: ranged GETs in parallel on kept-alive connections."""
    with tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False) as cfg:
        for off in range(0, size, part):
            end = min(off + part, size) - 1
            cfg.write('url = "%s/lab/%s"\nrange = "%d-%d"\noutput = "/dev/null"\n' %
                      (ep, key, off, end))
    try:
        sh("curl -s --no-progress-meter --fail --parallel --parallel-max %d --aws-sigv4 aws:amz:us-east-1:s3 "
           "--user %s:%s -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -K %s" %
           (conns, AK, SK, cfg.name))
    finally:
        os.unlink(cfg.name)


def scenario_cold_cat(args, mounts, ep, rounds):
    size = os.path.getsize(os.path.join(args.lab, "src/big/big.bin"))
    results = {}
    names = ["curl --parallel"] + [m.name for m in mounts]
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            drop_caches()
            if name == "curl --parallel":
                t = timed(lambda: curl_parallel(ep, "big/big.bin", size))
            else:
                m = next(m for m in mounts if m.name == name)
                path = os.path.join(m.mnt, "big/big.bin")
                t = timed(lambda: sh("cat '%s' > /dev/null" % path))
            results.setdefault(name, []).append(size / t / 1e6)
    return "cold sequential cat of a 1 GiB object (MB/s)", results, "curl --parallel"


SCENARIOS = {"cold_cat": scenario_cold_cat}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lab", required=True)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    args = ap.parse_args()
    env = {}
    with open(os.path.join(args.lab, "env")) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            env[k] = v.strip('"')
    ep = "http://127.0.0.1:%s" % env["LAB_S3_PORT"]
    work = tempfile.mkdtemp(prefix="bfs-bench.")
    pw = os.path.join(work, "passwd")
    with open(pw, "w") as f:
        f.write("%s:%s\n" % (AK, SK))
    os.chmod(pw, 0o600)
    creds = {"AWS_ACCESS_KEY_ID": AK, "AWS_SECRET_ACCESS_KEY": SK}
    mounts = [
        Mount("bucketfs", work + "/bucketfs",
              [args.bin, "s3://lab", work + "/bucketfs", "-f", "-o", "endpoint=" + ep], creds),
        Mount("s3fs", work + "/s3fs",
              ["s3fs", "lab", work + "/s3fs", "-f", "-o",
               "url=%s,use_path_request_style,passwd_file=%s,ro" % (ep, pw)]),
    ]
    for m in mounts:
        m.start()
    rows = []
    try:
        for s in args.scenarios.split(","):
            title, res, ceiling = SCENARIOS[s](args, mounts, ep, args.rounds)
            rows.append((title, res, ceiling))
    finally:
        peak = {m.name: rss_of(m.proc.pid) for m in mounts}
        for m in mounts:
            m.stop()
    cpu = subprocess.run("lscpu | sed -n 's/^Model name: *//p'", shell=True,
                         capture_output=True, text=True).stdout.strip()
    print("\n## bucketfs benchmarks, %s\n" % datetime.date.today().isoformat())
    print("Machine: %d cores (%s), %.0f GiB RAM, %s; server: s3rver 3.7.1 on 127.0.0.1; "
          "medians of %d interleaved rounds.\n" %
          (os.cpu_count(), cpu, os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30,
           platform.release(), args.rounds))
    for title, res, ceiling in rows:
        print("### %s\n" % title)
        print("| contender | median | runs | vs %s |" % ceiling)
        print("| --- | ---: | --- | ---: |")
        base = statistics.median(res[ceiling])
        for name, vals in res.items():
            med = statistics.median(vals)
            print("| %s | %.0f | %s | %.2f |" % (name, med, " ".join("%.0f" % v for v in vals),
                                                  med / base))
        print()
    print("Peak RSS of each daemon: " + ", ".join(
        "%s %.0f MiB" % (k, v / 2**20) for k, v in peak.items() if v))


if __name__ == "__main__":
    sys.exit(main())
