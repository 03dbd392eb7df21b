// The served-HTML sanitiser against the usual XSS vectors (the OWASP filter evasion cheat sheet and
// the parser tricks browsers fall for), and what it keeps of ordinary articles.
#include <doctest/doctest.h>

#include <string>

#include "feedd/html/html.hpp"
#include "feedd/text/text.hpp"
#include "support/fixtures.hpp"

namespace {

using feedd::html::sanitize;

constexpr const char* base = "https://news.example/2024/08/story.html";

std::string clean(std::string_view html) {
    return sanitize(html, base);
}

// What must never leave the sanitiser, whatever went in: something a browser would run.
void check_harmless(const std::string& out) {
    const std::string lower = feedd::text::to_lower(out);
    CHECK_MESSAGE(lower.find("<script") == std::string::npos, out);
    CHECK_MESSAGE(lower.find("<style") == std::string::npos, out);
    CHECK_MESSAGE(lower.find("<svg") == std::string::npos, out);
    CHECK_MESSAGE(lower.find("<math") == std::string::npos, out);
    CHECK_MESSAGE(lower.find("<object") == std::string::npos, out);
    CHECK_MESSAGE(lower.find("<embed") == std::string::npos, out);
    CHECK_MESSAGE(lower.find("<form") == std::string::npos, out);
    CHECK_MESSAGE(lower.find("<input") == std::string::npos, out);
    CHECK_MESSAGE(lower.find("<base") == std::string::npos, out);
    CHECK_MESSAGE(lower.find("<meta") == std::string::npos, out);
    CHECK_MESSAGE(lower.find("<link") == std::string::npos, out);
    // Every URL kept is http(s), mailto or a raster data: image (a relative reference that only
    // looks like one, "`javascript:...", is made an https URL).
    for (std::size_t at = lower.find("=\""); at != std::string::npos; at = lower.find("=\"", at + 1)) {
        const auto value = std::string_view(lower).substr(at + 2);
        CHECK_MESSAGE(!value.starts_with("javascript:"), out);
        CHECK_MESSAGE(!value.starts_with("vbscript:"), out);
        CHECK_MESSAGE((!value.starts_with("data:") || value.starts_with("data:image/png")), out);
    }
    CHECK_MESSAGE(lower.find("style=") == std::string::npos, out);
    // No attribute named on...: in a tag, " on" followed by letters and '='.
    for (std::size_t at = lower.find(" on"); at != std::string::npos; at = lower.find(" on", at + 1)) {
        const auto tag_open = lower.rfind('<', at), tag_close = lower.rfind('>', at);
        if (tag_open == std::string::npos || (tag_close != std::string::npos && tag_close > tag_open))
            continue;
        std::size_t end = at + 3;
        while (end < lower.size() && lower[end] >= 'a' && lower[end] <= 'z') ++end;
        CHECK_MESSAGE(lower[end] != '=', out);
    }
    CHECK_MESSAGE(sanitize(out, base) == out, "sanitising again changed: " << out);
}

}  // namespace

TEST_CASE("an ordinary article keeps its text, structure, links and images") {
    const std::string article =
        "<h2>Title</h2><p>Some <b>bold</b> and <em>emphasised</em> text, a <a href=\"/other\">link</a>"
        " and <code>x &lt; y</code>.</p><figure><img src=\"img/a.jpg\" alt=\"A &quot;photo&quot;\" "
        "width=\"640\"><figcaption>Caption</figcaption></figure><ul><li>one</li><li>two</li></ul>"
        "<blockquote cite=\"https://quoted.example/\">Quote</blockquote>"
        "<table><thead><tr><th "
        "colspan=\"2\">H</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr></tbody></table>";
    CHECK(clean(article) ==
          "<h2>Title</h2><p>Some <b>bold</b> and <em>emphasised</em> text, a "
          "<a href=\"https://news.example/other\" rel=\"noopener noreferrer\">link</a> and <code>x &lt; "
          "y</code>.</p>"
          "<figure><img src=\"https://news.example/2024/08/img/a.jpg\" alt=\"A &quot;photo&quot;\" "
          "width=\"640\">"
          "<figcaption>Caption</figcaption></figure><ul><li>one</li><li>two</li></ul>"
          "<blockquote cite=\"https://quoted.example/\">Quote</blockquote>"
          "<table><thead><tr><th "
          "colspan=\"2\">H</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr></tbody></table>");
}

