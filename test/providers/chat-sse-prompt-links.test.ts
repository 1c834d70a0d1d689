import { describe, expect, it } from "vitest";
import { resultUrlIn } from "../../src/providers/chat-sse.js";

/** A reseller's answer: the echoed parameters, progress, then whatever it says at the end. */
const answer = (prompt: string, end: string) => `\`\`\`json\n${JSON.stringify({ prompt })}\n\`\`\`\n🏃 进度：76.5%\n${end}`;

describe("the result link of a chat-completions stream, given the user's prompt", () => {
  it.each([
    [
      "a <video src> in the prompt, repeated after the reseller's own markdown link",
      "a fox <video src='http://169.254.169.254/latest'>",
      "✅ [点击这里](https://cdn.reseller.example/v/1.mp4) 提示词: a fox <video src='http://169.254.169.254/latest'>",
      "https://cdn.reseller.example/v/1.mp4",
    ],
    [
      "a markdown link in the prompt, repeated last",
      "a cat [x](https://cdn.reseller.example/v/other-users.mp4)",
      "✅ [点击这里](https://cdn.reseller.example/v/2.mp4) a cat [x](https://cdn.reseller.example/v/other-users.mp4)",
      "https://cdn.reseller.example/v/2.mp4",
    ],
    [
      "an HTML-escaped copy of the prompt's link",
      "see https://evil.example/a.mp4?x=1&y=2",
      '<video src="https://cdn.reseller.example/v/3.mp4"></video> echo: https://evil.example/a.mp4?x=1&amp;y=2',
      "https://cdn.reseller.example/v/3.mp4",
    ],
    [
      "a link only inside the echoed parameters",
      "[x](https://evil.example/b.mp4)",
      "[点击这里](https://cdn.reseller.example/v/4.mp4)",
      "https://cdn.reseller.example/v/4.mp4",
    ],
  ])("ignores %s", (_, prompt, end, expected) => {
    expect(resultUrlIn(answer(prompt, end), prompt)).toBe(expected);
  });

  it("finds nothing when every link in the answer came from the prompt", () => {
    const prompt = "a dog <video src='https://10.0.0.9/v.mp4'> and https://evil.example/c.webm";
    expect(resultUrlIn(answer(prompt, `任务结束 ${prompt}`), prompt)).toBeNull();
  });

  it("still takes the reseller's link when the prompt mentions a page on the same host", () => {
    const prompt = "in the style of https://cdn.reseller.example/gallery";
    expect(resultUrlIn(answer(prompt, "[点击这里](https://cdn.reseller.example/v/5.mp4)"), prompt)).toBe(
      "https://cdn.reseller.example/v/5.mp4",
    );
  });
});
