// The faults: listed with how often each fired, added with the form, removed with a button.
import { $, el, td, say } from "./dom.js";
import { api, AuthError } from "./api.js";
import { refreshSoon } from "./overview.js";

function describe(f) {
  const m = [f.method || "any method", f.path || "any path"];
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

export function renderFaults(faults) {
  const rows = faults.map((f) => {
    const [matches, does] = describe(f);
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

// addFault sends the form as POST /_fake/faults; the fake checks it and says what is wrong.
export async function addFault(ev) {
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
    if (!(e instanceof AuthError)) $("fault-error").textContent = "Not added: " + e.message;
  }
}

async function removeFault(id) {
  try {
    await api("DELETE", "/_fake/faults/" + encodeURIComponent(id));
    say("Removed " + id + ".");
    refreshSoon();
    $("fault-add").focus();
  } catch (e) {
    if (!(e instanceof AuthError)) say("Could not remove " + id + ": " + e.message, true);
  }
}

export async function clearFaults() {
  try {
    await api("DELETE", "/_fake/faults");
    say("Removed every fault.");
    refreshSoon();
  } catch (e) {
    if (!(e instanceof AuthError)) say("Could not remove the faults: " + e.message, true);
  }
}

// syncFaultForm enables the status fields only when the fault answers a status.
export function syncFaultForm() {
  const action = $("fault-action").value;
  $("fault-status").disabled = action !== "status";
  $("fault-retry-after").disabled = action !== "status";
}
