// The overview: instances, orgs with their members and workspaces, and the faults, read from
// GET /_fake/inspect twice a second and redrawn when something changed.
import { $, el, td, say, fresh, fmtTime, fillSelect } from "./dom.js";
import { api, AuthError } from "./api.js";
import { renderFaults } from "./faults.js";
import { confirmReset } from "./actions.js";

const POLL_MS = 500;

const state = {
  text: "", // the last view, as JSON without its time
  view: null,
  revealed: new Map(), // workspace id -> secret, shown until hidden
  open: new Set(), // ids of <details> the user opened
};
let timer = null;
let run = 0;

export function startOverview() {
  stopOverview();
  poll(run);
}

export function stopOverview() {
  run++;
  clearTimeout(timer);
  state.text = "";
  state.view = null;
  state.revealed.clear();
}

// refreshSoon reads the overview now, after a change made from the page.
export function refreshSoon() {
  run++;
  clearTimeout(timer);
  poll(run);
}

// forgetSecrets hides every revealed secret.
export function forgetSecrets() { state.revealed.clear(); }

async function poll(r) {
  if (r !== run) return;
  try {
    const { time, ...view } = await api("GET", "/_fake/inspect");
    const text = JSON.stringify(view); // redrawn only when something other than the time changed
    if (r !== run) return;
    if (text !== state.text) {
      state.text = text;
      state.view = view;
      render();
    }
    fresh("Up to date, " + new Date().toLocaleTimeString());
    if ($("status").textContent.startsWith("Cannot reach the fake")) say("The fake answers again.");
  } catch (e) {
    if (e instanceof AuthError) return;
    say("Cannot reach the fake: " + e.message, true);
    fresh("");
  }
  if (r === run) timer = setTimeout(() => poll(r), POLL_MS);
}

// render redraws the overview, keeping the focus, open details and revealed secrets.
function render() {
  const v = state.view;
  if (!v) return;
  const focusId = document.activeElement && document.activeElement.id;
  renderInstances(v);
  renderOrgs(v);
  renderFaults(v.faults);
  fillSelect($("fault-instance"), v.instances.map((i) => [i.id, i.id]));
  const orgChoices = v.orgs.map((o) => [o.id, o.name + " (" + o.id + ")"]);
  fillSelect($("fault-org"), orgChoices);
  fillSelect($("filter-org"), orgChoices);
  if (focusId && document.activeElement !== $(focusId) && $(focusId)) $(focusId).focus();
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
      : el("span", { class: "warn", text: i.awaitingRepair ? i.awaitingRepair + " awaiting repair" : "differ" }))));
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
  const count = o.workspaceCount + " workspace" + (o.workspaceCount === 1 ? "" : "s") +
    (o.workspaceCount > o.workspaces.length ? " (the newest " + o.workspaces.length + " shown)" : "");
  return el("article", { class: "org", id: "org-" + o.id, "aria-labelledby": "org-h-" + o.id },
    el("div", { class: "org-head" },
      el("h3", { id: "org-h-" + o.id }, o.name, " ", el("code", { text: o.id }), isDefault ? el("span", { class: "muted", text: " default org" }) : null),
      el("span", { class: "muted", text: count }),
      el("div", { class: "actions" },
        el("button", { type: "button", class: "danger", id: "reset-org-" + o.id, onclick: () => confirmReset(o) }, "Reset org"))),
    el("h4", { text: "Members" }), members,
    el("h4", { text: "Workspaces" }), workspaces);
}

function renderWorkspace(w) {
  const on = Object.entries(w.settings || {}).filter(([, v]) => v).map(([k]) => k);
  const keys = (w.publicKeys || []).map((k) => k.name || "(unnamed)");
  const none = () => el("span", { class: "muted", text: "none" });
  const fields = [
    ["Id", el("code", { text: w.id })],
    ["Key", el("code", { text: w.key })],
    ["Instance", w.membraneInstanceId || "hub"],
    ["Type", w.type + (w.isReadOnly ? ", read-only" : "")],
    ["Webhook", w.webhookUri ? el("code", { text: w.webhookUri }) : none()],
    ["Events", w.enabledWebhookEvents.length ? w.enabledWebhookEvents.join(", ") : none()],
    ["Settings on", on.length ? on.join(", ") : none()],
    ["Public keys", keys.length ? keys.join(", ") : none()],
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
  if (!w.customerCount) return el("p", { class: "muted", text: "No customers." });
  const count = w.customerCount + " customer" + (w.customerCount === 1 ? "" : "s") +
    (w.customerCount > w.customers.length ? " (the newest " + w.customers.length + " shown)" : "");
  const id = "customers-" + w.id;
  const det = el("details", { id, open: state.open.has(id),
    ontoggle: () => det.open ? state.open.add(id) : state.open.delete(id) },
  el("summary", { text: count }),
  el("div", { class: "scroll" }, el("table", { class: "stack" },
    el("thead", {}, el("tr", {}, ...["Name", "Internal id", "Id", "State", "Created"].map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, ...w.customers.map((c) => el("tr", {},
      td("Name", c.name), td("Internal id", el("code", { text: c.internalId })), td("Id", el("code", { text: c.id })),
      td("State", [c.archivedAt ? "archived" : c.isActive ? "active" : "inactive", c.isTest ? ", test" : ""].join("")),
      td("Created", fmtTime(c.createdAt))))))));
  return det;
}

// revealSecret asks for one workspace's secret, on purpose, and shows it until hidden.
async function revealSecret(id) {
  try {
    const r = await api("GET", "/_fake/workspaces/" + encodeURIComponent(id) + "/secret");
    state.revealed.set(id, r.secret);
    render();
    const hide = $("hide-" + id);
    if (hide) hide.focus();
  } catch (e) {
    if (!(e instanceof AuthError)) say("Could not reveal the secret: " + e.message, true);
  }
}

function hideSecret(id) {
  state.revealed.delete(id);
  render();
  const reveal = $("reveal-" + id);
  if (reveal) reveal.focus();
}
