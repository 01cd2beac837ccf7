// A workflow's task graph laid out by dagre (compound: container bodies are clusters), as SVG.
import dagre from "@dagrejs/dagre";

const SVG = "http://www.w3.org/2000/svg";

function s(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

export function drawGraph({ nodes, edges }, title) {
  const g = new dagre.graphlib.Graph({ compound: true, multigraph: true });
  g.setGraph({ rankdir: "TB", nodesep: 28, ranksep: 36, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) {
    if (node.cluster) g.setNode(node.id, { label: node.label, cluster: true, paddingTop: 24 });
    else {
      const text = node.kind === "start" || node.kind === "end" ? node.label : `${node.label} · ${node.kind}`;
      g.setNode(node.id, { label: text, kind: node.kind, width: Math.max(70, text.length * 7 + 20), height: 30 });
    }
  }
  for (const node of nodes) if (node.parent) g.setParent(node.id, node.parent);
  edges.forEach((edge, i) => {
    g.setEdge(edge.from, edge.to, { label: edge.label, width: edge.label ? edge.label.length * 6 : 0, height: edge.label ? 14 : 0, labelpos: "c" }, `e${i}`);
  });
  dagre.layout(g);
  const { width, height } = g.graph();
  const svg = s("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title });
  svg.append(s("title", {}, title));
  const defs = s("defs");
  const marker = s("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
  marker.append(s("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#7a8294" }));
  defs.append(marker);
  svg.append(defs);
  for (const id of g.nodes()) {
    const n = g.node(id);
    if (!n.cluster) continue;
    const group = s("g", { class: "cluster", "data-id": id });
    group.append(s("rect", { x: n.x - n.width / 2, y: n.y - n.height / 2, width: n.width, height: n.height, rx: 6 }),
      s("text", { x: n.x - n.width / 2 + 8, y: n.y - n.height / 2 + 14, "font-size": 11, fill: "#5b6475" }, n.label));
    svg.append(group);
  }
  for (const e of g.edges()) {
    const edge = g.edge(e);
    const d = edge.points.map((p, i) => `${i ? "L" : "M"} ${p.x} ${p.y}`).join(" ");
    const group = s("g", { class: "edge", "data-from": e.v, "data-to": e.w });
    group.append(s("path", { d, "marker-end": "url(#arrow)" }));
    if (edge.label) group.append(s("text", { x: edge.x, y: edge.y + 4, "text-anchor": "middle" }, edge.label));
    svg.append(group);
  }
  for (const id of g.nodes()) {
    const n = g.node(id);
    if (n.cluster) continue;
    const group = s("g", { class: `node ${n.kind}`, "data-id": id, "data-kind": n.kind });
    group.append(s("rect", { x: n.x - n.width / 2, y: n.y - n.height / 2, width: n.width, height: n.height, rx: n.kind === "start" || n.kind === "end" ? 15 : 4 }),
      s("text", { x: n.x, y: n.y + 4, "text-anchor": "middle" }, n.label));
    svg.append(group);
  }
  return svg;
}
