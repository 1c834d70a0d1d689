// The mock OpenAI Videos gateway in its own process, holding `count` jobs that stay queued
// however often they are polled, or that follow the script given as JSON in the third
// argument (a timeline, say). Prints one JSON line { baseUrl, apiKey, ids, createdMs }. When
// stdin closes it writes, to the file given as the second argument, the arrival times (ms
// since the epoch) of every poll per job (downloads not counted), then exits.
import { writeFile } from "node:fs/promises";
import { type MockVideoScript, type RecordedRequest, startMockOpenAIVideos } from "../../test/mocks/openai-videos.js";

const count = Number(process.argv[2]);
const statsFile = process.argv[3];
const script: MockVideoScript = process.argv[4] ? JSON.parse(process.argv[4]) : { queuedPolls: Number.MAX_SAFE_INTEGER };
const mock = await startMockOpenAIVideos({ script });

const ids: string[] = [];
for (let i = 0; i < count; i += 100) {
  const batch = Array.from({ length: Math.min(100, count - i) }, async () => {
    const res = await fetch(`${mock.baseUrl}/v1/videos`, {
      method: "POST",
      headers: { authorization: `Bearer ${mock.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "sora-2", prompt: "a poller benchmark", seconds: "4" }),
    });
    return ((await res.json()) as { id: string }).id;
  });
  ids.push(...(await Promise.all(batch)));
}

// Keep arrival times only; the mock's request log would grow by every poll.
const polls = new Map<string, number[]>();
mock.requests.push = (...items: RecordedRequest[]) => {
  const now = Date.now();
  for (const r of items) {
    const parts = r.path.split("/"); // "", "v1", "videos", id: a poll; a download has a fifth part
    if (r.method !== "GET" || parts.length !== 4) continue;
    const id = parts[3];
    if (id) (polls.get(id) ?? polls.set(id, []).get(id)!).push(now);
  }
  return 0;
};

console.log(JSON.stringify({ baseUrl: mock.baseUrl, apiKey: mock.apiKey, ids, createdMs: ids.map((id) => mock.jobs.get(id)!.createdMs) }));
process.stdin.resume();
process.stdin.on("end", async () => {
  await writeFile(statsFile, JSON.stringify(Object.fromEntries(polls)));
  await mock.close();
  process.exit(0);
});
