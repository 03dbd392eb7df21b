#!/usr/bin/env python3
"""Poll benchmark: feedd against newsboat and against the limits, on the same corpus, in one run.

A corpus of N feeds is served gzipped by nginx on 127.0.0.1 (its own config and prefix, started
and stopped here). Each reader polls it three times:
  cold     empty archive / cache, every feed fetched and stored
  warm     nothing changed: every response is a 304
  changed  10 % of the feeds gained items
and the script prints wall time, CPU time (user+sys) and peak RSS of each run, and the ratios.
In the same run it measures the limits of a cold poll: fetching every feed with curl's multi
interface (`curl --parallel --compressed`), parsing every file with pugixml's load_buffer and
inserting every item into SQLite with the archive's FTS indexes (build/bench/poll/bench_limits).

    python3 bench/poll/run.py --feeds 1000 --feedd build/feedd
    python3 bench/poll/run.py --feeds 1000 --corpus-gen GEN.py
    python3 bench/poll/run.py --feeds 1000 --corpus-gen GEN.py --before OLD/feedd --repeat 3

--before names a second feedd (say, a build of main) polled in the same run, each phase right
after this one's on its own archive, so that a change is measured against the same machine load.

The corpus is this script's own (N RSS 2.0 feeds of --items items) unless --corpus-gen names a
generator script called as `GEN.py N --out DIR` and `GEN.py --mutate F --out DIR`.
Needs nginx, newsboat and curl (installed with apt-get when missing).
"""

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from serve import free_port, precompress, start_nginx, stop_nginx, wait_for_port  # noqa: E402

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


def feed_files(docroot):
    return sorted(p for p in docroot.iterdir() if p.suffix in (".xml", ".rss", ".atom", ".rdf"))


def measure(cmd, cwd=None):
    """Runs cmd; returns (wall s, cpu s, peak RSS MiB) as GNU time measures them (ru_maxrss of a
    child forked from this Python would count Python's own pages)."""
    # What the set-up wrote (an archive copied back for the changed poll: 180 MB) is on disk before
    # the clock starts: otherwise the reader's first fsync waits for the copy's writeback (80 ms of
    # feedd's 0.31 s changed poll), which no archive that was written long ago pays.
    os.sync()
    with tempfile.TemporaryFile() as errfile, tempfile.NamedTemporaryFile(mode="r") as timing:
        proc = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", timing.name, *map(str, cmd)], cwd=cwd,
                              stdout=subprocess.DEVNULL, stderr=errfile)
        if proc.returncode != 0:
            errfile.seek(0)
            err = errfile.read().decode(errors="replace")
            print(f"  command failed ({proc.returncode}): {' '.join(map(str, cmd))}\n{err[-2000:]}", file=sys.stderr)
        wall, user, system, rss_kib = timing.read().split()[-4:]
    return float(wall), float(user) + float(system), int(rss_kib) / 1024


