// The console's router: one page per hash route, each page cleaning up its timers on leave.
import { apiKey, setApiKey } from "./api.js";
import { executionsPage } from "./pages/executions.js";
import { executionPage } from "./pages/execution.js";
import { agentExecutionPage } from "./pages/agent.js";
import { workflowsPage, workflowPage } from "./pages/workflows.js";
import { runPage } from "./pages/run.js";

const view = document.getElementById("view");
const problemBox = document.getElementById("problem");
let leave = null;

export function showProblem(message) {
  problemBox.textContent = message || "";
  problemBox.hidden = !message;
}

const routes = [
  [/^#\/executions\/([^/]+)$/, executionPage],
  [/^#\/agent-executions\/([^/]+)$/, agentExecutionPage],
  [/^#\/workflows\/([^/]+)$/, workflowPage],
  [/^#\/workflows$/, workflowsPage],
  [/^#\/run(?:\/([^/]+))?$/, runPage],
  [/^#\/executions$/, executionsPage],
];

function route() {
  if (leave) leave();
  leave = null;
  showProblem("");
  const hash = location.hash || "#/executions";
  for (const [pattern, page] of routes) {
    const match = hash.match(pattern);
    if (match) {
      view.replaceChildren();
      leave = page(view, { params: match.slice(1).map((p) => p && decodeURIComponent(p)), showProblem });
      return;
    }
  }
  location.hash = "#/executions";
}

const keyInput = document.getElementById("api-key");
keyInput.value = apiKey();
document.getElementById("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  setApiKey(keyInput.value.trim());
  route();
});
window.addEventListener("hashchange", route);
route();
