#!/usr/bin/python3
"""Article pages in the shapes of real sites, each with the text a reader wants from it.

    bench/extract/gen_pages.py --pages 200 --out DIR [--seed 1]

Writes DIR/NNNN.html (the page) and DIR/NNNN.txt (its main text: the article's headings, paragraphs,
list items and code, one block per line). Shapes: a news site (navigation, breadcrumbs, share bar,
an ad inside the story, tags, related stories, comments, a most-read sidebar, footer), a blog
(WordPress-like: menu, entry meta, blogroll, tag cloud, comments), a documentation page
(Sphinx-like: table of contents, breadcrumbs, sections with code, previous/next), a page of
anonymous <div>s (class names that say nothing: only the scoring can find the story), and a story
whose comments are longer than the story itself."""
import argparse
import html
import os
import random

WORDS = """the a of to and in that is was for on with as by at from his her their its this be are
have has had not but or an which one all were when there been we they would so can more about
said council city bridge river harbour water school students teachers parents plan vote budget
report police road traffic train station museum exhibition artist painting season team match
league coach players goal weather storm rain wind snow summer winter garden beans roses pond
software release version users server archive feed update security patch developers library
hospital doctors patients nurses minister government election party campaign voters survey
market prices shops business workers union strike company profit energy solar wind farm power
village farmers harvest wheat cattle festival music band concert tickets street neighbours""".split()

NAV = ["News", "Sport", "Weather", "Opinion", "Culture", "Business", "Travel", "Science", "Video"]


def sentence(rng, lo=8, hi=24, commas=True):
    n = rng.randint(lo, hi)
    words = [rng.choice(WORDS) for _ in range(n)]
    if commas and n > 10:
        for _ in range(rng.randint(0, 2)):
            i = rng.randint(3, n - 3)
            words[i] += ","
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


def paragraph(rng, sentences=(2, 5)):
    return " ".join(sentence(rng) for _ in range(rng.randint(*sentences)))


def title(rng):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 9))).capitalize()


def links(rng, n, prefix="/"):
    return "".join(f'<li><a href="{prefix}{rng.randint(1000, 9999)}">{html.escape(title(rng))}</a></li>'
                   for _ in range(n))


def news(rng):
    headline = title(rng)
    paras = [paragraph(rng) for _ in range(rng.randint(4, 12))]
    body = []
    caption = sentence(rng, 5, 9, False)
    for i, p in enumerate(paras):
        body.append(f"<p>{html.escape(p)}</p>")
        if i == 1:
            body.append('<div class="ad-slot advert"><a href="https://ads.example/c">'
                        + html.escape(title(rng)) + "</a></div>")
        if i == 3:
            body.append('<figure><img src="/img/blank.gif" data-src="/img/photo.jpg" alt="">'
                        "<figcaption>" + html.escape(caption) + "</figcaption></figure>")
    comments = "".join(f'<div class="comment"><p>{html.escape(paragraph(rng, (1, 3)))}</p></div>'
                       for _ in range(rng.randint(0, 6)))
    page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(headline)} | The Courier</title>
<script>var x = 1;</script></head><body>
<header class="site-header"><div class="logo"><a href="/">The Courier</a></div>
<nav class="main-nav"><ul>{''.join(f'<li><a href="/{n.lower()}">{n}</a></li>' for n in NAV)}</ul></nav></header>
<div class="breadcrumbs"><a href="/">Home</a> / <a href="/news">News</a></div>
<div class="layout"><main><article class="story">
<h1 class="headline">{html.escape(headline)}</h1>
<p class="byline">By {html.escape(title(rng))}</p>
<div class="share-bar"><a href="/s/x">Share on X</a> <a href="/s/f">Share on Facebook</a></div>
<div class="story-body">{''.join(body)}</div>
<ul class="tags">{links(rng, 3, '/tag/')}</ul></article>
<section class="related-stories"><h2>Related stories</h2><ul>{links(rng, 4)}</ul></section>
<section id="comments" class="comments"><h2>Comments</h2>{comments}</section></main>
<aside class="sidebar"><h3>Most read</h3><ol>{links(rng, 5)}</ol>
<div class="newsletter-signup"><p>{html.escape(paragraph(rng, (1, 2)))}</p></div></aside></div>
<footer class="site-footer"><p>{html.escape(sentence(rng))}</p><a href="/privacy">Privacy</a></footer>
</body></html>"""
    return page, [headline] + paras + ([caption] if len(paras) > 3 else [])


def blog(rng):
    headline = title(rng)
    paras = [paragraph(rng, (1, 4)) for _ in range(rng.randint(3, 9))]
    items = [sentence(rng, 5, 10, False) for _ in range(rng.randint(0, 4))]
    content = "".join(f"<p>{html.escape(p)}</p>" for p in paras[:2])
    if items:
        content += "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>"
    content += "".join(f"<p>{html.escape(p)}</p>" for p in paras[2:])
    comments = "".join(f'<li class="comment"><div class="comment-author">{html.escape(title(rng))}</div>'
                       f'<div class="comment-body"><p>{html.escape(paragraph(rng, (1, 3)))}</p></div></li>'
                       for _ in range(rng.randint(0, 5)))
    page = f"""<html><head><meta charset="utf-8"><title>{html.escape(headline)} &laquo; A small blog</title></head>
