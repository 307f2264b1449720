#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""bucketfs benchmarks, side by side in one run.

Every scenario runs each contender once per round, in an order that rotates
between rounds, and reports the median; "cold" runs drop the kernel page
cache first.  Contenders: curl (the raw-client ceiling), bucketfs, bucketfs
with buffer_pool=off, s3fs and rclone, all on the same s3rver; and, for the
cold sequential read, the same file served by nginx (the raw HTTP ceiling)
through curl and through bucketfs.  Prints a markdown table."""
import argparse
import datetime
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time

AK = SK = "S3RVER"
SIGN = ("--aws-sigv4 aws:amz:us-east-1:s3 --user %s:%s -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD'"
        % (AK, SK))


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, **kw)


def drop_caches():
    sh("sync; echo 3 > /proc/sys/vm/drop_caches")


def mounted(path):
    with open("/proc/mounts") as f:
        return any(line.split()[1] == path for line in f)


def wait_mount(path, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        if mounted(path):
            return
        time.sleep(0.05)
    raise RuntimeError("mount did not appear at " + path)


class Mount:
    """A filesystem contender."""

    def __init__(self, name, mnt, cmd, env=None, prefix=""):
        self.name, self.mnt, self.cmd, self.env, self.prefix = name, mnt, cmd, env, prefix
        self.proc = None
        self.peak = 0

    def path(self, rel):
        return os.path.join(self.mnt, rel)

    def start(self):
        os.makedirs(self.mnt, exist_ok=True)
        env = dict(os.environ)
        env.pop("AWS_CA_BUNDLE", None)
        env.update(self.env or {})
        self.proc = subprocess.Popen(self.cmd, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_mount(self.mnt)

    def note_rss(self):
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        self.peak = max(self.peak, int(line.split()[1]) * 1024)
        except OSError:
            pass

    def stop(self):
        self.note_rss()
        subprocess.run(["fusermount3", "-u", self.mnt], stderr=subprocess.DEVNULL)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def restart(self):
        self.stop()
        self.start()


def timed(fn):
    t = time.monotonic()
    fn()
    return time.monotonic() - t


def curl_ranges(url, size, sign=True, part=8 << 20, conns=8):
    with tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False) as cfg:
        for off in range(0, size, part):
            cfg.write('url = "%s"\nrange = "%d-%d"\noutput = "/dev/null"\n' %
                      (url, off, min(off + part, size) - 1))
    try:
        sh("curl -s --no-progress-meter --fail --parallel --parallel-max %d %s -K %s" %
           (conns, SIGN if sign else "", cfg.name))
    finally:
        os.unlink(cfg.name)


def rounds(names, n, run):
    """Run run(name) for every name, n times, rotating the order."""
    res = {k: [] for k in names}
    for r in range(n):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            res[name].append(run(name))
    return res


class Bench:
    def __init__(self, args):
        self.args = args
        env = {}
        with open(os.path.join(args.lab, "env")) as f:
            for line in f:
                k, _, v = line.strip().partition("=")
                env[k] = v.strip('"')
        self.s3 = "http://127.0.0.1:%s" % env["LAB_S3_PORT"]
        self.src = env["LAB_SRC"]
        self.work = tempfile.mkdtemp(prefix="bfs-bench.")
        self.nginx_port = None
        self.mounts = {}

    # --- setup ---------------------------------------------------------
    def bench_objects(self):
        """16 objects of 64 MiB and 1000 of 16 KiB in bucket 'bench'."""
        stamp = os.path.join(self.args.lab, "bench-objects")
        if os.path.exists(stamp):
            return
        tool = os.path.join(os.path.dirname(__file__), "..", "tests", "lab", "s3obj.py")
        big = os.path.join(self.work, "64m")
        sh("head -c %d /dev/urandom > %s" % (64 << 20, big))
        for i in range(16):
            sh("/usr/bin/python3 %s put %s bench par/obj%02d %s" % (tool, self.s3, i, big))
        small = os.path.join(self.work, "16k")
        sh("head -c 16384 /dev/urandom > %s" % small)
        sh("/usr/bin/python3 - <<'PY'\n"
           "import botocore.session\nfrom botocore.config import Config\n"
           "from concurrent.futures import ThreadPoolExecutor\n"
           "c = botocore.session.get_session().create_client('s3', region_name='us-east-1', "
           "endpoint_url='%s', aws_access_key_id='S3RVER', aws_secret_access_key='S3RVER', "
           "config=Config(s3={'addressing_style': 'path'}, max_pool_connections=16))\n"
           "body = open('%s', 'rb').read()\n"
           "with ThreadPoolExecutor(16) as ex:\n"
           "    list(ex.map(lambda i: c.put_object(Bucket='bench', Key='small/f%%04d' %% i, "
           "Body=body), range(1000)))\nPY" % (self.s3, small))
        open(stamp, "w").close()

    def start_nginx(self):
        port = int(subprocess.run(
            "/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); "
            "print(s.getsockname()[1])'", shell=True, capture_output=True, text=True).stdout)
        conf = os.path.join(self.work, "nginx.conf")
        with open(conf, "w") as f:
            f.write("""
