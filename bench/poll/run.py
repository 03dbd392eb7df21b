#!/usr/bin/env python3
"""Poll benchmark: feedd against newsboat on the same generated corpus, in the same run.

A corpus of N RSS feeds is served by nginx on 127.0.0.1 (its own config and prefix, started and
stopped here). Each reader polls it three times:
  cold     empty archive / cache, every feed fetched and stored
  warm     nothing changed: every response is a 304
  changed  10 % of the feeds gained items
and the script prints wall time, CPU time (user+sys) and peak RSS of each run, and the ratios.

    python3 bench/poll/run.py --feeds 1000 --feedd build/feedd

Needs nginx and newsboat (installed with apt-get when missing).
"""

import argparse
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = ("archive feed news market region policy energy rail forum water climate city data "
         "report science health trade court school river harbour budget vote festival").split()


def ensure(packages):
    missing = [p for p in packages if subprocess.run(["dpkg-query", "-W", "-f=${Status}", p],
                                                      capture_output=True, text=True).stdout != "install ok installed"]
    if missing:
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, stdout=subprocess.DEVNULL)


def sentence(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def write_feed(path, index, items, rng):
    parts = [f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Bench feed {index}</title><link>http://bench.example/{index}/</link>
<description>{sentence(rng, 12)}</description><language>en</language>
"""]
    for item in items:
        parts.append(f"""<item><title>{item['title']}</title>
<link>http://bench.example/{index}/{item['id']}.html</link><guid isPermaLink="false">feed{index}-{item['id']}</guid>
<pubDate>{item['date']}</pubDate><dc:creator>Bench</dc:creator><category>{rng.choice(WORDS)}</category>
<description>{item['summary']}</description>
<content:encoded><![CDATA[<p>{item['body']}</p>]]></content:encoded></item>
""")
    parts.append("</channel></rss>\n")
    path.write_text("".join(parts))


def make_item(rng, n):
    day = 1 + n % 28
    return {"id": n, "title": sentence(rng, 8), "summary": sentence(rng, 25),
            "body": "</p><p>".join(sentence(rng, 40) for _ in range(4)),
            "date": f"Mon, {day:02d} Jan 2024 {n % 24:02d}:{n % 60:02d}:00 GMT"}


def generate(root, feeds, items_per_feed, rng):
    corpus = {}
    for index in range(feeds):
        items = [make_item(rng, n) for n in range(items_per_feed)]
        corpus[index] = items
        write_feed(root / f"feed{index}.xml", index, items, rng)
    return corpus


def change(root, corpus, fraction, rng):
    chosen = rng.sample(sorted(corpus), max(1, int(len(corpus) * fraction)))
    for index in chosen:
        items = corpus[index]
        fresh = [make_item(rng, 1000 + len(items) + k) for k in range(3)]
        corpus[index] = fresh + items[:-3]
        write_feed(root / f"feed{index}.xml", index, corpus[index], rng)
        # nginx's validators come from mtime and size: make sure the mtime moves.
        later = time.time() + 2
        os.utime(root / f"feed{index}.xml", (later, later))
    return len(chosen)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_nginx(work, docroot, port):
    prefix = work / "nginx"
    (prefix / "logs").mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(f"""daemon on;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
worker_processes 2;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 100000;
  types {{ application/rss+xml xml; }}
  server {{
    listen 127.0.0.1:{port};
    root {docroot};
    etag on;
  }}
}}
""")
    subprocess.run(["nginx", "-p", str(prefix), "-c", str(conf)], check=True)
    return prefix / "nginx.pid"


def stop_nginx(pidfile):
    try:
        os.kill(int(pidfile.read_text()), signal.SIGQUIT)
    except (OSError, ValueError):
        pass


def measure(cmd, cwd=None):
    """Runs cmd; returns (wall s, cpu s, peak RSS MiB) as GNU time measures them (ru_maxrss of a
    child forked from this Python would count Python's own pages)."""
    with tempfile.TemporaryFile() as errfile, tempfile.NamedTemporaryFile(mode="r") as timing:
        proc = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", timing.name, *map(str, cmd)], cwd=cwd,
                              stdout=subprocess.DEVNULL, stderr=errfile)
        if proc.returncode != 0:
            errfile.seek(0)
            err = errfile.read().decode(errors="replace")
            print(f"  command failed ({proc.returncode}): {' '.join(map(str, cmd))}\n{err[-2000:]}", file=sys.stderr)
        wall, user, system, rss_kib = timing.read().split()[-4:]
    return float(wall), float(user) + float(system), int(rss_kib) / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--feedd", default="build/feedd")
    parser.add_argument("--threads", default="1,8,32", help="newsboat reload-threads settings to try")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    ensure(["nginx", "newsboat", "sqlite3"])
    feedd = Path(args.feedd).resolve()
    rng = random.Random(args.seed)

    work = Path(tempfile.mkdtemp(prefix="feedd-poll-bench-"))
    work.chmod(0o755)  # nginx workers run as an unprivileged user
    docroot = work / "www"
    docroot.mkdir()
    corpus = generate(docroot, args.feeds, args.items, rng)
    size = sum(f.stat().st_size for f in docroot.iterdir())
    port = free_port()
    pidfile = start_nginx(work, docroot, port)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        urls = [f"http://127.0.0.1:{port}/feed{i}.xml" for i in range(args.feeds)]
        print(f"corpus: {args.feeds} feeds x {args.items} items, {size / 1e6:.1f} MB, nginx on 127.0.0.1:{port}")

        # feedd: all feeds share one host here, so the per-host limit is raised to the global one.
        fdir = work / "feedd"
        fdir.mkdir()
        lines = ["[settings]", 'database = "feedd.db"', "concurrency = 32", "per_host = 32", 'per_host_gap = "0s"',
                 "allow_private_networks = true", 'log_level = "error"', ""]
        for i, url in enumerate(urls):
            lines += ["[[feed]]", f'name = "f{i}"', f'url = "{url}"', ""]
        (fdir / "feeds.toml").write_text("\n".join(lines))
        feedd_cmd = [str(feedd), "--config", str(fdir / "feeds.toml"), "poll", "--once", "--force"]

        # newsboat: its own cache and URL file per setting.
        ndirs = {}
        for threads in args.threads.split(","):
            nd = work / f"newsboat-{threads}"
            nd.mkdir()
            (nd / "urls").write_text("\n".join(urls) + "\n")
            (nd / "config").write_text(f"reload-threads {threads}\nshow-read-feeds yes\n")
            ndirs[threads] = nd

        def newsboat_cmd(nd):
            return ["newsboat", "-x", "reload", "-u", str(nd / "urls"), "-c", str(nd / "cache.db"),
                    "-C", str(nd / "config")]

        results = {}
        results[("feedd", "cold")] = measure(feedd_cmd)
        for threads, nd in ndirs.items():
            results[(f"newsboat-{threads}", "cold")] = measure(newsboat_cmd(nd))
        results[("feedd", "warm")] = measure(feedd_cmd)
        for threads, nd in ndirs.items():
            subprocess.run(["sqlite3", str(nd / "cache.db"), "ANALYZE;"], check=True)
            results[(f"newsboat-{threads}", "warm")] = measure(newsboat_cmd(nd))
        changed = change(docroot, corpus, 0.10, rng)
        results[("feedd", "changed")] = measure(feedd_cmd)
        for threads, nd in ndirs.items():
            results[(f"newsboat-{threads}", "changed")] = measure(newsboat_cmd(nd))

        print(f"{'run':10} {'reader':14} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9}")
        for phase in ("cold", "warm", "changed"):
            for (reader, p), (wall, cpu, rss) in results.items():
                if p == phase:
                    print(f"{phase:10} {reader:14} {wall:8.2f} {cpu:8.2f} {rss:9.1f}")
        print(f"(changed: {changed} feeds gained 3 items each)")
        for phase in ("cold", "warm", "changed"):
            fw, fc, fm = results[("feedd", phase)]
            best = min((v for (r, p), v in results.items() if p == phase and r != "feedd"), key=lambda v: v[0])
            print(f"{phase}: feedd is {best[0] / fw:.1f}x faster than newsboat's best setting, "
                  f"at {fc / best[1]:.2f} of its CPU and {fm / best[2]:.2f} of its peak memory")
        print(f"reproduce: python3 bench/poll/run.py --feeds {args.feeds} --items {args.items} --feedd {args.feedd}")
    finally:
        stop_nginx(pidfile)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
