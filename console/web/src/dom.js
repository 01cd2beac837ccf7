// Small DOM helpers: h() builds elements, so the pages never assemble HTML strings.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export function phaseBadge(phase, paused) {
  const label = paused && phase === "IN_PROGRESS" ? "PAUSED" : phase;
  return h("span", { class: `phase ${phase}`, "data-phase": label }, label);
}

export function formatTime(ms) {
  return ms ? new Date(ms).toLocaleString() : "—";
}

export function formatDuration(start, end) {
  if (!start) return "—";
  const ms = Math.max(0, (end || Date.now()) - start);
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

export function json(value) {
  return value === undefined || value === null ? "null" : JSON.stringify(value, null, 2);
}
