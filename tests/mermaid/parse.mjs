// Parses the Mermaid diagram on stdin with the `mermaid` package itself (in a jsdom window, as it needs a
// DOM) and prints what it understood as JSON: the diagram type, every vertex (id, text) and every edge
// (from, to, text). A diagram it rejects exits 1 with mermaid's own message.
//
// The tests run it as `node --input-type=module --eval "<this file>"` in target/node, where
// `bash tests/run.sh` installs the pinned packages of package-lock.json, so the imports resolve there.
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");

let text = "";
for await (const chunk of process.stdin) text += chunk;
try {
  await mermaid.parse(text);
  const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
  const vertices = [...diagram.db.getVertices().values()].map((v) => ({ id: v.id, text: v.text }));
  const edges = diagram.db.getEdges().map((e) => ({ from: e.start, to: e.end, text: e.text }));
  console.log(JSON.stringify({ type: diagram.type, vertices, edges }));
} catch (e) {
  console.error(String((e && e.message) || e));
  process.exit(1);
}
