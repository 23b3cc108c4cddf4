// ws_rpc.mjs URL [TOKEN] — a node `ws` client for the app-server tests:
// connects, sends initialize, then network/policy/read, and prints each
// response as one JSON line. Exits non-zero on a failed connection.
import WebSocket from "ws";

const [url, token] = process.argv.slice(2);
const headers = token ? { Authorization: `Bearer ${token}` } : {};
const ws = new WebSocket(url, { headers });
const timer = setTimeout(() => { console.error("timeout"); process.exit(3); }, 10000);

ws.on("unexpected-response", (req, res) => {
  console.log(JSON.stringify({ status: res.statusCode }));
  process.exit(2);
});
ws.on("error", (e) => { console.error(String(e)); process.exit(1); });
ws.on("open", () => {
  ws.send(JSON.stringify({ id: 1, method: "initialize",
    params: { clientInfo: { name: "node-ws", version: "1" } } }));
});
ws.on("message", (data) => {
  const m = JSON.parse(String(data));
  console.log(JSON.stringify(m));
  if (m.id === 1) {
    ws.send(JSON.stringify({ method: "initialized" }));
    ws.send(JSON.stringify({ id: 2, method: "network/policy/read" }));
  } else if (m.id === 2) {
    clearTimeout(timer);
    ws.close();
  }
});