<body><div id="wrapper"><div id="header"><h1><a href="/">A small blog</a></h1>
<div class="menu"><a href="/about">About</a> | <a href="/archive">Archive</a></div></div>
<div id="main"><div class="post hentry"><h2 class="entry-title">{html.escape(headline)}</h2>
<div class="entry-meta">Posted on a day by <a href="/me">me</a></div>
<div class="entry-content">{content}</div>
<div class="entry-utility">Filed under <a href="/t/1">one</a>, <a href="/t/2">two</a></div></div>
<div id="comments"><h3>Responses</h3><ol class="commentlist">{comments}</ol></div></div>
<div id="sidebar"><h3>Blogroll</h3><ul>{links(rng, 6, 'https://b.example/')}</ul>
<h3>Tags</h3><div class="tagcloud">{''.join(f'<a href="/t/{w}">{w}</a> ' for w in rng.sample(WORDS, 12))}</div></div>
<div id="footer">{html.escape(sentence(rng))}</div></div></body></html>"""
    return page, [headline] + paras[:2] + items + paras[2:]


def docs(rng):
    heading = title(rng)
    text = [heading]
    sections = []
    for _ in range(rng.randint(2, 4)):
        sub = title(rng)
        paras = [paragraph(rng, (1, 3)) for _ in range(rng.randint(1, 3))]
        code = f"{rng.choice(WORDS)}_{rng.choice(WORDS)} = {rng.randint(1, 999)}"
        text += [sub] + paras + [code]
        sections.append(f'<div class="section"><h2>{html.escape(sub)}</h2>'
                        + "".join(f"<p>{html.escape(p)}</p>" for p in paras)
                        + f"<pre>{html.escape(code)}</pre></div>")
    intro = paragraph(rng, (1, 3))
    text.insert(1, intro)
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(heading)} - docs</title></head>
<body><div class="wy-grid-for-nav"><nav class="wy-nav-side"><div role="search"><form><input name="q"></form></div>
<div class="toctree-wrapper"><ul>{links(rng, 12, '/docs/')}</ul></div></nav>
<section class="wy-nav-content-wrap"><div class="wy-nav-content">
<div role="navigation" aria-label="breadcrumbs"><a href="/docs/">Docs</a> &raquo; {html.escape(heading)}</div>
<div class="document" role="main"><div class="section"><h1>{html.escape(heading)}</h1><p>{html.escape(intro)}</p>
{''.join(sections)}</div></div>
<footer><div class="rst-footer-buttons"><a href="/p" class="btn">Previous</a> <a href="/n" class="btn">Next</a></div>
<p>{html.escape(sentence(rng))}</p></footer></div></section></div></body></html>"""
    return page, text


def anonymous(rng):
    """No class name helps: only the scoring can find the story."""
    paras = [paragraph(rng) for _ in range(rng.randint(4, 10))]
    menu = "".join(f'<div class="c{rng.randint(1, 99)}"><a href="/{n}">{n}</a></div>' for n in NAV)
    boxes = "".join(f'<div class="x{rng.randint(1, 99)}"><a href="/{rng.randint(1, 999)}">{html.escape(title(rng))}</a></div>'
                    for _ in range(8))
    story = "".join(f'<div class="t{rng.randint(1, 9)}">{html.escape(p)}</div>' for p in paras)
    page = f"""<html><head><title>{html.escape(title(rng))}</title></head><body>
<div class="a1">{menu}</div><div class="a2"><div class="b1">{story}</div><div class="b2">{boxes}</div></div>
<div class="a3"><span>{html.escape(sentence(rng, 4, 8, False))}</span></div></body></html>"""
    return page, paras


def long_comments(rng):
    """A short story under a long discussion: comments must not win by length."""
    page, paras = news(rng)
    comments = "".join(f'<div class="comment"><p>{html.escape(paragraph(rng, (3, 6)))}</p></div>'
                       for _ in range(rng.randint(10, 16)))
    page = page.replace('<h2>Comments</h2>', '<h2>Comments</h2>' + comments)
    return page, paras


SHAPES = [news, news, blog, docs, anonymous, long_comments]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    for i in range(args.pages):
        shape = SHAPES[i % len(SHAPES)]
        page, text = shape(rng)
        with open(os.path.join(args.out, f"{i:04d}-{shape.__name__}.html"), "w", encoding="utf-8") as f:
            f.write(page)
        with open(os.path.join(args.out, f"{i:04d}-{shape.__name__}.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(text) + "\n")


if __name__ == "__main__":
    main()
