// The inspector page of membrane-fake: plain JavaScript, no dependencies. It reads the fake's
// admin API with the admin token, which it takes from the URL's fragment (#token=...) or asks
// for, and keeps only in this tab's sessionStorage. Every value from the server is written with
// textContent, never parsed as HTML.
"use strict";

(() => {
  const TOKEN_KEY = "membrane-fake-admin-token";
  const POLL_MS = 500; // the overview is read this often
  const JOURNAL_WAIT = "5s"; // how long a journal read waits for a new entry
  const JOURNAL_SHOWN = 300; // the newest entries shown

  const $ = (id) => document.getElementById(id);
  const state = {
    token: "",
    overview: null,
    overviewText: "",
    revealed: new Map(), // workspace id -> secret, shown until hidden
    open: new Set(), // ids of <details> the user opened
    journal: [], // newest first
    journalSeq: 0,
    journalLive: true, // the server numbers entries and waits for new ones
    journalAbort: null,
    journalRun: 0,
  };

  // ---- small helpers ----

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(node.dataset, v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  // td is a table cell; its content is one element, so that a narrow screen's stacked rows
  // (label beside value) keep it together.
  function td(label, ...children) {
    return el("td", { "data-label": label }, el("span", {}, ...children));
  }

  // say tells what happened, once, in the live region that screen readers announce.
  function say(msg, isError) {
    const s = $("status");
    if (s.textContent === msg) return;
    s.textContent = msg;
    s.className = isError ? "bad" : "";
  }

  // fresh shows when the page last heard from the fake, quietly.
  function fresh(msg) {
    $("freshness").textContent = msg;
  }

  function fmtTime(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    if (isNaN(d)) return iso;
    return d.toISOString().replace("T", " ").replace("Z", "");
  }

  // ---- the admin API ----

  class AuthError extends Error {}

  async function api(method, path, body, signal) {
    const init = { method, headers: { Authorization: "Bearer " + state.token }, signal, cache: "no-store" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const resp = await fetch(path, init);
    const text = await resp.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (_) { data = null; }
    if (resp.status === 401) throw new AuthError("the admin token was refused");
    if (!resp.ok) {
      const err = new Error((data && data.message) || resp.status + " " + resp.statusText);
      err.status = resp.status;
      throw err;
    }
    return data;
  }

  // ---- signing in ----

  function tokenFromFragment() {
    const m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
    if (!m) return "";
    // The token leaves the address bar at once: it is not to be bookmarked, shared or shown.
    history.replaceState(null, "", location.pathname + location.search);
    try { return decodeURIComponent(m[1]); } catch (_) { return ""; }
  }

  function showSignIn(message) {
    stopAll();
    state.token = "";
    sessionStorage.removeItem(TOKEN_KEY);
    $("app").hidden = true;
    $("nav").hidden = true;
    $("top-actions").hidden = true;
    $("signin").hidden = false;
    $("signin-error").textContent = message || "";
    say("");
    fresh("");
    $("signin-token").focus();
  }

  async function signIn(token) {
    state.token = token;
    try {
      await api("GET", "/_fake/inspect");
    } catch (e) {
      showSignIn(e instanceof AuthError ? "That is not the admin token." : "The fake did not answer: " + e.message);
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, token);
    $("signin").hidden = true;
    $("app").hidden = false;
    $("nav").hidden = false;
    $("top-actions").hidden = false;
    startAll();
  }

  // ---- the overview: instances, orgs, workspaces, faults ----

  let pollTimer = null;
  let pollRun = 0;

  async function poll(run) {
    if (run !== pollRun) return;
    try {
      const { time, ...view } = await api("GET", "/_fake/inspect");
      const text = JSON.stringify(view); // redrawn only when something other than the time changed
      if (run !== pollRun) return;
      if (text !== state.overviewText) {
        state.overviewText = text;
        state.overview = JSON.parse(text);
        renderOverview();
      }
      fresh("Up to date, " + new Date().toLocaleTimeString());
      if ($("status").textContent.startsWith("Cannot reach the fake")) say("The fake answers again.");
    } catch (e) {
      if (e instanceof AuthError) { showSignIn("The admin token was refused; sign in again."); return; }
      say("Cannot reach the fake: " + e.message, true);
      fresh("");
    }
    if (run === pollRun) pollTimer = setTimeout(() => poll(run), POLL_MS);
  }

  function refreshSoon() {
    clearTimeout(pollTimer);
    pollRun++;
    poll(pollRun);
  }

  // renderOverview redraws what the overview shows, keeping the focus, open details and
  // revealed secrets where they were.
  function renderOverview() {
    const focusId = document.activeElement && document.activeElement.id;
    const v = state.overview;
    renderInstances(v);
    renderOrgs(v);
    renderFaults(v);
    fillSelect($("fault-instance"), v.instances.map((i) => [i.id, i.id]));
    const orgChoices = v.orgs.map((o) => [o.id, o.name + " (" + o.id + ")"]);
    fillSelect($("fault-org"), orgChoices);
    fillSelect($("filter-org"), orgChoices);
    if (focusId && document.activeElement !== $(focusId) && $(focusId)) $(focusId).focus();
  }

  function fillSelect(sel, choices) {
    const keep = sel.value;
    const want = JSON.stringify(choices);
    if (sel.dataset.choices === want) return;
    sel.dataset.choices = want;
    sel.replaceChildren(el("option", { value: "", text: "any" }),
      ...choices.map(([value, label]) => el("option", { value, text: label })));
    sel.value = choices.some(([value]) => value === keep) ? keep : "";
  }

  function renderInstances(v) {
    const rows = v.instances.map((i) => el("tr", { id: "instance-" + i.id },
      td("Id", el("strong", { text: i.id }), i.name && i.name !== i.id ? el("span", { class: "muted", text: " " + i.name }) : null,
        i.inProcess ? null : el("span", { class: "muted", text: " (other process)" })),
      td("URL", el("code", { text: i.url })),
      td("Reachable", i.reachable ? el("span", { class: "ok", text: "yes" }) : el("span", { class: "bad", text: "no" })),
      td("Workspaces", el("span", { class: "num", text: String(i.workspaces) }),
        i.held !== undefined && i.held !== i.workspaces ? el("span", { class: "warn", text: " (instance holds " + i.held + ")" }) : null),
      td("Hub and instance", i.inAgreement ? el("span", { class: "ok", text: "in agreement" })
        : el("span", { class: "warn", text: i.awaitingRepair + " awaiting repair" }))));
    $("instance-rows").replaceChildren(...rows);
  }

  function renderOrgs(v) {
    const list = $("org-list");
    if (!v.orgs.length) {
      list.replaceChildren(el("p", { class: "empty", text: "No orgs." }));
      return;
    }
    list.replaceChildren(...v.orgs.map((o) => renderOrg(o, o.id === v.defaultOrgId)));
  }

  function renderOrg(o, isDefault) {
    const members = o.members.length
      ? el("ul", { class: "members", "aria-label": "Members of " + o.name },
        ...o.members.map((m) => el("li", {},
          el("span", { class: "mono", text: m.userId }), " ", m.role,
          m.expiresAt ? el("span", { class: m.expired ? "bad" : "muted", text: m.expired ? " expired" : " until " + fmtTime(m.expiresAt) }) : null)))
      : el("p", { class: "empty", text: "No members." });
    const workspaces = o.workspaces.length
      ? el("div", { class: "workspaces" }, ...o.workspaces.map(renderWorkspace))
      : el("p", { class: "empty", id: "org-empty-" + o.id, text: "No workspaces." });
    return el("article", { class: "org", id: "org-" + o.id, "aria-labelledby": "org-h-" + o.id },
      el("div", { class: "org-head" },
        el("h3", { id: "org-h-" + o.id }, o.name, " ", el("code", { text: o.id }), isDefault ? el("span", { class: "muted", text: " default org" }) : null),
        el("span", { class: "muted", text: o.workspaces.length + " workspace" + (o.workspaces.length === 1 ? "" : "s") }),
        el("div", { class: "actions" },
          el("button", { type: "button", class: "danger", id: "reset-org-" + o.id, onclick: () => confirmReset(o) }, "Reset org"))),
      el("h4", { text: "Members" }), members,
      el("h4", { text: "Workspaces" }), workspaces);
  }

  function renderWorkspace(w) {
    const on = Object.entries(w.settings || {}).filter(([, v]) => v).map(([k]) => k);
    const keys = (w.publicKeys || []).map((k) => k.name || "(unnamed)");
    const fields = [
      ["Id", el("code", { text: w.id })],
      ["Key", el("code", { text: w.key })],
      ["Instance", w.membraneInstanceId || "hub"],
      ["Type", w.type + (w.isReadOnly ? ", read-only" : "")],
      ["Webhook", w.webhookUri ? el("code", { text: w.webhookUri }) : el("span", { class: "muted", text: "none" })],
      ["Events", w.enabledWebhookEvents.length ? w.enabledWebhookEvents.join(", ") : el("span", { class: "muted", text: "none" })],
      ["Settings on", on.length ? on.join(", ") : el("span", { class: "muted", text: "none" })],
      ["Public keys", keys.length ? keys.join(", ") : el("span", { class: "muted", text: "none" })],
      ["Created", fmtTime(w.createdAt)],
      ["Updated", fmtTime(w.updatedAt)],
      ["Secret", renderSecret(w)],
    ];
    const badges = [];
    if (w.archivedAt) badges.push(el("span", { class: "badge muted", text: "archived " + fmtTime(w.archivedAt) }));
    if (w.awaitingRepair) badges.push(el("span", { class: "badge warn", text: "awaiting repair" }));
    return el("article", { class: "ws" + (w.archivedAt ? " archived" : ""), id: "ws-" + w.id, dataset: { wsId: w.id } },
      el("div", { class: "ws-head" }, el("h4", { text: w.name }), ...badges),
      el("dl", { class: "fields" }, ...fields.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", {}, v)])),
      renderCustomers(w));
  }

  function renderSecret(w) {
    const shown = state.revealed.get(w.id);
    if (shown !== undefined) {
      return el("span", { class: "secret" },
        el("code", { id: "secret-" + w.id, class: "revealed", text: shown }),
        el("button", { type: "button", class: "secondary", id: "hide-" + w.id, onclick: () => hideSecret(w.id) }, "Hide"));
    }
    return el("span", { class: "secret" },
      el("span", { class: "muted", text: "hidden" }),
      el("button", { type: "button", class: "secondary", id: "reveal-" + w.id, "aria-label": "Reveal the secret of " + w.name,
        onclick: () => revealSecret(w.id) }, "Reveal"));
  }

  function renderCustomers(w) {
    if (!w.customersKnown) return el("p", { class: "muted", text: "Customers: held by an instance in another process." });
    if (!w.customers.length) return el("p", { class: "muted", text: "No customers." });
    const id = "customers-" + w.id;
    const det = el("details", { id, open: state.open.has(id),
      ontoggle: () => det.open ? state.open.add(id) : state.open.delete(id) },
    el("summary", { text: w.customers.length + " customer" + (w.customers.length === 1 ? "" : "s") }),
    el("div", { class: "scroll" }, el("table", { class: "stack" },
      el("thead", {}, el("tr", {}, ...["Name", "Internal id", "Id", "State", "Created"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, ...w.customers.map((c) => el("tr", {},
        td("Name", c.name), td("Internal id", el("code", { text: c.internalId })), td("Id", el("code", { text: c.id })),
        td("State", [c.archivedAt ? "archived" : c.isActive ? "active" : "inactive", c.isTest ? ", test" : ""].join("")),
        td("Created", fmtTime(c.createdAt))))))));
    return det;
  }

  async function revealSecret(id) {
    try {
      const r = await api("GET", "/_fake/workspaces/" + encodeURIComponent(id) + "/secret");
      state.revealed.set(id, r.secret);
      renderOverview();
      const shown = $("hide-" + id);
      if (shown) shown.focus();
    } catch (e) {
      if (e instanceof AuthError) showSignIn("The admin token was refused; sign in again.");
      else say("Could not reveal the secret: " + e.message, true);
    }
  }

  function hideSecret(id) {
    state.revealed.delete(id);
    renderOverview();
    const btn = $("reveal-" + id);
    if (btn) btn.focus();
  }

  function describeFault(f) {
    const m = [];
    m.push(f.method || "any method");
    m.push(f.path || "any path");
    if (f.instance) m.push("at " + f.instance);
    if (f.org) m.push("org " + f.org);
    if (f.probability && f.probability < 1) m.push("p=" + f.probability);
    const d = [];
    if (f.latency) d.push("wait " + f.latency);
    if (f.status) d.push(f.status + (f.retryAfter ? " (Retry-After " + f.retryAfter + ")" : ""));
    if (f.reset) d.push("reset the connection");
    if (f.dropAnswer) d.push("drop the answer");
    return [m.join(" "), d.join(", then ")];
  }

  function renderFaults(v) {
    const rows = v.faults.map((f) => {
      const [matches, does] = describeFault(f);
      return el("tr", { id: "fault-" + f.id, dataset: { faultId: f.id } },
        td("Id", el("code", { text: f.id })),
        td("Matches", matches),
        td("Does", does),
        td("Fired", el("span", { class: "fired", text: String(f.fired) }), f.times ? " of " + f.times : ""),
        td("Actions", el("button", { type: "button", class: "danger", id: "remove-" + f.id, "aria-label": "Remove " + f.id,
          onclick: () => removeFault(f.id) }, "Remove")));
    });
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: "5", class: "empty", text: "No faults." })));
    $("fault-rows").replaceChildren(...rows);
  }

  async function addFault(ev) {
    ev.preventDefault();
    const f = ev.target.elements;
    const num = (input) => (input.value.trim() === "" ? 0 : Number(input.value));
    const fault = { method: f.method.value, path: f.path.value.trim(), instance: f.instance.value, org: f.org.value,
      times: num(f.times), probability: num(f.probability), message: f.message.value.trim() };
    const action = f.action.value;
    if (action === "status") { fault.status = num(f.status); fault.retryAfter = num(f.retryAfter); }
    if (action === "reset") fault.reset = true;
    if (action === "dropAnswer") fault.dropAnswer = true;
    if (f.latency.value.trim()) fault.latency = f.latency.value.trim();
    if (!(fault.probability > 0 && fault.probability <= 1)) {
      $("fault-error").textContent = "Not added: the probability must be above 0 and at most 1.";
      $("fault-probability").focus();
      return;
    }
    if (fault.probability === 1) fault.probability = 0; // the API's 0 means every match
    for (const k of Object.keys(fault)) if (fault[k] === "" || fault[k] === 0) delete fault[k];
    try {
      const added = await api("POST", "/_fake/faults", fault);
      $("fault-error").textContent = "";
      say("Added " + added.id + ".");
      refreshSoon();
    } catch (e) {
      if (e instanceof AuthError) { showSignIn("The admin token was refused; sign in again."); return; }
      $("fault-error").textContent = "Not added: " + e.message;
    }
  }

  async function removeFault(id) {
    try {
      await api("DELETE", "/_fake/faults/" + encodeURIComponent(id));
      say("Removed " + id + ".");
      refreshSoon();
      $("fault-add").focus();
    } catch (e) {
      say("Could not remove " + id + ": " + e.message, true);
    }
  }

  function syncFaultForm() {
    const action = $("fault-action").value;
    $("fault-status").disabled = action !== "status";
    $("fault-retry-after").disabled = action !== "status";
  }

  // ---- reset and the snapshot ----

  function confirmReset(org) {
    const dlg = $("confirm");
    $("confirm-h").textContent = org ? "Reset org " + org.name + "?" : "Reset the whole server?";
    $("confirm-text").textContent = org
      ? "The org goes back to its start state: its workspaces and their customers are removed, and those of the seed placed again. Its members and their tokens stay; faults that match the org are removed. Other orgs are untouched."
      : "Everything goes back to the start state: the seed is loaded again, every other org, workspace and customer is removed, and the journal and faults are emptied.";
    $("confirm-ok").textContent = org ? "Reset org" : "Reset server";
    dlg.returnValue = "";
    dlg.onclose = () => { if (dlg.returnValue === "ok") doReset(org); };
    dlg.showModal();
    $("confirm-cancel").focus();
  }

  async function doReset(org) {
    const path = "/_fake/reset" + (org ? "?orgId=" + encodeURIComponent(org.id) : "");
    try {
      await api("POST", path);
      say(org ? "Org " + org.name + " was reset." : "The server was reset.");
      state.revealed.clear();
      if (!org) restartJournal();
      refreshSoon();
    } catch (e) {
      if (e instanceof AuthError) { showSignIn("The admin token was refused; sign in again."); return; }
      say("Reset failed: " + e.message, true);
    }
  }

  async function downloadState() {
    try {
      const resp = await fetch("/_fake/state", { headers: { Authorization: "Bearer " + state.token }, cache: "no-store" });
      if (resp.status === 401) { showSignIn("The admin token was refused; sign in again."); return; }
      if (!resp.ok) throw new Error(resp.status + " " + resp.statusText);
      const url = URL.createObjectURL(await resp.blob());
      const a = el("a", { href: url, download: "membrane-fake-state-" + new Date().toISOString().replace(/[:.]/g, "-") + ".json" });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      say("Snapshot downloaded. It holds tokens and secrets: keep it private.");
    } catch (e) {
      say("Could not download the snapshot: " + e.message, true);
    }
  }

  // ---- the journal ----

  function journalQuery() {
    const q = new URLSearchParams();
    for (const id of ["filter-method", "filter-path", "filter-status", "filter-org"]) {
      const input = $(id);
      if (input.value.trim() !== "") q.set(input.name, input.value.trim());
    }
    return q;
  }

  function restartJournal() {
    if (state.journalAbort) state.journalAbort.abort();
    state.journal = [];
    state.journalSeq = 0;
    state.journalLive = true;
    state.journalRun++;
    renderJournal(new Set());
    if (!$("filter-pause").checked && state.token) readJournal(state.journalRun);
  }

  async function readJournal(run) {
    while (run === state.journalRun) {
      const q = journalQuery();
      if (state.journalLive) {
        q.set("since", String(state.journalSeq));
        if (state.journalSeq > 0) q.set("wait", JOURNAL_WAIT);
      }
      const ctl = new AbortController();
      state.journalAbort = ctl;
      let items, lastSeq;
      try {
        const data = await api("GET", "/_fake/journal?" + q, undefined, ctl.signal);
        items = (data && data.items) || [];
        lastSeq = data && data.lastSeq;
      } catch (e) {
        if (run !== state.journalRun) return;
        if (e instanceof AuthError) { showSignIn("The admin token was refused; sign in again."); return; }
        if (e.status === 400) { // a filter the server refuses: wait for the next change
          $("journal-note").textContent = "Filter refused: " + e.message;
          return;
        }
        $("journal-note").textContent = "Cannot read the journal: " + e.message;
        await pause(1000);
        continue;
      }
      if (run !== state.journalRun) return;
      if (typeof lastSeq === "number" && lastSeq < state.journalSeq) { // the journal was started anew
        restartJournal();
        return;
      }
      const fresh = new Set();
      if (items.length && items[0].seq === undefined) {
        // A server that does not number entries: read the whole journal every time.
        state.journalLive = false;
        state.journal = items.slice(-JOURNAL_SHOWN).reverse();
      } else {
        for (const e of items) {
          if (e.seq <= state.journalSeq) continue;
          state.journalSeq = e.seq;
          state.journal.unshift(e);
          fresh.add(e.seq);
        }
        state.journal.length = Math.min(state.journal.length, JOURNAL_SHOWN);
        // Entries the filter left out are skipped next time too.
        if (typeof lastSeq === "number" && lastSeq > state.journalSeq) state.journalSeq = lastSeq;
      }
      $("journal-note").textContent = "";
      renderJournal(fresh);
      if (!state.journalLive || state.journalSeq === 0) await pause(POLL_MS);
    }
  }

  function pause(ms) { return new Promise((r) => setTimeout(r, ms)); }

  function renderJournal(fresh) {
    const rows = state.journal.map((e, i) => {
      const details = [];
      if (e.fault) details.push("fault " + e.fault);
      if (e.idempotencyKey) details.push("key " + e.idempotencyKey);
      if (e.attempt) details.push("attempt " + e.attempt);
      if (e.orgId) details.push("org " + e.orgId);
      if (e.requestId) details.push(e.requestId);
      const st = e.status === 0 ? "dropped" : String(e.status);
      return el("tr", { class: fresh.has(e.seq) ? "fresh" : null, dataset: { seq: e.seq === undefined ? String(i) : String(e.seq) } },
        td("#", e.seq === undefined ? "" : String(e.seq)),
        td("Time", fmtTime(e.time)),
        td("Server", e.instance),
        td("Request", el("code", { text: e.method + " " + e.path + (e.query ? "?" + e.query : "") })),
        td("Status", el("span", { class: "status-code " + (e.status === 0 || e.status >= 500 ? "bad" : e.status >= 400 ? "warn" : "ok"), text: st })),
        td("Caller", e.caller),
        td("Details", details.join(", ")));
    });
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: "7", class: "empty", text: "No requests yet." })));
    $("journal-rows").replaceChildren(...rows);
  }

  async function clearJournal() {
    try {
      await api("DELETE", "/_fake/journal");
      restartJournal();
    } catch (e) {
      say("Could not empty the journal: " + e.message, true);
    }
  }

  // ---- start and stop ----

  function startAll() {
    pollRun++;
    poll(pollRun);
    restartJournal();
  }

  function stopAll() {
    pollRun++;
    clearTimeout(pollTimer);
    state.journalRun++;
    if (state.journalAbort) state.journalAbort.abort();
    state.overview = null;
    state.overviewText = "";
    state.revealed.clear();
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("signin-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const t = $("signin-token").value.trim();
      $("signin-token").value = "";
      if (t) signIn(t);
    });
    $("sign-out").addEventListener("click", () => showSignIn("Signed out."));
    $("reset-all").addEventListener("click", () => confirmReset(null));
    $("download-state").addEventListener("click", downloadState);
    $("fault-form").addEventListener("submit", addFault);
    $("fault-action").addEventListener("change", syncFaultForm);
    $("fault-clear").addEventListener("click", async () => {
      try { await api("DELETE", "/_fake/faults"); refreshSoon(); } catch (e) { say("Could not remove the faults: " + e.message, true); }
    });
    $("journal-filter").addEventListener("submit", (ev) => ev.preventDefault());
    $("journal-filter").addEventListener("change", restartJournal);
    let typing = null;
    $("filter-path").addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(restartJournal, 300); });
    $("filter-status").addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(restartJournal, 300); });
    $("journal-clear").addEventListener("click", clearJournal);
    syncFaultForm();

    // A uiUrl opened in a tab that shows the page already changes only the fragment.
    window.addEventListener("hashchange", () => {
      const t = tokenFromFragment();
      if (t) { stopAll(); signIn(t); }
    });
    const token = tokenFromFragment() || sessionStorage.getItem(TOKEN_KEY) || "";
    if (token) signIn(token);
    else showSignIn("");
  });
})();