TEST_CASE("broken markup comes out well-formed: unclosed tags are closed, stray ones dropped") {
    CHECK(clean("<p>one<p>two <b>bold <i>both</b> italic") ==
          "<p>one</p><p>two <b>bold <i>both</i></b><i> italic</i></p>");
    CHECK(clean("text</div></p> & more <") == "text<p></p> &amp; more &lt;");
    CHECK(clean("<ul><li>a<li>b</ul>") == "<ul><li>a</li><li>b</li></ul>");
    CHECK(clean("<img src=a.png><br><hr>") == "<img src=\"https://news.example/2024/08/a.png\"><br><hr>");
}

TEST_CASE("script, style and noscript go with their content, the text around them stays") {
    CHECK(clean("a<script>alert(1)</script>b") == "ab");
    CHECK(clean("a<SCRIPT SRC=https://evil.example/x.js></SCRIPT>b") == "ab");
    CHECK(clean("a<style>body{display:none}</style>b") == "ab");
    check_harmless(clean("a<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>b"));
    CHECK(clean("<script>unclosed") == "");
    CHECK(clean("<<script>alert(1);//<</script>") == "&lt;");
    CHECK(clean("<template><script>alert(1)</script></template>ok") == "ok");
}

TEST_CASE("event handler attributes and style never stay") {
    CHECK(clean("<img src=x onerror=alert(1)>") == "<img src=\"https://news.example/2024/08/x\">");
    CHECK(clean("<p onclick=\"alert(1)\" ONMOUSEOVER=alert(2) style=\"position:fixed\">t</p>") == "<p>t</p>");
    CHECK(clean("<body onload=alert(1)>text</body>") == "text");
    CHECK(clean("<div id=x class=y title=\"t\" lang=en dir=rtl>d</div>") ==
          "<div title=\"t\" lang=\"en\" dir=\"rtl\">d</div>");
    CHECK(clean("<img/src=\"x\"/onerror=alert(1)>") == "<img src=\"https://news.example/2024/08/x\">");
}

TEST_CASE("javascript, vbscript and data URLs are removed however they are spelled") {
    for (const char* vector : {
             "<a href=\"javascript:alert(1)\">x</a>",
             "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
             "<a href=\"&#106;avascript:alert(1)\">x</a>",
             "<a href=\"&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)\">x</a>",
             "<a "
             "href=\"&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#"
             "0000116&#0000058alert(1)\">x</a>",
             "<a href=\"jav\tascript:alert(1)\">x</a>",
             "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
             "<a href=\"jav&#x0A;ascript:alert(1)\">x</a>",
             "<a href=\"jav&#x0D;ascript:alert(1)\">x</a>",
             "<a href=\" &#14;  javascript:alert(1)\">x</a>",
             "<a href=\"vbscript:msgbox(1)\">x</a>",
             "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
             "<a href=javascript&colon;alert(1)>x</a>",
         }) {
        CAPTURE(vector);
        CHECK(clean(vector) == "<a rel=\"noopener noreferrer\">x</a>");
    }
    CHECK(clean("<img src=\"javascript:alert(1)\">") == "");
    CHECK(clean("<img src=\"data:image/svg+xml;base64,PHN2Zz4=\">") == "");
    CHECK(clean("<img src=\"data:image/png;base64,iVBORw0KGgo=\">") ==
          "<img src=\"data:image/png;base64,iVBORw0KGgo=\">");
    CHECK(clean("<video src=\"data:image/png;base64,iVBORw0KGgo=\" poster=\"javascript:alert(1)\" "
                "controls></video>") == "<video controls=\"\"></video>");
    CHECK(clean("<img srcset=\"javascript:alert(1) 1x, /ok.png 2x\">") ==
          "<img srcset=\"https://news.example/ok.png 2x\">");
    CHECK(clean("<img src=\"/a.png\" srcset=\"data:image/png;base64,AAAA 1x, javascript:alert(1)\">") ==
          "<img src=\"https://news.example/a.png\">");
    CHECK(clean("<a href=\"mailto:editor@news.example\">mail</a>") ==
          "<a href=\"mailto:editor@news.example\" rel=\"noopener noreferrer\">mail</a>");
}

