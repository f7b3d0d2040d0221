// The fake's admin API, called with the admin token.

let token = "";
let onAuthLost = () => {};

// AuthError is thrown when the admin token is refused; the page has asked for it again by then.
export class AuthError extends Error {}

export function setToken(t) { token = t; }
export function getToken() { return token; }

// whenAuthLost names what to do when the token is refused.
export function whenAuthLost(fn) { onAuthLost = fn; }

// api calls the admin API and returns the JSON answer; an error answer is thrown with its
// message and status.
export async function api(method, path, body, signal) {
  const init = { method, headers: { Authorization: "Bearer " + token }, signal, cache: "no-store" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(path, init);
  if (resp.status === 401) {
    onAuthLost();
    throw new AuthError("the admin token was refused");
  }
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = null; }
  if (!resp.ok) {
    const err = new Error((data && data.message) || resp.status + " " + resp.statusText);
    err.status = resp.status;
    throw err;
  }
  return data;
}

// download fetches a file of the admin API, for the browser to save.
export async function download(path) {
  const resp = await fetch(path, { headers: { Authorization: "Bearer " + token }, cache: "no-store" });
  if (resp.status === 401) {
    onAuthLost();
    throw new AuthError("the admin token was refused");
  }
  if (!resp.ok) throw new Error(resp.status + " " + resp.statusText);
  return resp.blob();
}
