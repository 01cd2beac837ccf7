// The task timeline: one row per task run (duration bar, phase colour); the runs inside a
// `for`, `fork`, `try` or `do` are grouped under that task's row, by their JSON pointers.
import { h, phaseBadge, formatDuration } from "./dom.js";

// "/do/1/loop/do/0/inner#3" -> "/do/1/loop"; "/do/2/par/fork/branches/0/a" -> "/do/2/par".
export function containerOf(taskId) {
  const bare = taskId.replace(/#\d+$/, "");
  const match = bare.match(/^(.*?)(?:\/fork\/branches|\/catch\/do|\/do|\/try)\/\d+\/[^/]+$/);
  return match ? match[1] : "";
}

export function timeline(execution, selected, onSelect) {
  const tasks = [...execution.tasks].sort((a, b) => (a.started_at || 0) - (b.started_at || 0));
  if (!tasks.length) return h("p", { class: "meta", style: "padding: .5rem" }, "No task has started yet.");
  const starts = tasks.map((t) => t.started_at).filter(Boolean);
  const t0 = execution.started_at || Math.min(...starts);
  const ends = tasks.map((t) => t.completed_at || Date.now());
  const t1 = Math.max(execution.completed_at || 0, ...ends, t0 + 1);
  const span = t1 - t0;
  const present = new Set(tasks.map((t) => t.task_id));
  const children = new Map();
  for (const task of tasks) {
    let parent = containerOf(task.task_id);
    while (parent && !present.has(parent)) parent = containerOf(parent);
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(task);
  }

  function row(task) {
    const start = task.started_at || t0;
    const end = task.completed_at || (task.phase === "IN_PROGRESS" ? Date.now() : start);
    const left = ((start - t0) / span) * 100;
    const width = Math.max(0.6, ((end - start) / span) * 100);
    return h("button", {
      type: "button", class: "task-row", "data-task-id": task.task_id, "data-phase": task.phase,
      "aria-pressed": String(task.task_id === selected),
      "aria-label": `${task.name} ${task.type} ${task.phase}`,
      onclick: () => onSelect(task.task_id),
    },
    h("span", { class: "task-name", title: task.task_id }, task.name, task.task_id.match(/#\d+$/) ? ` ${task.task_id.match(/#\d+$/)[0]}` : ""),
    phaseBadge(task.phase),
    h("span", { class: "track" }, h("span", { class: `bar ${task.phase}`, style: `left:${left}%;width:${Math.min(width, 100 - left)}%` })),
    h("span", { class: "meta" }, formatDuration(task.started_at, task.completed_at)));
  }

  function rows(parent) {
    return (children.get(parent) || []).flatMap((task) => {
      const inner = children.get(task.task_id);
      if (!inner) return [row(task)];
      const what = task.type === "for" ? "iterations" : task.type === "fork" ? "branches" : "tasks";
      return [row(task), h("div", { class: "group", role: "group", "aria-label": `${task.name} ${what}` },
        h("div", { class: "group-label" }, `${task.name}: ${inner.length} ${what === "iterations" ? "task runs" : what}`),
        rows(task.task_id))];
    });
  }
  return h("div", {}, rows(""));
}
