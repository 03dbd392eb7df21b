#!/usr/bin/env python3
"""Several nodes on one PostgreSQL archive: polls per second with 1, 2 and 3 `feedd run`.

One PostgreSQL (started here with the tests' fixture, build/tests/feedd_test_postgres: a fresh
folder, a Unix socket, fsync off) and one HTTP server (asyncio, this script) that answers every
request after a fixed delay (--delay-ms, 200 by default: the latency of the real web, which one
node's `concurrency` bounds). N feeds (--feeds, 1000 by default), each on a host of its own
(fN.localhost, which curl resolves to the loopback), never polled: every one is due at once.
For each node count, a fresh database; the nodes start together with the same feeds.toml (the
same `concurrency`, --concurrency) apart from their user agent, which tells the server who
fetched what. The run ends when every feed's poll is written.

Printed per node count: wall time from the first request to the last poll written, polls per
second and the ratio to one node, PostgreSQL transactions committed per poll (pg_stat_database
xact_commit, over the whole run: registration, claims, heartbeats, writes), each node's share of
the feeds, and duplicate fetches (a feed fetched more than once: must be 0).

    python3 bench/poll/cluster.py                       # 1000 feeds, 1/2/3 nodes
    python3 bench/poll/cluster.py --feeds 5000 --repeat 3
"""

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


