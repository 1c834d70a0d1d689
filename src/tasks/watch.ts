import type { CurrentUser, Services } from "../context.js";
import { notFound } from "../errors.js";
import { taskTopic, userTopic, type TaskEvent } from "../pubsub.js";
import { RUNNING, isTerminal } from "./lifecycle.js";

/** running tasks sent at once to a subscriber of all their tasks */
const INITIAL_RUNNING_LIMIT = 100;

const stateOf = (e: { status: string; progress: number }) => `${e.status}:${e.progress}`;
const eventOf = (t: { id: string; userId: string; status: string; progress: number }): TaskEvent => ({
  taskId: t.id,
  userId: t.userId,
  status: t.status,
  progress: t.progress,
});

/**
 * One task of the caller: its current state at once, then every change, ending after
 * the terminal state. The bus subscription is live before the row is read, so no
 * change can slip between the two.
 */
export async function* watchTask(services: Services, user: CurrentUser, taskId: string): AsyncGenerator<TaskEvent> {
  const subscription = await services.pubsub.subscribe(taskTopic(taskId));
  try {
    const task = await services.db.task.findFirst({
      where: { id: taskId, userId: user.id },
      select: { id: true, userId: true, status: true, progress: true },
    });
    if (!task) throw notFound("No such task");
    let last = stateOf(task);
    yield eventOf(task);
    if (isTerminal(task.status)) return;
    for await (const event of subscription) {
      if (stateOf(event) === last) continue;
      last = stateOf(event);
      yield event;
      if (isTerminal(event.status)) return;
    }
  } finally {
    subscription.close();
  }
}

/** Every task of the caller: the running ones at once, then every change of any of them. */
export async function* watchUserTasks(services: Services, user: CurrentUser): AsyncGenerator<TaskEvent> {
  const subscription = await services.pubsub.subscribe(userTopic(user.id));
  try {
    const running = await services.db.task.findMany({
      where: { userId: user.id, status: { in: [...RUNNING] } },
      select: { id: true, userId: true, status: true, progress: true },
      orderBy: { createdAt: "asc" },
      take: INITIAL_RUNNING_LIMIT,
    });
    const last = new Map<string, string>();
    for (const task of running) {
      last.set(task.id, stateOf(task));
      yield eventOf(task);
    }
    for await (const event of subscription) {
      if (last.get(event.taskId) === stateOf(event)) continue;
      if (isTerminal(event.status)) last.delete(event.taskId);
      else last.set(event.taskId, stateOf(event));
      yield event;
    }
  } finally {
    subscription.close();
  }
}
