import pg from "pg";

const RUNNING = new Set(["QUEUED", "PROCESSING"]);

/**
 * The money rules, checked straight in the database: every task held once; a COMPLETED
 * one settled once for what it was charged, a FAILED or CANCELLED one released in full
 * and never settled, a running one neither; and for every user
 * balance = credits − debits − settled − held, with held = the holds of running tasks.
 * Returns what breaks them (empty when all hold) and the tasks by status.
 */
export async function checkMoney(databaseUrl: string): Promise<{ violations: string[]; statuses: Record<string, number> }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const tasks = (await client.query(`SELECT id, "userId", status, "holdAmount", charged FROM tasks`)).rows;
    const ledger = (await client.query(`SELECT "userId", "taskId", kind, amount FROM ledger`)).rows;
    const users = (await client.query(`SELECT id, subject, balance, held FROM users`)).rows;
    const violations: string[] = [];
    const statuses: Record<string, number> = {};
    const byTask = new Map<string, { kind: string; amount: bigint }[]>();
    for (const e of ledger)
      if (e.taskId) byTask.set(e.taskId, [...(byTask.get(e.taskId) ?? []), { kind: e.kind, amount: BigInt(e.amount) }]);
    for (const t of tasks) {
      statuses[t.status] = (statuses[t.status] ?? 0) + 1;
      const entries = byTask.get(t.id) ?? [];
      const count = (kind: string) => entries.filter((e) => e.kind === kind).length;
      const sum = (kind: string) => entries.filter((e) => e.kind === kind).reduce((a, e) => a + e.amount, 0n);
      const hold = BigInt(t.holdAmount);
      if (count("HOLD") !== 1 || sum("HOLD") !== hold) violations.push(`task ${t.id} (${t.status}): ${count("HOLD")} holds`);
      if (count("SETTLE") > 1) violations.push(`task ${t.id}: settled ${count("SETTLE")} times`);
      if (t.status === "COMPLETED") {
        if (count("SETTLE") !== 1) violations.push(`task ${t.id}: COMPLETED but settled ${count("SETTLE")} times`);
        else if (sum("SETTLE") !== BigInt(t.charged) || sum("SETTLE") + sum("RELEASE") !== hold)
          violations.push(`task ${t.id}: settlement does not add up`);
      } else if (RUNNING.has(t.status)) {
        if (count("SETTLE") + count("RELEASE") > 0) violations.push(`task ${t.id}: ${t.status} but its hold was already ended`);
      } else if (count("SETTLE") !== 0 || sum("RELEASE") !== hold) {
        violations.push(`task ${t.id}: ${t.status} but not released in full`);
      }
    }
    for (const u of users) {
      const mine = ledger.filter((e) => e.userId === u.id);
      const total = (kind: string) => mine.filter((e) => e.kind === kind).reduce<bigint>((a, e) => a + BigInt(e.amount), 0n);
      const held = tasks.filter((t) => t.userId === u.id && RUNNING.has(t.status)).reduce<bigint>((a, t) => a + BigInt(t.holdAmount), 0n);
      if (BigInt(u.held) !== held) violations.push(`user ${u.subject}: held ${u.held}, running tasks hold ${held}`);
      const expected = total("CREDIT") - total("DEBIT") - total("SETTLE") - BigInt(u.held);
      if (BigInt(u.balance) !== expected)
        violations.push(`user ${u.subject}: balance ${u.balance}, credits − settled − held = ${expected}`);
    }
    return { violations, statuses };
  } finally {
    await client.end();
  }
}
