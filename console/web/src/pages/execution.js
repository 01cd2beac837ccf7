// One execution, live: timeline, selected task's input/output/error, final output, controls.
import { api, streamEvents } from "../api.js";
import { h, phaseBadge, formatTime, formatDuration, json } from "../dom.js";
import { timeline } from "../timeline.js";
import { drawGraph } from "../graph.js";

const TERMINAL = new Set(["COMPLETED", "FAILED", "CANCELLED"]);
const POLL_MS = 2000;

export function executionPage(view, { params: [id], showProblem }) {
  const abort = new AbortController();
  let execution = null;
  let selected = null;
  let pollTimer = null;
  const header = h("div");
  const actions = h("div", { class: "actions" });
  const problemPanel = h("div");
  const timelineBox = h("div", { class: "timeline", role: "region", "aria-label": "Task timeline" });
  const detailBox = h("div", { class: "panel", role: "region", "aria-label": "Selected task", id: "task-detail" },
    h("p", { class: "meta" }, "Select a task to see its input, output and error."));
  const outputBox = h("div");
  const graphBox = h("div", { class: "graph", id: "execution-graph" });
  view.append(header, actions, problemPanel,
    h("div", { class: "columns" },
      h("section", {}, h("h2", {}, "Tasks"), timelineBox),
      h("section", {}, h("h2", {}, "Task"), detailBox)),
    outputBox,
    h("h2", {}, "Graph"), graphBox);
  let graphFor = null;

  const buttons = {
    cancel: h("button", { type: "button", id: "cancel-button", onclick: () => control("cancel") }, "Cancel"),
    pause: h("button", { type: "button", id: "pause-button", onclick: () => control("pause") }, "Pause"),
    resume: h("button", { type: "button", id: "resume-button", onclick: () => control("resume") }, "Resume"),
  };
  actions.append(buttons.cancel, buttons.pause, buttons.resume);

  async function control(verb) {
    try {
      showProblem("");
      update(await api(`/api/executions/${encodeURIComponent(id)}/${verb}`, { method: "POST", body: {} }));
    } catch (error) {
      showProblem(`${verb}: ${error.message}`);
    }
  }

  function select(taskId) {
    selected = taskId;
    renderDetail();
    for (const row of timelineBox.querySelectorAll(".task-row")) {
      row.setAttribute("aria-pressed", String(row.dataset.taskId === selected));
    }
  }

  function renderDetail() {
    const task = execution && execution.tasks.find((t) => t.task_id === selected);
    if (!task) return;
    detailBox.replaceChildren(...[
      h("h3", {}, `${task.name} `, phaseBadge(task.phase)),
      h("p", { class: "meta" }, `${task.type} · ${task.task_id} · ${formatDuration(task.started_at, task.completed_at)}`),
      h("h4", {}, "Input"), h("pre", { "aria-label": "Task input", id: "task-input" }, json(task.input)),
      h("h4", {}, "Output"), h("pre", { "aria-label": "Task output", id: "task-output" }, json(task.output)),
      task.error ? [h("h4", {}, "Error"), h("pre", { "aria-label": "Task error", id: "task-error" }, json(task.error))] : [],
    ].flat());
  }

  function update(next) {
    // A control reply can arrive after a newer streamed change: never show an older version.
    if (execution && next.version < execution.version) return;
    execution = next;
    const terminal = TERMINAL.has(next.phase);
    header.replaceChildren(
      h("h1", {}, `Execution ${next.name || next.id} `, phaseBadge(next.phase, next.paused)),
      h("p", { class: "meta" }, "Workflow ",
        next.workflow_id ? h("a", { href: `#/workflows/${encodeURIComponent(next.workflow_id)}` }, next.workflow) : next.workflow,
        ` · ${next.id} · started ${formatTime(next.started_at)} · ${formatDuration(next.started_at, next.completed_at)}`),
    );
    buttons.cancel.disabled = terminal;
    buttons.pause.disabled = terminal || next.paused;
    buttons.resume.disabled = terminal || !next.paused;
    const problems = [];
    if (next.error) {
      problems.push(problemDetails(next.phase === "CANCELLED" ? "Execution cancelled" : "Execution failed", next.error));
    }
    if (next.engine_problem && !terminal) problems.push(problemDetails("The engine is stuck", next.engine_problem));
    problemPanel.replaceChildren(...problems);
    drawTimeline();
    paintGraph();
    if (selected) renderDetail();
    outputBox.replaceChildren(...(next.phase === "COMPLETED"
      ? [h("h2", {}, "Output"), h("pre", { "aria-label": "Execution output", id: "execution-output" }, json(next.output))]
      : []));
  }

  // The workflow's graph, each node in the phase of its task's latest run.
  function paintGraph() {
    if (execution.workflow_id && graphFor !== execution.workflow_id) {
      graphFor = execution.workflow_id;
      api(`/api/workflows/${encodeURIComponent(graphFor)}`, { signal: abort.signal }).then((w) => {
        if (!w.graph) return;
        graphBox.replaceChildren(drawGraph(w.graph, `Task graph of ${w.name} with this execution's progress`));
        paintGraph();
      }).catch(() => { /* the timeline still shows every task */ });
      return;
    }
    const phases = new Map();
    for (const task of [...execution.tasks].sort((a, b) => (a.started_at || 0) - (b.started_at || 0))) {
      phases.set(task.task_id.replace(/#\d+$/, ""), task.phase);
    }
    for (const node of graphBox.querySelectorAll(".node")) {
      const phase = phases.get(node.dataset.id);
      if (phase) node.dataset.phase = phase;
      else delete node.dataset.phase;
    }
  }

  // Redraws keep the keyboard focus on the task row that had it.
  function drawTimeline() {
    const focused = document.activeElement && document.activeElement.dataset
      ? document.activeElement.dataset.taskId : undefined;
    timelineBox.replaceChildren(timeline(execution, selected, select));
    if (focused) {
      const row = [...timelineBox.querySelectorAll(".task-row")].find((r) => r.dataset.taskId === focused);
      if (row) row.focus();
    }
  }

  // Running tasks' bars grow between updates (a long wait sends none).
  const ticker = setInterval(() => {
    if (execution && !TERMINAL.has(execution.phase)) drawTimeline();
  }, 1000);

  // RFC 7807 problem details: title and status first, then the detail, type and instance.
  function problemDetails(title, error) {
    const details = { ...(error.details || {}) };
    const heading = [details.title, details.status && `(${details.status})`].filter(Boolean).join(" ");
    const known = ["title", "status", "type", "detail", "instance"];
    const rest = Object.fromEntries(Object.entries(details).filter(([k]) => !known.includes(k)));
    return h("div", { class: "problem", role: "alert", id: "execution-error" },
      h("strong", {}, heading ? `${title}: ${heading}` : title), "\n",
      error.message || details.detail || "", "\n",
      h("span", { class: "meta" }, `type ${error.code || details.type || "—"}`,
        details.instance ? ` · at ${details.instance}` : ""),
      Object.keys(rest).length ? `\n${json(rest)}` : "");
  }

  async function poll() {
    try {
      update(await api(`/api/executions/${encodeURIComponent(id)}`, { signal: abort.signal }));
      if (!TERMINAL.has(execution.phase)) pollTimer = setTimeout(poll, POLL_MS);
    } catch (error) {
      if (error.name !== "AbortError") showProblem(error.message);
    }
  }

  streamEvents(`/api/executions/${encodeURIComponent(id)}/events`, (event, data) => {
    if (event === "execution") update(data);
    else if (event === "problem") { showProblem(data.error); poll(); }
  }, abort.signal).catch((error) => {
    showProblem(error.message);
    if (error.status !== 401 && error.status !== 404) poll(); // stream lost: keep the page live
  });
  return () => { abort.abort(); clearTimeout(pollTimer); clearInterval(ticker); };
}
