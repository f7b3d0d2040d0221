// The journal, newest first and live: GET /_fake/journal with the filters, then long polls
// (since the last entry seen, wait=5s) that answer as soon as a new entry matches.
import { $, el, td, say, fmtTime, pause } from "./dom.js";
import { api, AuthError } from "./api.js";

const WAIT = "5s"; // how long one read waits for a new entry
const SHOWN = 300; // the newest entries shown
const RETRY_MS = 1000; // after a failed read

const state = {
  entries: [], // newest first
  seq: 0, // the last entry seen
  run: 0,
  abort: null,
};

// startJournal reads the journal anew, with the filters of the form.
export function startJournal() {
  stopJournal();
  state.entries = [];
  state.seq = 0;
  render(new Set());
  if (!$("filter-pause").checked) read(state.run);
}

export function stopJournal() {
  state.run++;
  if (state.abort) state.abort.abort();
}

function query() {
  const q = new URLSearchParams();
  for (const id of ["filter-method", "filter-path", "filter-status", "filter-org"]) {
    const input = $(id);
    let v = input.value.trim();
    if (id === "filter-status" && /^[1-5]$/.test(v)) v += "xx"; // a class: 4 asks for every 4xx
    if (v !== "") q.set(input.name, v);
  }
  q.set("since", String(state.seq));
  if (state.seq > 0) q.set("wait", WAIT);
  return q;
}

async function read(run) {
  while (run === state.run) {
    const ctl = new AbortController();
    state.abort = ctl;
    let data;
    try {
      data = await api("GET", "/_fake/journal?" + query(), undefined, ctl.signal);
    } catch (e) {
      if (run !== state.run || e instanceof AuthError) return;
      if (e.status === 400) { // a filter the fake refuses: wait for the next change
        $("journal-note").textContent = "Filter refused: " + e.message;
        return;
      }
      $("journal-note").textContent = "Cannot read the journal: " + e.message;
      await pause(RETRY_MS);
      continue;
    }
    if (run !== state.run) return;
    const items = (data && data.items) || [];
    const lastSeq = (data && data.lastSeq) || 0;
    if (lastSeq < state.seq) { // a journal started anew
      startJournal();
      return;
    }
    const added = new Set();
    for (const e of items) {
      if (e.seq <= state.seq) continue;
      state.seq = e.seq;
      state.entries.unshift(e);
      added.add(e.seq);
    }
    state.entries.length = Math.min(state.entries.length, SHOWN);
    // Entries the filters leave out are skipped next time too.
    state.seq = Math.max(state.seq, lastSeq);
    $("journal-note").textContent = "";
    if (added.size || !state.entries.length) render(added);
    if (state.seq === 0) await pause(500); // an empty journal: the fake has nothing to wait on yet
  }
}

function render(added) {
  const rows = state.entries.map((e) => {
    const details = [];
    if (e.fault) details.push("fault " + e.fault);
    if (e.idempotencyKey) details.push("key " + e.idempotencyKey);
    if (e.attempt) details.push("attempt " + e.attempt);
    if (e.orgId) details.push("org " + e.orgId);
    if (e.requestId) details.push(e.requestId);
    const status = e.status === 0 ? "dropped" : String(e.status);
    const tone = e.status === 0 || e.status >= 500 ? "bad" : e.status >= 400 ? "warn" : "ok";
    return el("tr", { class: added.has(e.seq) ? "fresh" : null, dataset: { seq: String(e.seq) } },
      td("#", String(e.seq)),
      td("Time", fmtTime(e.time)),
      td("Server", e.instance),
      td("Request", el("code", { text: e.method + " " + e.path + (e.query ? "?" + e.query : "") })),
      td("Status", el("span", { class: tone, text: status })),
      td("Caller", e.caller),
      td("Details", details.join(", ")));
  });
  if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: "7", class: "empty", text: "No requests yet." })));
  $("journal-rows").replaceChildren(...rows);
}

export async function clearJournal() {
  try {
    await api("DELETE", "/_fake/journal");
    say("The journal was emptied.");
    startJournal();
  } catch (e) {
    if (!(e instanceof AuthError)) say("Could not empty the journal: " + e.message, true);
  }
}
