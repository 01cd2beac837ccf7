// Workflow definitions: the list, and one workflow's task graph and YAML.
import { api } from "../api.js";
import { h } from "../dom.js";
import { drawGraph } from "../graph.js";

export function workflowsPage(view, { showProblem }) {
  view.append(h("h1", {}, "Workflows"));
  api("/api/workflows").then(({ items }) => {
    view.append(h("table", { "aria-label": "Workflows" },
      h("thead", {}, h("tr", {}, ["Workflow", "Tasks", "Description", ""].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, items.map((w) => h("tr", {},
        h("td", {}, h("a", { href: `#/workflows/${encodeURIComponent(w.id)}` }, w.name)),
        h("td", {}, w.tasks), h("td", {}, w.description || ""),
        h("td", {}, h("a", { href: `#/run/${encodeURIComponent(w.id)}` }, "Run")))))));
  }).catch((error) => showProblem(error.message));
}

export function workflowPage(view, { params: [id], showProblem }) {
  api(`/api/workflows/${encodeURIComponent(id)}`).then((w) => {
    view.append(
      h("h1", {}, `Workflow ${w.name}`),
      h("p", { class: "meta" }, `${w.id} · ${w.tasks} top-level tasks `, h("a", { href: `#/run/${encodeURIComponent(w.id)}` }, "Run it")),
      h("h2", {}, "Tasks"),
      w.graph ? h("div", { class: "graph", id: "workflow-graph" }, drawGraph(w.graph, `Task graph of ${w.name}`))
        : h("p", { class: "problem" }, `No graph: ${w.problem}`),
      h("h2", {}, "YAML"),
      h("pre", { "aria-label": "Workflow YAML", id: "workflow-yaml" }, w.yaml || ""));
  }).catch((error) => showProblem(error.message));
}
