// What changes the whole fake from the page: reset (the server or one org, after a
// confirmation) and the snapshot download.
import { $, el, say } from "./dom.js";
import { api, download, AuthError } from "./api.js";
import { refreshSoon, forgetSecrets } from "./overview.js";
import { startJournal } from "./journal.js";

// confirmReset asks first, in a dialog; org is null for the whole server.
export function confirmReset(org) {
  const dlg = $("confirm");
  $("confirm-h").textContent = org ? "Reset org " + org.name + "?" : "Reset the whole server?";
  $("confirm-text").textContent = org
    ? "The org goes back to its start state: its workspaces and their customers are removed, and those of the seed placed again. Its members and their tokens stay; faults that match the org are removed. Other orgs are untouched."
    : "Everything goes back to the start state: the seed is loaded again, every other org, workspace and customer is removed, and the journal and faults are emptied.";
  $("confirm-ok").textContent = org ? "Reset org" : "Reset server";
  dlg.returnValue = "";
  dlg.onclose = () => { if (dlg.returnValue === "ok") reset(org); };
  dlg.showModal();
  $("confirm-cancel").focus();
}

async function reset(org) {
  const path = "/_fake/reset" + (org ? "?orgId=" + encodeURIComponent(org.id) : "");
  try {
    await api("POST", path);
    say(org ? "Org " + org.name + " was reset." : "The server was reset.");
    forgetSecrets();
    if (!org) startJournal();
    refreshSoon();
  } catch (e) {
    if (!(e instanceof AuthError)) say("Reset failed: " + e.message, true);
  }
}

// downloadState saves GET /_fake/state as a file.
export async function downloadState() {
  try {
    const url = URL.createObjectURL(await download("/_fake/state"));
    const a = el("a", { href: url, download: "membrane-fake-state-" + new Date().toISOString().replace(/[:.]/g, "-") + ".json" });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    say("Snapshot downloaded. It holds tokens and secrets: keep it private.");
  } catch (e) {
    if (!(e instanceof AuthError)) say("Could not download the snapshot: " + e.message, true);
  }
}
