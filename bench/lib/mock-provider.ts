// The mock OpenAI Videos gateway in its own process, with one completed job of the given
// size. Prints one JSON line: { baseUrl, apiKey, upstreamId }; exits when stdin closes.
import { startMockOpenAIVideos } from "../../test/mocks/openai-videos.js";

const bytes = Number(process.argv[2] ?? 65536);
const mock = await startMockOpenAIVideos({ script: { queuedPolls: 0, progressSteps: [], videoBytes: bytes } });
const created = await fetch(`${mock.baseUrl}/v1/videos`, {
  method: "POST",
  headers: { authorization: `Bearer ${mock.apiKey}`, "content-type": "application/json" },
  body: JSON.stringify({ model: "sora-2", prompt: "a benchmark", seconds: "4" }),
});
const { id } = (await created.json()) as { id: string };
mock.setJobState(id, { status: "completed" });
console.log(JSON.stringify({ baseUrl: mock.baseUrl, apiKey: mock.apiKey, upstreamId: id }));
process.stdin.resume();
process.stdin.on("end", () => void mock.close().then(() => process.exit(0)));
