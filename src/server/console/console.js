// airlock console — talks JSON-RPC to the app-server that served this page,
// over a WebSocket of this origin. Plain script, no framework, no network
// access beyond this origin (the page's Content-Security-Policy says so).
// Everything a server or a command sent is shown with textContent, never
// parsed as HTML.
"use strict";

(function () {
  const FEED_MAX = 1000; // rows kept in memory
  const COMMANDS_EVERY_MS = 2000;
  const KEY = "airlock.console.key";
  const ROLES = "airlock.console.roles";

  const state = {
    ws: null,
    nextId: 1,
    calls: new Map(), // id -> {resolve, reject}
    approvals: new Map(), // request id -> {msg, el}
    feed: [], // newest last
    paused: false,
    held: 0, // events that arrived while paused
    view: "feed",
    commandsTimer: null,
    network: null, // last network/policy/read
  };

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("data-")) e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const c of children) e.append(c);
    return e;
  }

  function setStatus(s, text) {
    const st = $("status");
    st.dataset.state = s;
    st.textContent = text || s;
  }

  function showError(id, text) {
    const e = $(id);
    e.textContent = text || "";
    e.hidden = !text;
  }

  // --- login -------------------------------------------------------------

  async function login(code) {
    // The code must not stay in the address bar or the history.
    history.replaceState(null, "", location.pathname);
    const r = await fetch("/login", {
      method: "POST",
      headers: { "X-Airlock-Login": code },
      credentials: "same-origin",
      cache: "no-store",
    });
    if (!r.ok) throw new Error(await r.text());
    const j = await r.json();
    sessionStorage.setItem(KEY, j.key);
    sessionStorage.setItem(ROLES, JSON.stringify(j.roles));
  }

  async function start() {
    wireUi();
    const m = /(?:^#|&)code=([A-Za-z0-9_-]+)/.exec(location.hash);
    if (m) {
      try {
        await login(m[1]);
      } catch (e) {
        setStatus("refused", "not logged in");
        showError("login-error", String(e.message || e));
        return;
      }
    }
    if (!sessionStorage.getItem(KEY)) {
      setStatus("refused", "not logged in");
      showError("login-error", "Not logged in: open the login URL that " +
        "`airlock app-server` printed (send it SIGUSR1 for a new one).");
      return;
    }
    connect();
  }

  // --- JSON-RPC ------------------------------------------------------------

  function connect() {
    const key = sessionStorage.getItem(KEY);
    const roles = JSON.parse(sessionStorage.getItem(ROLES) || "[]");
    $("roles").textContent = "roles: " + roles.join(", ");
    setStatus("connecting");
    const ws = new WebSocket("ws://" + location.host + "/",
      ["airlock.console", "airlock.key." + key]);
    state.ws = ws;
    ws.onopen = onOpen;
    ws.onmessage = (ev) => onMessage(ev.data);
    ws.onclose = () => {
      for (const c of state.calls.values()) c.reject(new Error("disconnected"));
      state.calls.clear();
      clearApprovals();
      if ($("status").dataset.state === "connected") {
        setStatus("closed", "disconnected");
        showError("login-error", "The connection to the app-server ended. " +
          "Reload the page to reconnect; if the server restarted, open " +
          "the new login URL it printed.");
      } else {
        setStatus("refused", "refused");
        sessionStorage.removeItem(KEY);
        showError("login-error", "The app-server refused this session " +
          "(it restarted, or the session ended). Open a new login URL.");
      }
    };
  }

  function send(msg) {
    if (state.ws && state.ws.readyState === WebSocket.OPEN)
      state.ws.send(JSON.stringify(msg));
  }

  function call(method, params) {
    const id = state.nextId++;
    return new Promise((resolve, reject) => {
      state.calls.set(id, { resolve, reject });
      send({ id, method, params: params || {} });
    });
  }

  async function onOpen() {
    await call("initialize", {
      clientInfo: { name: "airlock console", version: "1" },
      // network/decision carries every refusal too.
      capabilities: { optOutNotificationMethods: ["network/blocked"] },
    });
    send({ method: "initialized" });
    setStatus("connected");
    showError("login-error", "");
    loadBlocked();
    refreshCommands();
    refreshPolicy();
  }

  function onMessage(text) {
    let m;
    try { m = JSON.parse(text); } catch (e) { return; }
    if (m.method && m.id !== undefined) return onRequest(m);
    if (m.method) return onNotification(m.method, m.params || {});
    const c = state.calls.get(m.id);
    if (!c) return;
    state.calls.delete(m.id);
    if (m.error) c.reject(new Error(m.error.message));
    else c.resolve(m.result);
  }

  function onRequest(m) {
    if (m.method === "network/approval" || m.method === "exec/approval")
      addApproval(m);
    else
      send({ id: m.id, error: { code: -32601, message: "Method not found" } });
  }

  function onNotification(method, p) {
    if (method === "network/decision") addDecision(p);
    else if (method === "network/approval/resolved" ||
             method === "exec/approval/resolved") removeApproval(p.approvalId);
  }

  // --- approvals -------------------------------------------------------------

  const NET_ANSWERS = [
    ["allow_once", "Allow once", "allow"],
    ["allow_session", "Allow for this session", "allow"],
    ["allow_always", "Always allow", "allow"],
    ["deny", "Deny", "deny"],
    ["deny_always", "Always deny", "deny"],
  ];
  const EXEC_ANSWERS = [["approve", "Approve", "allow"], ["deny", "Deny", "deny"]];

  function approvalCard(m) {
    const p = m.params || {};
    const card = el("div", { class: "approval", "data-id": String(m.id),
                             "data-kind": m.method });
    if (m.method === "network/approval") {
      card.append(el("div", { class: "what", text:
        `${p.method || p.protocol} ${p.host}:${p.port} (${p.protocol})` }));
      card.append(el("div", { class: "why", text: p.message || p.reason }));
      card.append(el("div", { class: "cmd", text:
        `${p.processId || ""}: ${p.command || ""}` }));
      // The process of the sandbox that asks: what it says of itself.
      if (p.process)
        card.append(el("div", { class: "cmd", text: "process: " + p.process }));
    } else {
      const esc = p.escalation || {};
      const asks = [];
      if (esc.sandbox) asks.push("sandbox " + esc.sandbox);
      if (esc.network) asks.push("network");
      if (esc.command) asks.push("a command off the safe list");
      card.append(el("div", { class: "what", text:
        "run: " + (p.command || []).join(" ") }));
      card.append(el("div", { class: "why", text:
        "asks for " + asks.join(", ") + (p.justification ?
          ` — "${p.justification}"` : "") }));
      card.append(el("div", { class: "cmd", text: `in ${p.cwd || "?"}` }));
    }
    const row = el("div", { class: "answers" });
    const answers = m.method === "network/approval" ? NET_ANSWERS : EXEC_ANSWERS;
    for (const [decision, label, cls] of answers) {
      const b = el("button", { type: "button", class: cls, text: label,
                               "data-decision": decision });
      b.addEventListener("click", () => answer(m.id, decision));
      row.append(b);
    }
    card.append(row);
    return card;
  }

  function addApproval(m) {
    if (state.approvals.has(m.id)) return;
    const card = approvalCard(m);
    state.approvals.set(m.id, { msg: m, el: card });
    $("approvals-list").append(card);
    renderApprovalCount();
  }

  function removeApproval(id) {
    const a = state.approvals.get(id);
    if (!a) return;
    a.el.remove();
    state.approvals.delete(id);
    renderApprovalCount();
  }

  function clearApprovals() {
    for (const id of [...state.approvals.keys()]) removeApproval(id);
  }

  function renderApprovalCount() {
    const n = state.approvals.size;
    $("approvals").hidden = n === 0;
    $("approvals-count").textContent = String(n);
    document.title = n ? `(${n}) airlock console` : "airlock console";
  }

  function answer(id, decision) {
    send({ id, result: { decision } });
    // The one who answers is not told it was resolved: remove it now.
    removeApproval(id);
    if (decision.endsWith("_always")) setTimeout(refreshPersisted, 300);
  }

  // --- live feed ---------------------------------------------------------------

  function loadBlocked() {
    call("network/blocked/list", {}).then((r) => {
      for (const b of r.blocked || [])
        addDecision(Object.assign({ decision: "deny", command: "" }, b), true);
    }).catch(() => {});
  }

  function matches(d) {
    const want = $("feed-decision").value;
    const proto = $("feed-protocol").value;
    const text = $("feed-filter").value.trim().toLowerCase();
    if (want && d.decision !== want) return false;
    if (proto && d.protocol !== proto) return false;
    if (!text) return true;
    return [d.host, d.command, d.reason, d.processId, d.method]
      .some((v) => v && String(v).toLowerCase().includes(text));
  }

  function fmtTime(ms) {
    const d = new Date(ms || Date.now());
    const pad = (n, w) => String(n).padStart(w || 2, "0");
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  }

  function feedRow(d, fresh) {
    const label = d.decision === "allow" ? "allowed" : "refused";
    const tr = el("tr", { class: fresh ? "fresh" : "",
                          "data-decision": d.decision, "data-host": d.host || "",
                          "data-port": String(d.port || "") });
    tr.append(el("td", { text: fmtTime(d.timestampMs) }));
    tr.append(el("td", {}, el("span", { class: "badge " + d.decision, text: label })));
    tr.append(el("td", { class: "mono", text: d.host || "" }));
    tr.append(el("td", { text: String(d.port || "") }));
    tr.append(el("td", { text: d.protocol || "" }));
    tr.append(el("td", { text: d.method || "" }));
    let reason = d.reason || "";
    if (d.approval) reason += ` (${d.approval}${d.answeredBy ? " by " + d.answeredBy : ""})`;
    tr.append(el("td", { text: reason }));
    const cmd = [d.processId, d.command].filter(Boolean).join(": ");
    tr.append(el("td", { class: "mono", text: cmd }));
    return tr;
  }

  function addDecision(d, old) {
    state.feed.push(d);
    if (state.feed.length > FEED_MAX) state.feed.shift();
    if (state.paused) {
      state.held++;
      renderFeedCount();
      return;
    }
    if (matches(d)) {
      const body = $("feed-body");
      body.prepend(feedRow(d, !old));
      while (body.rows.length > FEED_MAX) body.deleteRow(-1);
    }
    renderFeedCount();
  }

  function renderFeed() {
    const body = $("feed-body");
    body.replaceChildren();
    for (let i = state.feed.length - 1; i >= 0; i--)
      if (matches(state.feed[i])) body.append(feedRow(state.feed[i], false));
    renderFeedCount();
  }

  function renderFeedCount() {
    const shown = $("feed-body").rows.length;
    $("feed-empty").hidden = state.feed.length > 0;
    $("feed-count").textContent = state.paused
      ? `paused: ${state.held} new not shown`
      : `${shown} shown of ${state.feed.length}`;
  }

  function togglePause() {
    state.paused = !state.paused;
    const b = $("feed-pause");
    b.textContent = state.paused ? "Resume" : "Pause";
    b.setAttribute("aria-pressed", String(state.paused));
    if (!state.paused) {
      state.held = 0;
      renderFeed();
    }
    renderFeedCount();
  }

  // --- commands ------------------------------------------------------------------

  function refreshCommands() {
    call("command/list", {}).then((r) => {
      const body = $("commands-body");
      body.replaceChildren();
      for (const c of r.commands || []) {
        const kill = el("button", { type: "button", class: "deny", text: "Kill",
                                    "data-pid": String(c.pid) });
        kill.addEventListener("click", () => killCommand(c.pid));
        body.append(el("tr", { "data-pid": String(c.pid) },
          el("td", { class: "mono", text: c.processId }),
          el("td", { text: String(c.pid) }),
          el("td", { class: "mono", text: (c.command || []).join(" ") }),
          el("td", { class: "mono", text: c.cwd || "" }),
          el("td", { text: c.client || "(gone)" }),
          el("td", { text: c.sandbox || "" }),
          el("td", { text: c.network ? "through the proxy" : "off" }),
          el("td", {}, kill)));
      }
      $("commands-empty").hidden = (r.commands || []).length > 0;
      showError("commands-error", "");
    }).catch((e) => showError("commands-error", e.message));
  }

  function killCommand(pid) {
    call("command/kill", { pid }).then(refreshCommands)
      .catch((e) => showError("commands-error", e.message));
  }

  function scheduleCommands() {
    clearInterval(state.commandsTimer);
    state.commandsTimer = null;
    if (state.view === "commands")
      state.commandsTimer = setInterval(refreshCommands, COMMANDS_EVERY_MS);
  }

  // --- policy ----------------------------------------------------------------------

  function entryList(id, items, onRemove) {
    const ul = $(id);
    ul.replaceChildren();
    for (const item of items || []) {
      const b = el("button", { type: "button", text: "remove" });
      b.addEventListener("click", () => onRemove(item));
      ul.append(el("li", { "data-entry": item }, el("span", { text: item }), b));
    }
  }

  function showNetwork(p) {
    state.network = p;
    $("mode-select").value = p.mode;
    $("net-summary").textContent = `proxy ${p.enabled ? "on" : "off"}, mode ` +
      `${p.mode}, local addresses ${p.allowLocalBinding ? "allowed" : "refused"}`;
    entryList("allowed-list", p.allowedDomains,
      (d) => removeEntry(d, "removeAllowedDomains", "allowedDomains"));
    entryList("denied-list", p.deniedDomains,
      (d) => removeEntry(d, "removeDeniedDomains", "deniedDomains"));
    const r = p.requirements || {};
    const parts = [];
    if (r.allowedDomains) parts.push("managed allowlist: " + r.allowedDomains.join(", "));
    if (r.deniedDomains) parts.push("required denials: " + r.deniedDomains.join(", "));
    if (r.file) parts.push("requirements: " + r.file);
    $("net-requirements").textContent = parts.join(" · ");
  }

  function showApprovalPolicy(p) {
    const name = typeof p.approvalPolicy === "string" ? p.approvalPolicy : "granular";
    const sel = $("approval-select");
    if (![...sel.options].some((o) => o.value === name))
      sel.append(el("option", { value: name, text: name }));
    sel.value = name;
    $("approval-summary").textContent = `in force: ${name} (${p.origin}); ` +
      `a person has ${Math.round(p.approvalTimeoutMs / 1000)} s to answer`;
    const r = p.requirements || {};
    $("approval-requirements").textContent = r.allowedApprovalPolicies
      ? `requirements allow: ${r.allowedApprovalPolicies.join(", ")} (${r.file})` : "";
  }

  function updateNetwork(params) {
    showError("policy-error", "");
    return call("network/policy/update", params)
      .then((p) => { showNetwork(p); return true; })
      .catch((e) => { showError("policy-error", e.message); return false; });
  }

  // Only the lists changed at run time can lose an entry here; one that a
  // config file sets, or a remembered approval, stays: say so.
  function removeEntry(d, param, list) {
    updateNetwork({ [param]: [d] }).then((ok) => {
      if (ok && state.network && (state.network[list] || []).includes(d))
        showError("policy-error", `${d} is set by a config file or ` +
          "remembered in the approvals file: it cannot be removed here " +
          "(revoke a remembered approval below)");
    });
  }

  function refreshPersisted() {
    call("approvals/list", {}).then((r) => {
      $("persisted-file").textContent = r.file;
      const body = $("persisted-body");
      body.replaceChildren();
      for (const a of r.approvals || []) {
        const b = el("button", { type: "button", text: "Revoke",
                                 "data-entry": a.entry });
        b.addEventListener("click", () => {
          call("approvals/revoke", { pattern: a.entry }).then(refreshPersisted)
            .catch((e) => showError("persisted-error", e.message));
        });
        body.append(el("tr", { "data-entry": a.entry },
          el("td", {}, el("span", { class: "badge " + a.decision,
                                    text: a.decision })),
          el("td", { class: "mono", text: a.entry }),
          el("td", { text: String(a.line) }),
          el("td", {}, b)));
      }
      $("persisted-empty").hidden = (r.approvals || []).length > 0;
      showError("persisted-error", "");
    }).catch((e) => showError("persisted-error", e.message));
  }

  function refreshPolicy() {
    call("network/policy/read", {}).then(showNetwork)
      .catch((e) => showError("policy-error", e.message));
    call("approval/policy/read", {}).then(showApprovalPolicy)
      .catch((e) => showError("approval-error", e.message));
    refreshPersisted();
  }

  // --- wiring ------------------------------------------------------------------------

  function showView(view) {
    state.view = view;
    for (const b of document.querySelectorAll("#tabs button"))
      b.setAttribute("aria-selected", String(b.dataset.view === view));
    for (const v of ["feed", "commands", "policy"])
      $("view-" + v).hidden = v !== view;
    if (view === "commands") refreshCommands();
    if (view === "policy") refreshPolicy();
    scheduleCommands();
  }

  function addFrom(inputId, key) {
    const v = $(inputId).value.trim();
    if (!v) return;
    updateNetwork({ [key]: [v] }).then((ok) => { if (ok) $(inputId).value = ""; });
  }

  function wireUi() {
    for (const b of document.querySelectorAll("#tabs button"))
      b.addEventListener("click", () => showView(b.dataset.view));
    $("feed-filter").addEventListener("input", renderFeed);
    for (const id of ["feed-decision", "feed-protocol"])
      $(id).addEventListener("change", renderFeed);
    $("feed-pause").addEventListener("click", togglePause);
    $("feed-clear").addEventListener("click", () => {
      state.feed = [];
      state.held = 0;
      renderFeed();
    });
    $("commands-refresh").addEventListener("click", refreshCommands);
    $("mode-apply").addEventListener("click",
      () => updateNetwork({ mode: $("mode-select").value }));
    $("allowed-add").addEventListener("click",
      () => addFrom("allowed-input", "addAllowedDomains"));
    $("denied-add").addEventListener("click",
      () => addFrom("denied-input", "addDeniedDomains"));
    $("approval-apply").addEventListener("click", () => {
      showError("approval-error", "");
      call("approval/policy/update", { approvalPolicy: $("approval-select").value })
        .then(showApprovalPolicy)
        .catch((e) => showError("approval-error", e.message));
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