class Server:
    """HTTP/1.1 on 127.0.0.1 in a thread of its own: each request answered after `delay`."""

    def __init__(self, delay):
        self.delay = delay
        self.requests = []  # (path, host, user agent, time)
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self.thread.start()
        ready.wait()

    def _run(self, ready):
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0,
                                                                        backlog=1024))
        self.port = self.server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()

    async def _serve(self, reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                self.requests.append((path, headers.get("host", "").split(":")[0],
                                      headers.get("user-agent", ""), time.monotonic()))
                await asyncio.sleep(self.delay)
                name = path.strip("/").removesuffix(".xml")
                body = (f'<rss version="2.0"><channel><title>{name}</title>'
                        f'<link>http://{name}.localhost/</link>'
                        + "".join(f"<item><guid>{name}-{i}</guid><title>Item {i} of {name}</title>"
                                  f"<description>Story {i}</description></item>" for i in range(3))
                        + "</channel></rss>").encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                             b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def take(self):
        out, self.requests = self.requests, []
        return out

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()


def cpu_seconds(pid):
    """User + system CPU seconds of a running process (fields 14 and 15 of /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def psql(uri, sql):
    return subprocess.run(["psql", uri, "-Atc", sql], check=True, capture_output=True, text=True).stdout.strip()


def run_once(args, nodes, server, pg_dir, trial):
    database = f"bench_{nodes}_{trial}"
    admin = f"postgresql://feedd_test@/postgres?host={pg_dir}"
    uri = f"postgresql://feedd_test@/{database}?host={pg_dir}"
    psql(admin, f"CREATE DATABASE {database}")
    work = Path(tempfile.mkdtemp(prefix="feedd-cluster-bench-"))
    feeds = "".join(f'\n[[feed]]\nname = "f{i}"\nurl = "http://f{i}.localhost:{server.port}/f{i}.xml"\n'
                    for i in range(args.feeds))
    commits_before = int(psql(admin, f"SELECT coalesce(sum(xact_commit), 0) FROM pg_stat_database "
                                     f"WHERE datname = '{database}'") or 0)
    processes = []
    for n in range(nodes):
        folder = work / f"node{n}"
        folder.mkdir()
        (folder / "feeds.toml").write_text(
            f'[settings]\ndatabase = "{uri}"\nallow_private_networks = true\n'
            f'concurrency = {args.concurrency}\ninterval = "1h"\nbackfill_pages = 0\n'
            f'user_agent = "bench-node-{n}"\n' + feeds)
        processes.append(subprocess.Popen([str(args.feedd), "--config", str(folder / "feeds.toml"), "run"],
                                          cwd=folder, stdout=subprocess.DEVNULL,
                                          stderr=open(folder / "log", "w")))
    try:
        deadline = time.monotonic() + args.timeout
        while True:
            time.sleep(0.1)
            try:
                written = int(psql(uri, "SELECT count(*) FROM feed_state WHERE last_poll IS NOT NULL"))
            except subprocess.CalledProcessError:
                written = 0  # the schema is not there yet
            if written >= args.feeds:
                break
            if time.monotonic() > deadline:
                sys.exit(f"{nodes} node(s): {written} of {args.feeds} polls written after {args.timeout} s; "
                         f"logs in {work}")
        end = time.monotonic()
        commits = int(psql(admin, f"SELECT sum(xact_commit) FROM pg_stat_database WHERE datname = '{database}'"))
        cpu = [cpu_seconds(process.pid) for process in processes]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
    requests = server.take()
    start = min(r[3] for r in requests)
    per_feed = {}
    per_node = {}
    for path, host, agent, _ in requests:
        per_feed[path] = per_feed.get(path, 0) + 1
        per_node[agent] = per_node.get(agent, 0) + 1
    if not args.keep:
        shutil.rmtree(work)
    psql(admin, f"DROP DATABASE {database}")
    return {
        "wall": end - start,
        "rate": args.feeds / (end - start),
        "commits": (commits - commits_before) / args.feeds,
        "shares": [per_node.get(f"bench-node-{n}", 0) / args.feeds for n in range(nodes)],
        "duplicates": sum(count - 1 for count in per_feed.values()),
        "cpu_ms": 1000 * sum(cpu) / args.feeds,
        "fetched": len(per_feed),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--nodes", default="1,2,3")
    parser.add_argument("--concurrency", type=int, default=10, help="each node's concurrency")
    parser.add_argument("--delay-ms", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=1, help="runs per node count (medians)")
    parser.add_argument("--feedd", type=Path, default=ROOT / "build" / "feedd")
    parser.add_argument("--fixture", type=Path, default=ROOT / "build" / "tests" / "feedd_test_postgres")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--keep", action="store_true", help="keep the nodes' folders (logs)")
    args = parser.parse_args()

    state = Path(tempfile.mkdtemp(prefix="feedd-cluster-pg-")) / "state"
    subprocess.run([str(args.fixture), "start", str(state)], check=True)
    pg_dir = state.read_text().strip()
    server = Server(args.delay_ms / 1000)
    results = {}
    try:
        counts = [int(n) for n in args.nodes.split(",")]
        for trial in range(args.repeat):
            for nodes in counts:  # interleaved, so that a change of load touches every count alike
                result = run_once(args, nodes, server, pg_dir, trial)
                results.setdefault(nodes, []).append(result)
                print(f"  run {trial + 1}, {nodes} node(s): {result['wall']:.2f} s, {result['rate']:.1f} polls/s, "
                      f"shares {' '.join(f'{s:.3f}' for s in result['shares'])}, "
                      f"{result['duplicates']} duplicate(s), {result['cpu_ms']:.2f} ms node CPU per poll", flush=True)
    finally:
        server.stop()
        subprocess.run([str(args.fixture), "stop", str(state)], check=False)
        shutil.rmtree(state.parent, ignore_errors=True)

    print(f"\n{args.feeds} feeds, one host each, {args.delay_ms} ms per response, concurrency "
          f"{args.concurrency} per node; load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"command: python3 bench/poll/cluster.py --feeds {args.feeds} --nodes {args.nodes} "
          f"--concurrency {args.concurrency} --delay-ms {args.delay_ms} --repeat {args.repeat}")
    print("| nodes | wall s | polls/s | vs 1 node | xact/poll | node CPU ms/poll | shares (of 1/n: worst) | duplicates |")
    print("|------:|-------:|--------:|----------:|----------:|-----------------:|------------------------|-----------:|")
    base = statistics.median(r["rate"] for r in results[counts[0]]) if counts else 1
    for nodes, runs in results.items():
        rate = statistics.median(r["rate"] for r in runs)
        wall = statistics.median(r["wall"] for r in runs)
        commits = statistics.median(r["commits"] for r in runs)
        cpu_ms = statistics.median(r["cpu_ms"] for r in runs)
        shares = [statistics.median(r["shares"][n] for r in runs) for n in range(nodes)]
        worst = max(abs(s * nodes - 1) for s in shares)
        duplicates = sum(r["duplicates"] for r in runs)
        missing = sum(args.feeds - r["fetched"] for r in runs)
        print(f"| {nodes} | {wall:.2f} | {rate:.1f} | {rate / base:.2f}x | {commits:.2f} | {cpu_ms:.2f} | "
              f"{' '.join(f'{s:.3f}' for s in shares)} ({worst * 100:.0f} %) | {duplicates}"
              f"{f' ({missing} never fetched)' if missing else ''} |")


if __name__ == "__main__":
    main()
