// One agent execution, live: the conversation, tool calls (arguments, results), sub-agent
// executions and todos, streamed from the execution's Subscribe.
import { api, streamEvents } from "../api.js";
import { h, phaseBadge, formatTime, formatDuration, json } from "../dom.js";

const TERMINAL = new Set(["COMPLETED", "FAILED", "CANCELLED"]);
const POLL_MS = 2000;

export function agentExecutionPage(view, { params: [id], showProblem }) {
  const abort = new AbortController();
  let pollTimer = null;
  const body = h("div");
  view.append(body);

  function section(title, label, items) {
    return [h("h2", {}, title), items.length ? h("div", { class: "panel", role: "region", "aria-label": label }, items)
      : h("p", { class: "meta" }, `No ${title.toLowerCase()} yet.`)];
  }

  let shown = -1;
  function update(x) {
    // A decision's reply can arrive after a newer streamed change: never show an older version.
    if (x.version < shown) return;
    shown = x.version;
    // Keep what the user opened: a streamed change redraws the page.
    const open = new Set([...body.querySelectorAll("details[open]")].map((d) => d.dataset.id));
    const calls = new Map(x.tool_calls.map((c) => [c.id, c]));
    body.replaceChildren(...[
      h("h1", {}, `Agent execution ${x.name || x.id} `, phaseBadge(x.phase)),
      h("p", { class: "meta" }, `Agent ${x.workflow} · ${x.id} · started ${formatTime(x.started_at)} · ${formatDuration(x.started_at, x.completed_at)}`),
      x.error ? h("div", { class: "problem", role: "alert", id: "execution-error" }, h("strong", {}, "Execution failed"), "\n",
        x.error.code ? `${x.error.code}: ` : "", x.error.message) : null,
      section("Conversation", "Conversation", [
        h("div", { class: "message HUMAN" }, h("strong", {}, "request: "), x.message),
        ...x.messages.map((m) => h("div", { class: `message ${m.type}`, "data-type": m.type },
          h("strong", {}, `${m.type.toLowerCase()}${m.name ? ` (${m.name})` : ""}: `), m.content,
          m.tool_call_ids.map((cid) => calls.has(cid) ? h("span", { class: "meta" }, ` → ${calls.get(cid).name}`) : null))),
      ]),
      section("Tool calls", "Tool calls", x.tool_calls.map((c) => h("details", { class: "tool-call", "data-id": `tool:${c.id}`, open: open.has(`tool:${c.id}`) || c.approval === "WAITING_APPROVAL" },
        h("summary", {}, `${c.name} `, phaseBadge(c.phase), c.approval ? h("span", { class: "meta approval" }, ` ${c.approval}`) : null),
        c.approval === "WAITING_APPROVAL" ? h("p", { class: "approval-actions" },
          h("button", { type: "button", "data-decide": "approve", onclick: () => decide(c.id, "approve") }, "Approve"), " ",
          h("button", { type: "button", "data-decide": "reject", onclick: () => decide(c.id, "reject") }, "Reject")) : null,
        h("h4", {}, "Arguments"), h("pre", {}, json(c.args)),
        h("h4", {}, "Result"), h("pre", {}, json(c.result)),
        c.error ? h("pre", { class: "problem" }, json(c.error)) : null))),
      section("Sub-agent executions", "Sub-agent executions", x.sub_agents.map((s) => h("details", { class: "sub-agent", "data-id": `sub:${s.id}`, open: open.has(`sub:${s.id}`) },
        h("summary", {}, `${s.name} `, phaseBadge(s.phase)),
        h("h4", {}, "Input"), h("pre", {}, s.input), h("h4", {}, "Output"), h("pre", {}, s.output)))),
      section("Todos", "Todos", [h("ul", {}, x.todos.map((t) => h("li", { "data-status": t.status }, `${t.content} — ${t.status.replace("TODO_", "").toLowerCase()}`)))].filter(() => x.todos.length)),
      x.phase === "COMPLETED" ? [h("h2", {}, "Output"), h("pre", { id: "execution-output" }, json(x.output))] : null,
    ].flat().filter(Boolean));
  }

  async function decide(callId, verb) {
    try {
      update(await api(`/api/agent-executions/${encodeURIComponent(id)}/tool-calls/${encodeURIComponent(callId)}/${verb}`, { method: "POST" }));
    } catch (error) {
      showProblem(error.message);
    }
  }

  async function poll() {
    try {
      const x = await api(`/api/agent-executions/${encodeURIComponent(id)}`, { signal: abort.signal });
      update(x);
      if (!TERMINAL.has(x.phase)) pollTimer = setTimeout(poll, POLL_MS);
    } catch (error) {
      if (error.name !== "AbortError") showProblem(error.message);
    }
  }

  streamEvents(`/api/agent-executions/${encodeURIComponent(id)}/events`, (event, data) => {
    if (event === "execution") update(data);
    else if (event === "problem") { showProblem(data.error); poll(); }
  }, abort.signal).catch((error) => {
    showProblem(error.message);
    if (error.status !== 401 && error.status !== 404) poll();
  });
  return () => { abort.abort(); clearTimeout(pollTimer); };
}
