#!/usr/bin/env python3
"""API benchmark: requests per second and latency (median, p90, p99) of `/v1/entries?limit=100`
(Miniflux) and `stream/contents` of the reading list with n=100 (Google Reader) on an archive of
--articles articles, with the daemon idle and while it polls.

    python3 bench/api/run.py --articles 200000
    python3 bench/api/run.py --articles 200000 --clients 1,4 --seconds 10 --keep

How the archive is made: --feeds feeds of --items items, each with about 2 KB of HTML that the
sanitiser has work with (links, images, a script, an event handler), served by nginx on
127.0.0.1, are polled once (`feedd poll --once`); bench/poll/grow_archive.py then adds synthetic
articles up to --articles; then every feed gets --items new items and is polled again, so that
the newest pages both APIs serve first hold real HTML. The daemon (`feedd run`, [http] on
127.0.0.1) is measured twice:
  idle     no feed due (interval 24 h): the API alone;
  polling  interval 2 s, each feed gaining 5 items a second: the daemon polls and writes
           throughout (the table says how many entries were written during each run).
The client is build/bench/api/bench_api_client (libcurl, one keep-alive connection per client,
requests back to back for --seconds). Needs nginx (installed with apt-get when missing).

--before OTHER_FEEDD measures another build on the same archive in the same run (its idle run after
this build's, its polling run after this build's, both polling runs on the same growing feeds): a
before/after comparison that the machine's load changes less than two runs would. --perf records
the daemon during each measurement with `perf record -g` into the work directory (implies --keep).
"""

import argparse
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from serve import free_port, start_nginx, stop_nginx  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent.parent
WORDS = ("archive feed news market region policy energy rail forum water climate city data "
         "report science health trade court school river harbour budget vote festival").split()


def item_xml(feed, n):
    words = " ".join(WORDS[(n * 7 + k) % len(WORDS)] for k in range(40))
    html = (f"<p>{words}</p><p>{words.upper()}</p>"
            f"<p><a href=\"/story/{n}\">read more</a> <img src=\"img/{n}.png\" onerror=\"track({n})\" alt=\"x\"></p>"
            f"<script>track({n})</script><ul><li>{words}</li><li><em>{words}</em></li></ul>"
            f"<blockquote cite=\"https://example.org/{n}\">{words}</blockquote>"
            f"<p style=\"color:red\"><a href=\"javascript:alert(1)\">x</a> {words}</p>")
    html = html.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(1_790_000_000 + n * 60))
    return (f"<item><title>{feed} story {n}</title><link>https://{feed}.example/story/{n}</link>"
            f"<guid>{feed}-{n}</guid><pubDate>{date}</pubDate><description>{html}</description></item>")


def write_feed(docroot, feed, first, count):
    items = "".join(item_xml(feed, n) for n in range(first + count - 1, first - 1, -1))
    path = docroot / f"{feed}.xml"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{feed}</title>"
                   f"<link>https://{feed}.example/</link>{items}</channel></rss>")
    os.replace(tmp, path)


def config(work, feeds, port, api_port, interval):
    text = (f"[settings]\ndatabase = \"feedd.db\"\nallow_private_networks = true\nper_host_gap = \"0s\"\n"
            f"min_interval = \"1s\"\ninterval = \"{interval}\"\n\n"
            f"[http]\nlisten = \"127.0.0.1:{api_port}\"\n\n"
            f"[[user]]\nname = \"bench\"\npassword_file = \"bench.pass\"\ntoken_file = \"bench.token\"\n\n")
    for k, feed in enumerate(feeds):
        text += (f"[[feed]]\nname = \"{feed}\"\nurl = \"http://127.0.0.1:{port}/{feed}.xml\"\n"
                 f"category = \"Group {k % 4}\"\n\n")
    (work / "feeds.toml").write_text(text)


def run(cmd, **kw):
    result = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return result


def entries(db):
    with sqlite3.connect(db) as c:
        return c.execute("SELECT count(*) FROM entries").fetchone()[0]