TEST_CASE("relative URLs in href, src, srcset, poster and cite become absolute against the base") {
    CHECK(clean("<a href=\"../07/old.html#part\">x</a>") ==
          "<a href=\"https://news.example/2024/07/old.html#part\" rel=\"noopener noreferrer\">x</a>");
    CHECK(clean("<a href=\"//cdn.example/x\">x</a>") ==
          "<a href=\"https://cdn.example/x\" rel=\"noopener noreferrer\">x</a>");
    CHECK(clean("<picture><source srcset=\"a.webp 1x,b.webp 2x\" type=\"image/webp\"><img "
                "src=\"a.jpg\"></picture>") ==
          "<picture><source srcset=\"https://news.example/2024/08/a.webp 1x, "
          "https://news.example/2024/08/b.webp 2x\" "
          "type=\"image/webp\"><img src=\"https://news.example/2024/08/a.jpg\"></picture>");
    CHECK(clean("<video poster=\"p.jpg\" controls><source src=\"v.mp4\" type=\"video/mp4\"></video>") ==
          "<video poster=\"https://news.example/2024/08/p.jpg\" controls=\"\">"
          "<source src=\"https://news.example/2024/08/v.mp4\" type=\"video/mp4\"></video>");
    CHECK(clean("<img srcset=\"https://x.example/a,b.jpg 640w, c.jpg 1280w\" sizes=\"50vw\">") ==
          "<img srcset=\"https://x.example/a,b.jpg 640w, https://news.example/2024/08/c.jpg 1280w\" "
          "sizes=\"50vw\">");
    // A URL that cannot be made absolute points nowhere in a reader: it goes.
    CHECK(sanitize("<a href=\"x.html\">x</a>", "") == "<a rel=\"noopener noreferrer\">x</a>");
    CHECK(clean("<blockquote cite=\"https:quoted\">q</blockquote>") == "<blockquote>q</blockquote>");
    CHECK(clean("<a href=\"HTTPS://Example.org/A\">a</a>") ==
          "<a href=\"https://Example.org/A\" rel=\"noopener noreferrer\">a</a>");
    // What a URL may not hold is percent-encoded, as a browser would send it.
    CHECK(clean("<img src=\"my photo.jpg\" alt=\"\">") ==
          "<img src=\"https://news.example/2024/08/my%20photo.jpg\" alt=\"\">");
    // A <base> in the content moves nothing: it goes, and the entry's own base counts.
    CHECK(clean("<base href=\"https://evil.example/\"><a href=\"x\">x</a>") ==
          "<a href=\"https://news.example/2024/08/x\" rel=\"noopener noreferrer\">x</a>");
}

TEST_CASE("frames go, except https players of known video hosts, which get a sandbox") {
    CHECK(clean("<iframe src=\"https://www.youtube.com/embed/dQw4w9WgXcQ\" width=\"560\" height=\"315\" "
                "allowfullscreen onload=\"alert(1)\"></iframe>") ==
          "<iframe src=\"https://www.youtube.com/embed/dQw4w9WgXcQ\" width=\"560\" height=\"315\" "
          "allowfullscreen=\"\" "
          "sandbox=\"allow-scripts allow-same-origin allow-presentation allow-popups\" "
          "referrerpolicy=\"strict-origin-when-cross-origin\" loading=\"lazy\"></iframe>");
    CHECK(clean("<iframe src=\"https://player.vimeo.com/video/1\" sandbox=\"allow-top-navigation\"></iframe>")
              .find("sandbox=\"allow-scripts allow-same-origin allow-presentation allow-popups\"") !=
          std::string::npos);
    CHECK(clean("<iframe src=\"http://www.youtube.com/embed/x\"></iframe>") == "");
    CHECK(clean("<iframe src=\"https://evil.example/embed/x\"></iframe>") == "");
    CHECK(clean("<iframe src=\"https://www.youtube.com.evil.example/embed/x\"></iframe>") == "");
    CHECK(clean("<iframe src=\"https://www.youtube.com/watch?v=x\"></iframe>") == "");
    CHECK(clean("<iframe src=javascript:alert(1)></iframe>") == "");
    CHECK(clean("<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>") == "");
    CHECK(clean("a<frameset><frame src=\"https://www.youtube.com/embed/x\"></frameset>b") == "ab");
}

