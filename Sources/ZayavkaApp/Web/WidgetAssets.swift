import Foundation

/// The widget's panel, the portal's chat and the agents' chat console (issue 19, SPEC C4): styles and
/// script, part of the one stylesheet and script (`Assets`), active only on pages that have their roots.
extension Assets {
    /// The loader a host page includes: `<script src="https://desk/widget.js" data-token="…" async>`.
    /// It adds a button and, on click, an iframe with the panel; the identity token (if any) goes to
    /// the panel by postMessage to the desk's origin only, never in a URL.
    static let widgetLoader = #"""
(function () {
  var script = document.currentScript;
  if (!script || window.ZayavkaWidget) return;
  var base = new URL(script.src).origin;
  var lang = script.getAttribute('data-lang') || (document.documentElement.lang || 'ru').slice(0, 2);
  var identity = script.getAttribute('data-token') || null;
  var label = script.getAttribute('data-label') || (lang === 'en' ? 'Support' : 'Поддержка');
  var frame = null, ready = false, button = document.createElement('button');
  button.type = 'button'; button.id = 'zayavka-launcher'; button.textContent = label;
  button.setAttribute('style', 'position:fixed;right:20px;bottom:20px;z-index:2147483646;background:#2357c6;color:#fff;border:0;border-radius:24px;padding:12px 20px;font:600 15px system-ui,sans-serif;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)');
  function post() { if (frame && ready) frame.contentWindow.postMessage({ type: 'zayavka:init', identity: identity }, base); }
  function open() {
    if (!frame) {
      frame = document.createElement('iframe');
      frame.id = 'zayavka-frame'; frame.title = label;
      frame.src = base + '/widget/panel?lang=' + encodeURIComponent(lang);
      frame.setAttribute('style', 'position:fixed;right:20px;bottom:76px;width:380px;max-width:calc(100vw - 40px);height:600px;max-height:calc(100vh - 100px);border:1px solid #dde2ea;border-radius:12px;z-index:2147483647;background:#fff;box-shadow:0 8px 30px rgba(0,0,0,.25)');
      document.body.appendChild(frame);
    } else { frame.style.display = frame.style.display === 'none' ? 'block' : 'none'; }
  }
  window.addEventListener('message', function (event) {
    if (event.origin !== base || !frame || event.source !== frame.contentWindow) return;
    var data = event.data || {};
    if (data.type === 'zayavka:ready') { ready = true; post(); }
    if (data.type === 'zayavka:close') frame.style.display = 'none';
  });
  button.addEventListener('click', open);
  window.ZayavkaWidget = {
    open: function () { if (!frame || frame.style.display === 'none') open(); },
    identify: function (token) { identity = token; post(); }
  };
  if (document.body) document.body.appendChild(button); else document.addEventListener('DOMContentLoaded', function () { document.body.appendChild(button); });
})();
"""#

    static let widgetStylesheet = #"""
body.zw-frame { background:#fff; margin:0; }
.zw { display:flex; flex-direction:column; height:100vh; font-size:14px; }
body.customer .zw, .zw.in-page { height:auto; min-height:420px; max-width:640px; border:1px solid var(--line); border-radius:8px; background:#fff; }
.zw-head { display:flex; align-items:center; justify-content:space-between; background:#18223a; color:#fff; padding:.6rem .8rem; }
.zw-head button { background:none; border:0; color:#fff; font-size:1.2rem; cursor:pointer; }
.zw-tabs { display:flex; border-bottom:1px solid var(--line); }
.zw-tabs button { flex:1; background:none; border:0; padding:.55rem .2rem; cursor:pointer; color:var(--muted); font:inherit; border-bottom:2px solid transparent; }
.zw-tabs button.on { color:var(--accent); border-bottom-color:var(--accent); font-weight:600; }
.zw-body { flex:1; overflow:auto; padding:.8rem; }
.zw-body label { display:block; margin:.5rem 0 .2rem; font-weight:600; }
.zw-body input[type=text], .zw-body input[type=email], .zw-body textarea, .zw-body select { width:100%; padding:.45rem; border:1px solid var(--line); border-radius:6px; font:inherit; }
.zw-body button.primary, .zw-btn { background:var(--accent); color:#fff; border:0; border-radius:6px; padding:.5rem .9rem; cursor:pointer; margin-top:.6rem; font:inherit; }
.zw-body .secondary { background:#fff; color:var(--accent); border:1px solid var(--accent); border-radius:6px; padding:.45rem .8rem; cursor:pointer; font:inherit; margin:.2rem .2rem 0 0; }
.zw-error { background:#fdecea; color:var(--danger); border-radius:6px; padding:.5rem; margin:.4rem 0; }
.zw-ok { background:#e7f6ee; color:var(--ok); border-radius:6px; padding:.5rem; margin:.4rem 0; }
.zw-list { list-style:none; padding:0; margin:0; } .zw-list li { border-bottom:1px solid var(--line); padding:.5rem 0; cursor:pointer; }
.zw-msgs { display:flex; flex-direction:column; gap:.4rem; }
.zw-msg { max-width:85%; padding:.45rem .6rem; border-radius:10px; white-space:pre-wrap; word-wrap:break-word; }
.zw-msg.customer { align-self:flex-end; background:#e3ebff; } .zw-msg.agent { align-self:flex-start; background:#f1f3f6; }
.zw-msg small { display:block; color:var(--muted); font-size:.75rem; }
.zw-muted { color:var(--muted); }
.chat-console { display:grid; grid-template-columns:minmax(240px, 1fr) 2fr; gap:1rem; }
.chat-console ul { list-style:none; margin:0; padding:0; } .chat-console li { border-bottom:1px solid var(--line); padding:.5rem; cursor:pointer; }
.chat-console li.waiting { background:#fff7db; } .chat-console li.current { outline:2px solid var(--accent); }
.chat-console .zw-msgs { max-height:55vh; overflow:auto; padding:.5rem; border:1px solid var(--line); border-radius:6px; background:#fff; }
@media (max-width: 700px) { .chat-console { grid-template-columns:1fr; } }
"""#

    static let widgetScript = #"""
(function () {
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { if (k === 'text') node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function socketURL(path) { return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path; }
  function fmt(iso) { try { return new Date(iso).toLocaleString(document.documentElement.lang === 'en' ? 'en-GB' : 'ru-RU', { timeZone: 'Europe/Moscow', day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' }); } catch (e) { return iso; } }
  function message(m) {
    return el('div', { 'class': 'zw-msg ' + m.from, 'data-id': String(m.id) }, [el('small', { text: (m.name || '') + ' · ' + fmt(m.at) }), el('span', { text: m.text })]);
  }

  // The widget's panel (iframe) and the portal's chat page.
  var root = document.getElementById('zw');
  if (root) {
    var S = JSON.parse(document.getElementById('zw-strings').textContent);
    var api = '/api/v1/widget';
    var mode = root.getAttribute('data-mode');
    var token = root.getAttribute('data-token') || null;
    var state = { config: null, session: null, chat: null, socket: null };
    var body = document.getElementById('zw-body');
    var tabs = document.getElementById('zw-tabs');

    function call(method, path, payload, isForm) {
      var headers = { 'Accept': 'application/json', 'Accept-Language': document.documentElement.lang };
      if (token) headers['Authorization'] = 'Bearer ' + token;
      var options = { method: method, headers: headers };
      if (payload && isForm) options.body = payload;
      else if (payload) { headers['Content-Type'] = 'application/json'; options.body = JSON.stringify(payload); }
      return fetch(api + path, options).then(function (r) {
        return r.text().then(function (t) {
          var data = null; try { data = t ? JSON.parse(t) : null; } catch (e) {}
          if (!r.ok) {
            var err = new Error(data && data.error ? data.error.message : (S.failed + ' (' + r.status + ')'));
            err.code = data && data.error ? data.error.code : ''; err.fields = data && data.error ? data.error.fields : null;
            if (r.status === 401 && mode !== 'portal') { try { sessionStorage.removeItem('zw-token'); } catch (e) {} }
            throw err;
          }
          return data;
        });
      });
    }
    function showError(where, error) { where.insertBefore(el('div', { 'class': 'zw-error', role: 'alert', text: error.message }), where.firstChild); }

    function tab(name) {
      Array.prototype.forEach.call(tabs.querySelectorAll('button'), function (b) { b.classList.toggle('on', b.getAttribute('data-tab') === name); });
      clear(body);
      if (name === 'help') help(null);
      if (name === 'new') newForm({});
      if (name === 'list') list();
      if (name === 'chat') chat();
    }
    function showTabs() {
      clear(tabs);
      [['help', S.help], ['new', S.newRequest], ['list', S.myRequests], ['chat', S.chat]].forEach(function (t) {
        if (mode === 'portal' && t[0] !== 'chat') return;
        var b = el('button', { type: 'button', 'data-tab': t[0], id: 'zw-tab-' + t[0], text: t[1] });
        b.addEventListener('click', function () { tab(t[0]); });
        tabs.appendChild(b);
      });
    }

    function intro(error) {
      clear(tabs); clear(body);
      if (root.getAttribute('data-anonymous') !== '1') { body.appendChild(el('p', { 'class': 'zw-error', id: 'zw-signin-needed', text: error ? error.message : S.signInProduct })); return; }
      var form = el('form', { id: 'zw-intro' }, [
        el('p', { text: S.introduce }),
        el('label', { 'for': 'zw-name', text: S.name }), el('input', { type: 'text', id: 'zw-name', name: 'name', required: 'required', maxlength: '200' }),
        el('label', { 'for': 'zw-email', text: S.email }), el('input', { type: 'email', id: 'zw-email', name: 'email', required: 'required', maxlength: '254' }),
        el('button', { type: 'submit', 'class': 'primary', id: 'zw-start', text: S.start })
      ]);
      if (error) showError(form, error);
      form.addEventListener('submit', function (e) {
        e.preventDefault();
        open({ name: form.name.value, email: form.email.value, language: document.documentElement.lang });
      });
      body.appendChild(form);
    }

    function open(payload) {
      call('POST', '/sessions', payload).then(function (session) {
        token = session.token; state.session = session;
        try { sessionStorage.setItem('zw-token', token); } catch (e) {}
        start();
      }).catch(function (error) { intro(error); });
    }

    function start() {
      call('GET', '/config').then(function (config) {
        state.config = config;
        showTabs();
        tab(mode === 'portal' ? 'chat' : 'help');
      }).catch(function (error) { token = null; intro(error); });
    }

    function help(node) {
      clear(body);
      var buttons = state.config.bot.filter(function (b) { return (b.parent_id || null) === (node ? node.id : null); });
      var box = el('div', { id: 'zw-help' });
      if (node && node.message) box.appendChild(el('p', { text: node.message }));
      if (!node) {
        var q = el('input', { type: 'text', id: 'zw-search', placeholder: S.searchPlaceholder, 'aria-label': S.searchPlaceholder });
        var found = el('ul', { 'class': 'zw-list', id: 'zw-found' });
        var timer = null;
        q.addEventListener('input', function () {
          clearTimeout(timer);
          timer = setTimeout(function () {
            if (q.value.trim().length < 3) { clear(found); return; }
            fetch('/kb/suggest?q=' + encodeURIComponent(q.value)).then(function (r) { return r.json(); }).then(function (items) {
              clear(found);
              items.forEach(function (a) { found.appendChild(el('li', {}, [el('a', { href: a.url, target: '_blank', rel: 'noopener', text: a.title })])); });
            }).catch(function () {});
          }, 250);
        });
        box.appendChild(q); box.appendChild(found);
      }
      buttons.forEach(function (b) {
        var button = el('button', { type: 'button', 'class': 'secondary', 'data-node': String(b.id), text: b.label });
        button.addEventListener('click', function () {
          if (b.action === 'article' && b.url) { window.open(b.url, '_blank', 'noopener'); return; }
          if (b.action === 'handover') { newForm({ type: b.ticket_type, prefill: b.prefill, note: b.label }); Array.prototype.forEach.call(tabs.querySelectorAll('button'), function (x) { x.classList.toggle('on', x.getAttribute('data-tab') === 'new'); }); return; }
          help(b);
        });
        box.appendChild(button);
      });
      if (node) { var back = el('button', { type: 'button', 'class': 'secondary', text: '← ' + S.back }); back.addEventListener('click', function () { help(null); }); box.appendChild(back); }
      body.appendChild(box);
    }

    function newForm(preset) {
      clear(body);
      var form = el('form', { id: 'zw-new', enctype: 'multipart/form-data' }, [
        el('label', { 'for': 'zw-subject', text: S.subject }), el('input', { type: 'text', id: 'zw-subject', name: 'subject', required: 'required', maxlength: '250' }),
        el('label', { 'for': 'zw-type', text: S.kind }),
        el('select', { id: 'zw-type', name: 'type' }, [['question', S.question], ['problem', S.problem], ['suggestion', S.suggestion]].map(function (o) {
          var option = el('option', { value: o[0], text: o[1] }); if (preset.type === o[0]) option.setAttribute('selected', 'selected'); return option; }))
      ]);
      state.config.fields.forEach(function (f) {
        var name = 'fields.' + f.key, input;
        if (f.options.length || f.kind === 'boolean') {
          var options = f.kind === 'boolean' ? [{ value: 'true', label: S.yes }, { value: 'false', label: S.no }] : f.options;
          input = el('select', { id: 'zw-f-' + f.key, name: name }, [el('option', { value: '', text: '—' })].concat(options.map(function (o) { return el('option', { value: o.value, text: o.label }); })));
        } else if (f.kind === 'multiline') { input = el('textarea', { id: 'zw-f-' + f.key, name: name, rows: '2' }); }
        else { input = el('input', { type: 'text', id: 'zw-f-' + f.key, name: name }); }
        if (f.required) input.setAttribute('required', 'required');
        if (preset.prefill && preset.prefill[f.key]) input.value = preset.prefill[f.key];
        form.appendChild(el('label', { 'for': 'zw-f-' + f.key, text: f.label + (f.required ? ' *' : '') })); form.appendChild(input);
      });
      form.appendChild(el('label', { 'for': 'zw-body-text', text: S.description }));
      form.appendChild(el('textarea', { id: 'zw-body-text', name: 'body', rows: '5', required: 'required' }));
      form.appendChild(el('label', { 'for': 'zw-files', text: S.screenshot }));
      form.appendChild(el('input', { type: 'file', id: 'zw-files', name: 'files', multiple: 'multiple' }));
      form.appendChild(el('button', { type: 'submit', 'class': 'primary', id: 'zw-send', text: S.send }));
      form.addEventListener('submit', function (e) {
        e.preventDefault();
        var data = new FormData(form);
        if (preset.note) data.set('body', data.get('body') + '\n\n— ' + S.fromAssistant + ': ' + preset.note);
        var max = state.config.max_file_bytes, files = form.querySelector('#zw-files').files;
        for (var i = 0; i < files.length; i++) if (files[i].size > max) { showError(form, new Error(S.fileTooLarge)); return; }
        form.querySelector('#zw-send').disabled = true;
        call('POST', '/requests', data, true).then(function (ticket) {
          clear(body);
          body.appendChild(el('div', { 'class': 'zw-ok', id: 'zw-created', 'data-number': String(ticket.number), text: S.created.replace('%d', ticket.number) }));
          var more = el('button', { type: 'button', 'class': 'secondary', text: S.myRequests }); more.addEventListener('click', function () { tab('list'); });
          body.appendChild(more);
        }).catch(function (error) { form.querySelector('#zw-send').disabled = false; showError(form, error); });
      });
      body.appendChild(form);
    }

    function list() {
      call('GET', '/requests').then(function (data) {
        clear(body);
        if (!data.items.length) { body.appendChild(el('p', { 'class': 'zw-muted', text: S.none })); return; }
        var ul = el('ul', { 'class': 'zw-list', id: 'zw-requests' });
        data.items.forEach(function (t) {
          var li = el('li', { 'data-number': String(t.number) }, [el('strong', { text: '№' + t.number + ' ' + t.subject }), el('div', { 'class': 'zw-muted', text: t.status_name + ' · ' + fmt(t.updated_at) })]);
          li.addEventListener('click', function () { show(t.number); });
          ul.appendChild(li);
        });
        body.appendChild(ul);
      }).catch(function (error) { showError(body, error); });
    }

    function show(number) {
      call('GET', '/requests/' + number).then(function (t) {
        clear(body);
        body.appendChild(el('h3', { text: '№' + t.number + ' ' + t.subject }));
        body.appendChild(el('p', { 'class': 'zw-muted', id: 'zw-status', text: t.status_name }));
        var msgs = el('div', { 'class': 'zw-msgs', id: 'zw-conversation' });
        (t.messages || []).forEach(function (m) { msgs.appendChild(message(m)); });
        body.appendChild(msgs);
        var form = el('form', { id: 'zw-reply' }, [el('textarea', { name: 'body', rows: '3', required: 'required', 'aria-label': S.reply }),
          el('input', { type: 'file', name: 'files', multiple: 'multiple', 'aria-label': S.screenshot }), el('button', { type: 'submit', 'class': 'primary', text: S.send })]);
        form.addEventListener('submit', function (e) {
          e.preventDefault();
          call('POST', '/requests/' + number + '/comments', new FormData(form), true).then(function () { show(number); }).catch(function (error) { showError(form, error); });
        });
        body.appendChild(form);
      }).catch(function (error) { showError(body, error); });
    }

    function chat() {
      clear(body);
      if (state.chat) { chatView(); return; }
      // Whether anyone is on shift now, not when the panel opened.
      call('GET', '/config').then(function (config) { state.config = config; chatStart(); }).catch(function (error) { showError(body, error); });
    }

    function chatStart() {
      clear(body);
      if (!state.config.chat_available) {
        body.appendChild(el('p', { id: 'zw-offline', text: S.offline }));
        var leave = el('button', { type: 'button', 'class': 'primary', id: 'zw-offline-request', text: S.leaveRequest });
        leave.addEventListener('click', function () { if (mode === 'portal') location.href = '/portal/new'; else tab('new'); });
        body.appendChild(leave);
        return;
      }
      var form = el('form', { id: 'zw-chat-start' }, [el('p', { text: S.chatHello }),
        el('textarea', { id: 'zw-chat-first', rows: '3', required: 'required', maxlength: String(state.config.max_chat_characters), 'aria-label': S.yourMessage }),
        el('button', { type: 'submit', 'class': 'primary', id: 'zw-chat-begin', text: S.startChat })]);
      form.addEventListener('submit', function (e) {
        e.preventDefault();
        call('POST', '/chats', { text: form.querySelector('textarea').value }).then(function (c) { state.chat = c; chatView(); })
          .catch(function (error) { if (error.fields && error.fields.some(function (f) { return f.code === 'offline'; })) { state.config.chat_available = false; chatStart(); } else showError(form, error); });
      });
      body.appendChild(form);
    }

    function chatView() {
      clear(body);
      var status = el('p', { 'class': 'zw-muted', id: 'zw-chat-state', text: S.waiting });
      var msgs = el('div', { 'class': 'zw-msgs', id: 'zw-chat-messages' });
      var error = el('div', { id: 'zw-chat-error' });
      var input = el('textarea', { id: 'zw-chat-input', rows: '2', maxlength: String(state.config.max_chat_characters), 'aria-label': S.yourMessage });
      var send = el('button', { type: 'button', 'class': 'primary', id: 'zw-chat-send', text: S.send });
      var end = el('button', { type: 'button', 'class': 'secondary', id: 'zw-chat-end', text: S.endChat });
      body.appendChild(el('p', { 'class': 'zw-muted', text: S.chatTicket.replace('%d', state.chat.number) }));
      [status, msgs, error, input, send, end].forEach(function (n) { body.appendChild(n); });
      var socket = new WebSocket(socketURL('/widget/socket'));
      state.socket = socket;
      socket.onopen = function () { socket.send(JSON.stringify({ type: 'auth', token: token, ticket: state.chat.number })); };
      socket.onmessage = function (event) {
        var data = JSON.parse(event.data);
        if (data.type === 'message' && !msgs.querySelector('[data-id="' + data.message.id + '"]')) { msgs.appendChild(message(data.message)); msgs.scrollTop = msgs.scrollHeight; }
        if (data.type === 'state') {
          status.textContent = data.state === 'waiting' ? S.waiting : data.state === 'active' ? S.withAgent.replace('%s', data.agent || '') : S.ended;
          status.setAttribute('data-state', data.state);
          if (data.state === 'ended') { input.disabled = true; send.disabled = true; end.disabled = true; state.chat = null; }
        }
        if (data.type === 'error') { clear(error).appendChild(el('div', { 'class': 'zw-error', role: 'alert', text: data.message })); }
      };
      socket.onclose = function () { if (!send.disabled) clear(error).appendChild(el('div', { 'class': 'zw-error', text: S.disconnected })); };
      function go() {
        var text = input.value.trim(); if (!text) return;
        clear(error); socket.send(JSON.stringify({ type: 'message', text: text })); input.value = '';
      }
      send.addEventListener('click', go);
      input.addEventListener('keydown', function (e) { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); go(); } });
      end.addEventListener('click', function () { socket.send(JSON.stringify({ type: 'end' })); });
    }

    var close = document.getElementById('zw-close');
    if (close) close.addEventListener('click', function () { window.parent.postMessage({ type: 'zayavka:close' }, '*'); });

    if (mode === 'portal') { start(); }
    else {
      var saved = null; try { saved = sessionStorage.getItem('zw-token'); } catch (e) {}
      var started = false;
      window.addEventListener('message', function (event) {
        if (event.source !== window.parent || !event.data || event.data.type !== 'zayavka:init' || started) return;
        started = true;
        if (event.data.identity) open({ identity: event.data.identity, language: document.documentElement.lang });
        else if (saved) { token = saved; start(); }
        else intro(null);
      });
      if (window.parent !== window) window.parent.postMessage({ type: 'zayavka:ready' }, '*');
      setTimeout(function () { if (!started) { started = true; if (saved) { token = saved; start(); } else intro(null); } }, window.parent !== window ? 2000 : 0);
    }
  }

  // The agents' chat console: the waiting and active chats, live; one chat's transcript and composer.
  var consoleRoot = document.getElementById('chat-console');
  if (consoleRoot) {
    var C = JSON.parse(document.getElementById('chat-strings').textContent);
    var listNode = document.getElementById('chat-list');
    var pane = document.getElementById('chat-pane');
    var current = null, socket = null, baseTitle = document.title;
    function connect() {
      socket = new WebSocket(socketURL('/agent/chats/socket'));
      socket.onopen = function () { consoleRoot.setAttribute('data-live', '1'); if (current) socket.send(JSON.stringify({ type: 'watch', ticket: current })); };
      socket.onclose = function () { consoleRoot.setAttribute('data-live', '0'); setTimeout(connect, 2000); };
      socket.onmessage = function (event) {
        var data = JSON.parse(event.data);
        if (data.type === 'chats') render(data.items);
        if (data.type === 'message' && data.ticket === current) {
          var msgs = document.getElementById('chat-messages');
          if (msgs && !msgs.querySelector('[data-id="' + data.message.id + '"]')) { msgs.appendChild(message(data.message)); msgs.scrollTop = msgs.scrollHeight; }
        }
        if (data.type === 'state' && data.ticket === current) {
          var s = document.getElementById('chat-state');
          if (s) { s.textContent = C[data.state] + (data.agent ? ' · ' + data.agent : ''); s.setAttribute('data-state', data.state); }
          var accept = document.getElementById('chat-accept'); if (accept) accept.hidden = data.state !== 'waiting';
        }
        if (data.type === 'error') { var e = document.getElementById('chat-error'); if (e) clear(e).appendChild(el('div', { 'class': 'zw-error', role: 'alert', text: data.message })); }
      };
    }
    function render(items) {
      clear(listNode);
      var waiting = items.filter(function (c) { return c.state === 'waiting'; }).length;
      document.title = (waiting ? '(' + waiting + ') ' : '') + baseTitle;
      document.getElementById('chat-count').textContent = C.waitingCount.replace('%d', waiting);
      if (!items.length) listNode.appendChild(el('li', { 'class': 'zw-muted', text: C.none }));
      items.forEach(function (c) {
        var li = el('li', { 'class': c.state + (c.number === current ? ' current' : ''), 'data-number': String(c.number) }, [
          el('strong', { text: c.customer + ' · №' + c.number }), el('div', { 'class': 'zw-muted', text: C[c.state] + (c.agent ? ' · ' + c.agent : '') }),
          el('div', { text: c.last })]);
        li.addEventListener('click', function () { openChat(c.number); render(items); });
        listNode.appendChild(li);
      });
    }
    function openChat(number) {
      current = number;
      clear(pane);
      pane.appendChild(el('h2', {}, [el('a', { href: '/agent/tickets/' + number, text: '№' + number })]));
      pane.appendChild(el('p', { id: 'chat-state', 'class': 'zw-muted' }));
      pane.appendChild(el('div', { 'class': 'zw-msgs', id: 'chat-messages' }));
      pane.appendChild(el('div', { id: 'chat-error' }));
      var input = el('textarea', { id: 'chat-input', rows: '3', 'aria-label': C.reply });
      var send = el('button', { type: 'button', 'class': 'primary', id: 'chat-send', text: C.send });
      var accept = el('button', { type: 'button', 'class': 'secondary', id: 'chat-accept', text: C.accept });
      var end = el('button', { type: 'button', 'class': 'secondary', id: 'chat-end', text: C.end });
      [input, el('div', { 'class': 'actions' }, [send, accept, end])].forEach(function (n) { pane.appendChild(n); });
      function go() { var text = input.value.trim(); if (!text) return; socket.send(JSON.stringify({ type: 'message', ticket: number, text: text })); input.value = ''; }
      send.addEventListener('click', go);
      input.addEventListener('keydown', function (e) { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); go(); } });
      accept.addEventListener('click', function () { socket.send(JSON.stringify({ type: 'accept', ticket: number })); });
      end.addEventListener('click', function () { socket.send(JSON.stringify({ type: 'end', ticket: number })); });
      if (socket && socket.readyState === 1) socket.send(JSON.stringify({ type: 'watch', ticket: number }));
    }
    connect();
  }
})();
"""#
}