def median(values):
    values = sorted(values)
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def fetch_limit(work, urls):
    """curl's multi interface fetching every URL gzipped, 32 transfers at a time (feedd's
    concurrency here), bodies thrown away: the fetch limit."""
    config = work / "curl.conf"
    config.write_text("".join(f'url = "{u}"\noutput = "/dev/null"\n' for u in urls))
    return measure(["curl", "--parallel", "--parallel-max", "32", "--compressed", "-s", "-K", config])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=20, help="items per feed of this script's own corpus")
    parser.add_argument("--corpus-gen", help="a corpus generator called as GEN.py N --out DIR and "
                        "GEN.py --mutate F --out DIR (default: this script's own corpus)")
    parser.add_argument("--feedd", default="build/feedd")
    parser.add_argument("--before", help="another feedd binary measured in the same run (a baseline)")
    parser.add_argument("--limits", default="build/bench/poll/bench_limits",
                        help="the parse and insert limits program ('' to skip the limits)")
    parser.add_argument("--threads", default="1,8,32",
                        help="newsboat reload-threads settings to try ('' to skip newsboat)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="feedd's cold and warm polls and the limits this many times (medians)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="leave the work directory behind")
    args = parser.parse_args()
    ensure(["nginx", "curl", "sqlite3"] + (["newsboat"] if args.threads else []))
    binaries = {"feedd": Path(args.feedd).resolve()}
    if args.before:
        binaries["before"] = Path(args.before).resolve()
    limits = Path(args.limits).resolve() if args.limits else None
    rng = random.Random(args.seed)

    work = Path(tempfile.mkdtemp(prefix="feedd-poll-bench-"))
    work.chmod(0o755)  # nginx workers run as an unprivileged user
    docroot = work / "www"
    docroot.mkdir()
    if args.corpus_gen:
        generator = Path(args.corpus_gen).resolve()
        subprocess.run([sys.executable, generator, str(args.feeds), "--out", docroot], check=True,
                       stdout=subprocess.DEVNULL)
        corpus = None
        shape = "from " + args.corpus_gen
    else:
        corpus = generate(docroot, args.feeds, args.items, rng)
        shape = f"x {args.items} RSS items"
    files = feed_files(docroot)
    size = sum(f.stat().st_size for f in files)
    precompress(docroot)
    packed = sum(f.with_name(f.name + ".gz").stat().st_size for f in files)
    port = free_port()
    pidfile = start_nginx(work, docroot, port)
    try:
        wait_for_port(port)
        urls = [f"http://127.0.0.1:{port}/{f.name}" for f in files]
        print(f"corpus: {len(files)} feeds {shape}, {size / 1e6:.1f} MB ({packed / 1e6:.1f} MB gzipped), "
              f"nginx on 127.0.0.1:{port}")

        # feedd: all feeds share one host here, so the per-host limit is raised to the global one.
        lines = ["[settings]", 'database = "feedd.db"', "concurrency = 32", "per_host = 32", 'per_host_gap = "0s"',
                 "allow_private_networks = true", 'log_level = "error"', ""]
        for i, url in enumerate(urls):
            lines += ["[[feed]]", f'name = "f{i}"', f'url = "{url}"', ""]
        fdirs, feedd_cmds = {}, {}
        for reader, binary in binaries.items():  # each binary its own archive
            fdirs[reader] = work / reader
            fdirs[reader].mkdir()
            (fdirs[reader] / "feeds.toml").write_text("\n".join(lines))
            feedd_cmds[reader] = [str(binary), "--config", str(fdirs[reader] / "feeds.toml"), "poll", "--once",
                                  "--force"]

        def fresh_archive(reader):
            for name in ("feedd.db", "feedd.db-wal", "feedd.db-shm", "feedd.db.lock"):
                (fdirs[reader] / name).unlink(missing_ok=True)

        # newsboat: its own cache and URL file per setting.
        ndirs = {}
        for threads in filter(None, args.threads.split(",")):
            nd = work / f"newsboat-{threads}"
            nd.mkdir()
            (nd / "urls").write_text("\n".join(urls) + "\n")
            (nd / "config").write_text(f"reload-threads {threads}\nshow-read-feeds yes\n")
            ndirs[threads] = nd

        def newsboat_cmd(nd):
            return ["newsboat", "-x", "reload", "-u", str(nd / "urls"), "-c", str(nd / "cache.db"),
                    "-C", str(nd / "config")]

        def repeated(run, before=None):
            runs = []
            for _ in range(args.repeat):
                if before:
                    before()
                runs.append(run())
            return tuple(median([r[k] for r in runs]) for k in range(3))

        results = {}
        limit = {}
        limit_cpu = {}
        limit["fetch"], limit_cpu["fetch"], _ = repeated(lambda: fetch_limit(work, urls))
        if limits:
            parse_runs, insert_runs, parse_cpu, insert_cpu = [], [], [], []
            for _ in range(args.repeat):
                out = subprocess.run([limits, docroot, "--work", work], check=True, capture_output=True,
                                     text=True).stdout.split("\n")
                figures = {line.split()[0]: line.split()[1:] for line in out if line.strip()}
                parse_runs.append(float(figures["parse"][0]))
                parse_cpu.append(float(figures["parse"][2]))
                insert_runs.append(float(figures["insert"][0]))
                insert_cpu.append(float(figures["insert"][2]))
                rows = int(figures["insert"][1])
                cjk_rows = int(figures["insert"][3])
            limit["parse"] = median(parse_runs)
            limit["insert"] = median(insert_runs)
            limit_cpu["parse"] = median(parse_cpu)
            limit_cpu["insert"] = median(insert_cpu)
        def feedd_phase(phase, repeat, before=None):
            """Each binary's runs of a phase alternate (feedd, before, feedd, ...): both see the
            same load."""
            runs = {reader: [] for reader in binaries}
            for _ in range(repeat):
                for reader in binaries:
                    if before:
                        before(reader)
                    runs[reader].append(measure(feedd_cmds[reader]))
            for reader, values in runs.items():
                results[(reader, phase)] = tuple(median([r[k] for r in values]) for k in range(3))

        feedd_phase("cold", args.repeat, fresh_archive)
        for threads, nd in ndirs.items():
            results[(f"newsboat-{threads}", "cold")] = measure(newsboat_cmd(nd))
        feedd_phase("warm", args.repeat)
        for threads, nd in ndirs.items():
            subprocess.run(["sqlite3", str(nd / "cache.db"), "ANALYZE;"], check=True)
            results[(f"newsboat-{threads}", "warm")] = measure(newsboat_cmd(nd))
        if args.corpus_gen:
            out = subprocess.run([sys.executable, generator, "--mutate", "0.1", "--out", docroot], check=True,
                                 capture_output=True, text=True).stdout.strip()
            changed = out
            precompress(docroot)
        else:
            changed = f"{change(docroot, corpus, 0.10, rng)} feeds gained 3 items each"
            precompress(docroot)
        # The changed poll is repeated from a copy of each archive as the warm poll left it.
        for reader in binaries:
            (fdirs[reader] / "warm").mkdir()
            for f in fdirs[reader].glob("feedd.db*"):
                shutil.copy2(f, fdirs[reader] / "warm" / f.name)

        def warm_archive(reader):
            fresh_archive(reader)
            for f in (fdirs[reader] / "warm").iterdir():
                shutil.copy2(f, fdirs[reader] / f.name)

        feedd_phase("changed", args.repeat, warm_archive)
        for threads, nd in ndirs.items():
            results[(f"newsboat-{threads}", "changed")] = measure(newsboat_cmd(nd))
        archive_mb = sum(f.stat().st_size for f in fdirs["feedd"].glob("feedd.db*")) / 1e6

        print(f"{'run':10} {'reader':14} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9} {'ms/feed':>8}")
        for phase in ("cold", "warm", "changed"):
            for (reader, p), (wall, cpu, rss) in results.items():
                if p == phase:
                    print(f"{phase:10} {reader:14} {wall:8.2f} {cpu:8.2f} {rss:9.1f} {wall * 1000 / len(urls):8.2f}")
        print(f"(changed: {changed}; feedd's archive {archive_mb:.0f} MB)")
        if args.repeat > 1:
            print(f"(feedd's polls and the limits: medians of {args.repeat} runs)")
        total = sum(limit.values())
        print("limits: " + ", ".join(f"{k} {v:.2f} s" for k, v in limit.items()) +
              (f" ({rows} rows, {cjk_rows} with CJK text)" if limits else "") + f"; sum {total:.2f} s")
        print("limits' CPU: " + ", ".join(f"{k} {v:.2f} s" for k, v in limit_cpu.items()) +
              f"; sum {sum(limit_cpu.values()):.2f} s")
        fw, fc, _ = results[("feedd", "cold")]
        print(f"cold: feedd takes {fw / total:.2f}x the sum of the limits' wall time [aim <= 1.3], "
              f"{fc / sum(limit_cpu.values()):.2f}x their CPU")
        for phase in ("cold", "warm", "changed"):
            fw, fc, fm = results[("feedd", phase)]
            others = [v for (r, p), v in results.items() if p == phase and r.startswith("newsboat")]
            if not others:
                continue
            best = min(others, key=lambda v: v[0])
            print(f"{phase}: feedd is {best[0] / fw:.1f}x faster than newsboat's best setting, "
                  f"at {fc / best[1]:.3f} of its CPU and {fm / best[2]:.2f} of its peak memory")
        if args.before:
            for phase in ("cold", "warm", "changed"):
                fw, fc, fm = results[("feedd", phase)]
                bw, bc, bm = results[("before", phase)]
                print(f"{phase}: feedd / before: wall {fw / bw:.2f}, CPU {fc / bc:.2f}, peak memory {fm / bm:.2f}")
        command = f"python3 bench/poll/run.py --feeds {args.feeds}"
        command += f" --corpus-gen {args.corpus_gen}" if args.corpus_gen else f" --items {args.items}"
        command += f" --feedd {args.feedd} --threads '{args.threads}' --repeat {args.repeat}"
        command += f" --before {args.before}" if args.before else ""
        print(f"reproduce: {command}")
    finally:
        stop_nginx(pidfile)
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
