#!/usr/bin/env python3
"""Cold polls of one corpus by several feedd builds, alternating, with SQLite's page traffic.

For choosing the writer's settings (page cache, checkpoint threshold, batch size): build one
feedd per setting, then

    python3 bench/poll/cold_pages.py --feeds 5000 --corpus-gen GEN.py --repeat 2 \\
        base=build/feedd ck30k=build-ck30k/feedd

Each round polls the corpus once with every build, in the order given, each from an empty
archive of its own (`feedd poll --once --force`), so that all builds see the same machine load.
For each poll it prints CPU time and its share per feed (`perf stat` task-clock), peak RSS (GNU
time), and per feed the `pread` and `pwrite` calls (SQLite's page reads and writes: database,
WAL and checkpoints) and the number of `fdatasync` calls. The corpus is generated once into
--work and served gzipped by nginx on 127.0.0.1 as run.py serves it; --work is kept so that a
later run reuses it. Needs nginx and perf (allowed to read syscall tracepoints).
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from serve import free_port, precompress, start_nginx, stop_nginx, wait_for_port  # noqa: E402

EVENTS = "task-clock,syscalls:sys_enter_pread64,syscalls:sys_enter_pwrite64,syscalls:sys_enter_fdatasync"


def poll(binary, directory):
    """One cold poll: (CPU s, peak RSS MiB, pread, pwrite, fdatasync)."""
    for f in directory.glob("feedd.db*"):
        f.unlink()
    with tempfile.NamedTemporaryFile(mode="r") as timing, tempfile.NamedTemporaryFile(mode="r") as stat:
        # GNU time's %M is the largest of its children's peaks: feedd's, not perf's (smaller).
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", timing.name, "perf", "stat", "-x,", "-o", stat.name,
                        "-e", EVENTS, binary, "--config", directory / "feeds.toml", "poll", "--once", "--force"],
                       check=True, stdout=subprocess.DEVNULL)
        rss = int(timing.read().split()[-1]) / 1024
        counts = {}
        for line in stat.read().splitlines():
            fields = line.split(",")
            if len(fields) > 2 and fields[0][:1].isdigit():
                counts[fields[2].split(":")[-1]] = float(fields[0])
    return (counts["task-clock"] / 1000, rss, counts["sys_enter_pread64"], counts["sys_enter_pwrite64"],
            counts["sys_enter_fdatasync"])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("builds", nargs="+", help="NAME=PATH of a feedd binary")
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--corpus-gen", required=True, help="a generator called as GEN.py N --out DIR")
    parser.add_argument("--work", default=None, help="work directory (default: /tmp/feedd-cold-pages-N)")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    builds = dict(b.split("=", 1) for b in args.builds)
    work = Path(args.work or f"{tempfile.gettempdir()}/feedd-cold-pages-{args.feeds}")
    docroot = work / "www"
    if not docroot.is_dir():
        docroot.mkdir(parents=True)
        subprocess.run([sys.executable, Path(args.corpus_gen).resolve(), str(args.feeds), "--out", docroot],
                       check=True, stdout=subprocess.DEVNULL)
        precompress(docroot)
    work.chmod(0o755)  # nginx workers run as an unprivileged user
    files = sorted(p for p in docroot.iterdir() if p.suffix in (".xml", ".rss", ".atom", ".rdf"))
    port = free_port()
    pidfile = start_nginx(work, docroot, port)
    try:
        wait_for_port(port)
        # The settings of run.py: all feeds on one host, so the per-host limit is the global one.
        lines = ["[settings]", 'database = "feedd.db"', "concurrency = 32", "per_host = 32", 'per_host_gap = "0s"',
                 "allow_private_networks = true", 'log_level = "error"', ""]
        for i, f in enumerate(files):
            lines += ["[[feed]]", f'name = "f{i}"', f'url = "http://127.0.0.1:{port}/{f.name}"', ""]
        for name in builds:
            (work / name).mkdir(exist_ok=True)
            (work / name / "feeds.toml").write_text("\n".join(lines))
        n = len(files)
        print(f"corpus: {n} feeds in {docroot}")
        print(f"{'build':10} {'CPU s':>7} {'ms/feed':>8} {'peak MiB':>9} {'pread/feed':>11} {'pwrite/feed':>12} "
              f"{'fdatasync':>10}")
        for _ in range(args.repeat):
            for name, binary in builds.items():
                cpu, rss, reads, writes, syncs = poll(Path(binary).resolve(), work / name)
                print(f"{name:10} {cpu:7.2f} {cpu * 1000 / n:8.2f} {rss:9.1f} {reads / n:11.1f} {writes / n:12.1f} "
                      f"{syncs:10.0f}", flush=True)
        print("reproduce: python3 bench/poll/cold_pages.py --feeds {} --corpus-gen {} --repeat {} {}".format(
            args.feeds, args.corpus_gen, args.repeat, " ".join(args.builds)))
    finally:
        stop_nginx(pidfile)


if __name__ == "__main__":
    main()