def cpu_seconds(pid):
    """User + system CPU time of a process so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(args, work, label, api_port, feedd):
    daemon = subprocess.Popen([feedd, "--config", str(work / "feeds.toml"), "run"], cwd=work,
                              stdout=subprocess.DEVNULL, stderr=open(work / f"daemon-{label}.log", "w"))
    try:
        deadline = time.time() + 60
        while "http: listening on" not in (work / f"daemon-{label}.log").read_text():
            if time.time() > deadline or daemon.poll() is not None:
                raise SystemExit(f"the daemon did not start:\n{(work / f'daemon-{label}.log').read_text()[-2000:]}")
            time.sleep(0.1)
        time.sleep(2)  # the polling run: the first polls are under way
        base = f"http://127.0.0.1:{api_port}"
        targets = [("v1/entries", "/v1/entries?limit=100", "X-Auth-Token: bench-token"),
                   ("stream/contents", "/reader/api/0/stream/contents/user/-/state/com.google/reading-list?n=100",
                    "Authorization: GoogleLogin auth=bench-token")]
        rows = []
        for name, path, header in targets:
            for clients in args.clients:
                before = entries(work / "feedd.db")
                cpu_before = cpu_seconds(daemon.pid)
                cmd = [args.client, base + path, "--header", header, "--clients", str(clients),
                       "--seconds", str(args.seconds)]
                perf = None
                if args.perf:
                    perf = subprocess.Popen(["perf", "record", "-g", "-p", str(daemon.pid), "-o",
                                             str(work / f"perf-{label}-{name.replace('/', '_')}-{clients}.data")],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                try:
                    out = run(cmd).stdout.strip()
                finally:
                    if perf:
                        perf.send_signal(signal.SIGINT)
                        perf.wait(timeout=60)
                figures = dict(zip(out.split()[::2], out.split()[1::2]))
                new = entries(work / "feedd.db") - before
                figures["cpu_ms"] = 1000 * (cpu_seconds(daemon.pid) - cpu_before) / max(1, int(figures["requests"]))
                rows.append((label, name, clients, figures, new))
                print(f"{label:15} {path[:60]:60} clients {clients}: {out} | new entries {new}", flush=True)
        return rows
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=60)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=200_000)
    parser.add_argument("--feeds", type=int, default=20)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", default="1,4")
    parser.add_argument("--feedd", default=str(ROOT / "build/feedd"))
    parser.add_argument("--client", default=str(ROOT / "build/bench/api/bench_api_client"))
    parser.add_argument("--before", help="another feedd binary, measured on the same archive in this run")
    parser.add_argument("--perf", action="store_true", help="perf record the daemon during each measurement")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    args.keep = args.keep or args.perf
    builds = [("", args.feedd)] if not args.before else [("before ", args.before), ("after ", args.feedd)]
    args.clients = [int(c) for c in args.clients.split(",")]
    work = Path(tempfile.mkdtemp(prefix="feedd-bench-api-"))
    work.chmod(0o755)  # nginx's workers read the feeds in it
    docroot = work / "www"
    docroot.mkdir()
    feeds = [f"feed-{k}" for k in range(args.feeds)]
    port, api_port = free_port(), free_port()
    (work / "bench.pass").write_text("bench-secret\n")
    (work / "bench.token").write_text("bench-token\n")
    os.chmod(work / "bench.pass", 0o600)
    os.chmod(work / "bench.token", 0o600)
    pidfile = start_nginx(work, docroot, port)
    stop = threading.Event()
    try:
        print(f"work directory {work}", flush=True)
        start = time.time()
        for feed in feeds:
            write_feed(docroot, feed, 1, args.items)
        config(work, feeds, port, api_port, "24h")
        feedd = [args.feedd, "--config", str(work / "feeds.toml")]
        run(feedd + ["poll", "--once"], cwd=work)
        grow = args.articles - 2 * args.feeds * args.items
        if grow > 0:
            run([sys.executable, str(ROOT / "bench/poll/grow_archive.py"), str(work / "feedd.db"),
                 "--articles", str(grow)])
        for feed in feeds:
            write_feed(docroot, feed, args.items + 1, args.items)
        run(feedd + ["poll", "--once", "--force"], cwd=work)
        with sqlite3.connect(work / "feedd.db") as c:
            articles = c.execute("SELECT count(*) FROM articles").fetchone()[0]
        print(f"archive: {articles} articles, {entries(work / 'feedd.db')} entries, "
              f"{(work / 'feedd.db').stat().st_size / 1e6:.0f} MB, made in {time.time() - start:.0f} s", flush=True)

        rows = []
        for build, feedd in builds:
            rows += measure(args, work, build + "idle", api_port, feedd)

        # Polling: every feed due now and every 2 s, each gaining 5 items a second.
        config(work, feeds, port, api_port, "2s")
        first = {feed: 2 * args.items + 1 for feed in feeds}

        def grow_feeds():
            while not stop.wait(1.0):
                for feed in feeds:
                    first[feed] += 5
                    write_feed(docroot, feed, first[feed], args.items)

        threading.Thread(target=grow_feeds, daemon=True).start()
        for build, feedd in builds:
            with sqlite3.connect(work / "feedd.db") as c:
                c.execute("UPDATE feed_state SET next_poll = NULL")
            rows += measure(args, work, build + "polling", api_port, feedd)
        stop.set()

        print(f"\nload average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; daemon CPU per request includes "
              "its polling in the polling runs")
        print("| daemon | endpoint | clients | requests/s | median ms | p90 ms | p99 ms | max ms | daemon CPU ms "
              "per request | answer bytes | entries written during the run |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for label, endpoint, clients, f, new in rows:
            print(f"| {label} | {endpoint} | {clients} | {float(f['rps']):.0f} | {f['median_ms']} | {f['p90_ms']} | "
                  f"{f['p99_ms']} | {f['max_ms']} | {f['cpu_ms']:.1f} | {f['bytes_per_answer']} | {new} |")
        print(f"\nreproduce: python3 bench/api/run.py --articles {args.articles} --feeds {args.feeds} "
              f"--items {args.items} --seconds {args.seconds:g} --clients {','.join(map(str, args.clients))}"
              + (" --before OTHER_FEEDD" if args.before else ""))
    finally:
        stop.set()
        stop_nginx(pidfile)
        if not args.keep:
            import shutil
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
