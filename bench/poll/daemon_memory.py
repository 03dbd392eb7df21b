#!/usr/bin/env python3
"""The daemon's memory per configured feed: `feedd run` with the first N feeds of a polled corpus.

Takes the work directory that `bench/poll/run.py --keep` leaves (its feedd/feeds.toml and the
archive of its polls, where every feed was just polled and is idle until its next poll). For each
N, a copy of that archive and a feeds.toml with the first N feeds; `feedd run` starts with
NOTIFY_SOCKET set to a socket of this script; once it says READY=1 (configuration read, archive
opened, feed states loaded, schedule built) its VmRSS is read, and --settle seconds later its
VmRSS and VmHWM (peak) from /proc; then SIGTERM. No feed is due, so
nothing is fetched: the figures are what configured feeds cost at rest.

    python3 bench/poll/run.py --feeds 5000 --corpus-gen GEN.py --threads '' --keep
    python3 bench/poll/daemon_memory.py --work WORKDIR --counts 0,1000,5000
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def status_kib(pid, field):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def measure(feedd, archive_dir, settings, feeds, count, settle):
    with tempfile.TemporaryDirectory(prefix="feedd-daemon-memory-") as tmp:
        tmp = Path(tmp)
        for f in archive_dir.glob("feedd.db*"):
            if not f.name.endswith(".lock"):
                shutil.copy2(f, tmp / f.name)
        (tmp / "feeds.toml").write_text(settings + "".join(feeds[:count]))
        notify_path = tmp / "notify"
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(str(notify_path))
        sock.settimeout(120)
        env = dict(os.environ, NOTIFY_SOCKET=str(notify_path))
        proc = subprocess.Popen([feedd, "--config", str(tmp / "feeds.toml"), "run"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        started = time.monotonic()
        try:
            ready_at = None
            while ready_at is None:
                if "READY=1" in sock.recv(4096).decode(errors="replace"):
                    ready_at = time.monotonic() - started
                    rss_ready = status_kib(proc.pid, "VmRSS")
            # What start-up left behind settles (status lines, the first timers); nothing is due.
            time.sleep(settle)
            rss = status_kib(proc.pid, "VmRSS")
            hwm = status_kib(proc.pid, "VmHWM")
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=120)
            sock.close()
        if proc.returncode != 0:
            print(f"  feedd run exited {proc.returncode}: {err.decode(errors='replace')[-500:]}", file=sys.stderr)
        return ready_at, rss_ready, rss, hwm


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", required=True, help="a work directory left by bench/poll/run.py --keep")
    parser.add_argument("--feedd", default="build/feedd")
    parser.add_argument("--counts", default="0,1000,5000", help="numbers of configured feeds")
    parser.add_argument("--settle", type=float, default=5.0,
                        help="seconds after READY=1 before the figures are read")
    args = parser.parse_args()
    feedd = str(Path(args.feedd).resolve())
    archive_dir = Path(args.work) / "feedd"
    text = (archive_dir / "feeds.toml").read_text()
    head, *blocks = text.split("[[feed]]")
    feeds = ["[[feed]]" + block for block in blocks]
    print(f"{len(feeds)} feeds in {archive_dir / 'feeds.toml'}")
    print(f"{'configured':>10} {'ready s':>8} {'RSS at ready MiB':>17} {'RSS MiB':>8} {'peak MiB':>9} {'KiB/feed':>9}")
    base = None
    for count in (int(c) for c in args.counts.split(",")):
        ready, rss_ready, rss, hwm = measure(feedd, archive_dir, head, feeds, count, args.settle)
        if base is None:
            base = rss
        per_feed = (rss - base) / count if count else 0.0
        print(f"{count:>10} {ready:>8.2f} {rss_ready / 1024:>17.1f} {rss / 1024:>8.1f} {hwm / 1024:>9.1f} {per_feed:>9.2f}")
    print(f"(KiB/feed: RSS above that of the first count, per configured feed)\n"
          f"reproduce: python3 bench/poll/daemon_memory.py --work {args.work} --feedd {args.feedd} --counts {args.counts}")


if __name__ == "__main__":
    main()