daemon off; worker_processes 1; error_log %(w)s/nginx.err; pid %(w)s/nginx.pid;
events { worker_connections 256; }
http {
  access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;
  server {
    listen 127.0.0.1:%(p)d;
    # Anonymous GET/HEAD/Range over the lab's files, path style.  Listings
    # are answered empty: enough for bucketfs's mount check and lookups.
    location = /lab { return 200 '<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>'; }
    location /lab/ {
      if ($args ~ "list-type=2") { return 200 '<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>'; }
      alias %(src)s/;
    }
  }
}
""" % {"w": self.work, "p": port, "src": self.src})
        self.nginx = subprocess.Popen(["nginx", "-c", conf, "-e", self.work + "/nginx.err"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if subprocess.run("curl -s -o /dev/null http://127.0.0.1:%d/lab/top.txt" % port,
                              shell=True).returncode == 0:
                break
            time.sleep(0.05)
        self.nginx_port = port

    def mount_all(self):
        b = self.args.bin
        creds = {"AWS_ACCESS_KEY_ID": AK, "AWS_SECRET_ACCESS_KEY": SK}
        pw = os.path.join(self.work, "passwd")
        with open(pw, "w") as f:
            f.write("%s:%s\n" % (AK, SK))
        os.chmod(pw, 0o600)
        w = self.work
        ms = [
            Mount("bucketfs", w + "/bfs", [b, "s3://BUCKET", w + "/bfs", "-f", "-o",
                                           "endpoint=" + self.s3], creds),
            Mount("bucketfs pool=off", w + "/bfs-off",
                  [b, "s3://BUCKET", w + "/bfs-off", "-f", "-o",
                   "endpoint=%s,buffer_pool=off" % self.s3], creds),
            Mount("s3fs", w + "/s3fs", ["s3fs", "BUCKET", w + "/s3fs", "-f", "-o",
                                       "url=%s,use_path_request_style,passwd_file=%s,ro" % (self.s3, pw)]),
            Mount("rclone", w + "/rclone", ["rclone", "mount", ":s3:BUCKET", w + "/rclone",
                                           "--s3-provider", "Other", "--s3-endpoint", self.s3,
                                           "--s3-access-key-id", AK, "--s3-secret-access-key", SK,
                                           "--read-only", "--vfs-cache-mode", "off"]),
        ]
        for m in ms:
            m.tmpl = list(m.cmd)
        self.fs = ms

    def with_bucket(self, bucket):
        """(Re)mount every contender on @bucket, unless it is there already."""
        if getattr(self, "bucket", None) == bucket:
            return
        for m in self.fs:
            if m.proc:
                m.stop()
            m.cmd = [a.replace("BUCKET", bucket) for a in m.tmpl]
            m.start()
        self.bucket = bucket

    def stop_all(self):
        for m in self.fs:
            if m.proc:
                m.stop()

    def fs_named(self, name):
        return next(m for m in self.fs if m.name == name)

    def cold(self, name):
        """Cold for everyone: a fresh mount (no daemon-side cache) and no
        kernel page cache."""
        if any(m.name == name for m in self.fs):
            self.fs_named(name).restart()
            os.listdir(self.fs_named(name).mnt)
        drop_caches()

    def bfs_stats(self, m):
        out = subprocess.run([self.args.bin, "stats", m.mnt], capture_output=True, text=True).stdout
        return {l.split()[0]: int(l.split()[1]) for l in out.splitlines()
                if len(l.split()) == 2 and l.split()[1].isdigit()}

    # --- scenarios -----------------------------------------------------
    def cold_cat(self, n):
        self.with_bucket("lab")
        size = os.path.getsize(os.path.join(self.src, "big/big.bin"))
        ng = Mount("bucketfs on nginx", self.work + "/bfs-nginx",
                   [self.args.bin, "s3://lab/big", self.work + "/bfs-nginx", "-f", "-o",
                    "endpoint=http://127.0.0.1:%d,anonymous" % self.nginx_port])
        ng.start()

        def run(name):
            self.cold(name)
            if name == "curl --parallel (s3rver)":
                t = timed(lambda: curl_ranges(self.s3 + "/lab/big/big.bin", size))
            elif name == "curl --parallel (nginx)":
                t = timed(lambda: curl_ranges("http://127.0.0.1:%d/lab/big/big.bin" %
                                              self.nginx_port, size, sign=False))
            elif name == "bucketfs on nginx":
                t = timed(lambda: sh("cat '%s' > /dev/null" % ng.path("big.bin")))
            else:
                t = timed(lambda: sh("cat '%s' > /dev/null" % self.fs_named(name).path("big/big.bin")))
            return size / t / 1e6
        names = ["curl --parallel (s3rver)"] + [m.name for m in self.fs] + \
            ["curl --parallel (nginx)", "bucketfs on nginx"]
        res = rounds(names, n, run)
        ng.stop()
        return "1. cold sequential cat of a 1 GiB object (MB/s)", res, "curl --parallel (s3rver)"

    def warm_reread(self, n):
        path = "big/big.bin"
        for m in self.fs:
            sh("cat '%s' > /dev/null" % m.path(path))

        def run(name):
            m = self.fs_named(name)
            return os.path.getsize(os.path.join(self.src, path)) / \
                timed(lambda: sh("cat '%s' > /dev/null" % m.path(path))) / 1e6
        return "2. warm re-read of the same 1 GiB (MB/s)", rounds([m.name for m in self.fs], n, run), None

    def concurrent(self, n):
        self.with_bucket("bench")
        size = 64 << 20

        def run(name):
            self.cold(name)
            if name == "curl --parallel":
                def go():
                    with tempfile.NamedTemporaryFile("w", delete=False) as cfg:
                        for i in range(16):
                            for off in range(0, size, 8 << 20):
                                cfg.write('url = "%s/bench/par/obj%02d"\nrange = "%d-%d"\n'
                                          'output = "/dev/null"\n' %
                                          (self.s3, i, off, off + (8 << 20) - 1))
                    sh("curl -s --no-progress-meter --fail --parallel --parallel-max 16 %s -K %s"
                       % (SIGN, cfg.name))
                    os.unlink(cfg.name)
                t = timed(go)
            else:
                m = self.fs_named(name)
                t = timed(lambda: sh(" & ".join("cat '%s' > /dev/null" % m.path("par/obj%02d" % i)
                                                for i in range(16)) + " & wait"))
            return 16 * size / t / 1e6
        names = ["curl --parallel"] + [m.name for m in self.fs]
        return "3. 16 concurrent readers of 64 MiB objects (MB/s, total)", rounds(names, n, run), \
            "curl --parallel"

    def random_reads(self, n):
        self.with_bucket("lab")
        size = os.path.getsize(os.path.join(self.src, "big/big.bin"))

        def run(name):
            m = self.fs_named(name)
            self.cold(name)
            rnd = random.Random(len(name))
            offs = [rnd.randrange(0, size - 4096) for _ in range(2000)]

            def go():
                fd = os.open(m.path("big/big.bin"), os.O_RDONLY)
                try:
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
                    for o in offs:
                        os.pread(fd, 4096, o)
                finally:
                    os.close(fd)
            return 2000 / timed(go)
        return "4. 2000 random 4 KiB preads in a 1 GiB object (reads/s)", \
            rounds([m.name for m in self.fs], n, run), "s3fs"

    def small_files(self, n):
        self.with_bucket("bench")
        keys = ["small/f%04d" % i for i in range(1000)]
        for m in self.fs:
            os.listdir(m.path("small"))  # listing outside the timing

        def run(name):
            drop_caches()
            if name == "curl (1 connection)":
                def go():
                    with tempfile.NamedTemporaryFile("w", delete=False) as cfg:
                        for k in keys:
                            cfg.write('url = "%s/bench/%s"\noutput = "/dev/null"\n' % (self.s3, k))
                    sh("curl -s --no-progress-meter --fail %s -K %s" % (SIGN, cfg.name))
                    os.unlink(cfg.name)
                return 1000 / timed(go)
            m = self.fs_named(name)

            def go():
                for k in keys:
                    with open(m.path(k), "rb") as f:
                        f.read()
            return 1000 / timed(go)
        names = ["curl (1 connection)"] + [m.name for m in self.fs]
        return "5. 1000 files of 16 KiB, one after another (files/s)", rounds(names, n, run), \
            "curl (1 connection)"

    def ls_large(self, n):
        self.with_bucket("lab")

        def run(name):
            m = self.fs_named(name)
            m.restart()  # cold metadata caches
            t = timed(lambda: sh("ls -l '%s' > /dev/null" % m.path("many")))
            return t
        return "6. ls -l of a 10,000-object directory (seconds, lower is better)", \
            rounds([m.name for m in self.fs], n, run), "s3fs"


SCENARIOS = ["cold_cat", "warm_reread", "concurrent", "random_reads", "small_files", "ls_large"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lab", required=True)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    args = ap.parse_args()
    b = Bench(args)
    b.bench_objects()
    b.start_nginx()
    b.mount_all()
    rows, pool_notes = [], []
    try:
        for s in args.scenarios.split(","):
            title, res, base = getattr(b, s)(args.rounds)
            for m in b.fs:
                if m.proc and m.name.startswith("bucketfs"):
                    st = b.bfs_stats(m)
                    if st.get("pool.taken"):
                        pool_notes.append("%s, %s: %d fresh allocations of %d takes (%.1f%%)" % (
                            s, m.name, st["pool.fresh"], st["pool.taken"],
                            100.0 * st["pool.fresh"] / st["pool.taken"]))
                m.note_rss()
            rows.append((title, res, base))
            print("done: " + title, file=sys.stderr)
    finally:
        b.stop_all()
        b.nginx.terminate()
    cpu = subprocess.run("lscpu | sed -n 's/^Model name: *//p'", shell=True,
                         capture_output=True, text=True).stdout.strip()
    print("\n## bucketfs benchmarks, %s\n" % datetime.date.today().isoformat())
    print("Machine: %d cores (%s), %.0f GiB RAM, Linux %s; servers on 127.0.0.1: s3rver 3.7.1, "
          "nginx; medians of %d interleaved rounds.\n" %
          (os.cpu_count(), cpu, os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30,
           platform.release(), args.rounds))
    for title, res, base in rows:
        print("### %s\n" % title)
        hdr = "| contender | median | runs |" + (" vs %s |" % base if base else "")
        print(hdr)
        print("| --- | ---: | --- |" + (" ---: |" if base else ""))
        bm = statistics.median(res[base]) if base else None
        for name, vals in res.items():
            med = statistics.median(vals)
            fmt = "%.2f" if med < 10 else "%.0f"
            line = "| %s | %s | %s |" % (name, fmt % med, " ".join(fmt % v for v in vals))
            if base:
                line += " %.2f |" % (med / bm if bm else 0)
            print(line)
        print()
    print("Peak RSS: " + ", ".join("%s %.0f MiB" % (m.name, m.peak / 2**20) for m in b.fs if m.peak))
    print()
    print("Buffer pool (cumulative per mount): " + "; ".join(pool_notes))


if __name__ == "__main__":
    sys.exit(main())
