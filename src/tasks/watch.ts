import type { CurrentUser, Services } from "../context.js";
import { notFound } from "../errors.js";
import { type BusEvent, isResync, type TaskEvent, taskTopic, userTopic } from "../pubsub.js";
import { queuePositions } from "./slots.js";
import { isTerminal, RUNNING_STATUSES } from "./status.js";

/** running tasks sent at once to a subscriber of all their tasks */
const INITIAL_RUNNING_LIMIT = 100;

// A new entry in the task's event log counts as a change too (eventsAt), so `events` reaches subscribers,
// and so does a move in the queue for a slot (queuePosition).
const stateOf = (e: { status: string; progress: number; eventsAt?: number; queuePosition?: number }) =>
  `${e.status}:${e.progress}:${e.eventsAt ?? ""}:${e.queuePosition ?? ""}`;
const eventOf = (t: { id: string; userId: string; status: string; progress: number }, queuePosition?: number): TaskEvent => ({
  taskId: t.id,
  userId: t.userId,
  status: t.status,
  progress: t.progress,
  ...(queuePosition ? { queuePosition } : {}),
});
const STATE = { id: true, userId: true, status: true, progress: true, waitingSince: true } as const;

/** Rows as events, with the queue positions of those waiting for a slot: one more query, and only when one waits. */
async function eventsOf(
  services: Services,
  rows: { id: string; userId: string; status: string; progress: number; waitingSince: Date | null }[],
) {
  const positions = await queuePositions(
    services.db,
    rows.filter((r) => r.waitingSince && r.status === "QUEUED").map((r) => r.id),
  );
  return rows.map((r) => eventOf(r, positions.get(r.id)));
}

/**
 * One task of the caller: its current state at once, then every change, ending after
 * the terminal state. The bus subscription is live before the row is read, so no
 * change can slip between the two; after a bus outage the row is read again.
 */
export async function* watchTask(services: Services, user: CurrentUser, taskId: string): AsyncGenerator<TaskEvent> {
  const subscription = await services.pubsub.subscribe(taskTopic(taskId));
  const read = async () => {
    const task = await services.db.task.findFirst({ where: { id: taskId, userId: user.id }, select: STATE });
    if (!task) throw notFound("No such task");
    const [event] = await eventsOf(services, [task]);
    return event;
  };
  try {
    const first = await read();
    let last = stateOf(first);
    yield first;
    if (isTerminal(first.status)) return;
    for await (const message of subscription) {
      const event = isResync(message) ? await read() : message;
      if (stateOf(event) === last) continue;
      last = stateOf(event);
      yield event;
      if (isTerminal(event.status)) return;
    }
  } finally {
    subscription.close();
  }
}

/**
 * Every task of the caller: the running ones at once, then every change of any of them.
 * After a bus outage the running tasks and those it was following are read again.
 */
export async function* watchUserTasks(services: Services, user: CurrentUser): AsyncGenerator<TaskEvent> {
  const subscription = await services.pubsub.subscribe(userTopic(user.id));
  const last = new Map<string, string>();
  const readRunning = async (alsoIds: string[] = []) =>
    eventsOf(
      services,
      await services.db.task.findMany({
        where: { userId: user.id, OR: [{ status: { in: [...RUNNING_STATUSES] } }, { id: { in: alsoIds } }] },
        select: STATE,
        orderBy: { createdAt: "asc" },
        take: INITIAL_RUNNING_LIMIT + alsoIds.length,
      }),
    );
  /** the events for the tasks whose state differs from what was last sent */
  const changes = (message: BusEvent): Promise<TaskEvent[]> | TaskEvent[] =>
    isResync(message) ? readRunning([...last.keys()]) : [message];
  try {
    for (const event of await readRunning()) {
      last.set(event.taskId, stateOf(event));
      yield event;
    }
    for await (const message of subscription) {
      for (const event of await changes(message)) {
        if (last.get(event.taskId) === stateOf(event)) continue;
        if (isTerminal(event.status)) last.delete(event.taskId);
        else last.set(event.taskId, stateOf(event));
        yield event;
      }
    }
  } finally {
    subscription.close();
  }
}
