// Building the page: every value from the server is written with textContent (or as an
// attribute), never parsed as HTML.

export const $ = (id) => document.getElementById(id);

// el makes an element with properties (class, text, on<event>, dataset, attributes) and
// children (nodes or text).
export function el(tag, props, ...children) {
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
export function td(label, ...children) {
  return el("td", { "data-label": label }, el("span", {}, ...children));
}

// say tells what happened, once, in the live region that screen readers announce.
export function say(msg, isError) {
  const s = $("status");
  if (s.textContent === msg) return;
  s.textContent = msg;
  s.className = isError ? "bad" : "";
}

// fresh shows when the page last heard from the fake, quietly.
export function fresh(msg) {
  $("freshness").textContent = msg;
}

export function fmtTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (isNaN(d)) return iso;
  return d.toISOString().replace("T", " ").replace("Z", "");
}

// fillSelect offers "any" and the choices ([value, label] pairs), keeping the selection when
// it is still offered.
export function fillSelect(sel, choices) {
  const keep = sel.value;
  const want = JSON.stringify(choices);
  if (sel.dataset.choices === want) return;
  sel.dataset.choices = want;
  sel.replaceChildren(el("option", { value: "", text: "any" }),
    ...choices.map(([value, label]) => el("option", { value, text: label })));
  sel.value = choices.some(([value]) => value === keep) ? keep : "";
}

export function pause(ms) { return new Promise((r) => setTimeout(r, ms)); }
