import Crypto
import Foundation
import Vapor
import ZayavkaCore

/// The one stylesheet and the one script, served by the app itself (no CDN, no outside request),
/// cached by browsers for a year under a content-hash version.
enum Assets {
    static let files: [String: (type: String, body: String)] = [
        "app.css": ("text/css; charset=utf-8", stylesheet + widgetStylesheet + agentDayStylesheet),
        "app.js": ("text/javascript; charset=utf-8", script + widgetScript + agentDayScript),
    ]

    static let version: String = {
        let digest = SHA256.hash(data: Data((stylesheet + script + widgetStylesheet + widgetScript + agentDayStylesheet + agentDayScript).utf8))
        return String(Hex.encode(digest).prefix(10))
    }()

    static func response(name: String) throws -> Response {
        guard let file = files[name] else { throw ZayavkaError.notFound(entity: "route", id: name) }
        var headers = HTTPHeaders()
        headers.add(name: .contentType, value: file.type)
        headers.add(name: .cacheControl, value: "public, max-age=31536000, immutable")
        return Response(status: .ok, headers: headers, body: .init(string: file.body))
    }

    static let stylesheet = #"""
:root { --ink:#1d2330; --muted:#5d6675; --line:#dde2ea; --bg:#f5f7fa; --card:#fff; --accent:#2357c6; --accent-ink:#fff;
  --note:#fff7db; --note-line:#f0d77a; --danger:#b42318; --ok:#16794c; --warn:#b25e09; font-size:15px; }
* { box-sizing:border-box; }
body { margin:0; font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif; color:var(--ink); background:var(--bg); line-height:1.45; }
a { color:var(--accent); text-decoration:none; } a:hover { text-decoration:underline; }
header.top { display:flex; flex-wrap:wrap; align-items:center; gap:.75rem 1.5rem; padding:.6rem 1.25rem; background:#18223a; color:#fff; }
header.top a { color:#dce6ff; } header.top .brand { font-weight:700; color:#fff; font-size:1.1rem; }
header.top nav { display:flex; flex-wrap:wrap; gap:1rem; flex:1; } header.top nav a.current { color:#fff; border-bottom:2px solid #7ea2ff; }
header.top .who { display:flex; align-items:center; gap:1rem; } header.top form { display:flex; gap:.4rem; align-items:center; margin:0; }
header.top .lang button { background:transparent; color:#b8c4e0; border:1px solid #3b4a6b; border-radius:4px; padding:.15rem .45rem; cursor:pointer; font-size:.85rem; }
header.top .lang button.on { background:#3b4a6b; color:#fff; } header.top .name { color:#fff; }
button.link { background:none; border:none; color:#dce6ff; cursor:pointer; padding:0; font:inherit; }
main { max-width:1280px; margin:0 auto; padding:1.25rem; }
h1 { font-size:1.45rem; margin:.2rem 0 1rem; } h2 { font-size:1.1rem; margin:1.25rem 0 .6rem; }
.notice { background:#e7f5ee; border:1px solid #b5e0c8; color:var(--ok); padding:.6rem .9rem; border-radius:6px; margin-bottom:1rem; }
.inline-search { display:flex; gap:.5rem; margin-bottom:1rem; max-width:40rem; }
.inline-search input { flex:1; }
.banners { max-width:1280px; margin:0 auto; padding:0 1.25rem; }
.outbreak { background:#fdeceb; border:2px solid #d93025; color:#7a1a12; padding:.6rem .9rem; border-radius:6px; margin:.6rem 0; }
.outbreak.active { background:#fff1e6; border-color:#e8710a; color:#5c2a00; }
.outbreak.customer { background:#fff6e0; border-color:#f0a500; color:#5c4400; }
.outbreak ul { margin:.3rem 0; }
.outbreak .actions form.inline { display:inline; margin-right:.5rem; }
.outbreak button.link { color:#7a1a12; text-decoration:underline; }
.outbreak .script { margin:.3rem 0 0; font-style:italic; }
button.danger { background:#d93025; color:#fff; border-color:#b3261e; }
.notice.warning { background:#fff6e0; border:1px solid #f0d48a; color:#6b4e00; }
.notice form.inline { display:inline; margin-left:.5rem; }
.notice.error, .errors { background:#fdeceb; border:1px solid #f3b8b3; color:var(--danger); padding:.6rem .9rem; border-radius:6px; margin-bottom:1rem; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:1rem 1.1rem; margin-bottom:1rem; }
.field { margin-bottom:.85rem; display:flex; flex-direction:column; gap:.25rem; }
.field label { font-weight:600; font-size:.92rem; } .field .hint { margin:0; color:var(--muted); font-size:.85rem; }
.field .error { margin:0; color:var(--danger); font-size:.85rem; } .field.invalid input, .field.invalid textarea, .field.invalid select { border-color:var(--danger); }
input[type=text], input[type=email], input[type=password], input[type=tel], input[type=url], input[type=number], input[type=search], input[type=datetime-local], select, textarea {
  font:inherit; padding:.45rem .55rem; border:1px solid #c5ccd8; border-radius:6px; background:#fff; width:100%; max-width:100%; }
textarea { min-height:7rem; resize:vertical; }
input:focus, select:focus, textarea:focus, button:focus-visible, a:focus-visible { outline:2px solid #7ea2ff; outline-offset:1px; }
.btn, button.primary, button.secondary { display:inline-block; font:inherit; border-radius:6px; padding:.45rem .95rem; cursor:pointer; border:1px solid var(--accent); }
button.primary, .btn.primary { background:var(--accent); color:var(--accent-ink); } button.secondary, .btn { background:#fff; color:var(--accent); }
.actions { display:flex; flex-wrap:wrap; gap:.5rem; align-items:center; margin-top:.5rem; }
table.list { width:100%; border-collapse:collapse; background:var(--card); border:1px solid var(--line); border-radius:8px; overflow:hidden; }
table.list th, table.list td { text-align:left; padding:.5rem .6rem; border-bottom:1px solid var(--line); vertical-align:top; font-size:.93rem; }
table.list th { background:#eef1f6; font-weight:600; font-size:.85rem; color:var(--muted); }
table.list tr.selected td { background:#eaf0ff; } table.list tr:hover td { background:#f4f7fd; }
.badge { display:inline-block; padding:.05rem .5rem; border-radius:999px; font-size:.8rem; background:#eef1f6; color:var(--ink); white-space:nowrap; }
.badge.new { background:#e3ecff; color:#1c47a6; } .badge.open { background:#e5f6ec; color:#166b43; } .badge.pending, .badge.scheduled, .badge.hand_off { background:#fff1dc; color:#8a4b06; }
.badge.solved { background:#eceff3; color:#47505e; } .badge.closed { background:#f1f1f1; color:#777; }
.badge.warning { background:#fdecea; color:#9b1c1c; }
.badge.urgent { background:#fdeceb; color:var(--danger); } .badge.high { background:#fff1dc; color:var(--warn); }
.due.overdue { color:var(--danger); font-weight:600; } .muted { color:var(--muted); }
.console { display:grid; grid-template-columns:220px 1fr; gap:1.25rem; }
.queues a { display:flex; justify-content:space-between; padding:.4rem .6rem; border-radius:6px; color:var(--ink); }
.queues a.current { background:#dfe7fb; font-weight:600; } .queues .count { color:var(--muted); }
.filters { display:flex; flex-wrap:wrap; gap:.5rem; align-items:flex-end; margin-bottom:.75rem; }
.filters .field { margin:0; min-width:8.5rem; flex:0 1 10rem; } .filters .field.wide { flex:1 1 14rem; }
.bulk { display:flex; flex-wrap:wrap; gap:.5rem; align-items:center; margin:.6rem 0; }
.bulk select { width:auto; } .filters > select { width:auto; min-width:12rem; }
table.week { width:100%; table-layout:fixed; border-collapse:collapse; font-size:.88rem; }
table.week th, table.week td { border:1px solid var(--line); padding:.35rem .4rem; vertical-align:top; text-align:left; }
table.week th { background:#eef1f6; color:var(--muted); font-weight:600; }
table.week .slot { background:#e3ecff; border-radius:4px; padding:.15rem .3rem; margin-bottom:.25rem; overflow-wrap:anywhere; }
table.week .task { background:#fff1dc; border-radius:4px; padding:.15rem .3rem; margin-bottom:.25rem; overflow-wrap:anywhere; }
.fieldset { border:1px solid var(--line); border-radius:6px; padding:.5rem .75rem; margin-bottom:.75rem; } .fieldset h4 { margin:.1rem 0 .5rem; }
.policy .fieldset label { font-weight:normal; margin-right:.5rem; white-space:nowrap; }
.answer-kind { display:flex; flex-wrap:wrap; gap:.5rem; align-items:center; margin-top:.5rem; } .answer-kind select { width:auto; }
.route-texts { font-size:.82rem; padding-left:1rem; margin:.5rem 0; } .route-texts .hint { font-style:italic; }
.inline { display:flex; gap:.5rem; flex-wrap:wrap; align-items:center; } .inline > input, .inline > select { width:auto; flex:1 1 8rem; }
.inline > input.short, input.short { flex:0 0 5rem; width:5rem; }
ul.callbacks, ul.calls, ul.people, ul.open-tickets { list-style:none; padding-left:0; } ul.open-tickets { padding-left:1.5rem; }
li.callback { padding:.4rem 0; border-bottom:1px solid #e5e7eb; } li.callback.due { background:#fff7ed; }
form.attempt { margin-top:.3rem; } .found-organization h3 { margin-top:0; }
.answer-kind input[type=datetime-local] { width:auto; } .answer-kind input[type=text] { flex:1 1 12rem; width:auto; }
.ticket { display:grid; grid-template-columns:1fr 320px; gap:1.25rem; }
.thread { display:flex; flex-direction:column; gap:.75rem; }
.entry { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:.75rem .9rem; }
.entry.note { background:var(--note); border-color:var(--note-line); }
.entry .meta { display:flex; flex-wrap:wrap; gap:.5rem; color:var(--muted); font-size:.85rem; margin-bottom:.35rem; }
.entry .body { white-space:pre-wrap; overflow-wrap:anywhere; }
.entry.event { background:transparent; border:none; border-left:3px solid var(--line); border-radius:0; padding:.2rem .7rem; color:var(--muted); font-size:.88rem; }
.files { display:flex; flex-wrap:wrap; gap:.6rem; margin-top:.5rem; } .files a { font-size:.9rem; }
.files img { max-width:160px; max-height:120px; border:1px solid var(--line); border-radius:4px; display:block; }
.composer { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:.8rem .9rem; }
.composer.internal { background:var(--note); border-color:var(--note-line); }
.composer .modes { display:flex; gap:1rem; margin-bottom:.5rem; } .composer .modes label { font-weight:600; }
.side .card h2 { margin-top:0; } .side dl { margin:0; display:grid; grid-template-columns:auto 1fr; gap:.3rem .75rem; font-size:.92rem; }
.side dt { color:var(--muted); } .side dd { margin:0; overflow-wrap:anywhere; }
.pager { margin-top:.75rem; }
.kbd { font-size:.8rem; color:var(--muted); margin-top:.5rem; }
.signin { max-width:420px; margin:3rem auto; }
.error-page { max-width:640px; margin:3rem auto; text-align:center; } .error-page .code { font-size:3rem; color:var(--muted); margin:0; }
header.top .top-search input { width:14rem; padding:.25rem .5rem; border-radius:4px; border:1px solid #3b4a6b; background:#23304d; color:#fff; }
header.top .top-search input::placeholder { color:#9fb0d3; }
.kb-grid { display:grid; grid-template-columns:repeat(auto-fill, minmax(240px, 1fr)); gap:1rem; }
.kb-grid .card h2 { margin-top:0; }
ul.kb-results { list-style:none; padding-left:0; } ul.kb-results li { padding:.55rem 0; border-bottom:1px solid var(--line); }
ul.kb-results .kb-link { font-weight:600; } .snippet { margin:.25rem 0 0; color:var(--muted); font-size:.92rem; overflow-wrap:anywhere; }
mark { background:#fff1a8; color:inherit; padding:0 .1em; border-radius:2px; }
.crumbs { color:var(--muted); font-size:.9rem; margin:.2rem 0 .5rem; }
.kb-article .kb-body { overflow-wrap:anywhere; } .kb-article .kb-body img { max-width:100%; height:auto; }
.kb-article .kb-body pre { background:#f3f5f9; padding:.6rem; border-radius:6px; overflow:auto; }
form.vote { display:flex; flex-wrap:wrap; gap:.5rem; align-items:center; margin-top:1rem; padding-top:.8rem; border-top:1px solid var(--line); }
pre.diff { white-space:pre-wrap; overflow-wrap:anywhere; font-size:.9rem; background:#fafbfc; border:1px solid var(--line); border-radius:6px; padding:.5rem; }
pre.diff .diff-added { background:#e6f6ec; color:#0f5132; display:block; } pre.diff .diff-removed { background:#fdecea; color:#842029; display:block; text-decoration:line-through; }
pre.diff .diff-same { display:block; color:var(--muted); }
.bot .bot-message { font-size:1.05rem; } .bot-buttons { display:flex; flex-wrap:wrap; gap:.5rem; margin:.75rem 0; }
.kb-suggest { background:#f1f6ff; border:1px solid #c9d8f5; border-radius:6px; padding:.5rem .8rem; margin:-.4rem 0 .85rem; }
.kb-suggest p { margin:.1rem 0 .3rem; } .kb-suggest ul { margin:0; padding-left:1.1rem; } .kb-suggest .snippet { font-size:.85rem; }
.kb-picker { position:relative; } ul.kb-picker-results { list-style:none; padding:0; margin:.2rem 0 0; }
ul.kb-picker-results li { display:flex; gap:.5rem; align-items:baseline; padding:.2rem 0; border-bottom:1px dashed var(--line); font-size:.9rem; }
ul.kb-picker-results li span { flex:1; } ul.kb-picker-results button { font-size:.8rem; padding:.1rem .4rem; }
a.make-article { margin-left:auto; }
.report-filters { display:flex; flex-wrap:wrap; gap:.5rem; align-items:center; margin-bottom:1rem; }
.report .card { margin-bottom:1rem; } .chart-box { overflow-x:auto; } svg.chart { width:100%; max-width:760px; height:auto; display:block; }
ul.legend { list-style:none; display:flex; flex-wrap:wrap; gap:.8rem; padding:0; margin:.3rem 0; font-size:.85rem; }
ul.legend .swatch { display:inline-block; width:.8rem; height:.8rem; margin-right:.3rem; vertical-align:middle; border-radius:2px; }
table.chart-table { font-size:.85rem; } .breakdowns .grid { display:grid; grid-template-columns:repeat(auto-fit, minmax(220px, 1fr)); gap:1rem; }
a.csv { float:right; font-size:.85rem; } .survey .rating button { font-size:1.1rem; margin-right:.5rem; }
.resolution dt { font-weight:600; margin-top:.4rem; } .resolution dd { margin:0 0 .2rem; white-space:pre-wrap; }
p.rating.good { color:#0f5132; } p.rating.bad { color:#842029; }
.criterion .scale { display:flex; gap:.6rem; flex-wrap:wrap; }
@media print {
  header.top, .no-print, .banners, form.lang { display:none !important; } main { padding:0; } .card { break-inside:avoid; border:none; }
}
@media (max-width: 820px) {
  .console, .ticket { grid-template-columns:1fr; } main { padding:.8rem; }
  table.list .wide-only { display:none; } header.top { padding:.5rem .8rem; }
}
"""#

    static let script = #"""
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Composer: public reply or internal note, visibly different.
  document.querySelectorAll("form.composer").forEach(function (form) {
    // The answer kind only for a reply; its date only for a promise, its reason only for a refusal.
    var body = form.querySelector("textarea[name=body]");
    var kind = form.querySelector("#answer-kind"), answer = form.querySelector("select[name=answer]");
    var update = function () {
      var internal = form.querySelector("input[name=visibility][value=internal]");
      var isNote = !!(internal && internal.checked);
      form.classList.toggle("internal", isNote);
      if (kind) kind.hidden = isNote;
      var placeholder = body && body.getAttribute(isNote ? "data-note-placeholder" : "data-reply-placeholder");
      if (placeholder) body.placeholder = placeholder;
      if (answer) {
        var promise = form.querySelector(".answer-promise"), refusal = form.querySelector(".answer-refusal");
        if (promise) promise.hidden = answer.value !== "promise";
        if (refusal) refusal.hidden = answer.value !== "refusal";
      }
    };
    form.querySelectorAll("input[name=visibility]").forEach(function (r) { r.addEventListener("change", update); });
    if (answer) answer.addEventListener("change", update);
    update();
    // Canned responses: insert the phrase at the cursor; the text stays editable.
    var canned = form.querySelector("select[name=canned]");
    if (canned && body) {
      canned.addEventListener("change", function () {
        var option = canned.options[canned.selectedIndex];
        var text = option ? option.getAttribute("data-body") : null;
        // A macro also sets fields of the page's form (status, priority, group, assignee).
        if (option) Array.prototype.forEach.call(option.attributes, function (a) {
          if (a.name.indexOf("data-set-") !== 0) return;
          var control = document.querySelector("[form=composer][name='" + a.name.slice(9) + "']");
          if (control) { control.value = a.value; control.dispatchEvent(new Event("change")); }
        });
        if (text) {
          var start = body.selectionStart || body.value.length, end = body.selectionEnd || body.value.length;
          body.value = body.value.slice(0, start) + text + body.value.slice(end);
          body.focus();
          body.selectionStart = body.selectionEnd = start + text.length;
        }
        canned.selectedIndex = 0;
      });
    }
  });
  // Lists: select all, keyboard navigation (j/k, Enter opens, x selects), "/" searches.
  var table = document.querySelector("table.list[data-keys]");
  var all = document.querySelector("input[data-select-all]");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll("input[name=ticket]").forEach(function (box) { box.checked = all.checked; });
    });
  }
  var rows = table ? Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-href]")) : [];
  var current = -1;
  var select = function (i) {
    if (!rows.length) return;
    current = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach(function (r, k) { r.classList.toggle("selected", k === current); });
    rows[current].scrollIntoView({ block: "nearest" });
  };
  document.addEventListener("keydown", function (e) {
    var tag = (e.target && e.target.tagName) || "";
    if (/INPUT|TEXTAREA|SELECT/.test(tag) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "/") { var q = document.querySelector("input[name=q]"); if (q) { e.preventDefault(); q.focus(); } return; }
    if (e.key === "r") { var reply = document.querySelector("form.composer textarea"); if (reply) { e.preventDefault(); reply.focus(); } return; }
    if (!rows.length) return;
    if (e.key === "j") { select(current + 1); e.preventDefault(); }
    else if (e.key === "k") { select(current - 1); e.preventDefault(); }
    else if (e.key === "Enter" && current >= 0) { window.location = rows[current].getAttribute("data-href"); }
    else if (e.key === "x" && current >= 0) { var box = rows[current].querySelector("input[name=ticket]"); if (box) box.checked = !box.checked; }
  });
  // Knowledge base (issue 17): suggestions while typing a subject, and the composer's article picker.
  var debounce = function (fn, ms) { var t = null; return function () { var a = arguments; clearTimeout(t); t = setTimeout(function () { fn.apply(null, a); }, ms); }; };
  var insertAtCursor = function (area, text) {
    if (!area) return;
    var start = area.selectionStart || area.value.length, end = area.selectionEnd || area.value.length;
    area.value = area.value.slice(0, start) + text + area.value.slice(end);
    area.focus();
    area.selectionStart = area.selectionEnd = start + text.length;
  };
  document.querySelectorAll("input[data-suggest]").forEach(function (input) {
    var box = document.getElementById("kb-suggest");
    if (!box) return;
    var list = box.querySelector("ul");
    var last = "";
    input.addEventListener("input", debounce(function () {
      var q = input.value.trim();
      if (q.length < 3) { box.hidden = true; return; }
      if (q === last) return;
      last = q;
      fetch(input.getAttribute("data-suggest") + "?q=" + encodeURIComponent(input.value), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (items) {
          if (q !== last) return;
          list.innerHTML = "";
          items.forEach(function (item) {
            var li = document.createElement("li");
            var a = document.createElement("a");
            a.href = item.url; a.target = "_blank"; a.rel = "noopener"; a.className = "kb-suggestion"; a.textContent = item.title;
            li.appendChild(a);
            if (item.snippet) { var p = document.createElement("div"); p.className = "snippet"; p.innerHTML = item.snippet; li.appendChild(p); }
            list.appendChild(li);
          });
          box.hidden = items.length === 0;
        }).catch(function () { box.hidden = true; });
    }, 200));
  });
  var composerBody = document.getElementById("composer-body");
  document.querySelectorAll("button.insert-link").forEach(function (b) {
    b.addEventListener("click", function () { insertAtCursor(composerBody, b.getAttribute("data-insert")); });
  });
  document.querySelectorAll(".kb-picker").forEach(function (picker) {
    var input = picker.querySelector("input");
    var list = picker.querySelector("ul");
    input.addEventListener("keydown", function (e) { if (e.key === "Enter") e.preventDefault(); });
    input.addEventListener("input", debounce(function () {
      var q = input.value.trim();
      if (q.length < 2) { list.innerHTML = ""; return; }
      fetch(picker.getAttribute("data-search") + "?q=" + encodeURIComponent(input.value), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (items) {
          list.innerHTML = "";
          items.forEach(function (item) {
            var li = document.createElement("li");
            var title = document.createElement("span"); title.textContent = item.title; li.appendChild(title);
            if (item.url) {
              var link = document.createElement("button"); link.type = "button"; link.className = "secondary kb-insert-link";
              link.textContent = input.getAttribute("data-link");
              link.addEventListener("click", function () { insertAtCursor(composerBody, item.title + ": " + item.url); });
              li.appendChild(link);
            }
            var text = document.createElement("button"); text.type = "button"; text.className = "secondary kb-insert-text";
            text.textContent = input.getAttribute("data-text");
            text.addEventListener("click", function () { insertAtCursor(composerBody, item.text); });
            li.appendChild(text);
            list.appendChild(li);
          });
        });
    }, 200));
  });
  // Client-side checks of intake answers, before the server checks them again.
  document.querySelectorAll("form[data-validate]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      var firstBad = null;
      form.querySelectorAll("[data-pattern]").forEach(function (input) {
        var re = new RegExp(input.getAttribute("data-pattern"));
        var bad = input.value !== "" && !re.test(input.value);
        input.setCustomValidity(bad ? (input.getAttribute("data-message") || "?") : "");
        if (bad && !firstBad) firstBad = input;
      });
      if (firstBad) { e.preventDefault(); firstBad.reportValidity(); }
    });
    form.querySelectorAll("[data-pattern]").forEach(function (input) {
      input.addEventListener("input", function () { input.setCustomValidity(""); });
    });
  });
});
"""#
}
