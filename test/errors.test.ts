import { describe, expect, it } from "vitest";
import { codeOf } from "./helpers/app.js";
import { tokenFor } from "./helpers/tokens.js";
import { useTestApp } from "./helpers/use-test-app.js";

const t = useTestApp();

describe("errors", () => {
  it("gives what graphql-js refuses on its own a code: BAD_USER_INPUT for syntax, validation and variables", async () => {
    const token = await tokenFor("refused@errors");
    const refusals = [
      await t.gql("{ me { id ", {}, { token }),
      await t.gql("{ me { noSuchField } }", {}, { token }),
      await t.gql("query($n: Int!) { tasks(first: $n) { totalCount } }", { n: 1.5 }, { token }),
      await t.gql("query($n: Int!) { tasks(first: $n) { totalCount } }", {}, { token }),
    ];
    // The status stays yoga's: 200 for a document it could not parse or validate, 400 for bad variables.
    expect(refusals.map((res) => [res.status, codeOf(res)])).toEqual([
      [200, "BAD_USER_INPUT"],
      [200, "BAD_USER_INPUT"],
      [400, "BAD_USER_INPUT"],
      [400, "BAD_USER_INPUT"],
    ]);
  });

  it("masks an unexpected failure: INTERNAL_SERVER_ERROR, no message, no stack, no secret", async () => {
    const token = await tokenFor("masked@errors");
    await t.gql("{ me { id } }", {}, { token }); // the user exists before the database "breaks"
    const services = t.app.services;
    const realDb = services.db;
    const SECRET = "postgres://admin:hunter2@db.internal/reelay";
    // Every task query now fails the way a driver error would, carrying a connection string.
    services.db = new Proxy(realDb, {
      get: (target, prop, receiver) =>
        prop === "task"
          ? new Proxy({}, { get: () => () => Promise.reject(new Error(`connection to ${SECRET} failed`)) })
          : Reflect.get(target, prop, receiver),
    });
    try {
      const res = await t.gql(`{ tasks(first: 1) { totalCount } }`, {}, { token });
      expect(res.status).toBe(200);
      expect(codeOf(res)).toBe("INTERNAL_SERVER_ERROR");
      const body = JSON.stringify(res);
      expect(body).not.toContain("hunter2");
      expect(body).not.toContain("connection to");
      expect(body).not.toMatch(/stack|\.ts:\d+/);
    } finally {
      services.db = realDb;
    }
  });

  it("refuses queries nested deeper than the limit", async () => {
    const token = await tokenFor("deep@errors");
    const deep = `{ tasks { edges { node { remixedFrom { remixedFrom { remixedFrom { remixedFrom { remixedFrom { remixedFrom { remixedFrom { remixedFrom { id } } } } } } } } } } } }`;
    const res = await t.gql(deep, {}, { token });
    expect(res.errors?.[0].message).toMatch(/depth/i);
    expect(res.data ?? null).toBeNull();
  });

  it("answers BAD_USER_INPUT, not an internal error, for NUL characters in any text argument", async () => {
    const nul = "bad\u0000name";
    const channel = await t.gql(
      `mutation($input: ChannelInput!) { upsertChannel(input: $input) { id } }`,
      { input: { name: nul, provider: "openai", baseUrl: "https://gateway.example", apiKey: "k", models: ["sora-2"] } },
      { token: t.adminToken },
    );
    expect(codeOf(channel)).toBe("BAD_USER_INPUT");
    const credit = await t.gql(
      `mutation($s: String!) { grantCredit(subject: $s, amount: "1") { id } }`,
      { s: nul },
      { token: t.adminToken },
    );
    expect(codeOf(credit)).toBe("BAD_USER_INPUT");
    expect(await t.app.services.db.user.count({ where: { subject: { startsWith: "bad" } } })).toBe(0);
    expect(await t.app.services.db.channel.count()).toBe(0);
  });

  it("refuses a token whose subject carries a NUL character as UNAUTHENTICATED", async () => {
    const res = await t.gql("{ me { id } }", {}, { token: await tokenFor("nul\u0000subject") });
    expect(res.status).toBe(401);
    expect(codeOf(res)).toBe("UNAUTHENTICATED");
  });

  it("names the problem in a syntax error without executing anything", async () => {
    const res = await t.gql("{ me { id ", {}, { token: await tokenFor("syntax@errors") });
    expect(res.errors?.[0].message).toMatch(/Syntax Error/);
  });
});