TEST_CASE("forms, plugins and the document's head go") {
    CHECK(clean("<form action=\"javascript:alert(1)\"><label>Name <input "
                "name=n></label><button>Go</button></form>") == "Name ");
    CHECK(clean("<object data=\"https://evil.example/x.swf\"><param name=a value=b>fallback</object>") == "");
    CHECK(clean("<embed src=\"https://evil.example/x.swf\">") == "");
    CHECK(clean("<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">text") == "text");
    CHECK(clean("<link rel=stylesheet href=\"https://evil.example/x.css\">text") == "text");
    CHECK(clean("<textarea><script>alert(1)</script></textarea>") == "");
    CHECK(clean("<select><option>1</option></select>after") == "after");
}

TEST_CASE("svg and math go whole: no namespace trick survives") {
    CHECK(clean("<svg onload=alert(1)>") == "");
    CHECK(clean("<svg><script>alert(1)</script></svg>after") == "after");
    CHECK(clean("<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>") == "");
    CHECK(clean("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>") == "");
    CHECK(clean("<math href=\"javascript:alert(1)\">CLICKME</math>") == "");
    CHECK(clean("<svg><style><img src=x onerror=alert(1)></style></svg>") == "");
    CHECK(clean("<svg></p><style><a title=\"</style><img src onerror=alert(1)>\">") == "");
}

TEST_CASE("comments, CDATA and unknown elements leave only text") {
    CHECK(clean("a<!--<script>alert(1)</script>-->b") == "ab");
    // "--!>" ends a comment, and CDATA outside svg and math is a comment up to the first '>'.
    CHECK(clean("a<!-- --!><script>alert(1)</script> -->b") == "a --&gt;b");
    CHECK(clean("<![CDATA[<script>alert(1)</script>]]>x") == "alert(1)]]&gt;x");
    CHECK(clean("<custom-element onclick=alert(1)>inner</custom-element>") == "inner");
    CHECK(clean("<font color=red><center>c</center></font>") == "c");
    CHECK(clean("<xmp><script>alert(1)</script></xmp>") == "&lt;script&gt;alert(1)&lt;/script&gt;");
    CHECK(clean("<plaintext><b>x") == "&lt;b&gt;x");
}

TEST_CASE("the usual vectors of the OWASP cheat sheet leave nothing that runs") {
    const char* vectors[] = {
        "<SCRIPT SRC=http://xss.rocks/xss.js></SCRIPT>",
        "<IMG SRC=\"javascript:alert('XSS');\">",
        "<IMG SRC=javascript:alert('XSS')>",
        "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
        "<a onmouseover=\"alert(document.cookie)\">xxs link</a>",
        "<IMG \"\"\"><SCRIPT>alert(\"XSS\")</SCRIPT>\"\\>",
        "<IMG SRC=# onmouseover=\"alert('xxs')\">",
        "<IMG SRC=/ onerror=\"alert(String.fromCharCode(88,83,83))\"></img>",
        "<img src=x "
        "onerror=\"&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#"
        "0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000039&#0000088&#0000083&#"
        "0000083&#0000039&#0000041\">",
        "<IMG SRC=\"jav&#x0D;ascript:alert('XSS');\">",
        "<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
        "<SCRIPT/XSS SRC=\"http://xss.rocks/xss.js\"></SCRIPT>",
        "<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert(\"XSS\")>",
        "<SCRIPT/SRC=\"http://xss.rocks/xss.js\"></SCRIPT>",
        "<<SCRIPT>alert(\"XSS\");//\\<</SCRIPT>",
        "<SCRIPT SRC=http://xss.rocks/xss.js?< B >",
        "<SCRIPT SRC=//xss.rocks/.j>",
        "<IMG SRC=\"`<javascript:alert>`('XSS')\"",
        "<iframe src=http://xss.rocks/scriptlet.html <",
        "</TITLE><SCRIPT>alert(\"XSS\");</SCRIPT>",
        "<INPUT TYPE=\"IMAGE\" SRC=\"javascript:alert('XSS');\">",
        "<BODY BACKGROUND=\"javascript:alert('XSS')\">",
        "<IMG DYNSRC=\"javascript:alert('XSS')\">",
        "<IMG LOWSRC=\"javascript:alert('XSS')\">",
        "<STYLE>li {list-style-image: url(\"javascript:alert('XSS')\");}</STYLE><UL><LI>XSS</br>",
        "<svg/onload=alert('XSS')>",
        "<BR SIZE=\"&{alert('XSS')}\">",
        "<LINK REL=\"stylesheet\" HREF=\"javascript:alert('XSS');\">",
        "<STYLE>@import'http://xss.rocks/xss.css';</STYLE>",
        "<META HTTP-EQUIV=\"Link\" Content=\"<http://xss.rocks/xss.css>; REL=stylesheet\">",
        "<IMG STYLE=\"xss:expr/*XSS*/ession(alert('XSS'))\">",
        "<TABLE BACKGROUND=\"javascript:alert('XSS')\">",
        "<TABLE><TD BACKGROUND=\"javascript:alert('XSS')\">",
        "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">",
        "<DIV STYLE=\"width: expression(alert('XSS'));\">",
        "<BASE HREF=\"javascript:alert('XSS');//\">",
        "<OBJECT TYPE=\"text/x-scriptlet\" DATA=\"http://xss.rocks/scriptlet.html\"></OBJECT>",
        "<EMBED SRC=\"data:image/svg+xml;base64,PHN2ZyB4bWxuczpzdmc9Imh0dH "
        "A6Ly93d3cudzMub3JnLzIwMDAvc3ZnIiB4bWxucz0iaHR0cDovL3d3dy53My5vcmcv "
        "MjAwMC9zdmciIHhtbG5zOnhsaW5rPSJodHRwOi8vd3d3LnczLm9yZy8xOTk5L3hs "
        "aW5rIiB2ZXJzaW9uPSIxLjAiIHg9IjAiIHk9IjAiIHdpZHRoPSIxOTQiIGhlaWdodD0iMjAw "
        "IiBpZD0ieHNzIj48c2NyaXB0IHR5cGU9InRleHQvZWNtYXNjcmlwdCI+YWxlcnQoIlh TUyIpOzwvc2NyaXB0Pjwvc3ZnPg==\" "
        "type=\"image/svg+xml\" AllowScriptAccess=\"always\"></EMBED>",
        "<FRAMESET><FRAME SRC=\"javascript:alert('XSS');\"></FRAMESET>",
        "<IFRAME SRC=\"javascript:alert('XSS');\"></IFRAME>",
        "<IFRAME SRC=# onmouseover=\"alert(document.cookie)\"></IFRAME>",
        "<A HREF=\"http://66.102.7.147/\">XSS</A>",
        "<A HREF=\"javascript:document.location='http://www.google.com/'\">XSS</A>",
        "<img src=\"x\" srcset=\"javascript:alert(1) 1x\">",
        "<a href=\"javas&Tab;cript:alert(1)\">x</a>",
        "<a href=\"javascript&#58alert(1)\">x</a>",
        "<form><button formaction=\"javascript:alert(1)\">x</button></form>",
        "<video><source onerror=\"alert(1)\"></video>",
        "<audio src=x onerror=alert(1)>",
        "<details open ontoggle=alert(1)>",
        "<marquee onstart=alert(1)>x</marquee>",
        "<isindex type=image src=1 onerror=alert(1)>",
        "<x onclick=alert(1)>click</x>",
        "<a href=\"\x01javascript:alert(1)\">x</a>",
        "<noscript><img src=x onerror=alert(1)></noscript>",
        "<table><tr><td><svg><desc><table><tr><td><style><img src=x onerror=alert(1)></style>",
        "<math><mi><table><mi><style><img src=x onerror=alert(1)>",
        "<svg><foreignObject><p><img src=x onerror=alert(1)></p></foreignObject></svg>",
        "<a href=\"https://ok.example/\" target=\"_top\" ping=\"https://track.example/\">x</a>",
    };
    for (const char* vector : vectors) {
        CAPTURE(vector);
        check_harmless(clean(vector));
    }
}

TEST_CASE("text is escaped, white space and a <pre>'s first line break survive a second reading") {
    CHECK(clean("a &amp; b &lt;c&gt; \"q\" &nbsp;") == "a &amp; b &lt;c&gt; \"q\" \xC2\xA0");
    CHECK(clean("<pre>\n\nline</pre>") == "<pre>\n\nline</pre>");
    CHECK(sanitize(clean("<pre>\n\nline</pre>"), base) == clean("<pre>\n\nline</pre>"));
    CHECK(clean("caf\xE9") == "caf\xEF\xBF\xBD");  // not UTF-8: repaired
    CHECK(clean("") == "");
}

TEST_CASE("a tree the parser itself would not build again is read until it is stable") {
    // Found by fuzz_html: the parser nests a heading in a heading when an inline element is open
    // between them (and a link is reopened around what follows); written as read, the next
    // reading closes the first heading and the output moves.
    const auto out = clean(feedd::test::read_fixture("html/nested-headings.html"));
    CHECK(out.find("<h2>Tild=/b&gt;") == 0);
    CHECK(sanitize(out, base) == out);
}

TEST_CASE("content nested deeper than a reader needs is served as its plain text, without gumbo's cost") {
    std::string deep;
    for (int i = 0; i < 500; ++i) deep += "<div>";
    deep += "x";
    auto out = clean(deep);
    CHECK(out.starts_with("<div><div>"));
    CHECK(out.find('x') != std::string::npos);
    CHECK(sanitize(out, base) == out);
    // 50 000 nested elements took gumbo a minute: past 512 open elements the text is served.
    deep.clear();
    for (int i = 0; i < 50000; ++i) deep += "<div>";
    deep += "first <script>alert(1)</script><p>second &amp; last";
    out = clean(deep);
    CHECK(out == "<p>first</p><p>second &amp; last</p>");
    CHECK(sanitize(out, base) == out);
    std::string attributes = "<p";
    for (int i = 0; i < 100; ++i) attributes += " a" + std::to_string(i) + "=1";
    CHECK(clean(attributes + ">text</p>") == "<p>text</p>");
}
