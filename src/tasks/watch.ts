import type { CurrentUser, Services } from "../context.js";
import { notFound } from "../errors.js";
import { type BusEvent, isResync, type TaskEvent, taskTopic, userTopic } from "../pubsub.js";
import { isTerminal, RUNNING_STATUSES } from "./status.js";

/** running tasks sent at once to a subscriber of all their tasks */
const INITIAL_RUNNING_LIMIT = 100;

const stateOf = (e: { status: string; progress: number }) => `${e.status}:${e.progress}`;
const eventOf = (t: { id: string; userId: string; status: string; progress: number }): TaskEvent => ({
  taskId: t.id,
  userId: t.userId,
  status: t.status,
  progress: t.progress,
});
const STATE = { id: true, userId: true, status: true, progress: true } as const;

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
    return eventOf(task);
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
  const readRunning = (alsoIds: string[] = []) =>
    services.db.task.findMany({
      where: { userId: user.id, OR: [{ status: { in: [...RUNNING_STATUSES] } }, { id: { in: alsoIds } }] },
      select: STATE,
      orderBy: { createdAt: "asc" },
      take: INITIAL_RUNNING_LIMIT + alsoIds.length,
    });
  /** the events for the tasks whose state differs from what was last sent */
  const changes = (message: BusEvent): Promise<TaskEvent[]> | TaskEvent[] =>
    isResync(message) ? readRunning([...last.keys()]).then((rows) => rows.map(eventOf)) : [message];
  try {
    for (const task of await readRunning()) {
      last.set(task.id, stateOf(task));
      yield eventOf(task);
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
