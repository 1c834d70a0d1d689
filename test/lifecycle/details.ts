import type { GraphQLTarget } from "../helpers/fixtures.js";

/** A task's own account of itself: its event log, where its time went, and its billing. */
export const DETAILS = /* GraphQL */ `
  query Details($id: ID!, $last: Int) {
    videoTask(id: $id) {
      id status seconds channel error { code message }
      events(last: $last) { at kind message count }
      timings { queued running mirroring total }
      billing { unit quantity unitPrice held settled refunded ledger { kind amount note task { id } } }
    }
  }
`;

export interface TaskEventView {
  at: string;
  kind: string;
  message: string;
  count: number;
}

export interface TaskDetails {
  id: string;
  status: string;
  seconds: number | null;
  channel: string;
  error: { code: string; message: string } | null;
  events: TaskEventView[];
  timings: { queued: number | null; running: number | null; mirroring: number | null; total: number | null };
  billing: {
    unit: string;
    quantity: number | null;
    unitPrice: string;
    held: string;
    settled: string | null;
    refunded: string | null;
    ledger: { kind: string; amount: string; note: string | null; task: { id: string } | null }[];
  };
}

/** The task's details as its owner reads them; fails the test on a GraphQL error. */
export async function detailsOf(t: GraphQLTarget, token: string, id: string, last = 200): Promise<TaskDetails> {
  const res = await t.gql<{ videoTask: TaskDetails }>(DETAILS, { id, last }, { token });
  if (res.errors) throw new Error(`videoTask failed: ${JSON.stringify(res.errors)}`);
  return res.data!.videoTask;
}

/** The kinds of a task's events, in order. */
export const kindsOf = (details: Pick<TaskDetails, "events">) => details.events.map((e) => e.kind);
