#!/usr/bin/env python3
"""Grows a feedd archive to N articles for the growth benchmark: a warm or changed poll against a
large archive costs what it costs against a small one only if nothing the poll does scans it.

    python3 bench/poll/grow_archive.py ARCHIVE --articles 2000000

Adds synthetic articles, one entry each, spread evenly over the archive's feeds (keys
`guid:synthetic-N`, which no feed carries, so a poll finds its own entries among them as it would
among old ones), with a short title and about 200 bytes of text, then rebuilds both full-text
indexes so that they hold every row. Everything is done by SQLite itself (recursive CTEs, one
transaction), so 2 million articles take minutes, not the hours a poll of that many items would.
Run it on an archive that feedd is not writing to, then open it once for writing (for example
`feedd --config feeds.toml db vacuum`): at schema v12 that gives the synthetic rows their link keys,
which only feedd computes. The planner's statistics are brought up to date here (ANALYZE).
"""

import argparse
import sqlite3
import time

WORDS = ("archive feed news market region policy energy rail forum water climate city data report science "
         "health trade court school river harbour budget vote festival").split()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("archive")
    parser.add_argument("--articles", type=int, default=2_000_000)
    args = parser.parse_args()
    start = time.time()
    db = sqlite3.connect(args.archive, isolation_level=None)
    db.execute("PRAGMA cache_size = -262144")
    feeds = [row[0] for row in db.execute("SELECT id FROM feeds ORDER BY id")]
    if not feeds:
        raise SystemExit("the archive has no feeds: poll it once first")
    first = (db.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0]) + 1
    words = ",".join(f"('{w}')" for w in WORDS)
    db.execute("BEGIN")
    # Articles first, then one entry per article; the entry's id is the article's, offset.
    db.execute(f"""
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
INSERT INTO articles (id, canonical_link, first_seen, published, sort_time)
SELECT ? + i, 'https://synthetic.example/' || (? + i), 1600000000 + i, 1600000000 + i, 1600000000 + i FROM n""",
               (args.articles, first, first))
    feed_values = ",".join(f"({k},{f})" for k, f in enumerate(feeds))
    db.execute(f"""
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?),
     w(k, word) AS (SELECT row_number() OVER () - 1, column1 FROM (VALUES {words})),
     f(k, id) AS (VALUES {feed_values})
INSERT INTO entries (article_id, feed_id, identity, seen_hash, content_hash, guid, canonical_link, published,
                     first_seen, title, link, text)
SELECT ? + i, (SELECT id FROM f WHERE k = i % {len(feeds)}), 'guid:synthetic-' || i,
       printf('%032x', i), printf('%032x', i * 7), 'synthetic-' || i, 'https://synthetic.example/' || (? + i),
       1600000000 + i, 1600000000 + i,
       (SELECT word FROM w WHERE k = i % {len(WORDS)}) || ' ' || (SELECT word FROM w WHERE k = (i / 7) % {len(WORDS)}) || ' ' || i,
       'https://synthetic.example/' || (? + i),
       replace(printf('%.40c', 'x'), 'x', (SELECT word FROM w WHERE k = (i / 3) % {len(WORDS)}) || ' ')
FROM n""", (args.articles, first, first, first))
    db.execute("UPDATE articles SET fullest_entry = (SELECT id FROM entries WHERE article_id = articles.id) "
               "WHERE id >= ?", (first,))
    db.execute("INSERT INTO entries_fts(entries_fts) VALUES ('rebuild')")
    db.execute("INSERT INTO entries_cjk(entries_cjk) VALUES ('rebuild')")
    db.execute("COMMIT")
    # The planner's statistics as a grown archive has them (feedd's PRAGMA optimize keeps them
    # current): left at the small archive's, the first poll that reads `articles` runs a whole
    # ANALYZE when it closes (the table has grown past 25 times), which once made a changed poll
    # against 2 million articles look 1.6x as costly as against 30 000 (bench/README.md).
    db.execute("ANALYZE")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    # Schema v12 finds articles by feedd's 64-bit key of their link, which only feedd computes: the
    # synthetic rows have none, so they would not be in the key indexes at all and a poll's lookups
    # would cost what they cost in a small archive. Set back to v11, the archive gets its keys from
    # the v12 migration (which fills every missing key) the next time feedd opens it for writing.
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version == 12:
        db.execute("PRAGMA user_version = 11")
    elif version > 12:
        print(f"schema v{version}: check that its migrations fill the synthetic rows' link keys")
    total = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    print(f"{args.articles} articles added over {len(feeds)} feeds in {time.time() - start:.0f} s; "
          f"{total} articles in the archive" +
          ("; feedd fills their link keys when it next opens the archive for writing" if version == 12 else ""))


if __name__ == "__main__":
    main()
