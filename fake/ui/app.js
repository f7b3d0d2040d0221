// The inspector page of membrane-fake: plain JavaScript modules, no dependencies, no build.
// It reads the fake's admin API with the admin token, which it takes from the URL's fragment
// (#token=...) or asks for, and keeps only in this tab's sessionStorage.
import { $, say, fresh } from "./dom.js";
import { api, setToken, whenAuthLost, AuthError } from "./api.js";
import { startOverview, stopOverview } from "./overview.js";
import { addFault, clearFaults, syncFaultForm } from "./faults.js";
import { startJournal, stopJournal, clearJournal } from "./journal.js";
import { confirmReset, downloadState } from "./actions.js";

const TOKEN_KEY = "membrane-fake-admin-token";

function tokenFromFragment() {
  const m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (!m) return "";
  // The token leaves the address bar at once: it is not to be bookmarked, shared or shown.
  history.replaceState(null, "", location.pathname + location.search);
  try { return decodeURIComponent(m[1]); } catch (_) { return ""; }
}

function showSignIn(message) {
  stopOverview();
  stopJournal();
  setToken("");
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
  stopOverview();
  stopJournal();
  setToken(token);
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
  startOverview();
  startJournal();
}

document.addEventListener("DOMContentLoaded", () => {
  whenAuthLost(() => showSignIn("The admin token was refused; sign in again."));
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
  $("fault-clear").addEventListener("click", clearFaults);
  $("journal-filter").addEventListener("submit", (ev) => ev.preventDefault());
  $("journal-filter").addEventListener("change", startJournal);
  let typing = null;
  for (const id of ["filter-path", "filter-status"]) {
    $(id).addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(startJournal, 300); });
  }
  $("journal-clear").addEventListener("click", clearJournal);
  syncFaultForm();

  // A uiUrl opened in a tab that shows the page already changes only the fragment.
  window.addEventListener("hashchange", () => {
    const t = tokenFromFragment();
    if (t) signIn(t);
  });
  const token = tokenFromFragment() || sessionStorage.getItem(TOKEN_KEY) || "";
  if (token) signIn(token);
  else showSignIn("");
});
