/// The agent's day (issue 20): the ticket page's one form, the live queue and ticket page, presence,
/// the dense queue, and the phone layout. Appended to the one stylesheet and the one script.
extension Assets {
    static let agentDayStylesheet = #"""
[hidden] { display:none !important; }
/* Badges keep a contrast of at least 4.5:1 (WCAG AA). */
.badge.high { color:#8a4506; }
@media (min-width: 601px) {
  header.top { flex-wrap:nowrap; gap:.5rem 1rem; padding:.45rem 1rem; }
  header.top nav { gap:.35rem .8rem; font-size:.9rem; } header.top .who { gap:.5rem; font-size:.9rem; }
  header.top .top-search input { width:11rem; }
}
body.staff main { padding-top:.6rem; }
.skip-link { position:absolute; left:-999px; top:0; background:#fff; color:var(--accent); padding:.4rem .8rem; z-index:10; }
.skip-link:focus { left:.5rem; }
.back { margin:0 0 .3rem; }
.ticket-main { min-width:0; }
.side .work { border-color:#b9c9ee; }
.side .work .field { margin-bottom:.55rem; }
.with-button { display:flex; gap:.4rem; } .with-button select { flex:1; min-width:0; } .with-button button { white-space:nowrap; padding:.3rem .6rem; }
.sla-clocks dl { font-size:.88rem; }
details.fold { background:var(--card); border:1px solid var(--line); border-radius:8px; margin-bottom:.6rem; }
details.fold > summary { cursor:pointer; padding:.55rem .9rem; font-weight:600; }
details.fold > .card, details.fold > form.card, details.fold > div.card { border:none; margin:0; padding-top:0; }
details.fold > .card > h2:first-of-type, details.fold > form > h2:first-of-type { display:none; }
.composer-tools { display:flex; flex-wrap:wrap; gap:.5rem; align-items:flex-start; margin-bottom:.5rem; }
.composer-tools select { width:auto; max-width:16rem; } .composer-tools .kb-picker { flex:1 1 14rem; margin:0; }
.inline-row { display:flex; flex-wrap:wrap; gap:.5rem; align-items:center; }
.composer .answer-kind { flex-direction:row; justify-content:flex-start; }
.actions.split .onward { background:#1c4aa8; }
.presence { color:var(--warn); font-size:.9rem; margin:.5rem 0; } .presence:empty { display:none; }
.live-news { margin:.6rem 0; }
.live-bar { display:block; width:100%; background:#fff6e0; border:1px solid #f0d48a; color:#6b4e00; border-radius:6px; padding:.4rem .8rem; margin:.3rem 0 .5rem;
  font:inherit; font-weight:600; cursor:pointer; text-align:left; }
.queue-head { display:flex; flex-wrap:wrap; gap:.3rem 1rem; align-items:baseline; } .queue-head h1 { margin:0 0 .3rem; font-size:1.3rem; } .queue-head p { margin:0; }
.console + .kbd, .console .kbd { margin-top:.3rem; }
form.filters { flex-wrap:nowrap; align-items:flex-start; gap:.5rem; margin-bottom:.4rem; }
form.filters .filter-q { flex:1 1 16rem; width:auto; }
details.filter-more { position:relative; } details.filter-more > summary { cursor:pointer; padding:.45rem .7rem; border:1px solid #c5ccd8; border-radius:6px; background:#fff; white-space:nowrap; }
details.filter-more[open] .filter-grid { position:absolute; z-index:5; right:0; top:2.6rem; width:min(44rem, 90vw); background:#fff; border:1px solid var(--line);
  border-radius:8px; padding:.8rem; box-shadow:0 6px 24px rgba(20,30,60,.15); display:grid; grid-template-columns:repeat(auto-fill, minmax(12rem, 1fr)); gap:.5rem; }
.filter-grid .field { margin:0; }
table.list#queue th, table.list#queue td { padding:.18rem .5rem; font-size:.88rem; line-height:1.3; white-space:nowrap; }
table.list#queue .badge { font-size:.76rem; padding:0 .45rem; }
table.list#queue td.subject { max-width:0; width:45%; overflow:hidden; text-overflow:ellipsis; }
table.list#queue td.who { max-width:14rem; overflow:hidden; text-overflow:ellipsis; }
table.list#queue tr.changed td { background:#fffbe8; }
table.list#queue tr.last-opened td { box-shadow:inset 3px 0 0 var(--accent); }
.checklist ol { padding-left:1.3rem; margin:.3rem 0; } .checklist li { padding:.25rem 0; }
.checklist li.done { color:var(--ok); } .checklist li.done::marker { content:"✓ "; }
header.top .menu-toggle { display:none; }
@media (max-width: 600px) {
  header.top { gap:.4rem .8rem; }
  header.top .menu-toggle { display:inline-block; margin-left:auto; background:transparent; color:#fff; border:1px solid #3b4a6b; border-radius:4px; padding:.2rem .6rem; font:inherit; }
  header.top nav, header.top .who { display:none; width:100%; }
  header.top.open nav { display:flex; flex-direction:column; gap:.5rem; } header.top.open .who { display:flex; flex-wrap:wrap; }
  header.top .top-search { width:100%; } header.top .top-search input { width:100%; }
  main { padding:.6rem; }
  h1 { font-size:1.2rem; overflow-wrap:anywhere; }
  table.list, table.list thead, table.list tbody, table.list tr, table.list td { display:block; width:100%; }
  table.list thead { display:none; }
  table.list tr { border-bottom:1px solid var(--line); padding:.4rem .2rem; }
  table.list td, table.list#queue td { border:none; padding:.1rem .4rem; white-space:normal; max-width:none; width:auto; overflow-wrap:anywhere; }
  table.list#queue td.subject { width:auto; font-weight:600; }
  table.list .wide-only { display:block; }
  table.week { table-layout:auto; display:block; overflow-x:auto; }
  form.filters { flex-wrap:wrap; } details.filter-more[open] .filter-grid { position:static; width:100%; }
  .side { min-width:0; } .console, .ticket { display:block; }
  input, select, textarea { max-width:100%; }
  pre, .entry .body { overflow-wrap:anywhere; white-space:pre-wrap; }
  .chart-box, .report { overflow-x:auto; }
}
"""#

    static let agentDayScript = #"""
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var readJSON = function (id) { var el = document.getElementById(id); if (!el) return null; try { return JSON.parse(el.textContent); } catch (e) { return null; } };
  // The header's menu on a phone.
  var header = document.querySelector("header.top"), toggle = document.getElementById("menu-toggle");
  if (header && toggle) toggle.addEventListener("click", function () {
    var open = header.classList.toggle("open"); toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });
  // The ticket page's folded cards stay as the agent left them (open or closed), from ticket to ticket.
  document.querySelectorAll("details.fold[id]").forEach(function (d) {
    try { if (localStorage.getItem("zy-fold-" + d.id) === "1") d.open = true; } catch (e) {}
    d.addEventListener("toggle", function () { try { localStorage.setItem("zy-fold-" + d.id, d.open ? "1" : "0"); } catch (e) {} });
  });
  // "Take it": the assignee becomes me, saved with the next submit.
  var take = document.getElementById("take-it");
  if (take) take.addEventListener("click", function () {
    var select = document.getElementById("f-assignee");
    if (select) { select.value = take.getAttribute("data-me"); select.dispatchEvent(new Event("change")); take.hidden = true; }
  });
  var form = document.getElementById("composer");
  var body = document.getElementById("composer-body");
  if (form && body) {
    // Ctrl+Enter (⌘+Enter) sends.
    body.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        var send = document.getElementById("composer-send");
        if (form.requestSubmit) form.requestSubmit(send); else send.click();
      }
    });
  }
  // The queue: remember where the agent was, so "← Back to the queue" returns there.
  var queue = document.getElementById("queue");
  if (queue) {
    try {
      var here = location.pathname + location.search;
      if (sessionStorage.getItem("zy-queue") === here && sessionStorage.getItem("zy-queue-back") === "1") {
        window.scrollTo(0, parseInt(sessionStorage.getItem("zy-queue-y") || "0", 10));
        var last = document.getElementById("ticket-" + sessionStorage.getItem("zy-queue-last"));
        if (last) last.classList.add("last-opened");
      }
      sessionStorage.setItem("zy-queue", here);
      sessionStorage.removeItem("zy-queue-back");
      queue.addEventListener("click", function (e) {
        var row = e.target.closest && e.target.closest("tr[data-href]");
        if (row) { sessionStorage.setItem("zy-queue-y", String(window.scrollY)); sessionStorage.setItem("zy-queue-last", row.id.replace("ticket-", "")); }
      });
    } catch (e) {}
  }
  var back = document.getElementById("back-to-queue");
  if (back) {
    try {
      var saved = sessionStorage.getItem("zy-queue");
      if (saved) back.href = saved;
      back.addEventListener("click", function () { sessionStorage.setItem("zy-queue-back", "1"); });
    } catch (e) {}
  }
  if (!window.EventSource) return;
  // The live ticket page: new messages appear, and who else is here.
  var t = readJSON("ticket-live");
  if (t) {
    var updated = t.updated, loading = false;
    var refresh = function () {
      if (loading) return;
      loading = true;
      fetch(location.pathname, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : null; }).then(function (html) {
        loading = false;
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("timeline"), mine = document.getElementById("timeline");
        if (fresh && mine && fresh.innerHTML !== mine.innerHTML) {
          mine.innerHTML = fresh.innerHTML;
          var news = document.getElementById("live-news");
          if (news) { document.getElementById("live-news-text").textContent = t.news; news.hidden = false; }
        }
        var status = doc.getElementById("status"), shown = document.getElementById("status");
        if (status && shown) { shown.className = status.className; shown.textContent = status.textContent; }
      }).catch(function () { loading = false; });
    };
    var show = document.getElementById("live-news-show");
    if (show) show.addEventListener("click", function () {
      var items = document.querySelectorAll("#timeline .entry"); if (items.length) items[items.length - 1].scrollIntoView({ block: "center" });
      document.getElementById("live-news").hidden = true;
    });
    var es = new EventSource(t.live);
    es.addEventListener("tickets", function (e) {
      JSON.parse(e.data).forEach(function (item) {
        if (item.number === t.number && item.updated_at !== updated) { updated = item.updated_at; refresh(); }
      });
    });
    es.addEventListener("presence", function (e) {
      var box = document.getElementById("presence");
      if (!box) return;
      box.innerHTML = "";
      JSON.parse(e.data).forEach(function (p) {
        var line = document.createElement("div");
        line.className = "present" + (p.typing === "1" ? " typing" : "");
        line.textContent = "● " + p.name + " " + (p.typing === "1" ? t.typing : t.open);
        box.appendChild(line);
      });
    });
    var typing = false, typingTimer = null;
    var beat = function () {
      var data = new URLSearchParams();
      data.set("_csrf", t.csrf); data.set("typing", typing ? "1" : "0");
      fetch(t.presence, { method: "POST", body: data, credentials: "same-origin" }).catch(function () {});
    };
    beat();
    setInterval(beat, 10000);
    if (body) body.addEventListener("input", function () {
      if (!typing) { typing = true; beat(); }
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { typing = false; beat(); }, 6000);
    });
    window.addEventListener("pagehide", function () {
      var data = new URLSearchParams(); data.set("_csrf", t.csrf); data.set("leave", "1");
      if (navigator.sendBeacon) navigator.sendBeacon(t.presence, data);
    });
  }
  // The live queue: new tickets of this view and changed rows, counted in a bar and the tab title.
  var q = readJSON("queue-live");
  if (q) {
    var fresh = {}, changed = {}, title = document.title;
    var list = function (s) { return s ? s.split(",") : null; };
    var statuses = list(q.statuses), groups = list(q.groups);
    var matches = function (item) {
      if (statuses && statuses.indexOf(item.status) < 0) return false;
      if (q.assignee === "none" && item.assignee_id !== "") return false;
      if (q.assignee && q.assignee !== "none" && q.assignee.split(",").indexOf(item.assignee_id) < 0) return false;
      if (groups && groups.indexOf(item.group_id) < 0) return false;
      return true;
    };
    var forms = q.forms.split("|");
    var plural = function (n) {
      var m10 = n % 10, m100 = n % 100;
      if (document.documentElement.lang !== "ru") return n === 1 ? forms[0] : forms[1];
      if (m10 === 1 && m100 !== 11) return forms[0];
      if (m10 >= 2 && m10 <= 4 && (m100 < 12 || m100 > 14)) return forms[1];
      return forms[2];
    };
    var bar = document.getElementById("queue-news");
    var update = function () {
      var n = Object.keys(fresh).length, c = Object.keys(changed).length;
      var parts = [];
      if (n) parts.push(n + " " + plural(n));
      if (c) parts.push(q.changed + ": " + c);
      bar.textContent = parts.join(" · ") + " — " + q.show;
      bar.hidden = !(n || c);
      document.title = n ? "(" + n + ") " + title : title;
    };
    if (bar) bar.addEventListener("click", function () { location.reload(); });
    var qs = new EventSource(q.live);
    qs.addEventListener("tickets", function (e) {
      JSON.parse(e.data).forEach(function (item) {
        var row = document.getElementById("ticket-" + item.number);
        if (row) { row.classList.add("changed"); changed[item.number] = 1; }
        else if (item.created_at >= q.since && matches(item)) { fresh[item.number] = 1; }
      });
      update();
    });
  }
});
"""#
}
