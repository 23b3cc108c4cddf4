// One fetch through undici's ProxyAgent: node fetch.mjs PROXY_URL URL
// Prints the status on the first line, then the body.
import { ProxyAgent, fetch } from 'undici';

const [proxy, url] = process.argv.slice(2);
const agent = new ProxyAgent(proxy);
try {
	const r = await fetch(url, { dispatcher: agent });
	process.stdout.write(`${r.status}\n${await r.text()}`);
} finally {
	await agent.close();
}
