// The executions list: phase, workflow, start, duration; filters; polled so new runs appear.
import { api } from "../api.js";
import { h, phaseBadge, formatTime, formatDuration } from "../dom.js";

const POLL_MS = 2000;
const PHASES = ["PENDING", "IN_PROGRESS", "COMPLETED", "FAILED", "CANCELLED"];

export function executionsPage(view, { showProblem }) {
  const phaseFilter = h("select", { id: "phase-filter" },
    h("option", { value: "" }, "all phases"),
    PHASES.map((p) => h("option", { value: p }, p)));
  const workflowFilter = h("select", { id: "workflow-filter" }, h("option", { value: "" }, "all workflows"));
  const body = h("tbody");
  const count = h("span", { class: "meta", "aria-live": "polite" });
  view.append(
    h("h1", {}, "Executions"),
    h("div", { class: "filters" },
      h("label", { for: "phase-filter" }, "Phase"), phaseFilter,
      h("label", { for: "workflow-filter" }, "Workflow"), workflowFilter,
      count),
    h("table", { "aria-label": "Executions" },
      h("thead", {}, h("tr", {}, ["Execution", "Workflow / agent", "Phase", "Started", "Duration"].map((c) => h("th", { scope: "col" }, c)))),
      body),
  );
  let items = [];
  let timer = null;
  let stopped = false;

  function render() {
    const names = [...new Set(items.map((i) => i.workflow))].sort();
    const chosen = workflowFilter.value;
    if (workflowFilter.options.length - 1 !== names.length) {
      workflowFilter.replaceChildren(h("option", { value: "" }, "all workflows"),
        ...names.map((n) => h("option", { value: n }, n)));
      workflowFilter.value = names.includes(chosen) ? chosen : "";
    }
    const shown = items.filter((i) => (!phaseFilter.value || i.phase === phaseFilter.value)
      && (!workflowFilter.value || i.workflow === workflowFilter.value));
    count.textContent = `${shown.length} of ${items.length}`;
    body.replaceChildren(...shown.map((i) => h("tr", { "data-id": i.id },
      h("td", {}, h("a", { href: `#/${i.kind === "agent" ? "agent-executions" : "executions"}/${encodeURIComponent(i.id)}` }, i.name || i.id)),
      h("td", {}, i.workflow_id ? h("a", { href: `#/workflows/${encodeURIComponent(i.workflow_id)}` }, i.workflow) : i.workflow,
        i.kind === "agent" ? h("span", { class: "meta" }, " (agent)") : null),
      h("td", {}, phaseBadge(i.phase, i.paused)),
      h("td", {}, formatTime(i.started_at)),
      h("td", {}, formatDuration(i.started_at, i.completed_at)))));
    if (!shown.length) body.append(h("tr", {}, h("td", { colspan: 5, class: "meta" }, "No executions yet.")));
  }

  async function poll() {
    try {
      items = (await api("/api/executions")).items;
      showProblem("");
      render();
    } catch (error) {
      showProblem(error.message);
    }
    if (!stopped) timer = setTimeout(poll, POLL_MS);
  }
  phaseFilter.addEventListener("change", render);
  workflowFilter.addEventListener("change", render);
  poll();
  return () => { stopped = true; clearTimeout(timer); };
}
