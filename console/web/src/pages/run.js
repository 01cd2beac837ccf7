// Run a workflow: pick it, give input JSON (checked against its input schema), start, follow.
import { api } from "../api.js";
import { h, json } from "../dom.js";

// The checks the page can make before asking the server (which checks the full schema).
export function inputProblem(text, schema) {
  let value;
  try {
    value = JSON.parse(text || "{}");
  } catch (error) {
    return `Input is not valid JSON: ${error.message}`;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return "Input must be a JSON object";
  if (!schema) return "";
  for (const name of schema.required || []) if (!(name in value)) return `Input: '${name}' is required by the input schema`;
  const kinds = { string: "string", number: "number", integer: "number", boolean: "boolean", object: "object", array: "object" };
  for (const [name, rule] of Object.entries(schema.properties || {})) {
    if (!(name in value) || !rule || !rule.type || !kinds[rule.type]) continue;
    const v = value[name];
    const ok = typeof v === kinds[rule.type] && (rule.type !== "array" || Array.isArray(v)) && (rule.type !== "integer" || Number.isInteger(v));
    if (!ok) return `Input: '${name}' must be of type ${rule.type}`;
  }
  return "";
}

export function runPage(view, { params: [chosen], showProblem }) {
  const select = h("select", { id: "run-workflow", required: true });
  const input = h("textarea", { id: "run-input", spellcheck: "false", "aria-describedby": "run-input-problem" }, "{}");
  const schemaBox = h("pre", { id: "run-schema", "aria-label": "Input schema" });
  const problem = h("p", { id: "run-input-problem", class: "meta", "aria-live": "polite" });
  const start = h("button", { type: "submit", class: "primary", id: "run-start" }, "Start");
  let workflows = [];
  const current = () => workflows.find((w) => w.id === select.value);
  function check() {
    const w = current();
    schemaBox.textContent = w && w.input_schema ? json(w.input_schema) : "(no input schema)";
    const message = inputProblem(input.value, w && w.input_schema);
    problem.textContent = message;
    start.disabled = !w || Boolean(message);
  }
  const form = h("form", { onsubmit: async (event) => {
    event.preventDefault();
    check();
    if (start.disabled) return;
    try {
      start.disabled = true;
      const { id } = await api(`/api/workflows/${encodeURIComponent(select.value)}/run`, { method: "POST", body: { input: JSON.parse(input.value || "{}") } });
      location.hash = `#/executions/${encodeURIComponent(id)}`;
    } catch (error) {
      showProblem(error.message);
      start.disabled = false;
    }
  } },
  h("div", { class: "field" }, h("label", { for: "run-workflow" }, "Workflow"), select),
  h("div", { class: "field" }, h("label", { for: "run-input" }, "Input (JSON object)"), input, problem),
  h("div", { class: "field" }, h("span", {}, "Input schema"), schemaBox),
  start);
  view.append(h("h1", {}, "Run a workflow"), form);
  select.addEventListener("change", check);
  input.addEventListener("input", check);
  api("/api/workflows").then(({ items }) => {
    workflows = items;
    select.replaceChildren(...items.map((w) => h("option", { value: w.id }, w.name)));
    if (chosen && items.some((w) => w.id === chosen)) select.value = chosen;
    check();
    select.focus();
  }).catch((error) => showProblem(error.message));
}
