// ws_approver.mjs URL TOKEN DECISION — a node `ws` approver client for the
// approval tests: connects, initializes, prints {"ready":true}, then
// answers the first network/approval request with DECISION and prints
// that request as one JSON line.
import WebSocket from "ws";

const [url, token, decision] = process.argv.slice(2);
const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` } });
const timer = setTimeout(() => { console.error("timeout"); process.exit(3); }, 60000);

ws.on("error", (e) => { console.error(String(e)); process.exit(1); });
ws.on("open", () => {
  ws.send(JSON.stringify({ id: 1, method: "initialize",
    params: { clientInfo: { name: "node-approver", version: "1" } } }));
});
ws.on("message", (data) => {
  const m = JSON.parse(String(data));
  if (m.id === 1 && !m.method) {
    ws.send(JSON.stringify({ method: "initialized" }));
    console.log(JSON.stringify({ ready: true }));
  } else if (m.method === "network/approval") {
    ws.send(JSON.stringify({ id: m.id, result: { decision } }));
    console.log(JSON.stringify(m));
    clearTimeout(timer);
    setTimeout(() => ws.close(), 100);
  }
});
